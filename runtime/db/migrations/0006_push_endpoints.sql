CREATE TABLE "push_endpoints" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"platform" text NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"token" text,
	"aes_key" text,
	"secrets_changed_at" timestamp with time zone,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "push_endpoints_platform_check" CHECK ("push_endpoints"."platform" in ('ctwing', 'onenet')),
	CONSTRAINT "push_endpoints_secrets_check" CHECK (("push_endpoints"."platform" <> 'onenet' or "push_endpoints"."token" is not null) and ("push_endpoints"."platform" = 'onenet' or "push_endpoints"."aes_key" is null))
);
--> statement-breakpoint
ALTER TABLE "push_endpoints" ADD CONSTRAINT "push_endpoints_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "push_endpoints_code_key" ON "push_endpoints" USING btree ("code");--> statement-breakpoint
CREATE INDEX "push_endpoints_tenant_path_gist" ON "push_endpoints" USING gist ("tenant_path");--> statement-breakpoint
CREATE INDEX "push_endpoints_tenant_path_name_idx" ON "push_endpoints" USING btree ("tenant_path","name");