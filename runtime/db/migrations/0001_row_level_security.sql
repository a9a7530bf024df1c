-- Row-level security: every tenant-scoped row is visible only inside the tenant subtree that the
-- request's transaction names with set_config('app.tenant', <ltree path>, true). The application
-- works as the role shuiyun_app, which cannot bypass RLS; with no tenant set it sees nothing.
DO $$
BEGIN
  CREATE ROLE shuiyun_app NOLOGIN NOBYPASSRLS;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
--> statement-breakpoint
DO $$
BEGIN
  -- A non-superuser migrator (the production login role) must be able to SET ROLE shuiyun_app.
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT shuiyun_app TO %I', current_user);
  END IF;
END $$;
--> statement-breakpoint
CREATE FUNCTION shuiyun_tenant() RETURNS ltree LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('app.tenant', true), '')::ltree $$;
--> statement-breakpoint
CREATE FUNCTION shuiyun_user() RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('app.user', true), '')::bigint $$;
--> statement-breakpoint
CREATE FUNCTION shuiyun_org() RETURNS ltree LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('app.org', true), '')::ltree $$;
--> statement-breakpoint
CREATE FUNCTION shuiyun_scope() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT coalesce(nullif(current_setting('app.scope', true), ''), 'tenant') $$;
--> statement-breakpoint
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- Each setting is read through a scalar sub-select, which PostgreSQL evaluates once per statement
-- (an InitPlan) instead of once per row; the GiST index on the path then answers the predicate.
CREATE POLICY tenant_subtree ON tenants USING (path <@ (SELECT shuiyun_tenant())) WITH CHECK (path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['org_units', 'communities', 'buildings', 'users', 'roles', 'user_roles',
                           'identity_providers', 'user_identities', 'sessions', 'audit_log'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_subtree ON %I USING (tenant_path <@ (SELECT shuiyun_tenant())) '
                   'WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()))', t);
  END LOOP;
END $$;
--> statement-breakpoint
-- tenant_id and tenant_path must name the same tenant; RLS checks the path, this keeps the id honest.
ALTER TABLE tenants ADD CONSTRAINT tenants_id_path_key UNIQUE (id, path);
--> statement-breakpoint
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['org_units', 'communities', 'buildings', 'users', 'roles', 'user_roles',
                           'identity_providers', 'user_identities', 'sessions'] LOOP
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path)',
                   t, t || '_tenant_path_fkey');
  END LOOP;
END $$;
--> statement-breakpoint
-- Pending OIDC logins are read only by the sign-in flow, never by tenant requests.
ALTER TABLE oidc_login_states ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE oidc_login_states FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- Data scopes (数据权限) narrow a tenant further: 'org' = the caller's org-unit subtree plus what the
-- caller created, 'own' = only what the caller created; unset means the whole tenant subtree, and
-- any other value shows nothing. Users always see their own user row.
DO $$
DECLARE
  t text;
  scoped text := '((SELECT shuiyun_scope()) = ''tenant'''
    ' OR ((SELECT shuiyun_scope()) = ''org'' AND org_path <@ (SELECT shuiyun_org()))'
    ' OR ((SELECT shuiyun_scope()) IN (''org'', ''own'') AND created_by = (SELECT shuiyun_user())))';
BEGIN
  FOREACH t IN ARRAY ARRAY['communities', 'buildings'] LOOP
    EXECUTE format('CREATE POLICY data_scope ON %I AS RESTRICTIVE USING %s WITH CHECK %s', t, scoped, scoped);
  END LOOP;
  EXECUTE format('CREATE POLICY data_scope ON users AS RESTRICTIVE USING (id = (SELECT shuiyun_user()) OR %s) '
                 'WITH CHECK (id = (SELECT shuiyun_user()) OR %s)', scoped, scoped);
END $$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO shuiyun_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, org_units, communities, buildings, users, roles, user_roles,
  identity_providers, user_identities, sessions TO shuiyun_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON audit_log TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO shuiyun_app;
--> statement-breakpoint
-- The audit trail is append-only for everybody, the table owner included.
CREATE FUNCTION shuiyun_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
--> statement-breakpoint
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION shuiyun_audit_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION shuiyun_audit_append_only();
--> statement-breakpoint
-- Every write to an audited table leaves who, tenant, what and before/after, in the same transaction,
-- so no code path can forget it. Secrets and login bookkeeping are left out of the documents.
CREATE FUNCTION shuiyun_audit_row() RETURNS trigger LANGUAGE plpgsql AS
$$
DECLARE
  old_doc jsonb;
  new_doc jsonb;
  doc jsonb;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    old_doc := to_jsonb(OLD) - 'password_hash' - 'client_secret' - 'failed_logins' - 'locked_until'
               - 'last_login_at' - 'updated_at';
  END IF;
  IF TG_OP <> 'DELETE' THEN
    new_doc := to_jsonb(NEW) - 'password_hash' - 'client_secret' - 'failed_logins' - 'locked_until'
               - 'last_login_at' - 'updated_at';
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
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['tenants', 'org_units', 'communities', 'buildings', 'users', 'roles', 'user_roles',
                           'identity_providers', 'user_identities'] LOOP
    EXECUTE format('CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON %I '
                   'FOR EACH ROW EXECUTE FUNCTION shuiyun_audit_row()', t);
  END LOOP;
END $$;
