import { Card } from 'antd';
import type { ReportBlockConfig } from '../../artifacts.js';
import { BlockNotConfigured } from '../status.js';
import { useBlockText } from '../words.js';
import { ReportViewer } from './ReportViewer.js';

export function ReportBlock({ config }: { config: ReportBlockConfig }) {
  const { t } = useBlockText();
  return (
    <Card className="sy-block sy-block--report" data-testid="block-report" size="small" variant="outlined">
      {config.template ? <ReportViewer template={config.template} title={config.title} /> : <BlockNotConfigured what={t('block.report')} />}
    </Card>
  );
}

export default ReportBlock;
