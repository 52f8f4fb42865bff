ALTER TABLE "deliveries" ADD COLUMN "lease_owner" text;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "lease_until" bigint;--> statement-breakpoint
CREATE INDEX "deliveries_lane_idx" ON "deliveries" USING btree ("callback_id","call_id","status","seq");