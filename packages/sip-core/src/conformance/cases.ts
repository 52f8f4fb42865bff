/** The case list (see rfc4475-cases.ts for the shapes). */
import { getHeader, getHeaders } from "../headers/header-list.js";
import {
  getCallId,
  getContacts,
  getCSeq,
  getFrom,
  getMaxForwards,
  getRoutes,
  getTo,
  getTopVia,
  getVias,
} from "../headers/typed.js";
import { parseUri } from "../uri/uri.js";
import type { SipMessage } from "../message/types.js";
import { SDP, wire, type ConformanceCase } from "./rfc4475-cases.js";

const MPART_BODY =
  "--7a9cbec02ceef655\r\nContent-Type: application/octet-stream\r\n\r\n\u0000\r\n\r\n\u0001\u0002\r\n--7a9cbec02ceef655--\r\n";

const ruri = (m: SipMessage): string => (m.kind === "request" ? m.uri : "");
const ruriUser = (m: SipMessage): string | undefined => {
  const r = parseUri(ruri(m));
  return r.ok && r.value.kind === "sip" ? r.value.user : undefined;
};
const method = (m: SipMessage): string => (m.kind === "request" ? m.method : String(m.status));

const basic = (first: string, extra: string[] = [], body = ""): string =>
  wire(
    [
      first,
      "Via: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw",
      "To: <sip:user@example.com>",
      "From: <sip:caller@example.net>;tag=12312",
      "Call-ID: case.1@example.net",
      `CSeq: 1 ${first.split(" ")[0] ?? ""}`,
      "Max-Forwards: 70",
      ...extra,
      `Content-Length: ${Buffer.byteLength(body)}`,
    ],
    body,
  );

