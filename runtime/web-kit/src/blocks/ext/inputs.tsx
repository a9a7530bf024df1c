import { AimOutlined, CameraOutlined, DeleteOutlined, FileTextOutlined, SearchOutlined, SwapOutlined } from '@ant-design/icons';
import { Button, Input, type InputRef, Select, Space, Spin, Typography } from 'antd';
import { forwardRef, useEffect, useImperativeHandle, useRef, useState } from 'react';
import { api } from '../../api.js';
import type { Page } from '../../artifacts.js';
import { loadEntityModel, type EntityRecord } from '../entities/entity-api.js';
import { localized, useBlockText } from '../words.js';
import { cell } from './cells.js';
import { isExtPath, linkedPath, rowLabel, valueAt, type ExtLookup } from './config.js';
import { listExt, sendExt, type ExtRow } from './ext-api.js';
import { byteSize, useExtText } from './ext-words.js';
import type { LocationValue, VolumeValue } from './form-values.js';
import { formatLitresCount, parseVolume } from './litres.js';
import { formatFen, parseMoney } from './money.js';
import { downscalePhoto } from './photo.js';
import { useSelection } from './selection.js';
import { countLines, readTextFile, type TextEncoding, type TextFileValue } from './text-file.js';

export type { LocationValue, VolumeValue } from './form-values.js';

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

/** An amount in yuan (元, up to 2 decimals) as typed; shows the exact amount it will send. */
export const MoneyInput = forwardRef<InputRef, Controlled<string> & { allowNegative?: boolean; autoFocus?: boolean }>(function MoneyInput(
  { id, value, onChange, allowNegative, autoFocus, 'aria-label': label },
  ref,
) {
  const { tx } = useExtText();
  const text = value ?? '';
  const parsed = text.trim() ? parseMoney(text, { allowNegative }) : null;
  return (
    <>
      <Input
        ref={ref}
        id={id}
        size="large"
        inputMode="decimal"
        autoComplete="off"
        autoFocus={autoFocus}
        aria-label={label}
        value={text}
        onChange={(e) => onChange?.(e.target.value)}
        prefix="¥"
        suffix={tx('money.unit')}
        data-testid="ext-money-input"
      />
      {parsed?.ok && (
        <Typography.Text type="secondary" data-testid="ext-money-preview">
          = {formatFen(parsed.fen)}
        </Typography.Text>
      )}
    </>
  );
});

/**
 * A search over a pack's list route as the user types (debounced): matching rows listed under the box,
 * picked with a click (or the arrow keys and Enter); the chosen row is shown with its `show` values and
 * a button to change it. The value is the row's `valueKey`; `onChosen` hears the row (`pending` while the
 * answer of `detailPath` is still to come, then the row joined with it) and null when it is cleared.
 */
export const LookupInput = forwardRef<
  { focus: () => void },
  Controlled<unknown> & { lookup: ExtLookup; autoFocus?: boolean; onChosen?: (row: ExtRow | null, pending: boolean) => void }
