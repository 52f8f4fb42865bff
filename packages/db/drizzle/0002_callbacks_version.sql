CREATE TABLE `callbacks_version` (
	`account_id` text PRIMARY KEY NOT NULL,
	`n` integer NOT NULL
);
--> statement-breakpoint
DROP INDEX `callbacks_account_idx`;--> statement-breakpoint
CREATE INDEX `callbacks_account_call_idx` ON `callbacks` (`account_id`,`call_id`);