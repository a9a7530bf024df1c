CREATE TABLE "alarms" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"device_id" bigint,
	"device_key" text NOT NULL,
	"kind" text NOT NULL,
	"rule_id" text NOT NULL,
	"severity" text NOT NULL,
	"dedup_key" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"raised_at" timestamp with time zone NOT NULL,
	"detail" jsonb NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by" bigint,
	"cleared_at" timestamp with time zone,
	"cleared_by" bigint,
	"note" text,
	"org_path" "ltree",
	"created_by" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alarms_status_check" CHECK ("alarms"."status" in ('active', 'acknowledged', 'cleared'))
);
--> statement-breakpoint
CREATE TABLE "rules_engine_state" (
	"name" text PRIMARY KEY NOT NULL,
	"snapshot" jsonb NOT NULL,
	"saved_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "alarms" ADD CONSTRAINT "alarms_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alarms" ADD CONSTRAINT "alarms_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "alarms_open_dedup_key" ON "alarms" USING btree ("tenant_id","dedup_key") WHERE "alarms"."status" <> 'cleared';--> statement-breakpoint
CREATE INDEX "alarms_tenant_path_gist" ON "alarms" USING gist ("tenant_path");--> statement-breakpoint
CREATE INDEX "alarms_tenant_path_raised_idx" ON "alarms" USING btree ("tenant_path","raised_at");--> statement-breakpoint
CREATE INDEX "alarms_device_idx" ON "alarms" USING btree ("device_id");