import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('the external broker’s credential provisioning settings', () => {
  it('takes the dynamic-security admin account together with an external broker', () => {
    const config = loadConfig({ MQTT_URL: 'mqtt://broker:1883', MQTT_DYNSEC_USERNAME: 'shuiyun-dynsec', MQTT_DYNSEC_PASSWORD: 'secret' });
    expect(config).toMatchObject({ MQTT_DYNSEC_USERNAME: 'shuiyun-dynsec', MQTT_DYNSEC_PASSWORD: 'secret' });
    expect(loadConfig({}).MQTT_DYNSEC_USERNAME).toBeUndefined();
  });

  it('refuses the admin account without its password, and without an external broker to provision', () => {
    expect(() => loadConfig({ MQTT_URL: 'mqtt://broker:1883', MQTT_DYNSEC_USERNAME: 'shuiyun-dynsec' })).toThrow(/MQTT_DYNSEC_PASSWORD: MQTT_DYNSEC_USERNAME needs its password/);
    expect(() => loadConfig({ MQTT_DYNSEC_USERNAME: 'shuiyun-dynsec', MQTT_DYNSEC_PASSWORD: 'secret' })).toThrow(/MQTT_DYNSEC_USERNAME: .*set MQTT_URL/);
  });
});
