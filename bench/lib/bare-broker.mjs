// Child process of iot-ingestion.bench.mjs: the reference — an aedes broker with no authentication and no
// storage, and one subscriber on every uplink topic that does nothing with what it gets.
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import { connectAsync } from 'mqtt';

const broker = await Aedes.createBroker();
const server = createServer(broker.handle);
server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  const subscriber = await connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'do-nothing' });
  await subscriber.subscribeAsync('devices/+/up', { qos: 1 });
  subscriber.on('message', () => undefined);
  process.send({ ready: true, port });
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
