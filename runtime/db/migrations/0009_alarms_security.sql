-- Alarms under the same rules as every tenant-scoped table (see 0001 and 0005): the tenant subtree
-- policy, the org/own data scope (alarms carry their device's org path), the tenant_id/tenant_path
-- composite key and grants. No audit trigger: an alarm row is itself the record of what happened and
-- who acknowledged or closed it, and raising/clearing by the rules would flood the trail.
ALTER TABLE alarms ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE alarms FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON alarms USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
CREATE POLICY data_scope ON alarms AS RESTRICTIVE
  USING ((SELECT shuiyun_scope()) = 'tenant'
    OR ((SELECT shuiyun_scope()) = 'org' AND org_path <@ (SELECT shuiyun_org()))
    OR ((SELECT shuiyun_scope()) IN ('org', 'own') AND created_by = (SELECT shuiyun_user())))
  WITH CHECK ((SELECT shuiyun_scope()) = 'tenant'
    OR ((SELECT shuiyun_scope()) = 'org' AND org_path <@ (SELECT shuiyun_org()))
    OR ((SELECT shuiyun_scope()) IN ('org', 'own') AND created_by = (SELECT shuiyun_user())));
--> statement-breakpoint
ALTER TABLE alarms ADD CONSTRAINT alarms_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON alarms TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE alarms_id_seq TO shuiyun_app;
--> statement-breakpoint
-- The rules engine's saved state belongs to the runtime, not to any tenant.
ALTER TABLE rules_engine_state ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE rules_engine_state FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- Tenants created before alarms existed get what the catalogue now gives new tenants' built-in roles.
UPDATE roles SET permissions = ARRAY(SELECT DISTINCT p FROM unnest(permissions || ARRAY[
    'alarm:read', 'alarm:acknowledge', 'alarm:clear']) AS p ORDER BY p)
  WHERE builtin AND code = 'admin' AND NOT ('*:*' = ANY (permissions));
--> statement-breakpoint
UPDATE roles SET permissions = ARRAY(SELECT DISTINCT p FROM unnest(permissions || ARRAY['alarm:read']) AS p ORDER BY p)
  WHERE builtin AND code = 'viewer';
