import { ArrowLeftOutlined, CloudUploadOutlined, HistoryOutlined, LoadingOutlined, SaveOutlined } from '@ant-design/icons';
import { ApiError, useSession, useTranslation, type ArtifactKind, type ErrorDetail } from '@shuiyun/web-kit';
import { Alert, App, Button, Form, Input, Modal, Result, Space, Spin, Tooltip, Typography } from 'antd';
import { Suspense, useCallback, useEffect, useRef, useState } from 'react';
import { Navigate, useNavigate, useParams } from 'react-router-dom';
import { ErrorBoundary } from '../common/ErrorBoundary.js';
import { StatusTags } from '../common/StatusTags.js';
import { formatTime } from '../common/format.js';
import { designApi } from '../lib/design-api.js';
import { messageOf } from '../lib/errors.js';
import { isKind, PERMISSIONS } from '../lib/kinds.js';
import { PublishErrors } from './PublishErrors.js';
import { EDITORS } from './registry.js';
import type { FocusRequest } from './types.js';
import { useDraft, type Draft } from './useDraft.js';
import { VersionsDrawer } from './VersionsDrawer.js';

/** `/designer/:kind/:id`: one artifact in its kind's editor. */
export function EditorPage() {
  const { t } = useTranslation();
  const params = useParams();
  const id = Number(params.id);
  if (!isKind(params.kind) || !Number.isInteger(id) || id <= 0) return <Result status="404" title={t('editor.notFound')} />;
  return <EditorFrame key={id} kind={params.kind} id={id} />;
}

function SaveState({ draft }: { draft: Draft }) {
  const { t, i18n } = useTranslation();
  const revision = draft.artifact?.draft.revision ?? 0;
  switch (draft.state) {
    case 'saving':
      return (
        <Typography.Text type="secondary" data-testid="editor-save-state" data-state="saving">
          <LoadingOutlined /> {t('save.saving')}
        </Typography.Text>
      );
    case 'dirty':
      return (
        <Typography.Text type="warning" data-testid="editor-save-state" data-state="dirty">
          {t('save.dirty')}
        </Typography.Text>
      );
    case 'error':
      return (
        <Tooltip title={draft.error}>
          <Typography.Text type="danger" data-testid="editor-save-state" data-state="error">
            {t('save.failed')}{' '}
            <a onClick={() => void draft.save()} data-testid="editor-save-retry">
              {t('kit:retry')}
            </a>
          </Typography.Text>
        </Tooltip>
      );
    case 'conflict':
      return (
        <Typography.Text type="danger" data-testid="editor-save-state" data-state="conflict">
          {t('save.conflict')}
        </Typography.Text>
      );
    default:
      return (
        <Tooltip title={draft.artifact ? t('save.savedAt', { at: formatTime(draft.artifact.draft.savedAt, i18n.language) }) : undefined}>
          <Typography.Text type="secondary" data-testid="editor-save-state" data-state="saved">
            {t('save.saved', { revision })}
          </Typography.Text>
        </Tooltip>
      );
  }
}

