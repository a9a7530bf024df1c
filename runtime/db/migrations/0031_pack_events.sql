CREATE TABLE "pack_event_deliveries" (
	"event_id" bigint NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"consumer" text NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 1 NOT NULL,
	"error" text,
	"next_attempt_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pack_event_deliveries_event_id_consumer_pk" PRIMARY KEY("event_id","consumer"),
	CONSTRAINT "pack_event_deliveries_status_check" CHECK ("pack_event_deliveries"."status" in ('done', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "pack_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"pack_id" text NOT NULL,
	"name" text NOT NULL,
	"payload" jsonb NOT NULL,
	"emitted_by" bigint,
	"emitted_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pack_migrations" (
	"pack_id" text NOT NULL,
	"store" text NOT NULL,
	"migration_id" text NOT NULL,
	"checksum" text NOT NULL,
	"pack_version" text NOT NULL,
	"applied_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pack_migrations_pack_id_store_migration_id_pk" PRIMARY KEY("pack_id","store","migration_id"),
	CONSTRAINT "pack_migrations_store_check" CHECK ("pack_migrations"."store" in ('postgres', 'analytics'))
);
--> statement-breakpoint
ALTER TABLE "pack_event_deliveries" ADD CONSTRAINT "pack_event_deliveries_event_id_pack_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."pack_events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pack_event_deliveries" ADD CONSTRAINT "pack_event_deliveries_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pack_events" ADD CONSTRAINT "pack_events_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "pack_events_tenant_name_idx" ON "pack_events" USING btree ("tenant_id","name","id");--> statement-breakpoint
CREATE INDEX "pack_events_tenant_path_gist" ON "pack_events" USING gist ("tenant_path");