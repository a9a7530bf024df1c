export type { Reading, Rejection, Decoded, DecodeResult, DecodeContext, DeviceCodec, StandardMetric } from './iot.js';
export { metricUnits } from './iot.js';