function EditorFrame({ kind, id }: { kind: ArtifactKind; id: number }) {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const { can } = useSession();
  const canWrite = can(PERMISSIONS.write);
  const canPublish = can(PERMISSIONS.publish);
  const draft = useDraft(id, canWrite);
  const { artifact, content } = draft;
  const [publishing, setPublishing] = useState(false);
  const [publishOpen, setPublishOpen] = useState(false);
  const [note, setNote] = useState('');
  const [errors, setErrors] = useState<{ message: string | null; details: ErrorDetail[] } | null>(null);
  const [focus, setFocus] = useState<FocusRequest | null>(null);
  const [versionsOpen, setVersionsOpen] = useState(false);
  const [versionsKey, setVersionsKey] = useState(0);
  const focusSeq = useRef(0);
  const hasUnsaved = draft.hasUnsaved;
  const save = draft.save;

  // Leaving the page with unsaved changes asks first (the autosave may not have run yet).
  useEffect(() => {
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      if (!hasUnsaved()) return;
      event.preventDefault();
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [hasUnsaved]);

  const saveNow = useCallback(async () => {
    const ok = await save();
    if (ok) message.success({ content: t('save.done'), key: 'save', duration: 1.2 });
    return ok;
  }, [save, message, t]);

  // Ctrl/Cmd+S saves the draft, wherever the focus is (also inside the modeler).
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 's') {
        event.preventDefault();
        event.stopPropagation();
        if (canWrite) void saveNow();
      }
    };
    window.addEventListener('keydown', onKeyDown, true);
    return () => window.removeEventListener('keydown', onKeyDown, true);
  }, [canWrite, saveNow]);

  useEffect(() => {
    if (draft.restored) message.info({ content: t('save.restored'), key: 'restored' });
  }, [draft.restored, message, t]);

  const publish = async () => {
    setPublishing(true);
    try {
      if (!(await save())) {
        message.error(t('publish.saveFirst'));
        return;
      }
      const result = await designApi.publish(id, { note: note.trim() || undefined, revision: draft.revision() });
      setErrors(null);
      setPublishOpen(false);
      setNote('');
      message.success(t('publish.done', { version: result.version }));
      setVersionsKey((k) => k + 1);
      if (result.artifact) draft.adopt(result.artifact);
      else await draft.refreshSummary();
    } catch (e) {
      setPublishOpen(false);
      if (e instanceof ApiError && e.code === 'conflict') {
        message.error(t('publish.conflict'));
        await draft.refreshSummary();
      } else if (e instanceof ApiError && (e.code === 'validation_failed' || e.details.length > 0)) {
        // validation_failed: our own headline (the server's is generic); anything else: the server's message.
        setErrors({ message: e.code === 'validation_failed' ? null : e.message, details: e.details.length > 0 ? e.details : [{ message: e.message }] });
        const first = e.details.find((d) => d.elementId || d.path);
        if (first) setFocus({ detail: first, seq: ++focusSeq.current });
      } else {
        message.error(messageOf(e, t('kit:unknownError')));
      }
    } finally {
      setPublishing(false);
    }
  };

  if (draft.loadError) {
    const notFound = draft.loadError instanceof ApiError && draft.loadError.status === 404;
    return (
      <Result
        status={notFound ? '404' : 'error'}
        title={notFound ? t('editor.notFound') : t('editor.loadFailed')}
        subTitle={notFound ? undefined : messageOf(draft.loadError, t('kit:unknownError'))}
        extra={
          <Space>
            <Button onClick={() => navigate(`/${kind}`)}>{t('editor.backToList')}</Button>
            {!notFound && (
              <Button type="primary" onClick={() => void draft.reload()}>
                {t('kit:retry')}
              </Button>
            )}
          </Space>
        }
      />
    );
  }
  if (!artifact || content === null) {
    return (
      <div className="sy-center">
        <Spin size="large" />
      </div>
    );
  }
  if (artifact.kind !== kind) return <Navigate to={`/${artifact.kind}/${artifact.id}`} replace />;

  const Editor = EDITORS[kind];
  const rename = (value: string) => {
    const name = value.trim();
    if (!name || name === artifact.name) return;
    // A report template carries its name in the content too (the published template's name).
    const record = content as Record<string, unknown>;
    if (kind === 'report' && typeof record.name === 'string') draft.change({ ...record, name });
    draft.rename(name);
  };
  const readOnly = !canWrite;

  return (
    <div className="sy-editor">
      <div className="sy-editor-head">
        <Tooltip title={t('editor.backToList')}>
          <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => navigate(`/${kind}`)} data-testid="editor-back" />
        </Tooltip>
        <div className="sy-editor-title">
          <Typography.Title
            level={5}
            style={{ margin: 0 }}
            editable={canWrite ? { onChange: rename, triggerType: ['icon', 'text'], tooltip: t('editor.rename') } : false}
            data-testid="editor-name"
          >
            {artifact.name}
          </Typography.Title>
          <Typography.Text type="secondary" code>
            {artifact.code}
          </Typography.Text>
        </div>
        <Space size={8} className="sy-editor-status" data-testid="editor-status" data-state={draft.state} data-revision={artifact.draftRevision}>
          <StatusTags summary={artifact} testId="editor-publish-state" />
          {canWrite && <SaveState draft={draft} />}
          {readOnly && <Typography.Text type="secondary">{t('editor.readOnly')}</Typography.Text>}
        </Space>
        <Space className="sy-editor-actions">
          <Button icon={<HistoryOutlined />} onClick={() => setVersionsOpen(true)} data-testid="editor-versions">
            {t('editor.versions')}
          </Button>
          {canWrite && (
            <Tooltip title={t('editor.saveShortcut')}>
              <Button icon={<SaveOutlined />} onClick={() => void saveNow()} loading={draft.state === 'saving'} disabled={draft.state === 'conflict'} data-testid="editor-save">
                {t('editor.save')}
              </Button>
            </Tooltip>
          )}
          {canPublish && (
            <Button type="primary" icon={<CloudUploadOutlined />} onClick={() => setPublishOpen(true)} loading={publishing} disabled={draft.state === 'conflict'} data-testid="editor-publish">
              {t('editor.publish')}
            </Button>
          )}
        </Space>
      </div>
      {draft.state === 'conflict' && (
        <Alert
          type="error"
          showIcon
          banner
          data-testid="editor-conflict"
          message={t('conflict.title')}
          description={t('conflict.help')}
          action={
            <Space direction="vertical">
              <Button size="small" type="primary" onClick={() => void draft.reload()} data-testid="editor-reload">
                {t('conflict.reload')}
              </Button>
              <Button size="small" danger onClick={() => void draft.overwrite()} data-testid="editor-overwrite">
                {t('conflict.overwrite')}
              </Button>
            </Space>
          }
        />
      )}
      {draft.stale && (
        <Alert
          type="warning"
          showIcon
          banner
          data-testid="editor-stale"
          message={t('stale.title', { at: formatTime(draft.stale.at, i18n.language) })}
          description={t('stale.help')}
          action={
            <Space direction="vertical">
              <Button size="small" type="primary" onClick={draft.restoreStale}>
                {t('stale.restore')}
              </Button>
              <Button size="small" onClick={draft.dropStale}>
                {t('stale.drop')}
              </Button>
            </Space>
          }
        />
      )}
      {errors && (
        <PublishErrors
          errors={errors.details}
          message={errors.message}
          onClose={() => setErrors(null)}
          onFocus={(detail) => setFocus({ detail, seq: ++focusSeq.current })}
        />
      )}
      <div className="sy-editor-body">
        <ErrorBoundary title={t('editor.crashed')} retry={t('kit:retry')}>
          <Suspense
            fallback={
              <div className="sy-center">
                <Spin size="large" tip={t('editor.loadingEditor')}>
                  <div style={{ width: 120, height: 60 }} />
                </Spin>
              </div>
            }
          >
            <Editor key={i18n.language} artifact={artifact} value={content as never} onChange={draft.change} readOnly={readOnly} errors={errors?.details ?? []} focus={focus} />
          </Suspense>
        </ErrorBoundary>
      </div>
      <Modal
        open={publishOpen}
        title={t('publish.title', { name: artifact.name })}
        okText={t('editor.publish')}
        cancelText={t('kit:cancel')}
        onOk={() => void publish()}
        onCancel={() => setPublishOpen(false)}
        confirmLoading={publishing}
        okButtonProps={{ 'data-testid': 'publish-confirm' }}
      >
        <Typography.Paragraph type="secondary">
          {artifact.publishedVersion === null ? t('publish.first') : t('publish.next', { version: artifact.publishedVersion })}
        </Typography.Paragraph>
        <Form layout="vertical">
          <Form.Item label={t('publish.note')}>
            <Input.TextArea rows={3} maxLength={500} showCount value={note} onChange={(e) => setNote(e.target.value)} placeholder={t('publish.notePlaceholder')} data-testid="publish-note" />
          </Form.Item>
        </Form>
      </Modal>
      <VersionsDrawer
        open={versionsOpen}
        artifactId={id}
        refreshKey={versionsKey}
        onClose={() => setVersionsOpen(false)}
        beforeDraftDiff={() => draft.save()}
        onRolledBack={async () => {
          setErrors(null);
          await draft.reload();
        }}
      />
    </div>
  );
}
