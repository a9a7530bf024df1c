-- Tenant alarm rules under the same rules as every tenant-scoped table (see 0001 and 0005): the tenant
-- subtree policy, the tenant_id/tenant_path composite key, grants and the audit trigger (a rule is
-- configuration, like a product: who changed a threshold belongs in the trail). No data-scope policy:
-- rules are tenant-wide configuration, not org data, like products.
ALTER TABLE alarm_rules ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE alarm_rules FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON alarm_rules USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE alarm_rules ADD CONSTRAINT alarm_rules_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON alarm_rules TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE alarm_rules_id_seq TO shuiyun_app;
--> statement-breakpoint
CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON alarm_rules
  FOR EACH ROW EXECUTE FUNCTION shuiyun_audit_row();
--> statement-breakpoint
-- Tenants created before alarm rules existed get what the catalogue now gives new tenants' built-in roles.
UPDATE roles SET permissions = ARRAY(SELECT DISTINCT p FROM unnest(permissions || ARRAY[
    'alarm-rule:read', 'alarm-rule:create', 'alarm-rule:update', 'alarm-rule:delete']) AS p ORDER BY p)
  WHERE builtin AND code = 'admin' AND NOT ('*:*' = ANY (permissions));
--> statement-breakpoint
UPDATE roles SET permissions = ARRAY(SELECT DISTINCT p FROM unnest(permissions || ARRAY['alarm-rule:read']) AS p ORDER BY p)
  WHERE builtin AND code = 'viewer';
