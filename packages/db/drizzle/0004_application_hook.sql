CREATE TABLE `call_hooks` (
	`call_id` text NOT NULL,
	`seq` integer NOT NULL,
	`at` integer NOT NULL,
	`kind` text NOT NULL,
	`event_type` text NOT NULL,
	`url` text NOT NULL,
	`status` integer,
	`latency_ms` integer NOT NULL,
	`actions` text,
	`error` text,
	PRIMARY KEY(`call_id`, `seq`),
	FOREIGN KEY (`call_id`) REFERENCES `calls`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `calls` ADD `origin` text DEFAULT 'inbound' NOT NULL;--> statement-breakpoint
ALTER TABLE `domains` ADD `application_timeout_ms` integer;--> statement-breakpoint
ALTER TABLE `domains` ADD `hook_secret` text;