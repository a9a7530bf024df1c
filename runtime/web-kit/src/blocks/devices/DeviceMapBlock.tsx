import { Card, Typography } from 'antd';
import { api } from '../../api.js';
import type { DeviceMapBlockConfig, Page } from '../../artifacts.js';
import { LazyEChart } from '../charts/LazyEChart.js';
import { useBlockContext } from '../context.js';
import { useRemote } from '../remote.js';
import { BlockEmpty, BlockError, BlockLoading } from '../status.js';
import { useBlockText } from '../words.js';

/** The fields of `GET /api/devices` items the map needs. */
interface DeviceOnMap {
  id: number;
  meterNumber: string;
  productId: number;
  latitude: string | null;
  longitude: string | null;
  state: 'installed' | 'accepted' | 'in_service' | 'under_repair' | 'retired';
  online: boolean;
  lastSeenAt: string | null;
}

/** Pages of 200 (the API's most) up to this many devices. */
const MAX_DEVICES = 2000;

async function productId(product: string | undefined, signal: AbortSignal): Promise<number | undefined> {
  if (!product) return undefined;
  if (/^\d+$/.test(product)) return Number(product);
  const page = await api.get<Page<{ id: number; code: string }>>('/api/products', { q: product, pageSize: 200 }, signal);
  return page.items.find((p) => p.code === product)?.id ?? -1;
}

async function loadDevices(config: DeviceMapBlockConfig, signal: AbortSignal): Promise<{ devices: DeviceOnMap[]; total: number }> {
  const product = await productId(config.product, signal);
  if (product === -1) return { devices: [], total: 0 };
  const devices: DeviceOnMap[] = [];
  let total = 0;
  for (let page = 1; devices.length < MAX_DEVICES; page++) {
    const answer = await api.get<Page<DeviceOnMap>>('/api/devices', { page, pageSize: 200, productId: product }, signal);
    total = answer.total;
    devices.push(...answer.items);
    if (answer.items.length < 200 || devices.length >= total) break;
  }
  return { devices, total };
}

type Group = 'online' | 'offline' | 'repair' | 'other';
const colors: Record<Group, string> = { online: '#52c41a', offline: '#8c8c8c', repair: '#fa8c16', other: '#1677ff' };

function groupOf(device: DeviceOnMap): Group {
  if (device.state === 'under_repair') return 'repair';
  if (device.state === 'retired') return 'other';
  return device.online ? 'online' : 'offline';
}

/**
 * 设备地图: devices with coordinates on a plain longitude/latitude plot (no map tiles: the runtime may
 * have no internet), coloured by online state and repair.
 */
export function DeviceMapBlock({ config }: { config: DeviceMapBlockConfig }) {
  const { t } = useBlockText();
  const ctx = useBlockContext();
  const remote = useRemote((signal) => loadDevices(config, signal), JSON.stringify(config));
  const height = Math.max(200, Math.min(2000, Number(config.height) || 420));

  let body;
  let footer = null;
  if (remote.status === 'error') body = <BlockError error={remote.error} onRetry={remote.reload} />;
  else if (!remote.data) body = <div style={{ height }}><BlockLoading /></div>;
  else {
    const placed = remote.data.devices.filter((d) => d.latitude !== null && d.longitude !== null);
    if (placed.length === 0) body = <div style={{ height }}><BlockEmpty description={t('devices.noCoordinates')} /></div>;
    else {
      const groups = (['online', 'offline', 'repair', 'other'] as const).filter((g) => placed.some((d) => groupOf(d) === g));
      const option = {
        tooltip: {
          trigger: 'item',
          formatter: (p: { data: { name: string; state: string; online: boolean; value: [string, string] } }) =>
            `${p.data.name}<br/>${p.data.state} · ${p.data.online ? t('devices.online') : t('devices.offline')}<br/>${p.data.value[1]}, ${p.data.value[0]}`,
        },
        legend: { data: groups.map((g) => t(`devices.${g}`)), top: 0 },
        grid: { left: 56, right: 24, top: 36, bottom: 56 },
        xAxis: { type: 'value', name: t('devices.longitude'), scale: true, nameLocation: 'middle', nameGap: 28 },
        yAxis: { type: 'value', name: t('devices.latitude'), scale: true },
        dataZoom: [{ type: 'inside', xAxisIndex: 0 }, { type: 'inside', yAxisIndex: 0 }],
        series: groups.map((g) => ({
          name: t(`devices.${g}`),
          type: 'scatter',
          symbolSize: placed.length > 500 ? 5 : 9,
          itemStyle: { color: colors[g] },
          data: placed.filter((d) => groupOf(d) === g).map((d) => ({ name: d.meterNumber, state: d.state, online: d.online, value: [d.longitude, d.latitude] })),
        })),
      };
      body = <LazyEChart option={option} height={height} dark={ctx.dark} ariaLabel={config.title ?? t('devices.title')} />;
      footer = (
        <Typography.Text type="secondary" className="sy-device-map__count">
          {t('devices.shown', { shown: placed.length, total: remote.data.total })}
        </Typography.Text>
      );
    }
  }
  return (
    <Card className="sy-block sy-block--device-map" data-testid="block-device-map" size="small" title={config.title ?? t('devices.title')} variant="outlined">
      {body}
      {footer}
    </Card>
  );
}

export default DeviceMapBlock;
