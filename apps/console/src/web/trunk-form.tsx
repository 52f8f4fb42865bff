/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The trunk form (./trunks.tsx): a trunk as form values, the values as the API body, and the form
 * that shows them with the API's errors by section.
 */
import type { FieldErrors } from "./account-api.js";
import { Field, FormError } from "./form.js";
import { CsrfField, type WebUser } from "./layout.js";

export interface TrunkView {
  id: string;
  name: string;
  default: boolean;
  outbound: {
    targets: { host: string; port: number; transport: string; priority: number }[];
    username: string | null;
    hasPassword: boolean;
  };
  inbound: { addresses: string[]; username: string | null; hasPassword: boolean };
  numberFormat: { countryCode: string | null; techPrefix: string | null };
  codecs: string[];
  callerId: { number: string | null };
  fraudLimits: {
    allowedPrefixes: string[];
    deniedPrefixes: string[];
    maxConcurrentCalls: number | null;
    callsPerSecond: number | null;
    dailyOutboundMinutes: number | null;
  };
  /** OPTIONS health (SPEC §3 trunks); null when no gateway runs beside the console. */
  health: {
    state: string;
    targets: {
      host: string;
      port: number;
      transport: string;
      state: string;
      since: string | null;
      lastError: string | null;
    }[];
  } | null;
}

export type Values = Record<string, string>;

/** A trunk as the form shows it: lists one per line or comma-separated. */
export function valuesOf(t: TrunkView): Values {
  const f = t.fraudLimits;
  return {
    name: t.name,
    default: t.default ? "on" : "",
    targets: t.outbound.targets.map((x) => `${x.host}:${x.port} ${x.transport}`).join("\n"),
    outboundUsername: t.outbound.username ?? "",
    addresses: t.inbound.addresses.join("\n"),
    inboundUsername: t.inbound.username ?? "",
    countryCode: t.numberFormat.countryCode ?? "",
    techPrefix: t.numberFormat.techPrefix ?? "",
    codecs: t.codecs.join(", "),
    callerIdNumber: t.callerId.number ?? "",
    allowedPrefixes: f.allowedPrefixes.join(", "),
    deniedPrefixes: f.deniedPrefixes.join(", "),
    maxConcurrentCalls: f.maxConcurrentCalls === null ? "" : String(f.maxConcurrentCalls),
    callsPerSecond: f.callsPerSecond === null ? "" : String(f.callsPerSecond),
    dailyOutboundMinutes: f.dailyOutboundMinutes === null ? "" : String(f.dailyOutboundMinutes),
  };
}

const lines = (v: string | undefined, sep: RegExp) =>
  (v ?? "")
    .split(sep)
    .map((s) => s.trim())
    .filter((s) => s !== "");

/** `host[:port] [udp|tcp|tls]`, priority by line order; what does not parse goes as typed. */
function parseTarget(line: string, i: number) {
  const m = /^(\[[^\]]+\]|[^\s:]+)(?::(\d+))?(?:\s+(\S+))?$/.exec(line);
  if (!m) return { host: line, priority: i };
  return {
    host: (m[1] ?? "").replace(/^\[|\]$/g, ""),
    ...(m[2] !== undefined && { port: Number(m[2]) }),
    ...(m[3] !== undefined && { transport: m[3].toLowerCase() }),
    priority: i,
  };
}

/** A number field: empty is "no limit" (null), not a number goes as typed so the API names it. */
const limit = (v: string) => (v === "" ? null : Number.isFinite(Number(v)) ? Number(v) : v);

/** Credentials from a username and a write-only password: blank password keeps the stored one. */
function credentials(username: string, password: string, had: boolean) {
  if (username === "") return had ? null : undefined;
  if (password === "") return undefined;
  return { username, password };
}

/** The API body a submitted form stands for. */
export function bodyOf(v: Values, passwords: { outbound: string; inbound: string }, current?: TrunkView) {
  return {
    name: v["name"],
    default: v["default"] === "on",
    outbound: {
      targets: lines(v["targets"], /\n/).map(parseTarget),
      credentials: credentials(v["outboundUsername"] ?? "", passwords.outbound, !!current?.outbound.username),
    },
    inbound: {
      addresses: lines(v["addresses"], /[\n,]/),
      credentials: credentials(v["inboundUsername"] ?? "", passwords.inbound, !!current?.inbound.username),
    },
    numberFormat: { countryCode: v["countryCode"] || null, techPrefix: v["techPrefix"] || null },
    ...(v["codecs"] && { codecs: lines(v["codecs"], /,/) }),
    callerId: { number: v["callerIdNumber"] || null },
    fraudLimits: {
      allowedPrefixes: lines(v["allowedPrefixes"], /,/),
      deniedPrefixes: lines(v["deniedPrefixes"], /,/),
      maxConcurrentCalls: limit(v["maxConcurrentCalls"] ?? ""),
      callsPerSecond: limit(v["callsPerSecond"] ?? ""),
      dailyOutboundMinutes: limit(v["dailyOutboundMinutes"] ?? ""),
    },
  };
}

