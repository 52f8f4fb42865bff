-- Every write to callbacks, from any connection, bumps its account's counter in callbacks_version
-- (the callback matcher's cache key). An update bumps the old account and, if it moved, the new.
CREATE TRIGGER `callbacks_version_insert` AFTER INSERT ON `callbacks` BEGIN
  INSERT INTO `callbacks_version` (`account_id`, `n`) VALUES (NEW.`account_id`, 1)
    ON CONFLICT (`account_id`) DO UPDATE SET `n` = `n` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `callbacks_version_update` AFTER UPDATE ON `callbacks` BEGIN
  INSERT INTO `callbacks_version` (`account_id`, `n`) VALUES (OLD.`account_id`, 1)
    ON CONFLICT (`account_id`) DO UPDATE SET `n` = `n` + 1;
  INSERT INTO `callbacks_version` (`account_id`, `n`)
    SELECT NEW.`account_id`, 1 WHERE NEW.`account_id` IS NOT OLD.`account_id`
    ON CONFLICT (`account_id`) DO UPDATE SET `n` = `n` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `callbacks_version_delete` AFTER DELETE ON `callbacks` BEGIN
  INSERT INTO `callbacks_version` (`account_id`, `n`) VALUES (OLD.`account_id`, 1)
    ON CONFLICT (`account_id`) DO UPDATE SET `n` = `n` + 1;
END;
