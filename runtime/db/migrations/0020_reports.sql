CREATE TABLE "report_datasets" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"code" text NOT NULL,
	"version" integer NOT NULL,
	"label" jsonb NOT NULL,
	"source_kind" text NOT NULL,
	"raw_sql" boolean DEFAULT false NOT NULL,
	"definition" jsonb NOT NULL,
	"checksum" text NOT NULL,
	"created_by" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "report_datasets_source_kind_check" CHECK ("report_datasets"."source_kind" in ('analytics', 'postgres', 'analytics-sql', 'postgres-sql'))
);
--> statement-breakpoint
CREATE TABLE "report_templates" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"code" text NOT NULL,
	"version" integer NOT NULL,
	"name" text NOT NULL,
	"dataset_code" text NOT NULL,
	"dataset_version" integer,
	"template" jsonb NOT NULL,
	"checksum" text NOT NULL,
	"created_by" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "report_datasets" ADD CONSTRAINT "report_datasets_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_templates" ADD CONSTRAINT "report_templates_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "report_datasets_tenant_code_version_key" ON "report_datasets" USING btree ("tenant_id","code","version");--> statement-breakpoint
CREATE INDEX "report_datasets_tenant_path_gist" ON "report_datasets" USING gist ("tenant_path");--> statement-breakpoint
CREATE UNIQUE INDEX "report_templates_tenant_code_version_key" ON "report_templates" USING btree ("tenant_id","code","version");--> statement-breakpoint
CREATE INDEX "report_templates_tenant_dataset_idx" ON "report_templates" USING btree ("tenant_id","dataset_code");--> statement-breakpoint
CREATE INDEX "report_templates_tenant_path_gist" ON "report_templates" USING gist ("tenant_path");