export const FIELDS = [
  "name",
  "default",
  "targets",
  "outboundUsername",
  "addresses",
  "inboundUsername",
  "countryCode",
  "techPrefix",
  "codecs",
  "callerIdNumber",
  "allowedPrefixes",
  "deniedPrefixes",
  "maxConcurrentCalls",
  "callsPerSecond",
  "dailyOutboundMinutes",
] as const;

/** The API names nested fields (`outbound.targets.0.host`); the form groups them by section. */
const sectionErrors = (e: FieldErrors | undefined): FieldErrors | undefined =>
  e && {
    ...e,
    targets: e["outbound"] ?? "",
    addresses: e["inbound"] ?? "",
    countryCode: e["numberFormat"] ?? "",
    callerIdNumber: e["callerId"] ?? "",
    maxConcurrentCalls: e["fraudLimits"] ?? "",
  };

function TextArea(props: {
  name: string;
  label: string;
  hint: string;
  value?: string;
  errors?: FieldErrors | undefined;
}) {
  const id = `f-${props.name}`;
  const error = props.errors?.[props.name];
  return (
    <label for={id}>
      {props.label}
      <span class="hint" id={`${id}-hint`}>
        {props.hint}
      </span>
      <textarea id={id} name={props.name} rows={3} aria-invalid={error ? "true" : undefined}>
        {props.value ?? ""}
      </textarea>
      {error && (
        <span class="field-error" id={`${id}-error`}>
          {error}
        </span>
      )}
    </label>
  );
}

export function TrunkForm(props: {
  user: WebUser;
  action: string;
  values: Values;
  errors?: FieldErrors | undefined;
  submit: string;
}) {
  const { values: v } = props;
  const errors = sectionErrors(props.errors);
  return (
    <div class="card">
      <FormError errors={props.errors} />
      <form class="stack" method="post" action={props.action}>
        <CsrfField user={props.user} />
        <Field name="name" label="Name" placeholder="carrier-a" value={v["name"]} errors={errors} required />
        <label>
          <input type="checkbox" name="default" checked={v["default"] === "on"} /> Default trunk (users
          dialling a number go out here)
        </label>
        <TextArea
          name="targets"
          label="Outbound targets"
          hint="One per line, in priority order: host[:port] [udp|tcp|tls]"
          value={v["targets"]}
          errors={errors}
        />
        <Field
          name="outboundUsername"
          label="Outbound digest username"
          value={v["outboundUsername"]}
          errors={errors}
        />
        <Field
          name="outboundPassword"
          label="Outbound digest password"
          type="password"
          hint="Blank keeps the stored one"
          errors={errors}
          autocomplete="new-password"
        />
        <TextArea
          name="addresses"
          label="Inbound source addresses"
          hint="IPs or CIDRs, one per line"
          value={v["addresses"]}
          errors={errors}
        />
        <Field
          name="inboundUsername"
          label="Inbound digest username (optional)"
          value={v["inboundUsername"]}
          errors={errors}
        />
        <Field
          name="inboundPassword"
          label="Inbound digest password"
          type="password"
          hint="Blank keeps the stored one"
          errors={errors}
          autocomplete="new-password"
        />
        <Field
          name="countryCode"
          label="Country code for national numbers"
          placeholder="1"
          value={v["countryCode"]}
          errors={errors}
        />
        <Field
          name="techPrefix"
          label="Tech prefix"
          hint="Stripped inbound, added outbound"
          value={v["techPrefix"]}
          errors={errors}
        />
        <Field
          name="codecs"
          label="Codecs"
          placeholder="PCMU, PCMA, telephone-event"
          value={v["codecs"]}
          errors={errors}
        />
        <Field
          name="callerIdNumber"
          label="Caller id number (E.164)"
          value={v["callerIdNumber"]}
          errors={errors}
        />
        <Field
          name="allowedPrefixes"
          label="Allowed destination prefixes"
          hint="Comma-separated; empty allows all"
          value={v["allowedPrefixes"]}
          errors={errors}
        />
        <Field
          name="deniedPrefixes"
          label="Denied destination prefixes"
          value={v["deniedPrefixes"]}
          errors={errors}
        />
        <Field
          name="maxConcurrentCalls"
          label="Max concurrent calls"
          type="number"
          value={v["maxConcurrentCalls"]}
          errors={errors}
        />
        <Field name="callsPerSecond" label="Calls per second" value={v["callsPerSecond"]} errors={errors} />
        <Field
          name="dailyOutboundMinutes"
          label="Daily outbound minutes"
          type="number"
          value={v["dailyOutboundMinutes"]}
          errors={errors}
        />
        <div>
          <button type="submit">{props.submit}</button>
        </div>
      </form>
    </div>
  );
}
