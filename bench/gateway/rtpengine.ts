/**
 * rtpengine for the full Kamailio peer of the gateway benchmark: Debian's `rtpengine-daemon` in
 * userspace only (`--table=-1`, no kernel module), its ng control protocol on 127.0.0.1, its own
 * RTP port range, started and stopped by the bench; and the few ng commands the bench asks it
 * (`ping`, `statistics`), bencoded over UDP with a cookie, as Kamailio's rtpengine module does.
 */
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { createWriteStream } from "node:fs";
import path from "node:path";

// ─── bencode (the ng protocol's encoding) ────────────────────────────────────

type BValue = number | string | BValue[] | { [key: string]: BValue };

export function bencode(v: BValue): string {
  if (typeof v === "number") return `i${Math.trunc(v)}e`;
  if (typeof v === "string") return `${Buffer.byteLength(v)}:${v}`;
  if (Array.isArray(v)) return `l${v.map(bencode).join("")}e`;
  const keys = Object.keys(v).sort();
  return `d${keys.map((k) => bencode(k) + bencode(v[k]!)).join("")}e`;
}

/** Decodes one bencoded value at `at`; byte strings come back as latin1 strings. */
export function bdecode(buf: Buffer, at = 0): { value: BValue; end: number } {
  const c = String.fromCharCode(buf[at]!);
  if (c === "i") {
    const end = buf.indexOf("e", at);
    return { value: Number(buf.toString("latin1", at + 1, end)), end: end + 1 };
  }
  if (c === "l" || c === "d") {
    const items: BValue[] = [];
    let i = at + 1;
    while (buf[i] !== 0x65 /* e */) {
      if (i >= buf.length) throw new Error("bencode: unterminated list or dictionary");
      const item = bdecode(buf, i);
      items.push(item.value);
      i = item.end;
    }
    if (c === "l") return { value: items, end: i + 1 };
    const dict: Record<string, BValue> = {};
    for (let k = 0; k + 1 < items.length; k += 2) dict[items[k] as string] = items[k + 1]!;
    return { value: dict, end: i + 1 };
  }
  const colon = buf.indexOf(":", at);
  const len = Number(buf.toString("latin1", at, colon));
  if (colon < 0 || !Number.isInteger(len)) throw new Error(`bencode: bad byte string at ${at}`);
  return { value: buf.toString("latin1", colon + 1, colon + 1 + len), end: colon + 1 + len };
}

let cookies = 0;

/** One ng request to 127.0.0.1:`port`, its answer dictionary. */
export async function ng(
  port: number,
  request: Record<string, BValue>,
  timeoutMs = 1000,
): Promise<Record<string, BValue>> {
  const cookie = `bench${process.pid}_${++cookies}`;
  const sock = createSocket("udp4");
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`rtpengine ng ${JSON.stringify(request.command)}: no answer`)),
        timeoutMs,
      );
      sock.on("error", reject);
      sock.on("message", (msg) => {
        const space = msg.indexOf(" ");
        if (msg.toString("latin1", 0, space) !== cookie) return;
        clearTimeout(timer);
        try {
          resolve(bdecode(msg, space + 1).value as Record<string, BValue>);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
      sock.send(Buffer.from(`${cookie} ${bencode(request)}`, "latin1"), port, "127.0.0.1");
    });
  } finally {
    sock.close();
  }
}

export interface RtpengineStats {
  /** Sessions it holds now. */
  current: number;
  /** Sessions it has managed since it started. */
  managed: number;
  /** Of those, ended by a delete (BYE, failed call). */
  deleted: number;
}

export interface Rtpengine {
  readonly pid: number;
  /** Its ng control port on 127.0.0.1, as Kamailio's `rtpengine_sock` (udp:127.0.0.1:PORT). */
  readonly ngPort: number;
  readonly portMin: number;
  readonly portMax: number;
  readonly logFile: string;
  stats(): Promise<RtpengineStats>;
  stop(): Promise<void>;
}

export interface RtpengineOptions {
  ngPort: number;
  portMin: number;
  portMax: number;
  /**
   * Seconds a deleted session is kept (late packets). 0 frees it at the BYE, so that the
   * pre-flight sees it gone; the daemon's own default is 30.
   */
  deleteDelay: number;
  runDir: string;
}

/** Starts rtpengine in the foreground as our child, ready once it answers an ng `ping`. */
export async function startRtpengine(o: RtpengineOptions): Promise<Rtpengine> {
  const logFile = path.join(o.runDir, "rtpengine.log");
  const child = spawn(
    "rtpengine",
    [
      "--config-file=none",
      "--table=-1",
      "--interface=127.0.0.1",
      `--listen-ng=127.0.0.1:${o.ngPort}`,
      `--port-min=${o.portMin}`,
      `--port-max=${o.portMax}`,
      `--delete-delay=${o.deleteDelay}`,
      "--foreground",
      "--log-stderr",
      "--log-level=4",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const log = createWriteStream(logFile);
  child.stderr.pipe(log);
  let ready = false;
  for (let i = 0; i < 50 && !ready; i++) {
    if (child.exitCode !== null) throw new Error(`rtpengine exited (${child.exitCode}), see ${logFile}`);
    ready = await ng(o.ngPort, { command: "ping" }, 200).then(
      (a) => a.result === "pong",
      () => false,
    );
  }
  if (!ready) {
    child.kill("SIGKILL");
    throw new Error(`rtpengine did not answer ng ping on 127.0.0.1:${o.ngPort}, see ${logFile}`);
  }
  return {
    pid: child.pid!,
    ngPort: o.ngPort,
    portMin: o.portMin,
    portMax: o.portMax,
    logFile,
    stats: async () => {
      const a = await ng(o.ngPort, { command: "statistics" });
      const s = a.statistics as Record<string, Record<string, BValue>>;
      const num = (group: string, key: string) => Number(s[group]?.[key] ?? NaN);
      return {
        current: num("currentstatistics", "sessionsown"),
        managed: num("totalstatistics", "managedsessions"),
        deleted: num("totalstatistics", "regularterminatedsessions"),
      };
    },
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("close", resolve));
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
