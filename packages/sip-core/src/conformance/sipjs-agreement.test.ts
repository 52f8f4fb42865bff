/**
 * Agreement with sip.js 0.21's parser on a shared corpus: wherever both accept a message, they
 * must agree on method/status, Request-URI, Call-ID, CSeq, From/To tags and the top Via branch.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Parser } from "sip.js/lib/core/index.js";
import { describe, expect, it } from "vitest";
import { getCallId, getCSeq, getFrom, getTo, getTopVia } from "../headers/typed.js";
import { parseMessage } from "../message/parse.js";
import { parseUri } from "../uri/uri.js";
import { BROWSER_CALL } from "./browser-corpus.js";
import { CASES } from "./cases.js";

const silent = { error() {}, warn() {}, log() {}, debug() {} } as unknown as Parameters<
  typeof Parser.parseMessage
>[1];

interface SipJsMessage {
  method?: string;
  statusCode?: number;
  ruri?: { scheme: string; user?: string; host: string; port?: number };
  callId?: string;
  cseq?: number;
  fromTag?: string;
  toTag?: string;
  viaBranch?: string;
}

const corpus: Array<[string, string]> = [
  ...BROWSER_CALL.map(([n, w]): [string, string] => [`browser ${n}`, w]),
];
for (const c of CASES) corpus.push([`case ${c.name}`, c.wire]);
const shared = fileURLToPath(new URL("../../../../../shared/conformance/", import.meta.url));
for (const dir of ["rfc4475", "rfc5118"]) {
  if (!existsSync(shared + dir)) continue;
  for (const f of readdirSync(shared + dir).filter((x) => x.endsWith(".msg"))) {
    // sip.js takes strings (WebSocket text frames); decode as latin1 to keep bytes 1:1 for Content-Length.
    corpus.push([`${dir}/${f}`, readFileSync(shared + dir + "/" + f, "latin1")]);
  }
}

describe("agreement with sip.js Parser.parseMessage", () => {
  let both = 0;
  for (const [name, wire] of corpus) {
    it(name, () => {
      let theirs: SipJsMessage | undefined;
      try {
        theirs = Parser.parseMessage(wire, silent);
      } catch {
        theirs = undefined; // sip.js throws on some torture messages; not an agreement case
      }
      const ours = parseMessage(Buffer.from(wire, "latin1"));
      if (theirs === undefined || !ours.ok) return;
      both++;
      const m = ours.message;
      if (name === "rfc4475/multi01.msg") {
        // Known difference (RFC 4475 §3.3.8, two Call-IDs/CSeqs/Froms/Tos, to be answered 400):
        // sip.js keeps the last value of each, Hookline the first.
        expect([getCallId(m), theirs.callId]).toEqual([
          "multi01.98asdh@192.0.2.1",
          "multi01.98asdh@192.0.2.2",
        ]);
        return;
      }
      if (m.kind === "request") {
        expect(m.method).toBe(theirs.method);
        const u = parseUri(m.uri);
        if (u.ok && u.value.kind === "sip" && theirs.ruri !== undefined) {
          expect([u.value.scheme, u.value.host.toLowerCase(), u.value.port]).toEqual([
            theirs.ruri.scheme,
            theirs.ruri.host.toLowerCase(),
            theirs.ruri.port,
          ]);
          // sip.js keeps the user part escaped and has no password field (RFC 3261 §25.1 userinfo =
          // user [":" password], so it leaves ":password" in the user): compare on that basis.
          const userinfo =
            u.value.user === undefined
              ? undefined
              : u.value.user + (u.value.password === undefined ? "" : ":" + u.value.password);
          expect(userinfo).toBe(
            theirs.ruri.user === undefined ? undefined : decodeURIComponentSafe(theirs.ruri.user),
          );
        }
      } else {
        expect(m.status).toBe(theirs.statusCode);
      }
      expect(getCallId(m)).toBe(theirs.callId);
      expect(getCSeq(m)?.seq).toBe(theirs.cseq);
      expect(getFrom(m)?.tag).toBe(theirs.fromTag);
      expect(getTo(m)?.tag).toBe(theirs.toTag);
      expect(getTopVia(m)?.branch).toBe(theirs.viaBranch);
    });
  }
  it("compared a meaningful number of messages", () => {
    expect(both).toBeGreaterThanOrEqual(BROWSER_CALL.length + 10);
  });
});

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