export const CASES: readonly ConformanceCase[] = [
  {
    name: "wsinv",
    source: "RFC 4475 §3.1.1.1",
    valid: true,
    wire: wire(
      [
        "INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0",
        "TO :",
        " sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n",
        'from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>',
        "  ;",
        "  tag = 98asjd8",
        "MaX-fOrWaRdS: 0068",
        "Call-ID: wsinv.ndaksdj@192.0.2.1",
        "Content-Length   : 150",
        "cseq: 0009",
        "  INVITE",
        "Via  : SIP  /   2.0",
        " /UDP",
        "    192.0.2.2;branch=390skdjuw",
        "s :",
        "NewFangledHeader:   newfangled value",
        " continued newfangled value",
        "UnknownHeaderWithUnusualValue: ;;,,;;,;",
        "Content-Type: application/sdp",
        "Route:",
        " <sip:services.example.com;lr;unknownwith=value;unknown-no-value>",
        "v:  SIP  / 2.0  / TCP     spindle.example.com   ;",
        "  branch  =   z9hG4bK9ikj8  ,",
        " SIP  /    2.0   / UDP  192.168.255.111   ; branch=",
        " z9hG4bK30239",
        'm:"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam =',
        "      newvalue ;",
        "  secondparam ; q = 0.33",
      ],
      SDP.replace("IN IP4 192.0.2.4", "IN IP4 192.0.2.4").padEnd(150, "x").slice(0, 150),
    ),
    meaning: (m) => ({
      ruri: ruri(m),
      toTag: getTo(m)?.tag,
      fromTag: getFrom(m)?.tag,
      fromName: getFrom(m)?.displayName,
      maxForwards: getMaxForwards(m),
      cseq: getCSeq(m),
      branches: getVias(m).map((v) => v.branch),
      transports: getVias(m).map((v) => v.transport),
      subject: getHeader(m, "subject"),
      newFangled: getHeader(m, "NewFangledHeader"),
      unusual: getHeader(m, "unknownheaderwithunusualvalue"),
      route: getRoutes(m).map((r) => r.uri),
      contact: getContacts(m).map((c) => [
        c.displayName,
        c.q,
        c.params.get("newparam"),
        c.params.has("secondparam"),
      ]),
      bodyLength: m.body.byteLength,
    }),
    expected: {
      ruri: "sip:vivekg@chair-dnrc.example.com;unknownparam",
      toTag: "1918181833n",
      fromTag: "98asjd8",
      fromName: 'J Rosenberg \\"',
      maxForwards: 68,
      cseq: { seq: 9, method: "INVITE" },
      branches: ["390skdjuw", "z9hG4bK9ikj8", "z9hG4bK30239"],
      transports: ["UDP", "TCP", "UDP"],
      subject: "",
      newFangled: "newfangled value continued newfangled value",
      unusual: ";;,,;;,;",
      route: ["sip:services.example.com;lr;unknownwith=value;unknown-no-value"],
      contact: [['Quoted string ""', 0.33, "newvalue", true]],
      bodyLength: 150,
    },
  },
  {
    name: "intmeth",
    source: "RFC 4475 §3.1.1.2",
    valid: true,
    wire: wire([
      "!interesting-Method0123456789_*+`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0",
      "Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~",
      'To: "BEL:\\\u0007 NUL:\\\u0000 DEL:\\\u007f" <sip:1_unusual.URI~(to-be!sure)&isn\'t+it$/crazy?,/;;*@example.com>',
      "From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"\u0440\u0430\u0431\u043e\u0442\u0430\u044e\u0449\u0438\u0439\";tag=_token~1'+`*%!-.",
      "Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{",
      "CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~",
      "Max-Forwards: 255",
      "extensionHeader-!.%*+_`'~:\uFEFF\u5927\u5C27\u95E8",
      "Content-Length: 0",
    ]),
    meaning: (m) => ({
      method: method(m),
      user: ruriUser(m),
      branch: getTopVia(m)?.branch,
      toName: getTo(m)?.displayName,
      fromName: getFrom(m)?.displayName,
      fromTag: getFrom(m)?.tag,
      callId: getCallId(m),
      ext: getHeader(m, "extensionheader-!.%*+_`'~"),
    }),
    expected: {
      method: "!interesting-Method0123456789_*+`.%indeed'~",
      user: "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*",
      branch: "z9hG4bK-.!%66*_+`'~",
      toName: "BEL:\u0007 NUL:\u0000 DEL:\u007f",
      fromName: "token1~` token2'+_ token3*%!.-",
      fromTag: "_token~1'+`*%!-.",
      callId: "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{",
      ext: "\uFEFF\u5927\u5C27\u95E8",
    },
  },
  {
    name: "esc01",
    source: "RFC 4475 §3.1.1.3",
    valid: true,
    wire: basic("INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0", [
      "Contact: <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>",
    ]),
    meaning: (m) => {
      const c = parseUri(getContacts(m)[0]?.uri ?? "");
      return {
        user: ruriUser(m),
        contact:
          c.ok && c.value.kind === "sip"
            ? [c.value.user, c.value.params.has("lr"), c.value.params.get("name")]
            : null,
      };
    },
    expected: { user: "sips:user@example.com", contact: ["caller", true, "value%41"] },
  },
  {
    name: "escnull",
    source: "RFC 4475 §3.1.1.4",
    valid: true,
    wire: basic("REGISTER sip:example.com SIP/2.0", [
      "Contact: <sip:%00@host5.example.com>",
      "Contact: <sip:%00%00@host5.example.com>",
    ]).replace("To: <sip:user@example.com>", "To: sip:null-%00-null@example.com"),
    meaning: (m) => ({
      contacts: getContacts(m).map((c) => {
        const u = parseUri(c.uri);
        return u.ok && u.value.kind === "sip" ? u.value.user : null;
      }),
      to: getTo(m)?.uri,
    }),
    expected: { contacts: ["\u0000", "\u0000\u0000"], to: "sip:null-%00-null@example.com" },
  },
  {
    name: "esc02",
    source: "RFC 4475 §3.1.1.5",
    valid: true,
    wire: basic("RE%47IST%45R sip:registrar.example.com SIP/2.0", [
      "Contact: <sip:alias1@host1.example.com>",
      "C%6Fntact: <sip:alias2@host2.example.com>",
      "Contact: <sip:alias3@host3.example.com>",
    ]),
    meaning: (m) => ({
      method: method(m),
      contacts: getContacts(m).length,
      unknown: getHeaders(m, "c%6fntact"),
    }),
    expected: { method: "RE%47IST%45R", contacts: 2, unknown: ["<sip:alias2@host2.example.com>"] },
  },
  {
    name: "lwsdisp",
    source: "RFC 4475 §3.1.1.6",
    valid: true,
    wire: basic("OPTIONS sip:user@example.com SIP/2.0").replace(
      "From: <sip:caller@example.net>;tag=12312",
      "From: caller<sip:caller@example.com>;tag=323",
    ),
    meaning: (m) => ({ name: getFrom(m)?.displayName, tag: getFrom(m)?.tag }),
    expected: { name: "caller", tag: "323" },
  },
  {
    name: "longreq",
    source: "RFC 4475 §3.1.1.7",
    valid: true,
    wire: basic("INVITE sip:user@example.com SIP/2.0", [
      "Via: " +
        Array.from(
          { length: 30 },
          (_, i) => `SIP/2.0/TCP sip${i}.example.com;branch=z9hG4bK${"very".repeat(20)}${i}`,
        ).join(", "),
      `X-Long: ${"long".repeat(500)}`,
    ]).replace(
      "From: <sip:caller@example.net>;tag=12312",
      `From: "${"I have a user name of extreme length ".repeat(10)}" <sip:caller@example.net>;tag=12312;unknownheaderparam${"long".repeat(50)}=x`,
    ),
    meaning: (m) => ({
      vias: getVias(m).length,
      lastBranch: getVias(m).at(-1)?.branch,
      xLong: getHeader(m, "x-long")?.length,
      tag: getFrom(m)?.tag,
    }),
    expected: { vias: 31, lastBranch: `z9hG4bK${"very".repeat(20)}29`, xLong: 2000, tag: "12312" },
  },
  {
    name: "dblreq",
    source: "RFC 4475 §3.1.1.8",
    valid: true,
    wire: basic("REGISTER sip:example.com SIP/2.0") + basic("INVITE sip:joe@example.com SIP/2.0", [], SDP),
    meaning: (m) => ({ method: method(m), body: m.body.byteLength }),
    expected: { method: "REGISTER", body: 0 },
  },
  {
    name: "semiuri",
    source: "RFC 4475 §3.1.1.9",
    valid: true,
    wire: basic("OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0"),
    meaning: (m) => {
      const u = parseUri(ruri(m));
      return u.ok && u.value.kind === "sip"
        ? { user: u.value.user, host: u.value.host, params: u.value.params.size }
        : {};
    },
    expected: { user: "user;par=u@example.net", host: "example.com", params: 0 },
  },
  {
    name: "transports",
    source: "RFC 4475 §3.1.1.10",
    valid: true,
    wire: basic("OPTIONS sip:user@example.com SIP/2.0", [
      "Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf",
      "Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj",
      "Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en",
      "Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee",
    ]),
    meaning: (m) => ({ transports: getVias(m).map((v) => v.transport) }),
    expected: { transports: ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"] },
  },
  {
    name: "mpart01-binary-body",
    source: "RFC 4475 §3.1.1.11",
    valid: true,
    wire: basic(
      "MESSAGE sip:kumiko@example.org SIP/2.0",
      ["Content-Type: multipart/mixed;boundary=7a9cbec02ceef655"],
      MPART_BODY,
    ),
    meaning: (m) => ({
      bodyHasCrLfCrLf: Buffer.from(m.body).indexOf("\r\n\r\n\u0001") > 0,
      length: m.body.byteLength,
    }),
    expected: { bodyHasCrLfCrLf: true, length: Buffer.byteLength(MPART_BODY) },
  },
  {
    name: "unreason",
    source: "RFC 4475 §3.1.1.12",
    valid: true,
    wire: basic(
      "SIP/2.0 200 = 2**3 * 5**2 \u043d\u043e \u0441\u0442\u043e \u0434\u0435\u0432\u044f\u043d\u043e\u0441\u0442\u043e \u0434\u0435\u0432\u044f\u0442\u044c",
    ).replace("CSeq: 1 SIP/2.0", "CSeq: 1 INVITE"),
    meaning: (m) => ({
      status: m.kind === "response" ? m.status : 0,
      reason: m.kind === "response" ? m.reason : "",
    }),
    expected: {
      status: 200,
      reason:
        "= 2**3 * 5**2 \u043d\u043e \u0441\u0442\u043e \u0434\u0435\u0432\u044f\u043d\u043e\u0441\u0442\u043e \u0434\u0435\u0432\u044f\u0442\u044c",
    },
  },
  {
    name: "noreason",
    source: "RFC 4475 §3.1.1.13",
    valid: true,
    wire: basic("SIP/2.0 100 ").replace("CSeq: 1 SIP/2.0", "CSeq: 35 INVITE"),
    meaning: (m) => ({
      status: m.kind === "response" ? m.status : 0,
      reason: m.kind === "response" ? m.reason : "x",
    }),
    expected: { status: 100, reason: "" },
  },
  {
    name: "badinv01",
    source: "RFC 4475 §3.1.2.1",
    valid: false,
    code: "SIP_ERR_HEADER",
    wire: basic("INVITE sip:user@example.com SIP/2.0", [
      "Via: SIP/2.0/UDP 192.0.2.15;;,;,,",
      'Contact: "Joe" <sip:joe@example.org>;;;;',
    ]),
  },
  {
    name: "clerr",
    source: "RFC 4475 §3.1.2.2",
    valid: false,
    code: "SIP_ERR_CONTENT_LENGTH",
    wire: basic("INVITE sip:user@example.com SIP/2.0", [], SDP).replace(
      /Content-Length: \d+/,
      "Content-Length: 9999",
    ),
  },
  {
    name: "ncl",
    source: "RFC 4475 §3.1.2.3",
    valid: false,
    code: "SIP_ERR_CONTENT_LENGTH",
    wire: basic("INVITE sip:user@example.com SIP/2.0", [], SDP).replace(
      /Content-Length: \d+/,
      "Content-Length: -999",
    ),
  },
  {
    name: "scalar02",
    source: "RFC 4475 §3.1.2.4",
    valid: false,
    code: "SIP_ERR_HEADER",
    wire: basic("REGISTER sip:example.com SIP/2.0", ["Expires: 1" + "0".repeat(20)]),
  },
  {
    name: "scalar02-max-forwards",
    source: "RFC 4475 §3.1.2.4",
    valid: false,
    code: "SIP_ERR_HEADER",
    wire: basic("REGISTER sip:example.com SIP/2.0").replace("Max-Forwards: 70", "Max-Forwards: 300"),
  },
  {
    name: "scalarlg",
    source: "RFC 4475 §3.1.2.5",
    valid: false,
    code: "SIP_ERR_HEADER",
    wire: basic("SIP/2.0 503 Service Unavailable", ["Retry-After: 949302838503028349304023988"]).replace(
      "CSeq: 1 SIP/2.0",
      "CSeq: 1 OPTIONS",
    ),
  },
  {
    name: "scalarlg-warning",
    source: "RFC 4475 §3.1.2.5",
    valid: false,
    code: "SIP_ERR_HEADER",
    wire: basic("SIP/2.0 503 Service Unavailable", ['Warning: 1812 overture "In Progress"']).replace(
      "CSeq: 1 SIP/2.0",
      "CSeq: 1 OPTIONS",
    ),
  },
  {
    name: "quotbal",
    source: "RFC 4475 §3.1.2.6",
    valid: false,
    code: "SIP_ERR_HEADER",
    wire: basic("INVITE sip:user@example.com SIP/2.0").replace(
      "To: <sip:user@example.com>",
      'To: "Mr. J. User <sip:j.user@example.com>',
    ),
  },
  {
    name: "ltgtruri",
    source: "RFC 4475 §3.1.2.7",
    valid: false,
    code: "SIP_ERR_REQUEST_URI",
    wire: basic("INVITE <sip:user@example.com> SIP/2.0"),
  },
  {
    name: "lwsruri",
    source: "RFC 4475 §3.1.2.8",
    valid: false,
    code: "SIP_ERR_START_LINE",
    wire: basic("INVITE sip:user@example.com; lr SIP/2.0"),
  },
  {
    name: "lwsstart",
    source: "RFC 4475 §3.1.2.9",
    valid: false,
    code: "SIP_ERR_START_LINE",
    wire: basic("INVITE  sip:user@example.com  SIP/2.0"),
  },
  {
    name: "trws",
    source: "RFC 4475 §3.1.2.10",
    valid: false,
    code: "SIP_ERR_START_LINE",
    wire: basic("OPTIONS sip:user@example.com SIP/2.0 "),
  },
  {
    name: "escruri",
    source: "RFC 4475 §3.1.2.11",
    valid: false,
    code: "SIP_ERR_REQUEST_URI",
    wire: basic("INVITE sip:user@example.com?Route=%3Csip:example.com%3E SIP/2.0"),
  },
  {
    name: "baddate",
    source: "RFC 4475 §3.1.2.12",
    valid: false,
    code: "SIP_ERR_HEADER",
    wire: basic("INVITE sip:user@example.com SIP/2.0", ["Date: Fri, 01 Jan 2010 16:00:00 EST"]),
  },
  {
    name: "regbadct",
    source: "RFC 4475 §3.1.2.13",
    valid: false,
    code: "SIP_ERR_HEADER",
    wire: basic("REGISTER sip:example.com SIP/2.0", [
      "Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E",
    ]),
  },
  {
    name: "badaspec",
    source: "RFC 4475 §3.1.2.14",
    valid: false,
    code: "SIP_ERR_HEADER",
    wire: basic("OPTIONS sip:user@example.org SIP/2.0").replace(
      "To: <sip:user@example.com>",
      'To: "Watson, Thomas" < sip:t.watson@example.org >',
    ),
  },
  {
    name: "baddn",
    source: "RFC 4475 §3.1.2.15",
    valid: false,
    code: "SIP_ERR_HEADER",
    wire: basic("OPTIONS sip:t.watson@example.org SIP/2.0").replace(
      "From: <sip:caller@example.net>;tag=12312",
      "From:    Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
    ),
  },
  {
    name: "badvers",
    source: "RFC 4475 §3.1.2.16",
    valid: false,
    code: "SIP_ERR_VERSION",
    wire: basic("OPTIONS sip:t.watson@example.org SIP/7.0"),
  },
  {
    name: "mismatch01",
    source: "RFC 4475 §3.1.2.17",
    valid: false,
    code: "SIP_ERR_CSEQ_MISMATCH",
    wire: basic("OPTIONS sip:user@example.com SIP/2.0").replace("CSeq: 1 OPTIONS", "CSeq: 1 INVITE"),
  },
  {
    name: "mismatch02",
    source: "RFC 4475 §3.1.2.18",
    valid: false,
    code: "SIP_ERR_CSEQ_MISMATCH",
    wire: basic("NEWMETHOD sip:user@example.com SIP/2.0").replace("CSeq: 1 NEWMETHOD", "CSeq: 1 INVITE"),
  },
  {
    name: "bigcode",
    source: "RFC 4475 §3.1.2.19",
    valid: false,
    code: "SIP_ERR_START_LINE",
    wire: basic("SIP/2.0 4294967301 better not break the receiver").replace(
      "CSeq: 1 SIP/2.0",
      "CSeq: 1 INVITE",
    ),
  },
  {
    name: "badbranch",
    source: "RFC 4475 §3.2.1 (parses; not a usable transaction id)",
    valid: true,
    wire: basic("OPTIONS sip:user@example.com SIP/2.0").replace("branch=z9hG4bKkdjuw", "branch=z9hG4bK"),
    meaning: (m) => ({ branch: getTopVia(m)?.branch }),
    expected: { branch: "z9hG4bK" },
  },
  {
    name: "unkscm",
    source: "RFC 4475 §3.3.2 (parses; the UAS answers 416)",
    valid: true,
    wire: basic("OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0"),
    meaning: (m) => ({ uri: parseUri(ruri(m)) }),
    expected: {
      uri: {
        ok: true,
        value: { kind: "other", scheme: "nobodyknowsthisscheme", rest: "totallyopaquecontent" },
      },
    },
  },
  {
    name: "cparam01",
    source: "RFC 4475 §3.3.12",
    valid: true,
    wire: basic("REGISTER sip:example.com SIP/2.0", [
      "Contact: sip:+19725552222@gw1.example.net;unknownparam",
    ]),
    meaning: (m) => ({
      uri: getContacts(m)[0]?.uri,
      headerParam: getContacts(m)[0]?.params.has("unknownparam"),
    }),
    expected: { uri: "sip:+19725552222@gw1.example.net", headerParam: true },
  },
  {
    name: "cparam02",
    source: "RFC 4475 §3.3.13",
    valid: true,
    wire: basic("REGISTER sip:example.com SIP/2.0", [
      "Contact: <sip:+19725552222@gw1.example.net;unknownparam>",
    ]),
    meaning: (m) => ({ uri: getContacts(m)[0]?.uri, headerParams: getContacts(m)[0]?.params.size }),
    expected: { uri: "sip:+19725552222@gw1.example.net;unknownparam", headerParams: 0 },
  },
  {
    name: "inv2543",
    source: "RFC 4475 §3.4.1 (RFC 2543 style: no branch, no Max-Forwards, no Content-Length)",
    valid: true,
    wire: wire(
      [
        "INVITE sip:UserB@example.com SIP/2.0",
        "Via: SIP/2.0/UDP iftgw.example.com",
        "From: <sip:+13035551111@ift.client.example.net;user=phone>",
        "Record-Route: <sip:UserB@example.com;maddr=ss1.example.com>",
        "To: sip:+16505552222@ss1.example.net;user=phone",
        "Call-ID: inv2543.1717@ift.client.example.com",
        "CSeq: 56 INVITE",
        "Content-Type: application/sdp",
      ],
      SDP,
    ),
    meaning: (m) => ({
      branch: getTopVia(m)?.branch,
      fromTag: getFrom(m)?.tag,
      toUserParam: getTo(m)?.params.get("user"),
      body: m.body.byteLength,
    }),
    expected: { branch: undefined, fromTag: undefined, toUserParam: "phone", body: Buffer.byteLength(SDP) },
  },
  {
    name: "ipv6-good",
    source: "RFC 5118 §4.1",
    valid: true,
    wire: basic("REGISTER sip:[2001:db8::10] SIP/2.0", [
      'Contact: "Caller" <sip:caller@[2001:db8::1]>',
    ]).replace("host1.example.com", "[2001:db8::9:1]"),
    meaning: (m) => {
      const u = parseUri(ruri(m));
      return {
        host: u.ok && u.value.kind === "sip" ? u.value.host : null,
        via: getTopVia(m)?.host,
        contact: getContacts(m)[0]?.uri,
      };
    },
    expected: { host: "[2001:db8::10]", via: "[2001:db8::9:1]", contact: "sip:caller@[2001:db8::1]" },
  },
  {
    name: "ipv6-bad",
    source: "RFC 5118 §4.2",
    valid: false,
    code: "SIP_ERR_REQUEST_URI",
    wire: basic("REGISTER sip:2001:db8::10 SIP/2.0"),
  },
  {
    name: "port-ambiguous",
    source: "RFC 5118 §4.3",
    valid: true,
    wire: basic("REGISTER sip:[2001:db8::10:5070] SIP/2.0"),
    meaning: (m) => {
      const u = parseUri(ruri(m));
      return u.ok && u.value.kind === "sip" ? { host: u.value.host, port: u.value.port } : {};
    },
    expected: { host: "[2001:db8::10:5070]", port: undefined },
  },
  {
    name: "port-unambiguous",
    source: "RFC 5118 §4.4",
    valid: true,
    wire: basic("REGISTER sip:[2001:db8::10]:5070 SIP/2.0"),
    meaning: (m) => {
      const u = parseUri(ruri(m));
      return u.ok && u.value.kind === "sip" ? { host: u.value.host, port: u.value.port } : {};
    },
    expected: { host: "[2001:db8::10]", port: 5070 },
  },
  {
    name: "via-received",
    source: "RFC 5118 §4.5, §4.7",
    valid: true,
    wire: basic("BYE sip:[2001:db8::10] SIP/2.0", [
      "Via: SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111;received=[2001:db8::9:255]",
      "Via: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-112;received=2001:db8::9:255",
      "Via: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-113;received=192.0.2.2",
    ]),
    meaning: (m) => ({ received: getVias(m).map((v) => v.received), ports: getVias(m).map((v) => v.port) }),
    expected: {
      received: [undefined, "[2001:db8::9:255]", "2001:db8::9:255", "192.0.2.2"],
      ports: [undefined, 6050, undefined, undefined],
    },
  },
  {
    name: "ipv6-abnf-3-colons",
    source: "RFC 5118 §4.10",
    valid: true,
    wire: basic("OPTIONS sip:user@[2001:db8:::192.0.2.1] SIP/2.0"),
    meaning: (m) => ({ uri: ruri(m) }),
    expected: { uri: "sip:user@[2001:db8:::192.0.2.1]" },
  },
];
