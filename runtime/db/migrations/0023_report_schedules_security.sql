-- Report schedules, their deliveries and in-app notifications under the rules of every tenant-scoped table
-- (see 0001 and 0021): the tenant subtree policy, the tenant_id/tenant_path composite key and grants. A
-- schedule is configuration a user saves, so the audit trail records who created, changed or deleted it;
-- the scheduler's own bookkeeping on it (next_run_at, last_run_at, last_status, last_error) is left out of
-- the trail like other bookkeeping (0015, 0017), and deliveries and notifications are history themselves.
ALTER TABLE report_schedules ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE report_schedules FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON report_schedules USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE report_schedules ADD CONSTRAINT report_schedules_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON report_schedules TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE report_schedules_id_seq TO shuiyun_app;
--> statement-breakpoint
ALTER TABLE report_deliveries ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE report_deliveries FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON report_deliveries USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE report_deliveries ADD CONSTRAINT report_deliveries_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON report_deliveries TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE report_deliveries_id_seq TO shuiyun_app;
--> statement-breakpoint
ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE notifications FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON notifications USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE notifications ADD CONSTRAINT notifications_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON notifications TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE notifications_id_seq TO shuiyun_app;
--> statement-breakpoint
CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON report_schedules
  FOR EACH ROW EXECUTE FUNCTION shuiyun_audit_row();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION shuiyun_audit_hidden_columns() RETURNS text[] LANGUAGE sql IMMUTABLE AS
$$ SELECT ARRAY['password_hash', 'client_secret', 'mqtt_secret_hash', 'token', 'aes_key', 'api_secret', 'api_master_key',
                'failed_logins', 'locked_until', 'last_login_at', 'online', 'online_changed_at', 'last_seen_at', 'updated_at',
                'next_run_at', 'last_run_at', 'last_status', 'last_error'] $$;
--> statement-breakpoint
-- Tenants created before schedules existed get what the catalogue now gives new tenants' built-in roles:
-- administrators everything about report schedules, viewers reading them.
UPDATE roles SET permissions = ARRAY(SELECT DISTINCT p FROM unnest(permissions || ARRAY[
    'report-schedule:read', 'report-schedule:create', 'report-schedule:update', 'report-schedule:delete', 'report-schedule:run']) AS p ORDER BY p)
  WHERE builtin AND code = 'admin' AND NOT ('*:*' = ANY (permissions));
--> statement-breakpoint
UPDATE roles SET permissions = ARRAY(SELECT DISTINCT p FROM unnest(permissions || ARRAY['report-schedule:read']) AS p ORDER BY p)
  WHERE builtin AND code = 'viewer';
