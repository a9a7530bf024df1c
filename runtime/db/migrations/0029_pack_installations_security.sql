-- Pack installations under the rules of every tenant-scoped table (see 0001 and 0027): the tenant subtree
-- policy, the tenant_id/tenant_path composite key and grants. Installing, disabling and removing a pack is
-- configuration: the audit trail records who did it.
ALTER TABLE pack_installations ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE pack_installations FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON pack_installations USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE pack_installations ADD CONSTRAINT pack_installations_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON pack_installations TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE pack_installations_id_seq TO shuiyun_app;
--> statement-breakpoint
CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON pack_installations
  FOR EACH ROW EXECUTE FUNCTION shuiyun_audit_row();
--> statement-breakpoint
-- Tenants created before packs existed get what the catalogue now gives new tenants' built-in roles:
-- administrators install and manage packs, viewers see which are installed.
UPDATE roles SET permissions = ARRAY(SELECT DISTINCT p FROM unnest(permissions || ARRAY['pack:read', 'pack:install', 'pack:manage', 'pack:uninstall']) AS p ORDER BY p)
  WHERE builtin AND code = 'admin' AND NOT ('*:*' = ANY (permissions));
--> statement-breakpoint
UPDATE roles SET permissions = ARRAY(SELECT DISTINCT p FROM unnest(permissions || ARRAY['pack:read']) AS p ORDER BY p)
  WHERE builtin AND code = 'viewer';
