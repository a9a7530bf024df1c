CREATE TABLE "device_state_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"device_id" bigint NOT NULL,
	"from_state" text,
	"to_state" text NOT NULL,
	"note" text,
	"actor_id" bigint,
	"actor_name" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "devices" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"product_id" bigint NOT NULL,
	"meter_number" text NOT NULL,
	"device_key" text NOT NULL,
	"account_ref" text,
	"community_id" bigint,
	"building_id" bigint,
	"org_path" "ltree",
	"dma_code" text,
	"latitude" numeric(9, 6),
	"longitude" numeric(9, 6),
	"install_date" date,
	"state" text DEFAULT 'installed' NOT NULL,
	"state_changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"online" boolean DEFAULT false NOT NULL,
	"online_changed_at" timestamp with time zone,
	"last_seen_at" timestamp with time zone,
	"mqtt_secret_hash" text,
	"secret_rotated_at" timestamp with time zone,
	"created_by" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "devices_state_check" CHECK ("devices"."state" in ('installed', 'accepted', 'in_service', 'under_repair', 'retired')),
	CONSTRAINT "devices_location_check" CHECK (("devices"."latitude" is null) = ("devices"."longitude" is null) and "devices"."latitude" between -90 and 90 and "devices"."longitude" between -180 and 180)
);
--> statement-breakpoint
CREATE TABLE "products" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" bigint NOT NULL,
	"tenant_path" "ltree" NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"manufacturer" text,
	"model" text,
	"kind" text NOT NULL,
	"transport" text NOT NULL,
	"codec" text NOT NULL,
	"codec_settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"thing_model" jsonb NOT NULL,
	"created_by" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "products_transport_check" CHECK ("products"."transport" in ('mqtt', 'http-push', 'coap', 'modbus'))
);
--> statement-breakpoint
ALTER TABLE "device_state_history" ADD CONSTRAINT "device_state_history_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_state_history" ADD CONSTRAINT "device_state_history_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_community_id_communities_id_fk" FOREIGN KEY ("community_id") REFERENCES "public"."communities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_building_id_buildings_id_fk" FOREIGN KEY ("building_id") REFERENCES "public"."buildings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "products" ADD CONSTRAINT "products_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "device_state_history_device_idx" ON "device_state_history" USING btree ("device_id","id");--> statement-breakpoint
CREATE INDEX "device_state_history_tenant_path_gist" ON "device_state_history" USING gist ("tenant_path");--> statement-breakpoint
CREATE UNIQUE INDEX "devices_tenant_meter_number_key" ON "devices" USING btree ("tenant_id","meter_number");--> statement-breakpoint
CREATE UNIQUE INDEX "devices_tenant_device_key_key" ON "devices" USING btree ("tenant_id","device_key");--> statement-breakpoint
CREATE INDEX "devices_device_key_idx" ON "devices" USING btree ("device_key");--> statement-breakpoint
CREATE INDEX "devices_tenant_path_gist" ON "devices" USING gist ("tenant_path");--> statement-breakpoint
CREATE INDEX "devices_tenant_path_meter_number_idx" ON "devices" USING btree ("tenant_path","meter_number");--> statement-breakpoint
CREATE INDEX "devices_product_idx" ON "devices" USING btree ("product_id");--> statement-breakpoint
CREATE INDEX "devices_community_idx" ON "devices" USING btree ("community_id");--> statement-breakpoint
CREATE INDEX "devices_building_idx" ON "devices" USING btree ("building_id");--> statement-breakpoint
CREATE UNIQUE INDEX "products_tenant_code_key" ON "products" USING btree ("tenant_id","code");--> statement-breakpoint
CREATE INDEX "products_tenant_path_gist" ON "products" USING gist ("tenant_path");--> statement-breakpoint
CREATE INDEX "products_tenant_path_code_idx" ON "products" USING btree ("tenant_path","code");