CREATE TABLE "alarm_rules" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"rule_id" text NOT NULL,
	"kind" text NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"severity" text,
	"product_code" text,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alarm_rules_severity_check" CHECK ("alarm_rules"."severity" is null or "alarm_rules"."severity" in ('info', 'warning', 'critical'))
);
--> statement-breakpoint
ALTER TABLE "alarm_rules" ADD CONSTRAINT "alarm_rules_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "alarm_rules_tenant_rule_id_key" ON "alarm_rules" USING btree ("tenant_id","rule_id");--> statement-breakpoint
CREATE INDEX "alarm_rules_tenant_path_gist" ON "alarm_rules" USING gist ("tenant_path");