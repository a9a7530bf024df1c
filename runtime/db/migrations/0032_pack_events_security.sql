-- Pack events and their deliveries under the rules of every tenant-scoped table (see 0001 and 0027): the
-- tenant subtree policy, the tenant_id/tenant_path composite key and grants. Events are an append-only
-- outbox: the application role inserts and reads them, never changes one. The pack migration ledger is the
-- owner's alone (migrations run as the owner).
ALTER TABLE pack_events ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE pack_events FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON pack_events USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE pack_events ADD CONSTRAINT pack_events_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT ON pack_events TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE pack_events_id_seq TO shuiyun_app;
--> statement-breakpoint
ALTER TABLE pack_event_deliveries ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE pack_event_deliveries FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON pack_event_deliveries USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE pack_event_deliveries ADD CONSTRAINT pack_event_deliveries_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON pack_event_deliveries TO shuiyun_app;
--> statement-breakpoint
REVOKE ALL ON pack_migrations FROM PUBLIC;
