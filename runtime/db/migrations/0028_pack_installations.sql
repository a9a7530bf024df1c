CREATE TABLE "pack_installations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"pack_id" text NOT NULL,
	"version" text NOT NULL,
	"status" text DEFAULT 'installed' NOT NULL,
	"installed_by" bigint,
	"installed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pack_installations_status_check" CHECK ("pack_installations"."status" in ('installed', 'disabled'))
);
--> statement-breakpoint
ALTER TABLE "design_artifacts" ADD COLUMN "pack_id" text;--> statement-breakpoint
ALTER TABLE "design_artifacts" ADD COLUMN "pack_version" text;--> statement-breakpoint
ALTER TABLE "roles" ADD COLUMN "pack_id" text;--> statement-breakpoint
ALTER TABLE "pack_installations" ADD CONSTRAINT "pack_installations_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "pack_installations_tenant_pack_key" ON "pack_installations" USING btree ("tenant_id","pack_id");--> statement-breakpoint
CREATE INDEX "pack_installations_tenant_path_gist" ON "pack_installations" USING gist ("tenant_path");