>(function LookupInput({ id, value, onChange, lookup, autoFocus, onChosen, 'aria-label': label }, ref) {
  const { t, tx, locale } = useExtText();
  const input = useRef<InputRef>(null);
  const [q, setQ] = useState('');
  const [rows, setRows] = useState<ExtRow[]>([]);
  const [status, setStatus] = useState<'idle' | 'loading' | 'done' | 'error'>('idle');
  const [problem, setProblem] = useState<string | null>(null);
  const [highlight, setHighlight] = useState(0);
  const [chosen, setChosen] = useState<ExtRow | null>(null);
  const [detailProblem, setDetailProblem] = useState<string | null>(null);
  const pickSeq = useRef(0);
  /** The value key of the row shown (null: none). */
  const shownKey = useRef<string | null>(null);
  const valid = isExtPath(lookup.path);
  useImperativeHandle(ref, () => ({ focus: () => input.current?.focus() }), []);

  // The form was reset (or set to nothing): start over.
  useEffect(() => {
    if ((value === undefined || value === null || value === '') && chosen) {
      pickSeq.current += 1;
      shownKey.current = null;
      setChosen(null);
      setQ('');
      setRows([]);
      setStatus('idle');
      setDetailProblem(null);
    }
  }, [value, chosen]);

  useEffect(() => {
    if (chosen || !valid) return;
    const text = q.trim();
    if (Array.from(text).length < lookup.minChars) {
      setRows([]);
      setStatus('idle');
      return;
    }
    const controller = new AbortController();
    setStatus('loading');
    const timer = setTimeout(() => {
      listExt(lookup.path, { [lookup.param]: text, pageSize: lookup.pageSize }, controller.signal)
        .then((page) => {
          setRows(page.items.slice(0, lookup.pageSize));
          setHighlight(0);
          setStatus('done');
          setProblem(null);
        })
        .catch((error: unknown) => {
          if (controller.signal.aborted) return;
          setRows([]);
          setStatus('error');
          setProblem(error instanceof Error ? error.message : String(error));
        });
    }, 250);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [q, chosen, valid, lookup.path, lookup.param, lookup.pageSize, lookup.minChars]);

  const pick = (row: ExtRow) => {
    const seq = ++pickSeq.current;
    shownKey.current = String(valueAt(row, lookup.valueKey));
    setChosen(row);
    setDetailProblem(null);
    onChange?.(valueAt(row, lookup.valueKey));
    const detail = lookup.detailPath ? linkedPath(lookup.detailPath, row) : null;
    onChosen?.(row, detail !== null);
    if (!detail) return;
    sendExt<unknown>('get', detail)
      .then((answer) => {
        if (seq !== pickSeq.current) return;
        const merged = answer && typeof answer === 'object' && !Array.isArray(answer) ? { ...row, ...(answer as ExtRow) } : row;
        setChosen(merged);
        onChosen?.(merged, false);
      })
      .catch((error: unknown) => {
        if (seq !== pickSeq.current) return;
        setDetailProblem(error instanceof Error ? error.message : String(error));
        onChosen?.(row, false);
      });
  };

  const clear = () => {
    pickSeq.current += 1;
    shownKey.current = null;
    setChosen(null);
    setQ('');
    setRows([]);
    setStatus('idle');
    setDetailProblem(null);
    onChange?.(undefined);
    onChosen?.(null, false);
    setTimeout(() => input.current?.focus(), 0);
  };

  // A lookup that picks for the page shows what was picked there by other means (a table's 查看) too.
  const selected = useSelection(lookup.publish);
  const adopt = useRef(pick);
  adopt.current = pick;
  useEffect(() => {
    if (!selected) return;
    const key = String(valueAt(selected, lookup.valueKey));
    if (key !== shownKey.current) adopt.current(selected);
  }, [selected, lookup.valueKey]);

  if (!valid) return <Typography.Text type="danger">{tx('lookup.badPath')}</Typography.Text>;

  if (chosen) {
    const ctx = { locale, t, busyStatuses: [] as string[] };
    return (
      <div className="sy-ext-lookup__chosen" data-testid="ext-lookup-chosen" style={{ border: '1px solid #91caff', background: '#f0f7ff', borderRadius: 8, padding: '8px 12px' }}>
        <Space style={{ width: '100%', justifyContent: 'space-between' }} align="start" wrap>
          <Typography.Text strong data-testid="ext-lookup-label">
            {rowLabel(chosen, lookup.labelKeys)}
          </Typography.Text>
          <Button id={id} size="small" icon={<SwapOutlined />} onClick={clear} data-testid="ext-lookup-change">
            {tx('lookup.change')}
          </Button>
        </Space>
        {lookup.show.length > 0 && (
          <Space size={[16, 4]} wrap style={{ marginTop: 4 }}>
            {lookup.show.map((column) => (
              <span key={column.key} data-testid={`ext-lookup-show-${column.key}`}>
                <Typography.Text type="secondary">{column.title ? `${localized(column.title, locale)}：` : ''}</Typography.Text>
                {cell(column, valueAt(chosen, column.key), ctx)}
              </span>
            ))}
          </Space>
        )}
        {detailProblem && (
          <Typography.Text type="danger" style={{ display: 'block' }}>
            {tx('lookup.detailFailed', { message: detailProblem })}
          </Typography.Text>
        )}
      </div>
    );
  }

  const open = status !== 'idle';
  const listId = id ? `${id}-results` : undefined;
  return (
    <div className="sy-ext-lookup">
      <Input
        ref={input}
        id={id}
        size="large"
        allowClear
        autoFocus={autoFocus}
        autoComplete="off"
        aria-label={label}
        aria-autocomplete="list"
        aria-controls={listId}
        aria-expanded={open}
        role="combobox"
        prefix={<SearchOutlined />}
        placeholder={tx('lookup.placeholder')}
        value={q}
        onChange={(e) => setQ(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setHighlight((h) => Math.min(rows.length - 1, h + 1));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setHighlight((h) => Math.max(0, h - 1));
          } else if (e.key === 'Enter') {
            // Enter picks the highlighted row; it never submits a form without a choice.
            e.preventDefault();
            const row = rows[highlight];
            if (row && status === 'done') pick(row);
          } else if (e.key === 'Escape') {
            setQ('');
          }
        }}
        data-testid="ext-lookup-input"
      />
      {open && (
        <div
          id={listId}
          role="listbox"
          aria-label={tx('lookup.results')}
          className="sy-ext-lookup__results"
          data-testid="ext-lookup-results"
          style={{ border: '1px solid #d9d9d9', borderRadius: 8, marginTop: 4, maxHeight: 360, overflowY: 'auto', background: '#fff' }}
        >
          {status === 'loading' && (
            <div style={{ padding: '8px 12px' }}>
              <Spin size="small" /> <Typography.Text type="secondary">{tx('lookup.searching')}</Typography.Text>
            </div>
          )}
          {status === 'error' && (
            <Typography.Text type="danger" style={{ display: 'block', padding: '8px 12px' }}>
              {tx('lookup.failed', { message: problem ?? '' })}
            </Typography.Text>
          )}
          {status === 'done' && rows.length === 0 && (
            <Typography.Text type="secondary" style={{ display: 'block', padding: '8px 12px' }} data-testid="ext-lookup-none">
              {tx('lookup.none')}
            </Typography.Text>
          )}
          {status === 'done' &&
            rows.map((row, i) => (
              <div
                key={`${i}:${String(valueAt(row, lookup.valueKey))}`}
                role="option"
                aria-selected={i === highlight}
                tabIndex={-1}
                onMouseDown={(e) => e.preventDefault()}
                onMouseEnter={() => setHighlight(i)}
                onClick={() => pick(row)}
                data-testid="ext-lookup-option"
                style={{ padding: '10px 12px', cursor: 'pointer', background: i === highlight ? '#e6f4ff' : undefined, borderTop: i ? '1px solid #f0f0f0' : undefined }}
              >
                {rowLabel(row, lookup.labelKeys)}
              </div>
            ))}
        </div>
      )}
    </div>
  );
});

