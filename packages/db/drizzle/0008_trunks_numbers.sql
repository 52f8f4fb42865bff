CREATE TABLE `numbers` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`number` text NOT NULL,
	`trunk_id` text,
	`domain_id` text,
	`user` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`trunk_id`) REFERENCES `trunks`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`domain_id`) REFERENCES `domains`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `numbers_number_unique` ON `numbers` (`number`);--> statement-breakpoint
CREATE INDEX `numbers_account_idx` ON `numbers` (`account_id`);--> statement-breakpoint
CREATE TABLE `trunks` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`name` text NOT NULL,
	`is_default` integer DEFAULT false NOT NULL,
	`outbound_targets` text NOT NULL,
	`outbound_username` text,
	`outbound_password_sealed` text,
	`inbound_addresses` text NOT NULL,
	`inbound_username` text,
	`inbound_password_sealed` text,
	`number_format` text NOT NULL,
	`codecs` text NOT NULL,
	`caller_id` text NOT NULL,
	`fraud_limits` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `trunks_account_name_uq` ON `trunks` (`account_id`,`name`);