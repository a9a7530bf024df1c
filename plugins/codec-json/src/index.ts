export { jsonThingModelCodec } from './json-codec.js';
export { toMilli } from './exact-decimal.js';
