/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The calls list: filters (state, user, who started it, time range) in a GET form, so a filtered
 * page is a link; newest first, a cursor for the next page. Failed calls are calls too (SPEC §5:
 * every call is recorded, also those that never reach a callee).
 */
import type { Call, CallOrigin, CallState } from "@hookline/db";
import { CALL_ORIGINS, CALL_STATES, type CallListQuery } from "../../routes/call-queries.js";
import { Layout, type WebUser } from "../layout.js";
import { Duration, EndReason, StateBadge } from "./parts.js";
import { Time } from "../time.js";

export const PAGE_SIZE = 50;

export interface ListFilters {
  state?: CallState;
  origin?: CallOrigin;
  user?: string;
  /** As typed (`YYYY-MM-DDTHH:MM`, UTC), shown back in the form. */
  since?: string;
  until?: string;
  cursor?: string;
  limit: number;
}

export type FieldErrors = Partial<Record<"state" | "origin" | "user" | "since" | "until" | "cursor", string>>;

const USER = /^[A-Za-z0-9._~!$&'()*+,;=%-]{1,64}$/;
/** A `datetime-local` value, read as UTC; seconds optional. */
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;

const parseTime = (v: string) => (LOCAL_TIME.test(v) ? Date.parse(`${v}Z`) : Number.NaN);

/** The query string as filters, each bad field with the reason shown next to it. */
export function parseFilters(q: Record<string, string | undefined>): {
  filters: ListFilters;
  errors: FieldErrors;
} {
  const errors: FieldErrors = {};
  const filters: ListFilters = { limit: PAGE_SIZE };
  const limit = Number(q.limit);
  if (Number.isInteger(limit) && limit >= 1 && limit <= 200) filters.limit = limit;
  const v = (k: string) => (q[k] === undefined || q[k] === "" ? undefined : q[k]);
  const state = v("state");
  if (state !== undefined) {
    if ((CALL_STATES as readonly string[]).includes(state)) filters.state = state as CallState;
    else errors.state = `unknown state "${state}"`;
  }
  const origin = v("origin");
  if (origin !== undefined) {
    if ((CALL_ORIGINS as readonly string[]).includes(origin)) filters.origin = origin as CallOrigin;
    else errors.origin = `unknown value "${origin}"`;
  }
  const user = v("user")?.trim();
  if (user !== undefined && user !== "") {
    if (USER.test(user)) filters.user = user;
    else errors.user = "a user name, such as alice (letters, digits and . _ ~ - only)";
  }
  for (const key of ["since", "until"] as const) {
    const t = v(key);
    if (t === undefined) continue;
    filters[key] = t;
    if (Number.isNaN(parseTime(t))) errors[key] = "a date and time, such as 2026-01-31T09:30";
  }
  if (filters.since && filters.until && !errors.since && !errors.until) {
    if (parseTime(filters.since) >= parseTime(filters.until)) errors.until = "must be after From";
  }
  const cursor = v("cursor");
  if (cursor !== undefined) {
    if (decodeCursor(cursor)) filters.cursor = cursor;
    else errors.cursor = "this page link is not valid any more: start from the first page";
  }
  return { filters, errors };
}

/** The filters as a query for listCalls (only the valid ones are set). */
export function toQuery(accountId: string, f: ListFilters): CallListQuery {
  return {
    accountId,
    state: f.state,
    origin: f.origin,
    user: f.user,
    since: f.since === undefined ? undefined : parseTime(f.since),
    until: f.until === undefined ? undefined : parseTime(f.until),
    after: f.cursor === undefined ? undefined : decodeCursor(f.cursor),
    limit: f.limit,
  };
}

export const encodeCursor = (call: Call) => `${call.startedAt}.${call.id}`;

function decodeCursor(cursor: string): { startedAt: number; id: string } | undefined {
  const m = /^(\d{1,15})\.([A-Za-z0-9_]{1,64})$/.exec(cursor);
  return m ? { startedAt: Number(m[1]), id: m[2] ?? "" } : undefined;
}

/** The same filters with another cursor, as a link. */
function pageLink(f: ListFilters, cursor: string | undefined): string {
  const p = new URLSearchParams();
  for (const k of ["state", "origin", "user", "since", "until"] as const) {
    const value = f[k];
    if (value !== undefined) p.set(k, value);
  }
  if (f.limit !== PAGE_SIZE) p.set("limit", String(f.limit));
  if (cursor !== undefined) p.set("cursor", cursor);
  const s = p.toString();
  return s === "" ? "/calls" : `/calls?${s}`;
}

function Field(props: { id: string; label: string; error: string | undefined; children: unknown }) {
  return (
    <label for={props.id}>
      {props.label}
      {props.children}
      {props.error && (
        <span class="field-error" id={`${props.id}-error`}>
          {props.error}
        </span>
      )}
    </label>
  );
}

export function CallsListPage(props: {
  user: WebUser;
  filters: ListFilters;
  errors: FieldErrors;
  calls: Call[];
  nextCursor: string | undefined;
}) {
  const { filters: f, errors } = props;
  const filtered = ["state", "origin", "user", "since", "until"].some(
    (k) => f[k as keyof ListFilters] !== undefined,
  );
  const invalid = (k: keyof FieldErrors) =>
    errors[k] ? { "aria-invalid": "true", "aria-describedby": `${k}-error` } : {};
  return (
    <Layout title="Calls" user={props.user} current="/calls">
      <form method="get" action="/calls" class="card actions" aria-label="Filter calls">
        <Field id="state" label="State" error={errors.state}>
          <select id="state" name="state" {...invalid("state")}>
            <option value="">Any</option>
            {CALL_STATES.map((s) => (
              <option value={s} selected={f.state === s}>
                {s}
              </option>
            ))}
          </select>
        </Field>
        <Field id="user" label="User" error={errors.user}>
          <input id="user" name="user" value={f.user ?? ""} placeholder="alice" {...invalid("user")} />
        </Field>
        <Field id="origin" label="Started by" error={errors.origin}>
          <select id="origin" name="origin" {...invalid("origin")}>
            <option value="">Anyone</option>
            <option value="inbound" selected={f.origin === "inbound"}>
              a SIP device (inbound)
            </option>
            <option value="api" selected={f.origin === "api"}>
              the API (outbound)
            </option>
          </select>
        </Field>
        <Field id="since" label="From (UTC)" error={errors.since}>
          <input id="since" name="since" type="datetime-local" value={f.since ?? ""} {...invalid("since")} />
        </Field>
        <Field id="until" label="Until (UTC)" error={errors.until}>
          <input id="until" name="until" type="datetime-local" value={f.until ?? ""} {...invalid("until")} />
        </Field>
        <button type="submit">Filter</button>
        {filtered && <a href="/calls">Clear filters</a>}
      </form>
      {errors.cursor && <p class="notice error">{errors.cursor}</p>}
      {props.calls.length === 0 ? (
        <p class="empty">
          {filtered
            ? "No calls match these filters."
            : "No calls yet. Register two softphones (Softphone page) and call one from the other: the call appears here, with its SIP ladder."}
        </p>
      ) : (
        <div class="table-wrap">
          <table class="calls">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">State</th>
                <th scope="col">Duration</th>
                <th scope="col">End reason</th>
              </tr>
            </thead>
            <tbody>
              {props.calls.map((c) => (
                <tr>
                  <td>
                    <a href={`/calls/${c.id}`}>
                      <Time at={c.startedAt} />
                    </a>
                  </td>
                  <td>{c.from}</td>
                  <td>{c.to}</td>
                  <td>
                    <StateBadge state={c.state} />
                  </td>
                  <td>
                    <Duration call={c} />
                  </td>
                  <td>
                    <EndReason call={c} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages">
        {f.cursor !== undefined && <a href={pageLink(f, undefined)}>First page</a>}
        {props.nextCursor !== undefined && (
          <a href={pageLink(f, props.nextCursor)} rel="next">
            Older calls
          </a>
        )}
      </nav>
    </Layout>
  );
}
