CREATE TABLE `write_probe` (
	`id` integer PRIMARY KEY NOT NULL,
	`pad` blob NOT NULL
);
