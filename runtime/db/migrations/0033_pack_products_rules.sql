ALTER TABLE "alarm_rules" ADD COLUMN "pack_id" text;--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "pack_id" text;