-- Device commands under the same rules as every tenant-scoped table (see 0001, 0005 and 0009): the tenant
-- subtree policy, the org/own data scope (a command carries its device's org path), the tenant_id/tenant_path
-- composite key and grants. No DELETE grant: a command is the record of who told a device to do what and
-- how it answered. No audit trigger, as for alarms: the row itself names who queued it and when, and the
-- status changes that delivery and replies make would flood the trail.
ALTER TABLE device_commands ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE device_commands FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON device_commands USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
CREATE POLICY data_scope ON device_commands AS RESTRICTIVE
  USING ((SELECT shuiyun_scope()) = 'tenant'
    OR ((SELECT shuiyun_scope()) = 'org' AND org_path <@ (SELECT shuiyun_org()))
    OR ((SELECT shuiyun_scope()) IN ('org', 'own') AND created_by = (SELECT shuiyun_user())))
  WITH CHECK ((SELECT shuiyun_scope()) = 'tenant'
    OR ((SELECT shuiyun_scope()) = 'org' AND org_path <@ (SELECT shuiyun_org()))
    OR ((SELECT shuiyun_scope()) IN ('org', 'own') AND created_by = (SELECT shuiyun_user())));
--> statement-breakpoint
ALTER TABLE device_commands ADD CONSTRAINT device_commands_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON device_commands TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE device_commands_id_seq TO shuiyun_app;
--> statement-breakpoint
-- Tenants created before commands existed: their built-in administrators get what the catalogue now gives
-- new tenants' (viewers only read, and device:read they hold already).
UPDATE roles SET permissions = ARRAY(SELECT DISTINCT p FROM unnest(permissions || ARRAY['device:command']) AS p ORDER BY p)
  WHERE builtin AND code = 'admin' AND NOT ('*:*' = ANY (permissions));
