/**
 * CEL filters over an event (SPEC §4), compiled once with `@bufbuild/cel`.
 *
 * The expression sees the event's `type` and `timestamp`, and its `data` fields at top level
 * (`accountId`, `callId`, `seq`, `message`, `call`, `registration`, `media`, `trunk`), so the SPEC example
 * `message.direction == "received" && message.headers["x-priority"] == "high"` works as written;
 * `data` is bound too. `@bufbuild/cel` 0.6 has no complete type checker, so "does not compile"
 * means: does not parse, cannot be planned, or names a variable that does not exist.
 * Evaluation errors (a missing map key, a type mismatch) are returned, never thrown: the caller
 * counts them as no match.
 */
import { CelScalar, celEnv, isCelError, parse, plan } from "@bufbuild/cel";
import type { CelInput } from "@bufbuild/cel";

export const FILTER_VARIABLES = [
  "type",
  "timestamp",
  "data",
  "accountId",
  "callId",
  "seq",
  "message",
  "call",
  "registration",
  "media",
  "trunk",
] as const;

export const MAX_FILTER_LENGTH = 4096;

const env = celEnv({
  variables: Object.fromEntries(FILTER_VARIABLES.map((v) => [v, CelScalar.DYN])),
});

export type FilterEvaluation = { ok: true; match: boolean } | { ok: false; error: string };

export interface CompiledFilter {
  readonly source: string;
  evaluate(event: { type: string; timestamp: string; data: object }): FilterEvaluation;
}

export type CompileFilterResult = { ok: true; filter: CompiledFilter } | { ok: false; error: string };

export function compileFilter(expr: string): CompileFilterResult {
  if (typeof expr !== "string" || expr.trim() === "") {
    return { ok: false, error: "filter is empty" };
  }
  if (expr.length > MAX_FILTER_LENGTH) {
    return { ok: false, error: `filter is longer than ${MAX_FILTER_LENGTH} characters` };
  }
  let program: (ctx: Record<string, CelInput>) => unknown;
  try {
    const parsed = parse(expr);
    const unknown = unknownIdentifiers(parsed.expr);
    if (unknown.length > 0) {
      return {
        ok: false,
        error: `filter uses unknown variable "${unknown[0]}" (known: ${FILTER_VARIABLES.join(", ")})`,
      };
    }
    program = plan(env, parsed);
  } catch (e) {
    return { ok: false, error: `filter does not compile: ${e instanceof Error ? e.message : String(e)}` };
  }
  const filter: CompiledFilter = {
    source: expr,
    evaluate(event) {
      const data = celData(event.data);
      const bindings: Record<string, unknown> = {
        type: event.type,
        timestamp: event.timestamp,
        data,
        accountId: data["accountId"] ?? null,
        callId: data["callId"] ?? null,
        seq: data["seq"] ?? null,
        message: data["message"] ?? null,
        call: data["call"] ?? null,
        registration: data["registration"] ?? null,
        media: data["media"] ?? null,
        trunk: data["trunk"] ?? null,
      };
      let result: unknown;
      try {
        result = program(bindings as Record<string, CelInput>);
      } catch (e) {
        return { ok: false, error: e instanceof Error ? e.message : String(e) };
      }
      if (isCelError(result)) return { ok: false, error: result.message };
      if (typeof result !== "boolean") {
        return { ok: false, error: `filter returned ${typeof result}, not a bool` };
      }
      return { ok: true, match: result };
    },
  };
  return { ok: true, filter };
}

const celDataCache = new WeakMap<object, Record<string, unknown>>();

/**
 * JSON integers become CEL `int` (bigint) so `seq + 1` and `message.status / 100 == 4` work; a JS
 * number would be a CEL `double`. Converted once per event and shared by every filter.
 */
function celData(data: object): Record<string, unknown> {
  let converted = celDataCache.get(data);
  if (!converted) {
    converted = toCel(data) as Record<string, unknown>;
    celDataCache.set(data, converted);
  }
  return converted;
}

function toCel(value: unknown): unknown {
  if (typeof value === "number") return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  }
  return value;
}

/** Free identifiers of a parsed CEL expression, ignoring comprehension variables (macros). */
function unknownIdentifiers(root: unknown): string[] {
  const known = new Set<string>(FILTER_VARIABLES);
  const found: string[] = [];
  const walk = (node: unknown, bound: ReadonlySet<string>): void => {
    if (node === null || typeof node !== "object") return;
    const n = node as { $typeName?: string; exprKind?: { case?: string; value?: unknown } };
    if (n.$typeName === "cel.expr.Expr" && n.exprKind) {
      const { case: kind, value } = n.exprKind;
      if (kind === "identExpr") {
        const name = (value as { name: string }).name;
        if (!known.has(name) && !bound.has(name)) found.push(name);
        return;
      }
      if (kind === "comprehensionExpr") {
        const c = value as Record<string, unknown> & { iterVar: string; iterVar2?: string; accuVar: string };
        const inner = new Set(bound);
        inner.add(c.iterVar);
        if (c.iterVar2) inner.add(c.iterVar2);
        inner.add(c.accuVar);
        walk(c["iterRange"], bound);
        walk(c["accuInit"], bound);
        walk(c["loopCondition"], inner);
        walk(c["loopStep"], inner);
        walk(c["result"], inner);
        return;
      }
      walk(value, bound);
      return;
    }
    for (const v of Object.values(node)) {
      if (Array.isArray(v)) v.forEach((x) => walk(x, bound));
      else walk(v, bound);
    }
  };
  walk(root, new Set());
  return found;
}
