-- NB-IoT push endpoints under the same rules as every tenant-scoped table (see 0001 and 0005): the tenant
-- subtree policy, the tenant_id/tenant_path composite key, grants to shuiyun_app, and the audit trigger.
ALTER TABLE push_endpoints ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE push_endpoints FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON push_endpoints USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE push_endpoints ADD CONSTRAINT push_endpoints_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON push_endpoints TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE push_endpoints_id_seq TO shuiyun_app;
--> statement-breakpoint
-- As in 0005, plus: a push endpoint's OneNET token / CTWing shared token and its AES key never enter the
-- trail (secrets_changed_at records that they changed).
CREATE OR REPLACE FUNCTION shuiyun_audit_row() RETURNS trigger LANGUAGE plpgsql AS
$$
DECLARE
  old_doc jsonb;
  new_doc jsonb;
  doc jsonb;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    old_doc := to_jsonb(OLD) - 'password_hash' - 'client_secret' - 'mqtt_secret_hash' - 'token' - 'aes_key' - 'failed_logins'
               - 'locked_until' - 'last_login_at' - 'online' - 'online_changed_at' - 'last_seen_at' - 'updated_at';
  END IF;
  IF TG_OP <> 'DELETE' THEN
    new_doc := to_jsonb(NEW) - 'password_hash' - 'client_secret' - 'mqtt_secret_hash' - 'token' - 'aes_key' - 'failed_logins'
               - 'locked_until' - 'last_login_at' - 'online' - 'online_changed_at' - 'last_seen_at' - 'updated_at';
  END IF;
  IF TG_OP = 'UPDATE' AND old_doc = new_doc THEN
    RETURN NULL;
  END IF;
  doc := coalesce(new_doc, old_doc);
  INSERT INTO audit_log (tenant_id, tenant_path, actor_id, actor_name, action, entity, entity_id, before, after, request_id)
  VALUES (
    CASE WHEN TG_TABLE_NAME = 'tenants' THEN (doc ->> 'id')::bigint ELSE (doc ->> 'tenant_id')::bigint END,
    CASE WHEN TG_TABLE_NAME = 'tenants' THEN (doc ->> 'path')::ltree ELSE (doc ->> 'tenant_path')::ltree END,
    shuiyun_user(),
    nullif(current_setting('app.user_name', true), ''),
    lower(TG_OP),
    TG_TABLE_NAME,
    coalesce(doc ->> 'id', concat_ws(':', doc ->> 'user_id', doc ->> 'role_id')),
    old_doc,
    new_doc,
    nullif(current_setting('app.request_id', true), '')
  );
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON push_endpoints
  FOR EACH ROW EXECUTE FUNCTION shuiyun_audit_row();
--> statement-breakpoint
-- Tenants created before push endpoints existed: their built-in administrators get the new permissions
-- that new tenants' administrators get from the catalogue. Viewers get none: an endpoint's code is the
-- CTWing push's credential, so reading endpoints is an administrator's business.
UPDATE roles SET permissions = ARRAY(SELECT DISTINCT p FROM unnest(permissions || ARRAY[
    'push-endpoint:read', 'push-endpoint:create', 'push-endpoint:update', 'push-endpoint:delete']) AS p ORDER BY p)
  WHERE builtin AND code = 'admin' AND NOT ('*:*' = ANY (permissions));
