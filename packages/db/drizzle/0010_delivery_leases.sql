ALTER TABLE `deliveries` ADD `lease_owner` text;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `lease_until` integer;--> statement-breakpoint
CREATE INDEX `deliveries_lane_idx` ON `deliveries` (`callback_id`,`call_id`,`status`,`seq`);