/**
 * The parameter lists of Digest challenges (WWW-/Proxy-Authenticate) and credentials
 * (Authorization/Proxy-Authorization): RFC 3261 §25.1 (challenge, credentials, digest-cln),
 * RFC 7235 §2.1 (auth-param), RFC 7616 §3.3–§3.4. Values are tokens or quoted-strings with
 * `\`-escapes; names are case-insensitive.
 */

/** Why a Digest header value could not be read. */
export type DigestParseErrorCode = "not-digest" | "malformed" | "duplicate-param" | "missing-param";

export interface DigestParseError {
  readonly code: DigestParseErrorCode;
  readonly message: string;
}

export type DigestParseResult<T> = { ok: true; value: T } | { ok: false; error: DigestParseError };

/** A parsed `Digest` parameter list: lower-case names, unquoted and unescaped values. */
export type DigestParams = Map<string, string>;

const TOKEN_CHAR = /[A-Za-z0-9\-.!%*_+`'~]/;

function fail<T>(code: DigestParseErrorCode, message: string): DigestParseResult<T> {
  return { ok: false, error: { code, message } };
}

function isSpace(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === "\r" || c === "\n";
}

/**
 * Reads `Digest name=value, name="quoted \"value\"", ...`. Never throws: a malformed list gives
 * a typed error naming the position. Linear in the input length.
 */
export function parseDigestParams(input: string): DigestParseResult<DigestParams> {
  let i = 0;
  const n = input.length;
  while (isSpace(input[i])) i++;
  const schemeStart = i;
  while (i < n && TOKEN_CHAR.test(input[i] as string)) i++;
  if (input.slice(schemeStart, i).toLowerCase() !== "digest" || (i < n && !isSpace(input[i]))) {
    return fail("not-digest", "the auth scheme is not Digest");
  }
  const params: DigestParams = new Map();
  for (;;) {
    while (isSpace(input[i])) i++;
    if (i >= n) break;
    const nameStart = i;
    while (i < n && TOKEN_CHAR.test(input[i] as string)) i++;
    if (i === nameStart) return fail("malformed", `expected a parameter name at offset ${i}`);
    const name = input.slice(nameStart, i).toLowerCase();
    while (isSpace(input[i])) i++;
    if (input[i] !== "=") return fail("malformed", `expected "=" after ${name} at offset ${i}`);
    i++;
    while (isSpace(input[i])) i++;
    let value: string;
    if (input[i] === '"') {
      i++;
      let out = "";
      let closed = false;
      while (i < n) {
        const c = input[i] as string;
        if (c === "\\") {
          if (i + 1 >= n) break;
          out += input[i + 1];
          i += 2;
        } else if (c === '"') {
          i++;
          closed = true;
          break;
        } else {
          out += c;
          i++;
        }
      }
      if (!closed) return fail("malformed", `unterminated quoted string in ${name}`);
      value = out;
    } else {
      const valueStart = i;
      while (i < n && TOKEN_CHAR.test(input[i] as string)) i++;
      if (i === valueStart) return fail("malformed", `expected a value for ${name} at offset ${i}`);
      value = input.slice(valueStart, i);
    }
    if (params.has(name)) return fail("duplicate-param", `parameter ${name} appears twice`);
    params.set(name, value);
    while (isSpace(input[i])) i++;
    if (i >= n) break;
    if (input[i] !== ",") return fail("malformed", `expected "," at offset ${i}`);
    i++;
  }
  return { ok: true, value: params };
}

/** `"..."` with `\` and `"` escaped (RFC 3261 §25.1 quoted-pair). */
export function quoteString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** One parameter to write: quoted-string or bare token as the grammar of that parameter asks. */
export interface DigestParamOut {
  readonly name: string;
  readonly value: string;
  readonly quoted: boolean;
}

/** Writes `Digest a="x", b=y` in the given order. */
export function serializeDigestParams(params: readonly DigestParamOut[]): string {
  return `Digest ${params.map((p) => `${p.name}=${p.quoted ? quoteString(p.value) : p.value}`).join(", ")}`;
}
