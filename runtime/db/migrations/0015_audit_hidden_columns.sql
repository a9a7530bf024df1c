-- The columns the audit trail never records (secrets, and bookkeeping that changes with every sign-in
-- or device message) in one place. Until now each migration that added such a column redefined the
-- whole trigger function (0001, 0005, 0007); from here on it replaces only this list.
CREATE FUNCTION shuiyun_audit_hidden_columns() RETURNS text[] LANGUAGE sql IMMUTABLE AS
$$ SELECT ARRAY['password_hash', 'client_secret', 'mqtt_secret_hash', 'token', 'aes_key', 'failed_logins',
                'locked_until', 'last_login_at', 'online', 'online_changed_at', 'last_seen_at', 'updated_at'] $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION shuiyun_audit_row() RETURNS trigger LANGUAGE plpgsql AS
$$
DECLARE
  old_doc jsonb;
  new_doc jsonb;
  doc jsonb;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    old_doc := to_jsonb(OLD) - shuiyun_audit_hidden_columns();
  END IF;
  IF TG_OP <> 'DELETE' THEN
    new_doc := to_jsonb(NEW) - shuiyun_audit_hidden_columns();
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
