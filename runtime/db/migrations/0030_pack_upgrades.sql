ALTER TABLE "design_artifacts" ADD COLUMN "pack_checksum" text;--> statement-breakpoint
ALTER TABLE "design_artifacts" ADD COLUMN "pack_offer" jsonb;--> statement-breakpoint
ALTER TABLE "design_artifacts" ADD COLUMN "pack_offer_version" text;