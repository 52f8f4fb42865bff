/**
 * Header parameters as the scanners find them: a flat list `[name, value, name, value, ...]`
 * (lower-cased names, values as written, `null` for a flag), turned into the public `Params` map (`scan.ts`)
 * only when something asks for it. A `Map` per header value was the largest single cost of parsing
 * a message (allocation, hashing, growth), while the consumers read a named field (`branch`,
 * `tag`, `received`, `rport`) far more often than the map (RFC 3261 §20.42, §19.3).
 */
/** `[name, value, ...]`; a repeated name keeps its first position and its last value, as `Map.set` does. */
export type ParamList = Array<string | null>;

/** The empty list shared by values without parameters (never written to). */
export const NO_PARAMS: readonly (string | null)[] = Object.freeze([]);

/** The value of `name` (lower-case) in `list`: the last one, as a map built from it would hold. */
export function paramValue(list: readonly (string | null)[], name: string): string | null | undefined {
  for (let k = list.length - 2; k >= 0; k -= 2) if (list[k] === name) return list[k + 1];
  return undefined;
}

export function paramsMap<V extends string | null>(list: readonly (string | V)[]): Map<string, V> {
  const m = new Map<string, V>();
  for (let k = 0; k < list.length; k += 2) m.set(list[k] as string, list[k + 1] as V);
  return m;
}

/** Where a parsed value keeps its list and its map: symbol keys, out of `Object.keys` and JSON. */
export const LIST = Symbol("params.list");
export const MAP = Symbol("params.map");

/** The slots of a parsed value with lazily built params (see {@link lazyParams}). */
export interface ParamSlots<V extends string | null = string | null> {
  [LIST]: readonly (string | V)[];
  [MAP]: Map<string, V> | undefined;
}

/**
 * Gives the instances of `cls` a `params` accessor that builds the map from `this[LIST]` on first
 * access (and a setter replacing it). Being an accessor, `params` is not an own property: an object
 * spread of a parsed value leaves it out (pass it explicitly, `{ ...via, params }`). The classes
 * assign their slots in their own constructors, without a base class or private fields: V8 runs a
 * base constructor or a field initializer as a call of its own on every construction, which was
 * measurable at a few hundred thousand values a second.
 */
export function lazyParams(cls: { prototype: object }): void {
  Object.defineProperty(cls.prototype, "params", {
    get(this: ParamSlots): Map<string, string | null> {
      return (this[MAP] ??= paramsMap(this[LIST]));
    },
    set(this: ParamSlots, map: Map<string, string | null>) {
      this[MAP] = map;
    },
    enumerable: false,
    configurable: false,
  });
}
