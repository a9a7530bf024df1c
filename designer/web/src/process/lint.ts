import recommended from 'bpmnlint/config/recommended.js';
import compat from 'bpmnlint-plugin-camunda-compat';
import { bpmnlintRules, compatRules } from './lint-rules.js';

type RuleValue = string | [string, Record<string, unknown>];

/** The rule table under the names bpmnlint's resolver asks for (`rule:<package>/<rule>`). */
const cache: Record<string, unknown> = {};
for (const [name, rule] of Object.entries(bpmnlintRules)) cache[`rule:bpmnlint/${name}`] = rule;
for (const [name, rule] of Object.entries(compatRules)) cache[`rule:bpmnlint-plugin-camunda-compat/${name}`] = rule;

const resolver = {
  resolveRule(pkg: string, name: string) {
    const rule = cache[`rule:${pkg}/${name}`];
    if (!rule) throw new Error(`unknown rule <${pkg}/${name}>`);
    return rule;
  },
  resolveConfig(pkg: string, name: string) {
    throw new Error(`unknown config <${pkg}/${name}>`);
  },
};

/**
 * bpmnlint:recommended plus camunda-compat's camunda-cloud-8-6 (Camunda 8.6: what the runtime's
 * Zeebe-compatible engine accepts). Rules missing from the table are left out rather than failing
 * the whole lint.
 */
function buildRules(): Record<string, RuleValue> {
  const rules: Record<string, RuleValue> = {};
  for (const [name, value] of Object.entries((recommended as { rules: Record<string, RuleValue> }).rules)) {
    if (cache[`rule:bpmnlint/${name}`]) rules[name] = value;
  }
  const camunda = (compat as { configs: Record<string, { rules: Record<string, RuleValue> }> }).configs['camunda-cloud-8-6']!.rules;
  for (const [name, value] of Object.entries(camunda)) {
    if (name.startsWith('bpmnlint/')) {
      const bare = name.slice('bpmnlint/'.length);
      if (cache[`rule:bpmnlint/${bare}`]) rules[bare] = value;
    } else if (cache[`rule:bpmnlint-plugin-camunda-compat/${name}`]) {
      rules[`camunda-compat/${name}`] = value;
    }
  }
  return rules;
}

export const lintConfig = { config: { rules: buildRules() }, resolver };
