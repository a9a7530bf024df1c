import type { Rejection } from '@shuiyun/sdk';
import { z } from 'zod';
import { isKnownTimeZone } from './meter-clock.js';
import { reject } from './rejection.js';
import { DEFAULT_STATUS_LAYOUT, statusLayouts } from './status-layouts.js';

export const DEFAULT_METER_TIME_ZONE = 'Asia/Shanghai';

/** The per-product settings of the CJ/T 188 codec (`DecodeContext.settings`). */
const codecSettingsSchema = z.object({
  /** IANA zone of the meters' clocks. */
  timeZone: z
    .string()
    .default(DEFAULT_METER_TIME_ZONE)
    .refine(isKnownTimeZone, { message: 'is not an IANA time zone known to this runtime' }),
  statusLayout: z.enum(statusLayouts).default(DEFAULT_STATUS_LAYOUT),
});

export type Cjt188Settings = z.infer<typeof codecSettingsSchema>;

export function readCodecSettings(
  settings: Record<string, unknown> | undefined,
): { ok: true; settings: Cjt188Settings } | Rejection {
  const parsed = codecSettingsSchema.safeParse(settings ?? {});
  if (parsed.success) return { ok: true, settings: parsed.data };
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'settings'}: ${issue.message}`);
  return reject('bad_settings', `CJ/T 188 codec settings: ${problems.join('; ')}`);
}
