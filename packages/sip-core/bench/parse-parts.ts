/**
 * Where the browser INVITE's parse time goes (not a test): `npx tsx bench/parse-parts.ts`. Every
 * round runs each case for BENCH_MS (default 40) and the median CPU time per call over
 * BENCH_ROUNDS rounds (default 25) is printed; interleaving the cases keeps a machine whose speed
 * drifts (other engineers' runs on the same cores) from favouring one of them. The parsers are
 * timed alone, over the input bytes as the message parser calls them, so their sum is a floor:
 * in the message they also share caches and the allocator with the framing.
 */
import { parseMessage } from "../src/index.js";
import { BROWSER_INVITE } from "../src/conformance/browser-corpus.js";
import { parseAuthValue, parseAuthValueAt } from "../src/headers/auth.js";
import { STRICT_PARSERS } from "../src/headers/typed.js";
import { isPlainSipUriAt } from "../src/uri/uri.js";
import { parseAndTouch, touchSink } from "./parse-touch.js";

const ms = Number(process.env.BENCH_MS ?? 40);
const rounds = Number(process.env.BENCH_ROUNDS ?? 25);
const bytes = Buffer.from(BROWSER_INVITE, "utf8");
const CRLFCRLF = Buffer.from("\r\n\r\n", "latin1");
const headEnd = bytes.indexOf(CRLFCRLF);
const head = bytes.toString("latin1", 0, headEnd);
let sink = 0;

const framed = parseMessage(bytes, { strict: false });
if (!framed.ok) throw new Error("fixture");
const cases: Array<[string, () => void]> = [];
cases.push(["framing + header split (strict: false)", () => frame()]);
cases.push(["parse, strict (typed values of checked headers)", () => strictParse()]);
cases.push(["full parse (parse-touch.ts, incl. credentials)", () => parseAndTouch(bytes)]);
cases.push(["  find CRLFCRLF (Buffer#indexOf)", () => void (sink += bytes.indexOf(CRLFCRLF))]);
cases.push([
  "  decode the header section (utf8)",
  () => void (sink += bytes.toString("utf8", 0, headEnd).length),
]);
cases.push([
  "  body view (new Uint8Array)",
  () => void (sink += new Uint8Array(bytes.buffer, bytes.byteOffset + headEnd + 4, 1000).length),
]);
const uriOff = head.indexOf(" ") + 1;
const uri = head.slice(uriOff, head.indexOf(" ", uriOff));
cases.push(["  Request-URI check", () => void (sink += isPlainSipUriAt(uri, bytes, uriOff) ? 1 : 0)]);
for (const h of framed.message.headers) {
  const off = head.indexOf(h.value);
  const p =
    h.key === "proxy-authorization"
      ? (v: string, b: Uint8Array, o: number) => parseAuthValueAt(v, b, o, "proxy-authorization")
      : STRICT_PARSERS.get(h.key);
  if (p === undefined || off < 0) continue;
  cases.push([
    `  ${h.name} (${h.value.length} chars)`,
    () => void (sink += p(h.value, bytes, off).ok ? 1 : 0),
  ]);
}

const credentials = framed.message.headers.find((h) => h.key === "proxy-authorization")?.value ?? "";
cases.push([
  "  Proxy-Authorization from a string (parseAuthValue)",
  () => void (sink += parseAuthValue(credentials, "proxy-authorization").ok ? 1 : 0),
]);

function frame(): void {
  const r = parseMessage(bytes, { strict: false });
  if (r.ok) sink += r.message.headers.length;
}
function strictParse(): void {
  const r = parseMessage(bytes);
  if (r.ok) sink += r.message.headers.length;
}

for (const [, fn] of cases) for (let i = 0; i < 5000; i++) fn();
const results = cases.map((): number[] => []);
for (let r = 0; r < rounds; r++) {
  cases.forEach(([, fn], k) => {
    let n = 0;
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const limit = BigInt(ms) * 1_000_000n;
    while (process.hrtime.bigint() - t0 < limit) {
      for (let i = 0; i < 100; i++) fn();
      n += 100;
    }
    const cpu = process.cpuUsage(cpu0);
    (results[k] as number[]).push(((cpu.user + cpu.system) * 1000) / n);
  });
}
console.log(
  `browser INVITE, ${bytes.length} bytes: median CPU ns per call, ${rounds} interleaved rounds of ${ms} ms`,
);
cases.forEach(([name], k) => {
  const s = (results[k] as number[]).sort((a, b) => a - b);
  console.log(
    `${name.padEnd(52)}${Math.round(s[s.length >> 1] as number)
      .toString()
      .padStart(7)} ns`,
  );
});
if (sink + touchSink() === 42) console.log("");
