-- The device registry under the same rules as every tenant-scoped table (see 0001): tenant subtree
-- policies, the tenant_id/tenant_path composite key, grants to shuiyun_app, and the audit trigger.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['products', 'devices', 'device_state_history'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_subtree ON %I USING (tenant_path <@ (SELECT shuiyun_tenant())) '
                   'WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()))', t);
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path)',
                   t, t || '_tenant_path_fkey');
  END LOOP;
END $$;
--> statement-breakpoint
-- Devices are narrowed by data scope exactly like the communities they stand in.
CREATE POLICY data_scope ON devices AS RESTRICTIVE
  USING ((SELECT shuiyun_scope()) = 'tenant'
         OR ((SELECT shuiyun_scope()) = 'org' AND org_path <@ (SELECT shuiyun_org()))
         OR ((SELECT shuiyun_scope()) IN ('org', 'own') AND created_by = (SELECT shuiyun_user())))
  WITH CHECK ((SELECT shuiyun_scope()) = 'tenant'
         OR ((SELECT shuiyun_scope()) = 'org' AND org_path <@ (SELECT shuiyun_org()))
         OR ((SELECT shuiyun_scope()) IN ('org', 'own') AND created_by = (SELECT shuiyun_user())));
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON products, devices TO shuiyun_app;
--> statement-breakpoint
-- The lifecycle history is append-only for the application: no UPDATE or DELETE privilege. Deleting a
-- device removes its history through the foreign key's cascade, which runs as the table owner.
GRANT SELECT, INSERT ON device_state_history TO shuiyun_app;
--> statement-breakpoint
-- 0001 granted the sequences that existed then; these are new.
GRANT USAGE, SELECT ON SEQUENCE products_id_seq, devices_id_seq, device_state_history_id_seq TO shuiyun_app;
--> statement-breakpoint
CREATE FUNCTION shuiyun_append_only() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
--> statement-breakpoint
CREATE TRIGGER device_state_history_append_only BEFORE UPDATE ON device_state_history
  FOR EACH ROW EXECUTE FUNCTION shuiyun_append_only();
--> statement-breakpoint
-- As in 0001, plus: a device's MQTT secret hash never enters the trail, and the online state and last
-- contact that the ingestion pipeline keeps current are telemetry, not changes anybody made (an update
-- that touches only them leaves no entry).
CREATE OR REPLACE FUNCTION shuiyun_audit_row() RETURNS trigger LANGUAGE plpgsql AS
$$
DECLARE
  old_doc jsonb;
  new_doc jsonb;
  doc jsonb;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    old_doc := to_jsonb(OLD) - 'password_hash' - 'client_secret' - 'mqtt_secret_hash' - 'failed_logins' - 'locked_until'
               - 'last_login_at' - 'online' - 'online_changed_at' - 'last_seen_at' - 'updated_at';
  END IF;
  IF TG_OP <> 'DELETE' THEN
    new_doc := to_jsonb(NEW) - 'password_hash' - 'client_secret' - 'mqtt_secret_hash' - 'failed_logins' - 'locked_until'
               - 'last_login_at' - 'online' - 'online_changed_at' - 'last_seen_at' - 'updated_at';
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
CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON products
  FOR EACH ROW EXECUTE FUNCTION shuiyun_audit_row();
--> statement-breakpoint
CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON devices
  FOR EACH ROW EXECUTE FUNCTION shuiyun_audit_row();
--> statement-breakpoint
-- A device carries its community's org path (for the org data scope); when the community moves to
-- another org unit, its devices move with it, whichever code path moved it.
CREATE FUNCTION shuiyun_devices_follow_community() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN
  UPDATE devices SET org_path = NEW.org_path WHERE community_id = NEW.id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER devices_follow_community AFTER UPDATE OF org_path ON communities
  FOR EACH ROW WHEN (OLD.org_path IS DISTINCT FROM NEW.org_path) EXECUTE FUNCTION shuiyun_devices_follow_community();
--> statement-breakpoint
-- Tenants created before the registry existed: their built-in roles get the new permissions that new
-- tenants' built-in roles get from the catalogue (administrators all of them, viewers the reads).
UPDATE roles SET permissions = ARRAY(SELECT DISTINCT p FROM unnest(permissions || ARRAY[
    'product:read', 'product:create', 'product:update', 'product:delete',
    'device:read', 'device:create', 'device:update', 'device:delete',
    'device:transition', 'device:import', 'device:export', 'device:rotate-secret']) AS p ORDER BY p)
  WHERE builtin AND code = 'admin' AND NOT ('*:*' = ANY (permissions));
--> statement-breakpoint
UPDATE roles SET permissions = ARRAY(SELECT DISTINCT p FROM unnest(permissions || ARRAY['product:read', 'device:read']) AS p ORDER BY p)
  WHERE builtin AND code = 'viewer';
