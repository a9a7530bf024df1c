import { useTranslation } from '@shuiyun/web-kit';
import { Empty } from 'antd';
import { parsePatch } from 'diff';
import { useMemo } from 'react';

interface Line {
  kind: 'add' | 'del' | 'ctx' | 'hunk' | 'meta';
  text: string;
  oldNo?: number | undefined;
  newNo?: number | undefined;
}

/** Lines of a unified diff with their numbers on both sides; raw lines when the patch does not parse. */
function linesOf(patch: string): Line[] {
  try {
    const files = parsePatch(patch);
    const lines: Line[] = [];
    for (const file of files) {
      for (const hunk of file.hunks) {
        lines.push({ kind: 'hunk', text: `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@` });
        let oldNo = hunk.oldStart;
        let newNo = hunk.newStart;
        for (const raw of hunk.lines) {
          const sign = raw[0];
          const text = raw.slice(1);
          if (sign === '+') lines.push({ kind: 'add', text, newNo: newNo++ });
          else if (sign === '-') lines.push({ kind: 'del', text, oldNo: oldNo++ });
          else if (sign === '\\') lines.push({ kind: 'meta', text: raw });
          else lines.push({ kind: 'ctx', text, oldNo: oldNo++, newNo: newNo++ });
        }
      }
    }
    if (lines.length > 0) return lines;
  } catch {
    // fall through to the raw text
  }
  return patch
    .split('\n')
    .filter((l) => !l.startsWith('Index:') && !l.startsWith('====='))
    .map((text): Line => ({
      kind: text.startsWith('@@') ? 'hunk' : text.startsWith('+++') || text.startsWith('---') ? 'meta' : text.startsWith('+') ? 'add' : text.startsWith('-') ? 'del' : 'ctx',
      text,
    }));
}

/** A unified diff: added lines green, removed lines red, with line numbers. */
export function DiffView({ patch }: { patch: string }) {
  const { t } = useTranslation();
  const lines = useMemo(() => linesOf(patch), [patch]);
  const changed = lines.some((l) => l.kind === 'add' || l.kind === 'del');
  if (!changed) return <Empty description={t('versions.noDifference')} data-testid="diff-view" />;
  const added = lines.filter((l) => l.kind === 'add').length;
  const removed = lines.filter((l) => l.kind === 'del').length;
  return (
    <div className="sy-diff" data-testid="diff-view">
      <div className="sy-diff-stats">
        <span className="sy-diff-added">+{added}</span> <span className="sy-diff-removed">−{removed}</span>
      </div>
      <table>
        <tbody>
          {lines.map((line, i) => (
            <tr key={i} className={`sy-diff-${line.kind}`}>
              <td className="sy-diff-no">{line.oldNo ?? ''}</td>
              <td className="sy-diff-no">{line.newNo ?? ''}</td>
              <td className="sy-diff-sign">{line.kind === 'add' ? '+' : line.kind === 'del' ? '−' : ''}</td>
              <td className="sy-diff-text">{line.text}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
