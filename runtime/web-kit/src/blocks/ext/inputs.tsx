import { AimOutlined, CameraOutlined, DeleteOutlined } from '@ant-design/icons';
import { Button, Input, Select, Space, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { api } from '../../api.js';
import type { Page } from '../../artifacts.js';
import { loadEntityModel, type EntityRecord } from '../entities/entity-api.js';
import { useBlockText } from '../words.js';
import { formatLitresCount, parseVolume, type VolumeUnit } from './litres.js';
import { downscalePhoto } from './photo.js';

export type VolumeValue = { text: string; unit: VolumeUnit };
export type LocationValue = { latitude: number; longitude: number; accuracy?: number };

interface Controlled<T> {
  id?: string;
  value?: T;
  onChange?: (value: T | undefined) => void;
  'aria-label'?: string;
}

/** A volume in m³ (up to 3 decimals) or litres; shows the exact litres it will send. */
export function LitresInput({ id, value, onChange, 'aria-label': label }: Controlled<VolumeValue>) {
  const { t } = useBlockText();
  const current = value ?? { text: '', unit: 'm3' as const };
  const parsed = current.text.trim() ? parseVolume(current.text, current.unit) : null;
  return (
    <>
      <Space.Compact block>
        <Input id={id} inputMode="decimal" autoComplete="off" aria-label={label} value={current.text} onChange={(e) => onChange?.({ ...current, text: e.target.value })} style={{ flex: 1 }} />
        <Select
          value={current.unit}
          onChange={(unit) => onChange?.({ ...current, unit })}
          options={[{ value: 'm3', label: t('ext.volume.m3') }, { value: 'L', label: t('ext.volume.litres') }]}
          style={{ width: 80 }}
          aria-label={t('ext.volume.unit')}
        />
      </Space.Compact>
      {parsed?.ok && (
        <Typography.Text type="secondary" data-testid="ext-litres-preview">
          {t('ext.volume.preview', { litres: formatLitresCount(parsed.litres) })}
        </Typography.Text>
      )}
    </>
  );
}

/** A photo from the camera (or a file), downscaled here and kept as a JPEG data URL. */
export function PhotoInput({ id, value, onChange, 'aria-label': label }: Controlled<string>) {
  const { t } = useBlockText();
  const file = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  const pick = async (chosen: File | undefined) => {
    if (!chosen) return;
    setBusy(true);
    setFailed(false);
    try {
      onChange?.(await downscalePhoto(chosen));
    } catch {
      setFailed(true);
    } finally {
      setBusy(false);
      if (file.current) file.current.value = '';
    }
  };
  return (
    <>
      <input ref={file} id={id} type="file" accept="image/*" capture="environment" style={{ display: 'none' }} aria-label={label} onChange={(e) => void pick(e.target.files?.[0])} data-testid="ext-photo-file" />
      <Space direction="vertical" style={{ width: '100%' }}>
        {value && <img src={value} alt={t('ext.photoAlt')} style={{ display: 'block', maxWidth: '100%', maxHeight: 240, borderRadius: 6 }} />}
        <Space wrap>
          <Button icon={<CameraOutlined />} loading={busy} onClick={() => file.current?.click()} size="large">
            {value ? t('ext.retake') : t('ext.photo')}
          </Button>
          {value && (
            <Button icon={<DeleteOutlined />} onClick={() => onChange?.(undefined)} size="large">
              {t('ext.remove')}
            </Button>
          )}
        </Space>
        {failed && <Typography.Text type="danger">{t('ext.photoFailed')}</Typography.Text>}
      </Space>
    </>
  );
}

/** The device's position, taken when the button is pressed. */
export function LocationInput({ id, value, onChange }: Controlled<LocationValue>) {
  const { t } = useBlockText();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const locate = () => {
    if (typeof navigator === 'undefined' || !navigator.geolocation) {
      setProblem(t('ext.noGeolocation'));
      return;
    }
    setBusy(true);
    setProblem(null);
    navigator.geolocation.getCurrentPosition(
      (position) => {
        setBusy(false);
        onChange?.({ latitude: position.coords.latitude, longitude: position.coords.longitude, accuracy: Math.round(position.coords.accuracy) });
      },
      (error) => {
        setBusy(false);
        setProblem(t('ext.locationFailed', { message: error.message }));
      },
      { enableHighAccuracy: true, timeout: 20_000, maximumAge: 60_000 },
    );
  };
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Button id={id} icon={<AimOutlined />} loading={busy} onClick={locate} size="large" data-testid="ext-locate">
        {value ? t('ext.relocate') : t('ext.locate')}
      </Button>
      {value && (
        <Typography.Text data-testid="ext-location">
          {t('ext.located', { latitude: value.latitude.toFixed(6), longitude: value.longitude.toFixed(6), accuracy: value.accuracy ?? '?' })}
        </Typography.Text>
      )}
      {problem && <Typography.Text type="danger">{problem}</Typography.Text>}
    </Space>
  );
}

/** A record of an entity, searched by text and shown by its title field; the value is its id. */
export function EntitySelect({ id, value, onChange, entity, 'aria-label': label }: Controlled<number> & { entity?: string }) {
  const { t } = useBlockText();
  const [options, setOptions] = useState<{ value: number; label: string }[]>([]);
  const [q, setQ] = useState('');
  const [titleField, setTitleField] = useState<string | undefined>();
  useEffect(() => {
    if (!entity) return;
    const controller = new AbortController();
    loadEntityModel(entity, controller.signal)
      .then((model) => setTitleField(model.titleField ?? model.fields.find((f) => f.type === 'string')?.name))
      .catch(() => undefined);
    return () => controller.abort();
  }, [entity]);
  useEffect(() => {
    if (!entity) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api
        .get<Page<EntityRecord>>(`/api/entities/${encodeURIComponent(entity)}/records`, { pageSize: 20, q: q.trim() || undefined }, controller.signal)
        .then((page) =>
          setOptions(
            page.items.map((r) => {
              const title = titleField ? r.data[titleField] : undefined;
              return { value: r.id, label: title !== undefined && title !== null && title !== '' ? `${String(title)} (#${r.id})` : `#${r.id}` };
            }),
          ),
        )
        .catch(() => undefined);
    }, 250);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [entity, q, titleField]);
  return (
    <Select
      id={id}
      showSearch
      allowClear
      filterOption={false}
      onSearch={setQ}
      value={value}
      onChange={(v: number | undefined) => onChange?.(v)}
      options={options}
      placeholder={t('ext.pick')}
      aria-label={label}
      style={{ width: '100%' }}
      size="large"
    />
  );
}
