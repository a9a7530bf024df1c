import { openAnalyticsStore } from '@shuiyun/analytics';
import { openDatabase } from '@shuiyun/db';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createRuntime } from './app.js';
import type { LiveMeterFleet } from '@shuiyun/seed-meter-simulator';
import { startDemoMeters } from './bootstrap/demo-meters.js';
import { formatCredentials, seedDemoUtility } from './bootstrap/demo-seed.js';
import { loadConfig } from './config/config.js';
import { loadPacks } from './packs/load.js';
import { demoUtility } from '@shuiyun/seed-demo-utility';

const config = loadConfig();
const logger = pino({ level: config.LOG_LEVEL });

const database = await openDatabase({
  url: config.DATABASE_URL,
  dataDir: join(config.dataDir, 'pglite'),
  poolSize: config.DATABASE_POOL_SIZE,
});
await database.migrate();
const seeded = await seedDemoUtility(database.db, { password: config.SHUIYUN_DEMO_PASSWORD });
if (seeded) process.stdout.write(formatCredentials(seeded));

const analytics = await openAnalyticsStore({ url: config.CLICKHOUSE_URL, dataDir: join(config.dataDir, 'chdb') });
await analytics.migrate();

const packs = await loadPacks(config.SHUIYUN_PACKS);
const runtime = await createRuntime({ database, config, logger, analytics, packs });
if (seeded && packs.length > 0) {
  // The demo utility's companies get every pack, with the packs' demo data (a year of readings …).
  const installed = await runtime.installDemoPacks(demoUtility.filter((t) => t.kind === 'company').map((t) => t.code));
  logger.info({ installed: installed.map((i) => `${i.pack}@${i.tenant}`) }, 'demo packs installed');
}
let demoMeters: LiveMeterFleet | null = null;
if (config.MQTT_URL) {
  const broker = new URL(config.MQTT_URL);
  broker.password = '';
  const clientId = config.MQTT_CLIENT_ID ?? `shuiyun-${hostname()}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
  logger.info({ broker: broker.toString(), clientId, group: config.MQTT_SHARED_GROUP }, 'connecting to the external MQTT broker');
  await runtime.iot!.connectMqtt(config.MQTT_URL, {
    username: config.MQTT_USERNAME,
    password: config.MQTT_PASSWORD,
    clientId,
    sharedGroup: config.MQTT_SHARED_GROUP,
  });
  logger.info(`devices publish devices/<key>/up and subscribe devices/<key>/down on ${broker.host}; the broker authenticates them`);
  if (config.MQTT_DYNSEC_USERNAME && config.MQTT_DYNSEC_PASSWORD) {
    await runtime.iot!.provisionBrokerCredentials(config.MQTT_URL, {
      username: config.MQTT_DYNSEC_USERNAME,
      password: config.MQTT_DYNSEC_PASSWORD,
      // Its own connection and id: taking the uplink client's id would end that client's session.
      clientId: `${clientId.slice(0, 57)}-dynsec`,
    });
    logger.info('device secrets the registry issues go to the broker’s dynamic-security plugin; rotate older devices’ secrets to provision them');
  }
  if (config.SHUIYUN_DEMO_METERS > 0) {
    logger.info('simulated demo meters need the embedded broker (their secrets are issued at start): not started with MQTT_URL');
  }
} else if (config.MQTT_PORT !== 0) {
  const iot = runtime.iot!;
  const broker = await iot.startMqtt(config.MQTT_PORT ?? 1883, config.MQTT_HOST).catch(async (err: NodeJS.ErrnoException) => {
    if (config.MQTT_PORT !== undefined || err.code !== 'EADDRINUSE') throw err;
    return iot.startMqtt(0, config.MQTT_HOST);
  });
  if (config.MQTT_PORT === undefined && broker.port !== 1883) {
    logger.warn(`port 1883 is taken (another MQTT broker?): devices connect on ${broker.port}; set MQTT_PORT to fix the port`);
  }
  logger.info(`MQTT for devices on port ${broker.port} (publish devices/<key>/up, subscribe devices/<key>/down)`);
  if (config.SHUIYUN_DEMO_METERS > 0) {
    demoMeters = await startDemoMeters(database.db, {
      count: config.SHUIYUN_DEMO_METERS,
      mqttUrl: `mqtt://127.0.0.1:${broker.port}`,
      reportEveryMs: config.SHUIYUN_DEMO_METER_INTERVAL * 1000,
      logger,
    });
  }
}
if (config.COAP_PORT !== 0) {
  const iot = runtime.iot!;
  const coap = await iot.startCoap(config.COAP_PORT ?? 5683, config.COAP_HOST).catch(async (err: NodeJS.ErrnoException) => {
    if (config.COAP_PORT !== undefined || err.code !== 'EADDRINUSE') throw err;
    return iot.startCoap(0, config.COAP_HOST);
  });
  if (config.COAP_PORT === undefined && coap.port !== 5683) {
    logger.warn(`UDP port 5683 is taken (another CoAP server?): devices use CoAP on ${coap.port}; set COAP_PORT to fix the port`);
  }
  logger.info(`CoAP for devices on UDP port ${coap.port} (POST /devices/<key>/up?token=<secret>, GET /devices/<key>/down?token=<secret>)`);
}
if (config.MODBUS_POLLING === 'on') {
  const polling = await runtime.iot!.startModbus(database);
  logger.info(
    polling.leading
      ? `Modbus TCP polling: ${polling.deviceCount} device(s)`
      : 'Modbus TCP polling stands by: another runtime node holds the polling lock',
  );
}

const server = runtime.app.listen(config.PORT, config.HOST, () => {
  const where = database.kind === 'pglite' ? join(config.dataDir, 'pglite') : 'PostgreSQL';
  logger.info(`Shuiyun runtime on http://localhost:${config.PORT} (API /api, docs /api/docs; data: ${where})`);
});

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  server.close();
  server.closeAllConnections();
  await demoMeters?.stop();
  await runtime.close();
  await analytics.close();
  await database.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
