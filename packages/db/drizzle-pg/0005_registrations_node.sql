ALTER TABLE "registrations" ADD COLUMN "node_id" text;--> statement-breakpoint
CREATE INDEX "registrations_node_idx" ON "registrations" USING btree ("node_id");