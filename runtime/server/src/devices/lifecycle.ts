import type { DeviceState } from '@shuiyun/db';
import { AppError, type ErrorDetail, type Locale } from '@shuiyun/http';

export const deviceStates = ['installed', 'accepted', 'in_service', 'under_repair', 'retired'] as const satisfies readonly DeviceState[];

/**
 * 安装 → 验收 → 投运 ⇄ 维修, and 报废 from anywhere before it. A retired device stays retired: a meter
 * that comes back is a new device record, so readings and bills of the two lives never mix.
 */
const next: Record<DeviceState, readonly DeviceState[]> = {
  installed: ['accepted', 'retired'],
  accepted: ['in_service', 'retired'],
  in_service: ['under_repair', 'retired'],
  under_repair: ['in_service', 'retired'],
  retired: [],
};

export const stateLabels: Record<DeviceState, Record<Locale, string>> = {
  installed: { 'zh-CN': '已安装', en: 'Installed' },
  accepted: { 'zh-CN': '已验收', en: 'Accepted' },
  in_service: { 'zh-CN': '在用', en: 'In service' },
  under_repair: { 'zh-CN': '维修中', en: 'Under repair' },
  retired: { 'zh-CN': '已报废', en: 'Retired' },
};

export function allowedTransitions(from: DeviceState): readonly DeviceState[] {
  return next[from];
}

interface TransitionDetail extends ErrorDetail {
  from: DeviceState;
  to: DeviceState;
  allowed: readonly DeviceState[];
}

/** Refuses a step the lifecycle does not have, naming the steps it does have from here. */
export function assertTransition(from: DeviceState, to: DeviceState): void {
  const allowed = next[from];
  if (allowed.includes(to)) return;
  const detail: TransitionDetail = {
    path: 'body.to',
    code: 'invalid_transition',
    message: allowed.length ? `${from} → ${to} is not a step; from ${from}: ${allowed.join(', ')}` : `${from} is final`,
    from,
    to,
    allowed,
  };
  throw new AppError('invalid_transition', { details: [detail] });
}
