-- The gateway's directory mirror (src/mirror.ts) also holds the cluster: the nodes with their
-- heartbeats, and the bindings each node holds, so that a node finds a user registered on
-- another one without a query per call (SPEC §2). A refresh that only moves a binding's expiry is
-- not notified: its holder refreshes it every few minutes, other nodes need only where it is.
CREATE TRIGGER "nodes_directory_notify" AFTER INSERT OR UPDATE OR DELETE ON "nodes"
  FOR EACH ROW EXECUTE FUNCTION "directory_notify"();
--> statement-breakpoint
CREATE TRIGGER "registrations_directory_notify" AFTER INSERT OR DELETE ON "registrations"
  FOR EACH ROW EXECUTE FUNCTION "directory_notify"();
--> statement-breakpoint
CREATE TRIGGER "registrations_directory_notify_moved" AFTER UPDATE ON "registrations"
  FOR EACH ROW
  WHEN (OLD."node_id" IS DISTINCT FROM NEW."node_id" OR OLD."path" IS DISTINCT FROM NEW."path"
    OR OLD."transport" IS DISTINCT FROM NEW."transport" OR OLD."domain_id" IS DISTINCT FROM NEW."domain_id")
  EXECUTE FUNCTION "directory_notify"();
