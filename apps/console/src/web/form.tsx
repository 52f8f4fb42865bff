/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/** Form parts shared by the pages: a labelled field with its error beside it, notices. */
import type { Child } from "hono/jsx";
import type { FieldErrors } from "./account-api.js";

export function Field(props: {
  name: string;
  label: string;
  type?: string;
  value?: string | null | undefined;
  errors?: FieldErrors | undefined;
  hint?: string;
  required?: boolean;
  autocomplete?: string;
  placeholder?: string;
}) {
  const id = `f-${props.name}`;
  const error = props.errors?.[props.name];
  const described = [props.hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ");
  return (
    <label for={id}>
      {props.label}
      {props.hint && (
        <span class="hint" id={`${id}-hint`}>
          {props.hint}
        </span>
      )}
      <input
        id={id}
        name={props.name}
        type={props.type ?? "text"}
        value={props.value ?? ""}
        required={props.required}
        autocomplete={props.autocomplete}
        placeholder={props.placeholder}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={described || undefined}
      />
      {error && (
        <span class="field-error" id={`${id}-error`}>
          {error}
        </span>
      )}
    </label>
  );
}

/** What names no field (`_`), shown above the form. */
export function FormError(props: { errors?: FieldErrors | undefined }) {
  const general = props.errors?.["_"];
  return general ? (
    <p class="notice error" role="alert">
      {general}
    </p>
  ) : null;
}

export function Notice(props: { children?: Child }) {
  return (
    <div class="notice" role="status">
      {props.children}
    </div>
  );
}

/** A secret shown once, with what to do with it. */
export function OnceSecret(props: { label: string; value: string }) {
  return (
    <Notice>
      <p>
        <strong>{props.label}</strong> — copy it now: it is shown only once.
      </p>
      <code class="secret">{props.value}</code>
    </Notice>
  );
}

/** Form text fields as strings (files and repeats are not used by these pages). */
export async function formText(req: { parseBody(o?: { all: boolean }): Promise<Record<string, unknown>> }) {
  const body = await req.parseBody({ all: true });
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(body)) {
    if (typeof v === "string") out[k] = v;
    else if (Array.isArray(v)) out[k] = v.filter((x): x is string => typeof x === "string");
  }
  return out;
}

export const str = (v: string | string[] | undefined) => (Array.isArray(v) ? (v[0] ?? "") : (v ?? "")).trim();

/** Passwords as typed: spaces are part of them. */
export const raw = (v: string | string[] | undefined) => (Array.isArray(v) ? (v[0] ?? "") : (v ?? ""));
