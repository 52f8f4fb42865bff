/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/** The callback form (create and edit): URL, event picker, CEL filter checked as you type. */
import type { FieldErrors } from "../account-api.js";
import { Field, FormError } from "../form.js";
import { CsrfField, type WebUser } from "../layout.js";
import { sampleEvent } from "../../routes/callback-sample.js";
import { EVENT_GROUPS, extraEvents } from "./events.js";

export interface CallbackValues {
  url: string;
  events: string[];
  filter: string;
  description: string;
}

function EventPicker(props: { events: string[]; error?: string | undefined }) {
  const on = new Set(props.events);
  return (
    <fieldset
      class="events"
      aria-describedby={props.error ? "f-events-error" : undefined}
      aria-invalid={props.error ? "true" : undefined}
    >
      <legend>Events</legend>
      <p class="hint">
        A family box (ending in *) takes every event of that family, including ones added later.
      </p>
      {EVENT_GROUPS.map((g) => (
        <div class="event-group" role="group" aria-label={g.label}>
          <label class="family">
            <input type="checkbox" name="events" value={g.family} checked={on.has(g.family)} />
            {`${g.label}: all (${g.family})`}
          </label>
          {g.names.map((n) => (
            <label>
              <input type="checkbox" name="events" value={n} checked={on.has(n)} />
              {n}
            </label>
          ))}
        </div>
      ))}
      <Field
        name="moreEvents"
        label="More events (optional)"
        hint="Other SPEC §4 names, comma-separated, e.g. sip.487, sip.PRACK."
        value={extraEvents(props.events).join(", ")}
      />
      {props.error && (
        <span class="field-error" id="f-events-error">
          {props.error}
        </span>
      )}
    </fieldset>
  );
}

function FilterField(props: { value: string; error?: string | undefined; accountId: string }) {
  const error = props.error;
  return (
    <div class="filter-field">
      <label for="f-filter">
        Filter (optional, CEL)
        <span class="hint" id="f-filter-hint">
          Sent only when true, e.g. <code>{'message.direction == "received"'}</code>. Variables: type,
          message, call, registration, media, callId, seq.
        </span>
        <input
          id="f-filter"
          name="filter"
          type="text"
          value={props.value}
          autocomplete="off"
          spellcheck={false}
          aria-invalid={error ? "true" : undefined}
          aria-describedby="f-filter-hint f-filter-check"
        />
      </label>
      <span id="f-filter-check" class={error ? "field-error" : "hint"} aria-live="polite">
        {error ?? ""}
      </span>
      <details>
        <summary>The sample event it is checked against</summary>
        <pre class="code" tabindex={0}>
          {JSON.stringify(sampleEvent(props.accountId), null, 2)}
        </pre>
      </details>
    </div>
  );
}

export function CallbackForm(props: {
  user: WebUser;
  action: string;
  submit: string;
  values: CallbackValues;
  errors?: FieldErrors | undefined;
}) {
  const { values, errors } = props;
  return (
    <div class="card">
      <FormError errors={errors} />
      <form class="stack" method="post" action={props.action}>
        <CsrfField user={props.user} />
        <Field
          name="url"
          label="Endpoint URL"
          type="url"
          placeholder="https://app.example.com/hooks/sip"
          hint="Receives a signed POST per event (Standard Webhooks headers)."
          value={values.url}
          errors={errors}
          required
        />
        <EventPicker events={values.events} error={errors?.["events"]} />
        <FilterField value={values.filter} error={errors?.["filter"]} accountId={props.user.accountId} />
        <Field name="description" label="Description (optional)" value={values.description} errors={errors} />
        <div>
          <button type="submit">{props.submit}</button>
        </div>
      </form>
      <script src="/callbacks/callback-form.js" defer></script>
    </div>
  );
}
