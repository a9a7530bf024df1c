CREATE TABLE "design_artifact_versions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"artifact_id" bigint NOT NULL,
	"version" integer NOT NULL,
	"content" jsonb NOT NULL,
	"checksum" text NOT NULL,
	"note" text,
	"applied" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"published_by" bigint,
	"published_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "design_artifacts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"kind" text NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"draft" jsonb NOT NULL,
	"draft_revision" integer DEFAULT 1 NOT NULL,
	"draft_saved_at" timestamp with time zone DEFAULT now() NOT NULL,
	"draft_saved_by" bigint,
	"draft_checksum" text NOT NULL,
	"published_version" integer,
	"published_checksum" text,
	"created_by" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "design_artifacts_kind_check" CHECK ("design_artifacts"."kind" in ('process', 'form', 'page', 'report', 'entity'))
);
--> statement-breakpoint
CREATE TABLE "entity_records" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"entity" text NOT NULL,
	"data" jsonb NOT NULL,
	"revision" integer DEFAULT 1 NOT NULL,
	"created_by" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" bigint,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "design_artifact_versions" ADD CONSTRAINT "design_artifact_versions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "design_artifact_versions" ADD CONSTRAINT "design_artifact_versions_artifact_id_design_artifacts_id_fk" FOREIGN KEY ("artifact_id") REFERENCES "public"."design_artifacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "design_artifacts" ADD CONSTRAINT "design_artifacts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "entity_records" ADD CONSTRAINT "entity_records_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "design_artifact_versions_artifact_version_key" ON "design_artifact_versions" USING btree ("artifact_id","version");--> statement-breakpoint
CREATE INDEX "design_artifact_versions_tenant_path_gist" ON "design_artifact_versions" USING gist ("tenant_path");--> statement-breakpoint
CREATE UNIQUE INDEX "design_artifacts_tenant_kind_code_key" ON "design_artifacts" USING btree ("tenant_id","kind","code");--> statement-breakpoint
CREATE INDEX "design_artifacts_tenant_path_gist" ON "design_artifacts" USING gist ("tenant_path");--> statement-breakpoint
CREATE INDEX "entity_records_tenant_entity_idx" ON "entity_records" USING btree ("tenant_id","entity","id");--> statement-breakpoint
CREATE INDEX "entity_records_data_gin" ON "entity_records" USING gin ("data");--> statement-breakpoint
CREATE INDEX "entity_records_tenant_path_gist" ON "entity_records" USING gist ("tenant_path");