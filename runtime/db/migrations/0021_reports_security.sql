-- Report datasets and templates under the rules of every tenant-scoped table (see 0001 and 0019): the
-- tenant subtree policy, the tenant_id/tenant_path composite key and grants. Both are configuration a
-- consultant publishes, so the audit trail records who saved or deleted which version.
ALTER TABLE report_datasets ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE report_datasets FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON report_datasets USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE report_datasets ADD CONSTRAINT report_datasets_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON report_datasets TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE report_datasets_id_seq TO shuiyun_app;
--> statement-breakpoint
ALTER TABLE report_templates ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE report_templates FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON report_templates USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE report_templates ADD CONSTRAINT report_templates_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON report_templates TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE report_templates_id_seq TO shuiyun_app;
--> statement-breakpoint
CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON report_datasets
  FOR EACH ROW EXECUTE FUNCTION shuiyun_audit_row();
--> statement-breakpoint
CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON report_templates
  FOR EACH ROW EXECUTE FUNCTION shuiyun_audit_row();
--> statement-breakpoint
-- Tenants created before reports existed get what the catalogue now gives new tenants' built-in roles:
-- administrators everything about reports and datasets, viewers reading and running them.
UPDATE roles SET permissions = ARRAY(SELECT DISTINCT p FROM unnest(permissions || ARRAY[
    'report:read', 'report:run', 'report:create', 'report:update', 'report:delete',
    'dataset:read', 'dataset:create', 'dataset:update', 'dataset:delete']) AS p ORDER BY p)
  WHERE builtin AND code = 'admin' AND NOT ('*:*' = ANY (permissions));
--> statement-breakpoint
UPDATE roles SET permissions = ARRAY(SELECT DISTINCT p FROM unnest(permissions || ARRAY['report:read', 'report:run', 'dataset:read']) AS p ORDER BY p)
  WHERE builtin AND code = 'viewer';
