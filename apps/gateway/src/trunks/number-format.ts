/**
 * Phone numbers on a trunk (SPEC §3 number rules): what a carrier writes in the Request-URI user
 * becomes E.164 (ITU-T E.164) for the number lookup, and an E.164 number is written back the way
 * the carrier expects. Pure functions, no I/O.
 */
import type { TrunkNumberFormat } from "@hookline/db";

const E164 = /^\+[1-9]\d{1,14}$/;

/** Visual separators allowed in telephone-subscriber (RFC 3966 §5.1.1). */
const stripVisual = (s: string) => s.replace(/[\s().-]/g, "");

/**
 * `+15551234567`, `0015551234567`, `5551234567` (with country code 1) or `99#+15551234567` (tech
 * prefix `99#`) → `+15551234567`; undefined when the user is not a number under these rules.
 */
export function toE164(user: string, format: TrunkNumberFormat): string | undefined {
  let s = stripVisual(unescapeUser(user.split(";")[0] ?? ""));
  if (format.techPrefix && s.startsWith(format.techPrefix)) s = s.slice(format.techPrefix.length);
  if (s.startsWith("+")) return E164.test(s) ? s : undefined;
  if (!/^\d+$/.test(s)) return undefined;
  if (s.startsWith("00")) return check(`+${s.slice(2)}`);
  if (format.nationalPrefix && s.startsWith(format.nationalPrefix)) {
    return format.countryCode
      ? check(`+${format.countryCode}${s.slice(format.nationalPrefix.length)}`)
      : undefined;
  }
  if (format.countryCode) {
    // Already international without the +: `15551234567` on a trunk with country code 1.
    if (!format.nationalPrefix && s.startsWith(format.countryCode) && s.length > 10) return check(`+${s}`);
    return check(`+${format.countryCode}${s}`);
  }
  return check(`+${s}`);
}

/** The E.164 number as the carrier wants it in the Request-URI user, with the tech prefix, escaped. */
export function fromE164(e164: string, format: TrunkNumberFormat): string {
  const digits = e164.replace(/^\+/, "");
  let out: string;
  switch (format.outboundFormat) {
    case "digits":
      out = digits;
      break;
    case "national":
      out =
        format.countryCode && digits.startsWith(format.countryCode)
          ? `${format.nationalPrefix ?? ""}${digits.slice(format.countryCode.length)}`
          : `00${digits}`;
      break;
    default:
      out = `+${digits}`;
  }
  return escapeUser(`${format.techPrefix ?? ""}${out}`);
}

/**
 * RFC 3261 §25.1 `user`: unreserved, user-unreserved and escaped characters; anything else (a tech
 * prefix's `#`, say) is %-escaped, as the carrier will read it back (`7%23+15551234567`).
 */
export function escapeUser(user: string): string {
  return user.replace(/[^A-Za-z0-9\-_.!~*'()&=+$,;?/]/g, (c) => encodeURIComponent(c));
}

/**
 * Whether a Request-URI user looks like a telephone number rather than a user name: digits with
 * an optional leading `+` and visual separators, at least 3 digits (RFC 3966 global and local
 * numbers; short codes such as 911 included).
 */
export function looksLikePhoneNumber(user: string): boolean {
  const s = stripVisual(user.split(";")[0] ?? "");
  return /^\+?\d{3,15}$/.test(s);
}

/** RFC 3261 §19.1.2 escapes (`%2B` for `+`); a malformed escape leaves the user as it is. */
function unescapeUser(user: string): string {
  try {
    return decodeURIComponent(user);
  } catch {
    return user;
  }
}

const check = (s: string) => (E164.test(s) ? s : undefined);
