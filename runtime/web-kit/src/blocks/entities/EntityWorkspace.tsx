import { Drawer, Typography } from 'antd';
import { useState } from 'react';
import { useRemote, useWidth, NARROW_WIDTH } from '../remote.js';
import { localized, useBlockText } from '../words.js';
import { EntityForm } from './EntityForm.js';
import { EntityTable } from './EntityTable.js';
import { loadEntityModel, type EntityRecord } from './entity-api.js';

/** An entity's full page in the app shell: its records, and the form to add or change one in a drawer. */
export function EntityWorkspace({ code }: { code: string }) {
  const { t, locale } = useBlockText();
  const [editing, setEditing] = useState<{ record?: EntityRecord } | null>(null);
  const [refresh, setRefresh] = useState(0);
  const [box, width] = useWidth<HTMLDivElement>();
  const model = useRemote((signal) => loadEntityModel(code, signal), code);
  const label = model.data ? localized(model.data.label, locale) : code;
  return (
    <div ref={box} className="sy-entity-workspace" data-testid="entity-workspace">
      <Typography.Title level={4}>{label}</Typography.Title>
      <EntityTable config={{ entity: code, filters: model.data?.fields.filter((f) => f.type === 'enum' || f.type === 'boolean').map((f) => f.name).slice(0, 3) }} onCreate={() => setEditing({})} onEdit={(record) => setEditing({ record })} refreshKey={refresh} />
      <Drawer
        open={editing !== null}
        onClose={() => setEditing(null)}
        title={editing?.record ? `${t('edit')} · ${label} #${editing.record.id}` : `${t('create')} · ${label}`}
        width={width > 0 && width < NARROW_WIDTH ? '100%' : 560}
        destroyOnHidden
      >
        {editing && (
          <EntityForm
            config={{ entity: code }}
            record={editing.record}
            onCancel={() => setEditing(null)}
            onSaved={() => {
              setEditing(null);
              setRefresh((r) => r + 1);
            }}
          />
        )}
      </Drawer>
    </div>
  );
}

export default EntityWorkspace;
