ALTER TABLE "devices" ADD COLUMN "gateway_id" bigint;--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_gateway_id_devices_id_fk" FOREIGN KEY ("gateway_id") REFERENCES "public"."devices"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "devices_gateway_key_idx" ON "devices" USING btree ("gateway_id","device_key");