CREATE TABLE "nodes" (
	"id" text PRIMARY KEY NOT NULL,
	"roles" text NOT NULL,
	"sip_address" text,
	"http_address" text,
	"version" text NOT NULL,
	"instance" text NOT NULL,
	"started_at" bigint NOT NULL,
	"heartbeat_at" bigint NOT NULL,
	"heartbeat_ms" integer NOT NULL,
	"lost_at" bigint
);
--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "node_id" text;--> statement-breakpoint
CREATE INDEX "calls_node_state_idx" ON "calls" USING btree ("node_id","state");