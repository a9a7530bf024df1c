CREATE TABLE "device_commands" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"device_id" bigint NOT NULL,
	"service" text NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"serial" integer NOT NULL,
	"payload_hex" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"reply" jsonb,
	"failure_reason" text,
	"org_path" "ltree",
	"created_by" bigint,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	"acknowledged_at" timestamp with time zone,
	"expires_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "device_commands_status_check" CHECK ("device_commands"."status" in ('queued', 'sent', 'acknowledged', 'failed', 'expired')),
	CONSTRAINT "device_commands_serial_check" CHECK ("device_commands"."serial" between 0 and 255)
);
--> statement-breakpoint
ALTER TABLE "device_commands" ADD CONSTRAINT "device_commands_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_commands" ADD CONSTRAINT "device_commands_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "device_commands_open_service_key" ON "device_commands" USING btree ("device_id","service") WHERE "device_commands"."status" in ('queued', 'sent');--> statement-breakpoint
CREATE UNIQUE INDEX "device_commands_open_serial_key" ON "device_commands" USING btree ("device_id","serial") WHERE "device_commands"."status" in ('queued', 'sent');--> statement-breakpoint
CREATE INDEX "device_commands_device_idx" ON "device_commands" USING btree ("device_id","id");--> statement-breakpoint
CREATE INDEX "device_commands_open_expiry_idx" ON "device_commands" USING btree ("expires_at") WHERE "device_commands"."status" in ('queued', 'sent');--> statement-breakpoint
CREATE INDEX "device_commands_tenant_path_gist" ON "device_commands" USING gist ("tenant_path");