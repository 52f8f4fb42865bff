-- Every write to callbacks, from any connection, bumps its account's counter in callbacks_version
-- (the callback matcher's cache key), as SQLite's migration 0003 does. An update bumps the old
-- account and, if it moved, the new.
CREATE FUNCTION "callbacks_version_bump"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO "callbacks_version" ("account_id", "n") VALUES (OLD."account_id", 1)
      ON CONFLICT ("account_id") DO UPDATE SET "n" = "callbacks_version"."n" + 1;
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW."account_id" IS DISTINCT FROM OLD."account_id") THEN
    INSERT INTO "callbacks_version" ("account_id", "n") VALUES (NEW."account_id", 1)
      ON CONFLICT ("account_id") DO UPDATE SET "n" = "callbacks_version"."n" + 1;
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "callbacks_version_bump" AFTER INSERT OR UPDATE OR DELETE ON "callbacks"
  FOR EACH ROW EXECUTE FUNCTION "callbacks_version_bump"();
