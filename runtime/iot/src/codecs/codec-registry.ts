import type { DeviceCodec } from '@shuiyun/sdk';

/** The codecs the runtime knows, by id; products name one. */
export class CodecRegistry {
  private readonly codecs = new Map<string, DeviceCodec>();

  constructor(codecs: DeviceCodec[] = []) {
    codecs.forEach((c) => this.register(c));
  }

  register(codec: DeviceCodec): void {
    if (this.codecs.has(codec.id)) throw new Error(`codec ${codec.id} is registered twice`);
    this.codecs.set(codec.id, codec);
  }

  get(id: string): DeviceCodec | undefined {
    return this.codecs.get(id);
  }
}
