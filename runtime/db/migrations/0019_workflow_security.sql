-- Workflow tables under the rules of every tenant-scoped table (see 0001 and 0005): the tenant subtree
-- policy, the tenant_id/tenant_path composite key and grants. Definitions and forms are configuration, so
-- the audit trail records who deployed what; the engine's own bookkeeping (instances, jobs, timers…)
-- changes with every step and has its own history (workflow_history, workflow_task_events) instead.
ALTER TABLE workflow_definitions ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE workflow_definitions FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON workflow_definitions USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE workflow_definitions ADD CONSTRAINT workflow_definitions_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON workflow_definitions TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE workflow_definitions_id_seq TO shuiyun_app;
--> statement-breakpoint
ALTER TABLE workflow_forms ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE workflow_forms FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON workflow_forms USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE workflow_forms ADD CONSTRAINT workflow_forms_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON workflow_forms TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE workflow_forms_id_seq TO shuiyun_app;
--> statement-breakpoint
ALTER TABLE workflow_instances ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE workflow_instances FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON workflow_instances USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE workflow_instances ADD CONSTRAINT workflow_instances_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON workflow_instances TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE workflow_instances_id_seq TO shuiyun_app;
--> statement-breakpoint
ALTER TABLE workflow_jobs ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE workflow_jobs FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON workflow_jobs USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE workflow_jobs ADD CONSTRAINT workflow_jobs_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON workflow_jobs TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE workflow_jobs_id_seq TO shuiyun_app;
--> statement-breakpoint
ALTER TABLE workflow_user_tasks ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE workflow_user_tasks FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON workflow_user_tasks USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE workflow_user_tasks ADD CONSTRAINT workflow_user_tasks_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON workflow_user_tasks TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE workflow_user_tasks_id_seq TO shuiyun_app;
--> statement-breakpoint
ALTER TABLE workflow_task_events ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE workflow_task_events FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON workflow_task_events USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE workflow_task_events ADD CONSTRAINT workflow_task_events_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON workflow_task_events TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE workflow_task_events_id_seq TO shuiyun_app;
--> statement-breakpoint
ALTER TABLE workflow_subscriptions ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE workflow_subscriptions FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON workflow_subscriptions USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE workflow_subscriptions ADD CONSTRAINT workflow_subscriptions_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON workflow_subscriptions TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE workflow_subscriptions_id_seq TO shuiyun_app;
--> statement-breakpoint
ALTER TABLE workflow_timers ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE workflow_timers FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON workflow_timers USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE workflow_timers ADD CONSTRAINT workflow_timers_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON workflow_timers TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE workflow_timers_id_seq TO shuiyun_app;
--> statement-breakpoint
ALTER TABLE workflow_incidents ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE workflow_incidents FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON workflow_incidents USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE workflow_incidents ADD CONSTRAINT workflow_incidents_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON workflow_incidents TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE workflow_incidents_id_seq TO shuiyun_app;
--> statement-breakpoint
ALTER TABLE workflow_history ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE workflow_history FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON workflow_history USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE workflow_history ADD CONSTRAINT workflow_history_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON workflow_history TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE workflow_history_id_seq TO shuiyun_app;
--> statement-breakpoint
CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON workflow_definitions
  FOR EACH ROW EXECUTE FUNCTION shuiyun_audit_row();
--> statement-breakpoint
CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON workflow_forms
  FOR EACH ROW EXECUTE FUNCTION shuiyun_audit_row();
--> statement-breakpoint
-- Tenants created before workflows existed get what the catalogue now gives new tenants' built-in roles.
UPDATE roles SET permissions = ARRAY(SELECT DISTINCT p FROM unnest(permissions || ARRAY[
    'process:read', 'process:deploy', 'process:start', 'process:cancel', 'process:message', 'process:retry',
    'task:read', 'task:read-all', 'task:claim', 'task:assign', 'task:complete', 'job:activate', 'job:complete']) AS p ORDER BY p)
  WHERE builtin AND code = 'admin' AND NOT ('*:*' = ANY (permissions));
--> statement-breakpoint
UPDATE roles SET permissions = ARRAY(SELECT DISTINCT p FROM unnest(permissions || ARRAY['process:read', 'task:read']) AS p ORDER BY p)
  WHERE builtin AND code = 'viewer';
