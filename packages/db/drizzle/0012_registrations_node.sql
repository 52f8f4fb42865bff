ALTER TABLE `registrations` ADD `node_id` text;--> statement-breakpoint
CREATE INDEX `registrations_node_idx` ON `registrations` (`node_id`);