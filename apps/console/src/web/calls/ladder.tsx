/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The SIP ladder as inline SVG: a column per endpoint, an arrow per message in `seq` order,
 * labelled with the method or the status. Every arrow links to its message below (`#e-<seq>`),
 * so the ladder works without script; application-hook requests and callback deliveries are drawn
 * on the same timeline in their own columns.
 */
import { APP, CALLBACKS, HOOKLINE, arrowLabel, offset, type CallModel, type TimelineEntry } from "./model.js";

const COL = 190;
const GUTTER = 70;
const HEAD = 54;
const ROW = 30;

/** Colours with at least 4.5:1 contrast on white (WCAG 1.4.3). */
const COLOURS = {
  request: "#1d4ed8",
  provisional: "#4b5563",
  success: "#15803d",
  failure: "#b91c1c",
  hook: "#7e22ce",
  delivery: "#a16207",
} as const;

interface Arrow {
  from: string;
  to: string;
  label: string;
  colour: string;
  dashed: boolean;
}

function arrowOf(entry: TimelineEntry): Arrow {
  switch (entry.kind) {
    case "sip": {
      const m = entry.message;
      const leg = entry.leg?.id ?? HOOKLINE;
      const status = m.status ?? 0;
      const colour =
        m.method !== null
          ? COLOURS.request
          : status < 200
            ? COLOURS.provisional
            : status < 300
              ? COLOURS.success
              : COLOURS.failure;
      const [from, to] = m.direction === "received" ? [leg, HOOKLINE] : [HOOKLINE, leg];
      return { from, to, label: arrowLabel(m), colour, dashed: false };
    }
    case "hook": {
      const h = entry.hook;
      const answer = h.status !== null ? String(h.status) : (h.error ?? "no answer");
      return {
        from: HOOKLINE,
        to: APP,
        label: `${h.eventType} → ${answer}`,
        colour: h.error === null && h.status !== null && h.status < 300 ? COLOURS.hook : COLOURS.failure,
        dashed: true,
      };
    }
    case "delivery": {
      const d = entry.delivery;
      const answer = d.lastStatusCode !== null ? String(d.lastStatusCode) : d.status;
      return {
        from: HOOKLINE,
        to: CALLBACKS,
        label: `${d.eventType} → ${answer}`,
        colour: d.status === "failed" ? COLOURS.failure : COLOURS.delivery,
        dashed: true,
      };
    }
  }
}

export function Ladder({ model }: { model: CallModel }) {
  const x = new Map(model.columns.map((c, i) => [c.key, GUTTER + COL / 2 + i * COL]));
  const width = GUTTER + model.columns.length * COL;
  const height = HEAD + model.entries.length * ROW + 16;
  return (
    <svg
      class="ladder"
      xmlns="http://www.w3.org/2000/svg"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      aria-label="SIP ladder: one column per endpoint, one arrow per message"
      font-family="system-ui, sans-serif"
      font-size="12"
    >
      <defs>
        {Object.entries(COLOURS).map(([name, colour]) => (
          <marker
            id={`head-${name}`}
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M0,0 L10,5 L0,10 z" fill={colour} />
          </marker>
        ))}
      </defs>
      {model.columns.map((c) => {
        const cx = x.get(c.key) ?? 0;
        return (
          <g class="endpoint">
            <text x={cx} y={18} text-anchor="middle" font-weight="bold" fill="#111827">
              {c.label}
            </text>
            <text x={cx} y={34} text-anchor="middle" fill="#374151">
              {c.detail}
            </text>
            <line x1={cx} y1={HEAD - 10} x2={cx} y2={height} stroke="#9ca3af" stroke-width="1" />
          </g>
        );
      })}
      {model.entries.map((entry, i) => {
        const a = arrowOf(entry);
        const x1 = x.get(a.from) ?? 0;
        const x2 = x.get(a.to) ?? 0;
        const y = HEAD + i * ROW + ROW / 2;
        const marker = Object.entries(COLOURS).find(([, c]) => c === a.colour)?.[0] ?? "request";
        return (
          <a
            href={`#e-${entryId(entry)}`}
            class="arrow"
            data-kind={entry.kind}
            data-leg={entry.kind === "sip" ? entry.legName : undefined}
          >
            <title>{`#${entry.seq} ${a.label}`}</title>
            {/* The whole row takes the click, not just the thin line and its label. */}
            <rect x={0} y={y - ROW / 2 + 2} width={width} height={ROW} fill="transparent" />
            <text x={4} y={y + 4} fill="#374151">
              {offset(model.call, entry.at)}
            </text>
            <line
              x1={x1}
              y1={y + 6}
              x2={x2}
              y2={y + 6}
              stroke={a.colour}
              stroke-width="1.5"
              stroke-dasharray={a.dashed ? "5 3" : undefined}
              marker-end={`url(#head-${marker})`}
            />
            <text x={(x1 + x2) / 2} y={y + 1} text-anchor="middle" fill={a.colour}>
              {a.label}
            </text>
          </a>
        );
      })}
    </svg>
  );
}

/** The anchor of an entry's details below the ladder: seq, and the delivery id for deliveries. */
export const entryId = (entry: TimelineEntry) =>
  entry.kind === "delivery" ? `${entry.seq}-${entry.delivery.id}` : String(entry.seq);
