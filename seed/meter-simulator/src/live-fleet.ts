import { encodeMeterDataReply } from '@shuiyun/codec-cjt188';
import { connectAsync, type MqttClient } from 'mqtt';
import { MeterRegister, type SimulatedMeter } from './fleet.js';

export interface FleetMember {
  meter: SimulatedMeter;
  /** The device secret the platform issued for this meter (its MQTT password). */
  secret: string;
}

export interface LiveFleetOptions {
  /** The platform's MQTT broker, e.g. mqtt://127.0.0.1:1883. */
  url: string;
  members: FleetMember[];
  seed: number;
  /** How often each meter reports, in real milliseconds (the register advances by the same real time). */
  reportEveryMs: number;
  timeZone?: string;
  /** Meters connecting at once; the rest wait their turn. */
  connectConcurrency?: number;
}

/**
 * Simulated meters reporting live over MQTT as CJ/T 188 frames: each meter its own connection with its
 * own credentials, QoS 1, reports spread over the interval so the broker sees a steady stream. Corrupt
 * frames go out as the fleet says (a flipped checksum byte), so the platform's rejection path runs too.
 */
export class LiveMeterFleet {
  readonly stats = { connected: 0, published: 0, acknowledged: 0, corrupt: 0, lost: 0, failed: 0 };
  private readonly clients: MqttClient[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;

  private constructor(private readonly options: LiveFleetOptions) {}

  static async start(options: LiveFleetOptions): Promise<LiveMeterFleet> {
    const fleet = new LiveMeterFleet(options);
    const queue = [...options.members];
    const workers = Array.from({ length: Math.min(options.connectConcurrency ?? 50, queue.length) }, async () => {
      for (let member = queue.shift(); member && !fleet.stopped; member = queue.shift()) await fleet.connectMember(member);
    });
    await Promise.all(workers);
    return fleet;
  }

  private async connectMember({ meter, secret }: FleetMember): Promise<void> {
    const client = await connectAsync(this.options.url, {
      username: meter.address,
      password: secret,
      clientId: `meter-${meter.address}`,
      reconnectPeriod: 5_000,
      connectTimeout: 10_000,
    });
    this.clients.push(client);
    this.stats.connected++;
    const register = new MeterRegister(meter, this.options.seed, Date.now());
    const every = this.options.reportEveryMs;
    const report = () => {
      if (this.stopped) return;
      const sent = register.advance(Date.now());
      if (!sent) {
        this.stats.lost++;
        return;
      }
      const frame = encodeMeterDataReply({ address: meter.address, cumulativeLitres: sent.cumulativeLitres, at: sent.at, timeZone: this.options.timeZone });
      if (sent.corrupt) {
        frame[frame.length - 2] = frame[frame.length - 2]! ^ 0x5a;
        this.stats.corrupt++;
      }
      this.stats.published++;
      client.publishAsync(`devices/${meter.address}/up`, Buffer.from(frame), { qos: 1 }).then(
        () => this.stats.acknowledged++,
        () => this.stats.failed++,
      );
    };
    // Spread the meters over the interval, then report steadily.
    const first = setTimeout(() => {
      report();
      const every$ = setInterval(report, every);
      every$.unref();
      this.timers.push(every$);
    }, Math.floor(Math.random() * every));
    first.unref();
    this.timers.push(first);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.forEach((t) => clearTimeout(t));
    await Promise.all(this.clients.map((c) => c.endAsync().catch(() => undefined)));
  }
}
