/**
 * Meter type byte T of a CJ/T 188 frame. The standard gives the water meters the 0x1x family (heat meters
 * are 0x2x, gas meters 0x3x); of those it defines these four. Some published parsers read 0x10 as a
 * heat meter: for CJ/T 188 it is the cold-water meter.
 */
export const waterMeterTypes = {
  coldWater: 0x10,
  domesticHotWater: 0x11,
  drinkingWater: 0x12,
  reclaimedWater: 0x13,
} as const;

export type WaterMeterTypeName = keyof typeof waterMeterTypes;
export type WaterMeterType = (typeof waterMeterTypes)[WaterMeterTypeName];

const knownWaterMeterTypes: ReadonlySet<number> = new Set(Object.values(waterMeterTypes));

export function isWaterMeterType(byte: number): byte is WaterMeterType {
  return knownWaterMeterTypes.has(byte);
}
