/**
 * What a device codec turns payloads into. Values are exact: thousandths of the metric's unit as a
 * bigint (a cumulative volume of 123.45 m³ is 123 450 L → `milli: 123_450_000n`), never a float.
 */
export interface Reading {
  /** The device as its transport names it: meter address, IMEI or registry key. */
  device: string;
  /** A metric of the product's thing model, e.g. `cumulative_volume`, `flow_rate`, `battery_voltage`. */
  metric: string;
  /** When the device measured it (UTC); the receive time when the device sent no clock. */
  at: Date;
  /** The value in thousandths of the metric's canonical unit (see `metricUnits`). */
  milli: bigint;
}

/**
 * Canonical units of the platform's standard metrics. Codecs convert into these, so rules, reports and
 * billing never juggle m³ against litres.
 */
export const metricUnits = {
  cumulative_volume: 'L',
  settlement_volume: 'L',
  flow_rate: 'L/h',
  reverse_volume: 'L',
  pressure: 'kPa',
  temperature: '°C',
  battery_voltage: 'V',
  /** 0 open, 1 closed, 3 fault (CJ/T 188 convention). */
  valve_state: '',
  /** 0 normal, 1 low. */
  battery_low: '',
  signal_strength: 'dBm',
} as const;
export type StandardMetric = keyof typeof metricUnits;

/** Why a payload was refused: a stable code for counting, and words for the operator. */
export interface Rejection {
  ok: false;
  code: string;
  reason: string;
}

export interface Decoded {
  ok: true;
  readings: Reading[];
}

export type DecodeResult = Decoded | Rejection;

export interface DecodeContext {
  /** The device the transport already knows the payload came from, if any. */
  device?: string | undefined;
  /** When the platform received the payload. */
  receivedAt: Date;
  /** Per-product codec settings (for CJ/T 188: the status-bit layout). */
  settings?: Record<string, unknown> | undefined;
}

/** Turns device payloads into readings. A codec never throws on bad input: it returns a Rejection. */
export interface DeviceCodec {
  /** Stable identifier a product names, e.g. `cjt188`, `json-thing-model`. */
  readonly id: string;
  decode(payload: Uint8Array, context: DecodeContext): DecodeResult;
}
