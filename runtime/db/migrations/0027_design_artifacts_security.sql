-- Designer artifacts, their published versions and entity records under the rules of every tenant-scoped
-- table (see 0001 and 0021): the tenant subtree policy, the tenant_id/tenant_path composite key and grants.
-- An artifact is configuration: the audit trail records who created, renamed, published or deleted it, but
-- not each autosave of its draft (the draft columns are hidden from the trail; a version row keeps what
-- was published, by whom and when). Entity records are business data that users edit: every change is in
-- the trail.
ALTER TABLE design_artifacts ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE design_artifacts FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON design_artifacts USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE design_artifacts ADD CONSTRAINT design_artifacts_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON design_artifacts TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE design_artifacts_id_seq TO shuiyun_app;
--> statement-breakpoint
ALTER TABLE design_artifact_versions ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE design_artifact_versions FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON design_artifact_versions USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE design_artifact_versions ADD CONSTRAINT design_artifact_versions_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT ON design_artifact_versions TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE design_artifact_versions_id_seq TO shuiyun_app;
--> statement-breakpoint
ALTER TABLE entity_records ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE entity_records FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON entity_records USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE entity_records ADD CONSTRAINT entity_records_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON entity_records TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE entity_records_id_seq TO shuiyun_app;
--> statement-breakpoint
CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON design_artifacts
  FOR EACH ROW EXECUTE FUNCTION shuiyun_audit_row();
--> statement-breakpoint
CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON entity_records
  FOR EACH ROW EXECUTE FUNCTION shuiyun_audit_row();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION shuiyun_audit_hidden_columns() RETURNS text[] LANGUAGE sql IMMUTABLE AS
$$ SELECT ARRAY['password_hash', 'client_secret', 'mqtt_secret_hash', 'token', 'aes_key', 'api_secret', 'api_master_key',
                'failed_logins', 'locked_until', 'last_login_at', 'online', 'online_changed_at', 'last_seen_at', 'updated_at',
                'next_run_at', 'last_run_at', 'last_status', 'last_error',
                'draft', 'draft_revision', 'draft_saved_at', 'draft_saved_by', 'draft_checksum', 'published_checksum'] $$;
--> statement-breakpoint
-- Tenants created before the designer existed get what the catalogue now gives new tenants' built-in roles:
-- administrators design, publish and edit entity data; viewers read artifacts, pages and entity data.
UPDATE roles SET permissions = ARRAY(SELECT DISTINCT p FROM unnest(permissions || ARRAY[
    'design:read', 'design:write', 'design:publish', 'page:read', 'entity:read', 'entity:create', 'entity:update', 'entity:delete']) AS p ORDER BY p)
  WHERE builtin AND code = 'admin' AND NOT ('*:*' = ANY (permissions));
--> statement-breakpoint
UPDATE roles SET permissions = ARRAY(SELECT DISTINCT p FROM unnest(permissions || ARRAY['design:read', 'page:read', 'entity:read']) AS p ORDER BY p)
  WHERE builtin AND code = 'viewer';
