/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/** Pieces the deliveries pages and the callback page share: status, time, the table, the pager. */
import { CsrfField, type WebUser } from "../layout.js";
import { Time } from "../time.js";
import type { DeliveryFilter, DeliveryStatus, DeliveryView } from "./model.js";
import { PAGE_SIZE, STATUSES, filterQuery } from "./model.js";

const STATUS_LABELS: Record<DeliveryStatus, string> = {
  pending: "Pending",
  succeeded: "Delivered",
  failed: "Dead letter",
};

export function StatusBadge({ status }: { status: DeliveryStatus }) {
  return <span class={`badge badge-${status}`}>{STATUS_LABELS[status]}</span>;
}

export function DeliveriesTable(props: { deliveries: DeliveryView[]; showCallback?: boolean }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last answer</th>
            {props.showCallback && <th scope="col">Callback</th>}
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {props.deliveries.map((d) => (
            <tr>
              <td>
                <a href={`/deliveries/${d.id}`}>{d.eventType}</a>
              </td>
              <td>
                <StatusBadge status={d.status} />
              </td>
              <td>{d.attemptCount}</td>
              <td>{d.lastStatusCode ?? d.lastError ?? "—"}</td>
              {props.showCallback && (
                <td>
                  <a href={`/callbacks/${d.callbackId}`}>{d.callbackId}</a>
                </td>
              )}
              <td>
                <Time at={d.createdAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Status filter (a GET form: works without script) and the "older" link of newest-first paging. */
export function DeliveryFilters(props: { action: string; filter: DeliveryFilter }) {
  return (
    <form class="filters" method="get" action={props.action}>
      {props.filter.callback && props.action === "/deliveries" && (
        <input type="hidden" name="callback" value={props.filter.callback} />
      )}
      <label for="f-status">
        Status
        <select id="f-status" name="status">
          <option value="">Any</option>
          {STATUSES.map((s) => (
            <option value={s} selected={props.filter.status === s}>
              {STATUS_LABELS[s]}
            </option>
          ))}
        </select>
      </label>
      <button type="submit">Filter</button>
    </form>
  );
}

export function Pager(props: { action: string; filter: DeliveryFilter; deliveries: DeliveryView[] }) {
  const last = props.deliveries.at(-1);
  const newer = props.filter.before !== undefined;
  const older = last !== undefined && props.deliveries.length >= PAGE_SIZE;
  if (!newer && !older) return null;
  const { before: _before, ...rest } = props.filter;
  return (
    <nav class="pager" aria-label="Pages">
      {newer && <a href={`${props.action}?${filterQuery(rest, 0)}`}>Newest</a>}
      {older && <a href={`${props.action}?${filterQuery({ ...rest, before: last.createdAt }, 0)}`}>Older</a>}
    </nav>
  );
}

/** Puts every dead letter (of one callback, or all) back to pending. */
export function ReplayAllForm(props: { user: WebUser; callback?: string; back: string }) {
  return (
    <form method="post" action="/deliveries/replay">
      <CsrfField user={props.user} />
      {props.callback && <input type="hidden" name="callback" value={props.callback} />}
      <input type="hidden" name="back" value={props.back} />
      <button type="submit">Replay all dead letters</button>
    </form>
  );
}
