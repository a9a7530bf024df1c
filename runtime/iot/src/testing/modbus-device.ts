import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import modbusSerial from 'modbus-serial';

/** One request as it arrived on the wire: function, address, and quantity (the value, for FC 5 and FC 6). */
export interface LoggedRequest {
  at: number;
  unit: number;
  fc: number;
  address: number;
  quantity: number;
}

/**
 * A Modbus TCP device for tests: modbus-serial's own ServerTCP on a loopback port, serving registers and
 * bits the test sets, taking writes (FC 5, 6, 15, 16) into them, with every request it receives logged off
 * the wire. An address the test never set answers exception 2 (illegal data address), as a real meter does.
 */
export class ModbusTestDevice {
  readonly holding = new Map<number, number>();
  readonly input = new Map<number, number>();
  readonly coils = new Map<number, boolean>();
  readonly discrete = new Map<number, boolean>();
  readonly requests: LoggedRequest[] = [];
  /** Addresses whose writes the device refuses with exception 4 (server device failure), as a jammed valve would. */
  readonly refuseWrites = new Set<number>();

  private constructor(private readonly server: InstanceType<typeof modbusSerial.ServerTCP>) {}

  /** Listens on `port`, or on a port the system picks. */
  static async start(unitID = 1, port?: number): Promise<ModbusTestDevice> {
    const value = <T>(bank: Map<number, T>) => (address: number): T => {
      const v = bank.get(address);
      if (v === undefined) throw { modbusErrorCode: 2 };
      return v;
    };
    const created: { device?: ModbusTestDevice } = {};
    const server = new modbusSerial.ServerTCP(
      {
        getHoldingRegister: (a: number) => value(created.device!.holding)(a),
        getInputRegister: (a: number) => value(created.device!.input)(a),
        getCoil: (a: number) => value(created.device!.coils)(a),
        getDiscreteInput: (a: number) => value(created.device!.discrete)(a),
        setCoil: (a: number, v: boolean) => created.device!.write(created.device!.coils, a, v),
        setRegister: (a: number, v: number) => created.device!.write(created.device!.holding, a, v),
      },
      // ServerTCP listens on `options.port || 502`: a numeric 0 would mean 502, the string asks the OS.
      { host: '127.0.0.1', port: port ?? ('0' as unknown as number), unitID },
    );
    created.device = new ModbusTestDevice(server);
    await new Promise<void>((resolve, reject) => {
      server.on('initialized', () => resolve());
      server.on('serverError', reject);
    });
    created.device.netServer.on('connection', (socket: Socket) => created.device!.logRequests(socket));
    return created.device;
  }

  /** ServerTCP does not say which port it got; its net.Server does. */
  private get netServer(): NetServer {
    return (this.server as unknown as { _server: NetServer })._server;
  }

  get port(): number {
    return (this.netServer.address() as AddressInfo).port;
  }

  setUint32(address: number, value: number, order: 'big' | 'little' = 'big') {
    const [high, low] = [Math.floor(value / 0x1_0000), value % 0x1_0000];
    this.holding.set(address, order === 'big' ? high : low);
    this.holding.set(address + 1, order === 'big' ? low : high);
  }

  /** Stops listening and drops the clients' connections, as a device that loses power. */
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private write<T>(bank: Map<number, T>, address: number, value: T) {
    if (this.refuseWrites.has(address)) throw { modbusErrorCode: 4 };
    if (!bank.has(address)) throw { modbusErrorCode: 2 };
    bank.set(address, value);
  }

  private logRequests(socket: Socket) {
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 6 && buffer.length >= 6 + buffer.readUInt16BE(4)) {
        const frame = buffer.subarray(0, 6 + buffer.readUInt16BE(4));
        buffer = buffer.subarray(frame.length);
        this.requests.push({ at: Date.now(), unit: frame[6]!, fc: frame[7]!, address: frame.readUInt16BE(8), quantity: frame.readUInt16BE(10) });
      }
    });
  }
}
