CREATE TABLE "report_exports" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"requested_by" bigint NOT NULL,
	"request" jsonb NOT NULL,
	"format" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"rows_written" bigint DEFAULT 0 NOT NULL,
	"rows_total" bigint,
	"file" text,
	"file_name" text,
	"file_size" bigint,
	"media_type" text,
	"error" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"runner" text,
	"heartbeat_at" timestamp with time zone,
	CONSTRAINT "report_exports_format_check" CHECK ("report_exports"."format" in ('csv', 'xlsx', 'pdf')),
	CONSTRAINT "report_exports_status_check" CHECK ("report_exports"."status" in ('queued', 'running', 'succeeded', 'failed', 'cancelled'))
);
--> statement-breakpoint
ALTER TABLE "report_exports" ADD CONSTRAINT "report_exports_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_exports" ADD CONSTRAINT "report_exports_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "report_exports_requester_idx" ON "report_exports" USING btree ("requested_by","id");--> statement-breakpoint
CREATE INDEX "report_exports_active_idx" ON "report_exports" USING btree ("status") WHERE "report_exports"."status" in ('queued', 'running');--> statement-breakpoint
CREATE INDEX "report_exports_expires_idx" ON "report_exports" USING btree ("expires_at") WHERE "report_exports"."file" is not null;--> statement-breakpoint
CREATE INDEX "report_exports_tenant_path_gist" ON "report_exports" USING gist ("tenant_path");