CREATE TABLE `nodes` (
	`id` text PRIMARY KEY NOT NULL,
	`roles` text NOT NULL,
	`sip_address` text,
	`http_address` text,
	`version` text NOT NULL,
	`instance` text NOT NULL,
	`started_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL,
	`heartbeat_ms` integer NOT NULL,
	`lost_at` integer
);
--> statement-breakpoint
ALTER TABLE `calls` ADD `node_id` text;--> statement-breakpoint
CREATE INDEX `calls_node_state_idx` ON `calls` (`node_id`,`state`);