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

/**
 * The base of parsed header values: `params` is a getter building the map on first access (and a
 * setter replacing it). Being an accessor, `params` is not an own property: an object spread of a
 * parsed value leaves it out (pass it explicitly, `{ ...via, params }`).
 */
export class WithParams<V extends string | null = string | null> {
  #list: readonly (string | V)[];
  #map: Map<string, V> | undefined = undefined;

  constructor(list: readonly (string | V)[]) {
    this.#list = list;
  }

  get params(): Map<string, V> {
    return (this.#map ??= paramsMap<V>(this.#list));
  }

  set params(map: Map<string, V>) {
    this.#map = map;
  }

  /** The list as scanned, for the parser that just built `v` (before anything could replace the map). */
  static scanned<V extends string | null>(v: WithParams<V>): readonly (string | V)[] {
    return v.#list;
  }
}
