ALTER TABLE `accounts` ADD `fraud_limits` text DEFAULT '{"allowedPrefixes":[],"deniedPrefixes":[],"maxConcurrentCalls":null,"callsPerSecond":null,"dailyOutboundMinutes":null}' NOT NULL;--> statement-breakpoint
ALTER TABLE `call_legs` ADD `trunk_id` text;--> statement-breakpoint
CREATE INDEX `call_legs_trunk_ended_idx` ON `call_legs` (`trunk_id`,`ended_at`);