/**
 * A published page's HTML and CSS come from the designer: the HTML is cleaned of anything that runs
 * (scripts, event handlers, `javascript:` links) and the CSS is scoped to the page's box, so neither
 * reaches into the app around it.
 */

const DROPPED = 'script, style, iframe, object, embed, base, meta, link, frame, frameset, noscript';

export function sanitizePageHtml(html: string): string {
  const template = document.createElement('template');
  template.innerHTML = html;
  for (const element of template.content.querySelectorAll(DROPPED)) element.remove();
  for (const element of template.content.querySelectorAll('*')) {
    for (const attribute of [...element.attributes]) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value.trim().toLowerCase();
      if (name.startsWith('on') || name === 'srcdoc') element.removeAttribute(attribute.name);
      else if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(name) && (value.startsWith('javascript:') || value.startsWith('vbscript:') || value.startsWith('data:text/html'))) {
        element.removeAttribute(attribute.name);
      }
    }
  }
  return template.innerHTML;
}

/** One selector of a list, under the scope: `body`/`html`/`:root`/`#wrapper` become the scope itself. */
function scopeSelector(selector: string, scope: string): string {
  const trimmed = selector.trim();
  if (!trimmed) return trimmed;
  const root = /^(html|body|:root|#wrapper)(?![\w-])/i.exec(trimmed);
  if (root) return `${scope}${trimmed.slice(root[0].length)}`;
  if (trimmed === '*') return `${scope} *`;
  return `${scope} ${trimmed}`;
}

/** Splits a selector list at top-level commas (not those inside `:is(…)` or `[…]`). */
function splitSelectors(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(list.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(list.slice(start));
  return parts;
}

function scopeRules(rules: CSSRuleList, scope: string): string {
  const out: string[] = [];
  for (const rule of rules) {
    if (rule instanceof CSSStyleRule) {
      const selectors = splitSelectors(rule.selectorText).map((s) => scopeSelector(s, scope));
      out.push(`${selectors.join(', ')} { ${rule.style.cssText} }`);
    } else if (rule instanceof CSSMediaRule) {
      out.push(`@media ${rule.conditionText} { ${scopeRules(rule.cssRules, scope)} }`);
    } else if (typeof CSSSupportsRule !== 'undefined' && rule instanceof CSSSupportsRule) {
      out.push(`@supports ${rule.conditionText} { ${scopeRules(rule.cssRules, scope)} }`);
    } else if (!(typeof CSSImportRule !== 'undefined' && rule instanceof CSSImportRule)) {
      out.push(rule.cssText);
    }
  }
  return out.join('\n');
}

/** The page's CSS with every rule under `scope` (a selector such as `.sy-page-3`). */
export function scopeCss(css: string, scope: string): string {
  if (!css.trim()) return '';
  if (typeof CSSStyleSheet !== 'undefined' && 'replaceSync' in CSSStyleSheet.prototype) {
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css.replace(/@import[^;]+;/g, ''));
      return scopeRules(sheet.cssRules, scope);
    } catch {
      // Fall through to the simple rewrite below.
    }
  }
  return css.replace(/(^|})\s*([^{}@]+)\s*{/g, (_m, brace: string, selectors: string) => `${brace} ${splitSelectors(selectors).map((s) => scopeSelector(s, scope)).join(', ')} {`);
}
