import { type DeviceIdentity, type IngestionOptions, IngestionPipeline, type IngestOutcome } from '@shuiyun/iot';

/**
 * The ingestion pipeline, plus a look at every raw payload before the codec and before the transport
 * acknowledges it. Replies to downlink commands (a CJ/T 188 valve-control 0x84) carry no readings, so the
 * codec contract has nothing to say about them: the command tracker reads them here. An observer that
 * rejects makes `ingest` reject, so the transport withholds the acknowledgement and the device sends
 * again. When the observer says the payload was a command reply and nothing else (a JSON device's
 * `{"id", "ok"}`), no codec sees it: it is not a report the codec should count as refused.
 */
export class ObservedPipeline extends IngestionPipeline {
  constructor(
    options: IngestionOptions,
    /** Resolves true when the payload was only a command reply. */
    private readonly observe: (device: DeviceIdentity, payload: Uint8Array, receivedAt: Date) => Promise<boolean>,
  ) {
    super(options);
  }

  override async ingest(device: DeviceIdentity, payload: Uint8Array, receivedAt: Date): Promise<IngestOutcome> {
    if (await this.observe(device, payload, receivedAt)) return { ok: true, readings: 0 };
    return super.ingest(device, payload, receivedAt);
  }
}