/** A text file (a CSV) read here into the field: its name and text, shown by name and line count. */
export function TextFileInput({ id, value, onChange, accept, encoding, maxBytes, 'aria-label': label }: Controlled<TextFileValue> & { accept: string; encoding: TextEncoding; maxBytes: number }) {
  const { tx } = useExtText();
  const file = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const pick = async (chosen: File | undefined) => {
    if (!chosen) return;
    setBusy(true);
    setProblem(null);
    try {
      const read = await readTextFile(chosen, { encoding, maxBytes });
      if (read.ok) onChange?.(read.value);
      else setProblem(tx(`file.${read.problem}`, { max: byteSize(maxBytes) }));
    } finally {
      setBusy(false);
      if (file.current) file.current.value = '';
    }
  };
  return (
    <>
      <input ref={file} type="file" accept={accept} style={{ display: 'none' }} aria-label={label} onChange={(e) => void pick(e.target.files?.[0])} data-testid="ext-file-input" />
      <Space direction="vertical" style={{ width: '100%' }}>
        <Space wrap>
          <Button id={id} icon={<FileTextOutlined />} loading={busy} onClick={() => file.current?.click()} size="large">
            {value ? tx('file.replace') : tx('file.choose')}
          </Button>
          {value && <Button icon={<DeleteOutlined />} onClick={() => onChange?.(undefined)} size="large" aria-label={tx('file.replace')} />}
        </Space>
        {value && (
          <Typography.Text data-testid="ext-file-chosen">{tx('file.chosen', { name: value.name, lines: countLines(value.text), size: byteSize(value.size) })}</Typography.Text>
        )}
        {problem && (
          <Typography.Text type="danger" data-testid="ext-file-problem">
            {problem}
          </Typography.Text>
        )}
      </Space>
    </>
  );
}
