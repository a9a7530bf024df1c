-- Report export jobs under the rules of every tenant-scoped table (see 0001, 0021 and 0023): the tenant
-- subtree policy, the tenant_id/tenant_path composite key and grants. A job is history a user started,
-- not configuration, so like report deliveries it has no audit trail (the runner's progress updates would
-- only fill it).
ALTER TABLE report_exports ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE report_exports FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON report_exports USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE report_exports ADD CONSTRAINT report_exports_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON report_exports TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE report_exports_id_seq TO shuiyun_app;
