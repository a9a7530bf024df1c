import { Card } from 'antd';
import type { KpiBlockConfig } from '../../artifacts.js';
import { formatDecimal } from '../format.js';
import { runBlockSource, TemplateMissing } from '../reports/report-api.js';
import { useRemote } from '../remote.js';
import { BlockEmpty, BlockError, BlockLoading, BlockNotConfigured } from '../status.js';
import { localized, useBlockText } from '../words.js';

/** One number: a measure of the first row of a template's (or a query's) run, with its title and unit. */
export function KpiBlock({ config }: { config: KpiBlockConfig }) {
  const { t, locale } = useBlockText();
  const configured = Boolean(config.template || config.query?.dataset);
  const remote = useRemote((signal) => runBlockSource(config, { view: 'table', page: 1, pageSize: 1 }, signal), JSON.stringify(config));

  let body;
  let label: string | undefined;
  if (!configured) body = <BlockNotConfigured what={t('block.kpi')} />;
  else if (remote.status === 'error') {
    body = remote.error instanceof TemplateMissing ? <BlockEmpty description={t('templateMissing', { code: remote.error.code })} /> : <BlockError error={remote.error} onRetry={remote.reload} />;
  } else if (!remote.data) body = <BlockLoading />;
  else {
    const { columns, rows } = remote.data;
    const column = columns.find((c) => c.id === config.measure) ?? columns.find((c) => c.role === 'measure') ?? columns[0];
    const row = rows[0];
    label = column ? localized(column.label, locale) : undefined;
    if (!column || !row) body = <BlockEmpty />;
    else {
      body = (
        <div className="sy-kpi__value" data-testid="kpi-value">
          <span className="sy-kpi__number">{formatDecimal(row[column.id], column.scale)}</span>
          {config.unit && <span className="sy-kpi__unit">{config.unit}</span>}
        </div>
      );
    }
  }
  return (
    <Card className="sy-block sy-block--kpi sy-kpi" data-testid="block-kpi" size="small" variant="outlined">
      <div className="sy-kpi__title">{config.title ?? label ?? t('block.kpi')}</div>
      {body}
    </Card>
  );
}

export default KpiBlock;
