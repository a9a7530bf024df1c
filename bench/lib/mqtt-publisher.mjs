// Child process of iot-ingestion.bench.mjs: concentrators (集中器) publishing their meters' CJ/T 188
// reports with QoS 1 as fast as their in-flight window allows, each concentrator on its own connection
// with its own credentials, cycling through the meters behind it.
// Input (IPC): { url, concentrators: [{ key, secret?, meters: [address] }], seconds, window }.
// Output (IPC): { acked, failed, seconds }.
import { encodeMeterDataReply } from '@shuiyun/codec-cjt188';
import { connectAsync } from 'mqtt';

process.once('message', async ({ url, concentrators, seconds, window }) => {
  const clients = [];
  const queue = [...concentrators];
  await Promise.all(
    Array.from({ length: Math.min(100, queue.length) }, async () => {
      for (let m = queue.shift(); m; m = queue.shift()) {
        const client = await connectAsync(url, { username: m.key, password: m.secret ?? 'x', reconnectPeriod: 0, clientId: `bench-${m.key}` });
        client.on('error', () => undefined);
        clients.push({ client, key: m.key, meters: m.meters });
      }
    }),
  );
  process.send({ connected: clients.length });
  let acked = 0;
  let failed = 0;
  let running = true;
  const base = Date.UTC(2026, 0, 1);
  const loops = clients.map(async ({ client, key, meters }) => {
    let n = 0;
    const lanes = Array.from({ length: window }, async () => {
      while (running) {
        const i = n++;
        const address = meters[i % meters.length];
        // Each meter's reports are 15 minutes apart: distinct readings, never a redelivery.
        const at = base + Math.floor(i / meters.length) * 900_000;
        const frame = Buffer.from(encodeMeterDataReply({ address, cumulativeLitres: 1000 + i * 10, at: new Date(at) }));
        try {
          await client.publishAsync(`devices/${key}/up`, frame, { qos: 1 });
          if (running) acked++;
        } catch {
          failed++;
          return;
        }
      }
    });
    await Promise.all(lanes);
  });
  const started = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  running = false;
  const elapsed = (Date.now() - started) / 1000;
  const counted = acked;
  await Promise.race([Promise.all(loops), new Promise((r) => setTimeout(r, 10_000))]);
  await Promise.all(clients.map(({ client }) => client.endAsync(true).catch(() => undefined)));
  process.send({ acked: counted, failed, seconds: elapsed });
  process.exit(0);
});
