/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The console's calls pages (server-rendered): `/calls` (list), `/calls/:id` (ladder and
 * messages), `/calls/:id/trace.txt` (plain-text SIP dump), `/calls/:id/events` (server-sent
 * events for a call in progress) and `/calls/call-page.js` (the live view's small script).
 * A middleware in front sets `webUser`; every read is scoped to that user's account, so another
 * account's call is a 404 like a missing one.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { Store } from "@hookline/db";
import { findCall, listCalls } from "../../routes/call-queries.js";
import { Layout, type WebUser } from "../layout.js";
import { CallLive, CallPage, isLive } from "./detail.js";
import { CallsListPage, encodeCursor, parseFilters, toQuery } from "./list.js";
import { CALL_PAGE_SCRIPT } from "./live-script.js";
import { loadCallModel, type CallModel } from "./model.js";
import { traceText } from "./trace-text.js";

/** What the pages need of the request: the signed-in user (set by the session middleware). */
export type CallsEnv = { Variables: { webUser: WebUser } };

export interface CallPagesDeps {
  store: Store;
  /** Writes the gateway's queued call rows first, so a page shows the call as it is now. */
  flushCallRecords: () => void | Promise<void>;
  /** How often a live view looks for new messages, ms. Default 500. */
  livePollMs?: number;
  /** A live stream ends after this long (the browser reconnects where it left off), ms. Default 10 min. */
  liveMaxMs?: number;
}

/** The change a live view reacts to: a new entry, a new state, a delivery's progress. */
const signature = (m: CallModel) =>
  [
    m.call.state,
    m.lastSeq,
    ...m.entries.map((e) => (e.kind === "delivery" ? `${e.delivery.status}${e.delivery.attemptCount}` : "")),
  ].join("|");

export function callPages(deps: CallPagesDeps) {
  const { store, flushCallRecords, livePollMs = 500, liveMaxMs = 600_000 } = deps;
  const app = new Hono<CallsEnv>();

  const notFound = (c: Context<CallsEnv>) =>
    c.html(
      <Layout title="Call not found" user={c.get("webUser")} current="/calls">
        <p>
          There is no such call in your account. <a href="/calls">See all calls</a>.
        </p>
      </Layout>,
      404,
    );
  const load = async (c: Context<CallsEnv>) => {
    await flushCallRecords();
    return findCall(store, c.get("webUser").accountId, c.req.param("id") ?? "");
  };

  app.get("/calls", async (c) => {
    const user = c.get("webUser");
    const { filters, errors } = parseFilters(c.req.query());
    await flushCallRecords();
    const rows = await listCalls(store, { ...toQuery(user.accountId, filters), limit: filters.limit + 1 });
    const page = rows.slice(0, filters.limit);
    const last = page[page.length - 1];
    const nextCursor = rows.length > filters.limit && last ? encodeCursor(last) : undefined;
    return c.html(
      <CallsListPage user={user} filters={filters} errors={errors} calls={page} nextCursor={nextCursor} />,
      Object.keys(errors).length > 0 ? 400 : 200,
    );
  });

  app.get("/calls/call-page.js", (c) => {
    c.header("content-type", "text/javascript; charset=utf-8");
    c.header("cache-control", "no-cache");
    return c.body(CALL_PAGE_SCRIPT);
  });

  app.get("/calls/:id", async (c) => {
    const call = await load(c);
    if (!call) return notFound(c);
    return c.html(<CallPage user={c.get("webUser")} model={await loadCallModel(store, call)} />);
  });

  app.get("/calls/:id/trace.txt", async (c) => {
    const call = await load(c);
    if (!call) return c.text("no such call\n", 404);
    c.header("content-disposition", `attachment; filename="${call.id}.txt"`);
    return c.text(traceText(await loadCallModel(store, call)));
  });

  // SPEC §3's timeline, live: the page's `#call-live` part again whenever the call changes,
  // until it has ended. `after` (or the browser's Last-Event-ID on a reconnect) is the last seq
  // the page shows.
  app.get("/calls/:id/events", async (c) => {
    const first = await load(c);
    if (!first) return notFound(c);
    const after = Number(c.req.header("last-event-id") ?? c.req.query("after") ?? "0") || 0;
    return streamSSE(c, async (stream) => {
      const deadline = Date.now() + liveMaxMs;
      let sent: string | undefined;
      for (;;) {
        await flushCallRecords();
        const call = await findCall(store, first.accountId, first.id);
        if (!call) return;
        const model = await loadCallModel(store, call);
        const sig = signature(model);
        // The page already shows everything up to `after`: the first look sends only what is newer.
        if (sent === undefined && model.lastSeq <= after && isLive(call)) sent = sig;
        if (sig !== sent) {
          const html = String(await (<CallLive model={model} />));
          await stream.writeSSE({
            event: "update",
            id: String(model.lastSeq),
            data: JSON.stringify({ after: model.lastSeq, live: isLive(call), html }),
          });
          sent = sig;
        }
        if (!isLive(call)) {
          await stream.writeSSE({ event: "end", data: call.state });
          return;
        }
        if (stream.aborted || Date.now() > deadline) return;
        await stream.sleep(livePollMs);
        if (stream.aborted) return;
      }
    });
  });

  return app;
}
