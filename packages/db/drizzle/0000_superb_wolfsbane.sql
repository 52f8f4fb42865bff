CREATE TABLE `accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`prefix` text NOT NULL,
	`key_hash` text NOT NULL,
	`name` text,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash_unique` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_account_idx` ON `api_keys` (`account_id`);--> statement-breakpoint
CREATE TABLE `call_legs` (
	`id` text PRIMARY KEY NOT NULL,
	`call_id` text NOT NULL,
	`direction` text NOT NULL,
	`sip_call_id` text NOT NULL,
	`local_tag` text,
	`remote_tag` text,
	`remote_uri` text NOT NULL,
	`transport` text NOT NULL,
	`source` text,
	`state` text NOT NULL,
	`created_at` integer NOT NULL,
	`answered_at` integer,
	`ended_at` integer,
	FOREIGN KEY (`call_id`) REFERENCES `calls`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `call_legs_call_idx` ON `call_legs` (`call_id`);--> statement-breakpoint
CREATE TABLE `call_messages` (
	`call_id` text NOT NULL,
	`seq` integer NOT NULL,
	`leg_id` text,
	`direction` text NOT NULL,
	`method` text,
	`status` integer,
	`reason` text,
	`request_uri` text,
	`cseq` text,
	`at` integer NOT NULL,
	`headers` text NOT NULL,
	`body_size` integer NOT NULL,
	PRIMARY KEY(`call_id`, `seq`),
	FOREIGN KEY (`call_id`) REFERENCES `calls`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`leg_id`) REFERENCES `call_legs`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE TABLE `callbacks` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`call_id` text,
	`url` text NOT NULL,
	`events` text NOT NULL,
	`filter` text,
	`description` text,
	`secret` text NOT NULL,
	`previous_secret` text,
	`previous_secret_expires_at` integer,
	`enabled` integer DEFAULT true NOT NULL,
	`disabled_reason` text,
	`source` text DEFAULT 'api' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`call_id`) REFERENCES `calls`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `callbacks_account_idx` ON `callbacks` (`account_id`);--> statement-breakpoint
CREATE INDEX `callbacks_call_idx` ON `callbacks` (`call_id`);--> statement-breakpoint
CREATE TABLE `calls` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`domain_id` text,
	`sip_call_id` text NOT NULL,
	`from` text NOT NULL,
	`to` text NOT NULL,
	`state` text NOT NULL,
	`end_status` integer,
	`end_reason` text,
	`started_at` integer NOT NULL,
	`ringing_at` integer,
	`answered_at` integer,
	`ended_at` integer,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`domain_id`) REFERENCES `domains`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `calls_account_started_idx` ON `calls` (`account_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `calls_sip_call_id_idx` ON `calls` (`sip_call_id`);--> statement-breakpoint
CREATE TABLE `console_users` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`email` text NOT NULL,
	`password_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `console_users_email_unique` ON `console_users` (`email`);--> statement-breakpoint
CREATE INDEX `console_users_account_idx` ON `console_users` (`account_id`);--> statement-breakpoint
CREATE TABLE `credentials` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`domain_id` text NOT NULL,
	`username` text NOT NULL,
	`realm` text NOT NULL,
	`ha1_md5` text NOT NULL,
	`ha1_sha256` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`domain_id`) REFERENCES `domains`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `credentials_domain_username_uq` ON `credentials` (`domain_id`,`username`);--> statement-breakpoint
CREATE INDEX `credentials_account_idx` ON `credentials` (`account_id`);--> statement-breakpoint
CREATE TABLE `domains` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`name` text NOT NULL,
	`application_url` text,
	`fallback_url` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `domains_name_unique` ON `domains` (`name`);--> statement-breakpoint
CREATE INDEX `domains_account_idx` ON `domains` (`account_id`);--> statement-breakpoint
CREATE TABLE `registrations` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`domain_id` text NOT NULL,
	`aor` text NOT NULL,
	`contact` text NOT NULL,
	`transport` text NOT NULL,
	`source` text NOT NULL,
	`expires_at` integer NOT NULL,
	`instance_id` text,
	`connection_id` text,
	`sip_call_id` text,
	`cseq` integer,
	`user_agent` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`domain_id`) REFERENCES `domains`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `registrations_aor_contact_uq` ON `registrations` (`aor`,`contact`);--> statement-breakpoint
CREATE INDEX `registrations_account_idx` ON `registrations` (`account_id`);--> statement-breakpoint
CREATE INDEX `registrations_expires_idx` ON `registrations` (`expires_at`);