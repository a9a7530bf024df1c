export { RulesEngine, RulesSnapshotError, type RuleSubject, type RulesEngineOptions, type RulesEngineStats, type RulesEngineSnapshot } from './rules-engine.js';
export { ruleConfig, ruleSet, parseRuleSet, RuleConfigError, type RuleConfig, type RuleConfigInput, type RuleKindId, type RuleScope } from './rule-config.js';
export { severities, type AlarmSignal, type AlarmRaise, type AlarmClear, type AlarmDetail, type Severity } from './alarm-signal.js';
