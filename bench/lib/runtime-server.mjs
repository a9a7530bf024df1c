// Child process of api-list.bench.mjs: the BUILT runtime (runtime/server/dist) on the database named
// by DATABASE_URL, configured from the environment like `main.js`, listening on an ephemeral
// loopback port that it reports to the parent over IPC. It neither migrates nor seeds: the parent
// prepared the database. It carries the packs SHUIYUN_PACKS names when the parent sets that variable
// (billing.bench.mjs), and none otherwise (api-list.bench.mjs measures the platform alone).
import { openDatabase } from '@shuiyun/db';
import { createRuntime, loadConfig, loadPacks } from '@shuiyun/runtime';

const config = loadConfig(process.env);
if (!config.DATABASE_URL) throw new Error('runtime-server: DATABASE_URL is required');
const database = await openDatabase({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE });
const packs = process.env.SHUIYUN_PACKS ? await loadPacks(config.SHUIYUN_PACKS) : [];
const runtime = await createRuntime({ database, config, packs });

const server = runtime.app.listen(0, '127.0.0.1', () => {
  process.send?.({ ready: true, port: server.address().port });
});

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  server.close();
  server.closeAllConnections();
  await database.close().catch(() => undefined);
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
// The parent went away without stopping us: do not outlive it.
process.on('disconnect', () => void stop());
