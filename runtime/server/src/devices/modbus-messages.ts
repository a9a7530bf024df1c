import type { Locale } from '@shuiyun/http';

type Params = Record<string, string | number>;
type Text = (p: Params) => string;

/**
 * Why a device's Modbus connection (or a product's register map) was refused, in the caller's language:
 * the JSON API's 400 details and the ledger import's row errors say the same.
 */
export const modbusMessages = {
  connection_required: {
    'zh-CN': (p) => `产品「${p.product}」的设备由平台通过 Modbus TCP 轮询，须填写连接参数（主机、从站号，端口默认 502，轮询间隔默认 900 秒）`,
    en: (p) => `Devices of product ${p.product} are polled over Modbus TCP: give their connection (host and unit id; port defaults to 502, the poll interval to 900 s)`,
  },
  connection_not_polled: {
    'zh-CN': (p) => `产品「${p.product}」不由平台轮询（传输方式 ${p.transport}，编解码 ${p.codec}），其设备没有 Modbus 连接参数`,
    en: (p) => `Product ${p.product} is not polled by the platform (transport ${p.transport}, codec ${p.codec}): its devices have no Modbus connection`,
  },
  connection_incomplete: {
    'zh-CN': () => '填写 Modbus 端口、从站号或轮询间隔时须同时填写 Modbus 主机',
    en: () => 'A Modbus port, unit id or poll interval needs the Modbus host',
  },
  register_map_required: {
    'zh-CN': () => '编解码为 modbus 的产品须在 codecSettings.registerMap 中声明寄存器映射',
    en: () => 'A product with codec modbus declares its register map in codecSettings.registerMap',
  },
  register_map_transport: {
    'zh-CN': (p) => `编解码 modbus 通过 Modbus TCP 轮询读取寄存器，传输方式须为 modbus，而不是 ${p.transport}`,
    en: (p) => `Codec modbus reads registers by polling over Modbus TCP: the transport must be modbus, not ${p.transport}`,
  },
  register_map_codec: {
    'zh-CN': (p) => `只有编解码为 modbus 的产品才有寄存器映射（此产品为 ${p.codec}）`,
    en: (p) => `Only products with codec modbus have a register map (this one has ${p.codec})`,
  },
  metric_not_in_model: {
    'zh-CN': (p) => `寄存器映射的指标「${p.metric}」不是物模型中的属性`,
    en: (p) => `The register map's metric ${p.metric} is not a property of the thing model`,
  },
  service_not_in_model: {
    'zh-CN': (p) => `寄存器映射的服务「${p.service}」不是物模型中的服务`,
    en: (p) => `The register map's service ${p.service} is not a service of the thing model`,
  },
  param_not_in_service: {
    'zh-CN': (p) => `服务「${p.service}」没有 ${p.type} 类型的输入参数「${p.param}」`,
    en: (p) => `Service ${p.service} has no ${p.type} input ${p.param}`,
  },
  polling_changes_with_devices: {
    'zh-CN': (p) => `产品「${p.product}」已有 ${p.devices} 台设备，不能改变其是否由平台轮询（传输方式或编解码）`,
    en: (p) => `Product ${p.product} has ${p.devices} device(s): whether it is polled (its transport or codec) cannot change`,
  },
} satisfies Record<string, Record<Locale, Text>>;

export type ModbusMessageCode = keyof typeof modbusMessages;

export const modbusMessage = (code: ModbusMessageCode, locale: Locale, params: Params = {}) => modbusMessages[code][locale](params as never);
