-- The gateway's per-message reads come from an in-memory mirror of these tables (src/mirror.ts):
-- every committed change to one of their rows, from any connection, tells the listening nodes
-- which row to read again ("table:id" on channel hookline_directory).
CREATE FUNCTION "directory_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('hookline_directory', TG_TABLE_NAME || ':' || OLD."id");
  ELSE
    PERFORM pg_notify('hookline_directory', TG_TABLE_NAME || ':' || NEW."id");
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "accounts_directory_notify" AFTER INSERT OR UPDATE OR DELETE ON "accounts"
  FOR EACH ROW EXECUTE FUNCTION "directory_notify"();
--> statement-breakpoint
CREATE TRIGGER "domains_directory_notify" AFTER INSERT OR UPDATE OR DELETE ON "domains"
  FOR EACH ROW EXECUTE FUNCTION "directory_notify"();
--> statement-breakpoint
CREATE TRIGGER "credentials_directory_notify" AFTER INSERT OR UPDATE OR DELETE ON "credentials"
  FOR EACH ROW EXECUTE FUNCTION "directory_notify"();
--> statement-breakpoint
CREATE TRIGGER "trunks_directory_notify" AFTER INSERT OR UPDATE OR DELETE ON "trunks"
  FOR EACH ROW EXECUTE FUNCTION "directory_notify"();
--> statement-breakpoint
CREATE TRIGGER "numbers_directory_notify" AFTER INSERT OR UPDATE OR DELETE ON "numbers"
  FOR EACH ROW EXECUTE FUNCTION "directory_notify"();
