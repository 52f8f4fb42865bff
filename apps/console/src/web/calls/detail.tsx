/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The call page: a summary, the SIP ladder, and below it every entry of the timeline as a
 * `<details>` (the whole message with its SDP, the hook request, the delivery), which the ladder's
 * arrows link to. A call in progress is refreshed by server-sent events (./live.ts); the part
 * they replace is `#call-live`.
 */
import type { Call } from "@hookline/db";
import { Layout, type WebUser } from "../layout.js";
import { Ladder, entryId } from "./ladder.js";
import { bodyNote, messageText, offset, startLine, type CallModel, type TimelineEntry } from "./model.js";
import { Duration, EndReason, StateBadge } from "./parts.js";
import { Time } from "../time.js";

export const isLive = (call: Call) => call.state !== "completed" && call.state !== "failed";

export function CallPage({ user, model }: { user: WebUser; model: CallModel }) {
  const { call } = model;
  const live = isLive(call);
  return (
    <Layout title={`Call ${call.from} → ${call.to}`} user={user} current="/calls">
      <p>
        <a href="/calls">All calls</a> ·{" "}
        <a href={`/calls/${call.id}/trace.txt`}>Download the SIP trace (text)</a>
      </p>
      <div
        id="call-live"
        data-call={call.id}
        data-after={String(model.lastSeq)}
        data-live={live ? "1" : undefined}
        aria-live={live ? "polite" : undefined}
      >
        <CallLive model={model} />
      </div>
      <script src="/calls/call-page.js" defer></script>
    </Layout>
  );
}

/** The part of the page a live update replaces. */
export function CallLive({ model }: { model: CallModel }) {
  const { call } = model;
  return (
    <>
      <dl class="call-summary card">
        <dt>State</dt>
        <dd>
          <StateBadge state={call.state} />
          {isLive(call) && " (live: updates as the call goes on)"}
        </dd>
        <dt>Started</dt>
        <dd>
          <Time at={call.startedAt} />
        </dd>
        <dt>Duration</dt>
        <dd>
          <Duration call={call} />
        </dd>
        <dt>End</dt>
        <dd>
          <EndReason call={call} />
        </dd>
        <dt>Started by</dt>
        <dd>{call.origin === "api" ? "the API (POST /v1/calls)" : "a SIP INVITE"}</dd>
        <dt>Call ID</dt>
        <dd>
          <code>{call.id}</code>
        </dd>
      </dl>
      <h2>SIP ladder</h2>
      {model.entries.length === 0 ? (
        <p>No SIP messages recorded for this call yet.</p>
      ) : (
        <div class="table-wrap">
          <Ladder model={model} />
        </div>
      )}
      <h2>Messages</h2>
      <p>Each arrow of the ladder opens its entry here. Credentials are shown as [redacted].</p>
      <ol class="timeline" id="timeline">
        {model.entries.map((e) => (
          <li>
            <Entry model={model} entry={e} />
          </li>
        ))}
      </ol>
    </>
  );
}

function Entry({ model, entry }: { model: CallModel; entry: TimelineEntry }) {
  const id = `e-${entryId(entry)}`;
  const when = offset(model.call, entry.at);
  switch (entry.kind) {
    case "sip": {
      const m = entry.message;
      const leg = entry.leg;
      const where = leg ? `leg ${entry.legName}, ${leg.transport} ${leg.source ?? leg.remoteUri}` : "no leg";
      const note = bodyNote(m);
      return (
        <details id={id}>
          <summary>
            {`#${m.seq} ${when} ${m.direction === "received" ? "received" : "sent"} · ${startLine(m)} · ${where}`}
          </summary>
          <div class="table-wrap">
            <pre class="sip">{messageText(m)}</pre>
          </div>
          {note && <p class="note">{note}</p>}
        </details>
      );
    }
    case "hook": {
      const h = entry.hook;
      return (
        <details id={id}>
          <summary>{`#${h.seq} ${when} application hook (${h.kind}) · ${h.eventType} → ${h.status ?? "no answer"}`}</summary>
          <dl>
            <dt>URL</dt>
            <dd>{h.url}</dd>
            <dt>Answer</dt>
            <dd>{`${h.status ?? "none"} in ${h.latencyMs} ms`}</dd>
            {h.error !== null && (
              <>
                <dt>Error</dt>
                <dd>{h.error}</dd>
              </>
            )}
            {h.actions !== null && (
              <>
                <dt>Actions</dt>
                <dd>
                  <pre>{JSON.stringify(h.actions, null, 2)}</pre>
                </dd>
              </>
            )}
          </dl>
        </details>
      );
    }
    case "delivery": {
      const d = entry.delivery;
      return (
        <details id={id}>
          <summary>{`#${entry.seq} ${when} callback delivery · ${d.eventType} · ${d.status}`}</summary>
          <dl>
            <dt>Delivery</dt>
            <dd>
              <code>{d.id}</code> (the <code>webhook-id</code> header)
            </dd>
            <dt>Attempts</dt>
            <dd>{String(d.attemptCount)}</dd>
            <dt>Last answer</dt>
            <dd>{d.lastStatusCode !== null ? `HTTP ${d.lastStatusCode}` : "none yet"}</dd>
            {d.lastError !== null && (
              <>
                <dt>Error</dt>
                <dd>{d.lastError}</dd>
              </>
            )}
          </dl>
        </details>
      );
    }
  }
}
