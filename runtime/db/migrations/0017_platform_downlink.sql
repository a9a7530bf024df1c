CREATE TABLE "platform_devices" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"device_id" bigint NOT NULL,
	"push_endpoint_id" bigint NOT NULL,
	"platform_device_id" text NOT NULL,
	"platform_product_id" text,
	"imei" text,
	"seen_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "device_commands" ADD COLUMN "push_endpoint_id" bigint;--> statement-breakpoint
ALTER TABLE "device_commands" ADD COLUMN "platform_command_id" text;--> statement-breakpoint
ALTER TABLE "push_endpoints" ADD COLUMN "api_app_key" text;--> statement-breakpoint
ALTER TABLE "push_endpoints" ADD COLUMN "api_product_id" text;--> statement-breakpoint
ALTER TABLE "push_endpoints" ADD COLUMN "api_secret" text;--> statement-breakpoint
ALTER TABLE "push_endpoints" ADD COLUMN "api_master_key" text;--> statement-breakpoint
ALTER TABLE "push_endpoints" ADD COLUMN "api_command_resource" text;--> statement-breakpoint
ALTER TABLE "platform_devices" ADD CONSTRAINT "platform_devices_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "platform_devices" ADD CONSTRAINT "platform_devices_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "platform_devices" ADD CONSTRAINT "platform_devices_push_endpoint_id_push_endpoints_id_fk" FOREIGN KEY ("push_endpoint_id") REFERENCES "public"."push_endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "platform_devices_device_key" ON "platform_devices" USING btree ("device_id");--> statement-breakpoint
CREATE INDEX "platform_devices_tenant_path_gist" ON "platform_devices" USING gist ("tenant_path");--> statement-breakpoint
ALTER TABLE "device_commands" ADD CONSTRAINT "device_commands_push_endpoint_id_push_endpoints_id_fk" FOREIGN KEY ("push_endpoint_id") REFERENCES "public"."push_endpoints"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "device_commands_platform_command_idx" ON "device_commands" USING btree ("push_endpoint_id","platform_command_id");
--> statement-breakpoint
-- Platform device names under the same rules as every tenant-scoped table (see 0001, 0005 and 0007): the
-- tenant subtree policy, the tenant_id/tenant_path composite key and grants. No audit trigger, as for a
-- device's online state: the runtime rewrites a row whenever a device's push names it differently.
ALTER TABLE platform_devices ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE platform_devices FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_subtree ON platform_devices USING (tenant_path <@ (SELECT shuiyun_tenant()))
  WITH CHECK (tenant_path <@ (SELECT shuiyun_tenant()));
--> statement-breakpoint
ALTER TABLE platform_devices ADD CONSTRAINT platform_devices_tenant_path_fkey FOREIGN KEY (tenant_id, tenant_path) REFERENCES tenants (id, path);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON platform_devices TO shuiyun_app;
--> statement-breakpoint
GRANT USAGE, SELECT ON SEQUENCE platform_devices_id_seq TO shuiyun_app;
--> statement-breakpoint
-- A push endpoint's platform API secrets (CTWing App Secret and MasterKey, OneNET access key) never enter the
-- audit trail, like its token and AES key; secrets_changed_at records that they changed.
CREATE OR REPLACE FUNCTION shuiyun_audit_hidden_columns() RETURNS text[] LANGUAGE sql IMMUTABLE AS
$$ SELECT ARRAY['password_hash', 'client_secret', 'mqtt_secret_hash', 'token', 'aes_key', 'api_secret', 'api_master_key',
                'failed_logins', 'locked_until', 'last_login_at', 'online', 'online_changed_at', 'last_seen_at', 'updated_at'] $$;
