/**
 * The full Kamailio peer of the gateway benchmark, the like-for-like of a Hookline call: Kamailio
 * with bench/gateway/kamailio-peer.cfg (digest auth of every INVITE against a SQLite subscriber
 * table, stateful relay with Record-Route, SIP traced to files) and rtpengine anchoring the media
 * (bench/gateway/rtpengine.ts), both children of the bench, all their files in one run folder.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { HERE, processTree, startKamailio, tmp } from "./processes.js";
import { startRtpengine, type Rtpengine } from "./rtpengine.js";

/**
 * Kamailio's subscriber table (schema version 7, as `kamdbctl` creates it for 5.6) with one row
 * per user, password `${user}-secret` as in the Hookline run, stored as HA1 = MD5(user:realm:pw)
 * with the domain as realm (RFC 2617 §3.2.2.2), as Hookline stores its credentials.
 */
export function writeSubscribers(file: string, domain: string, users: string[]): void {
  const db = new Database(file);
  try {
    db.exec(`
      CREATE TABLE version (table_name VARCHAR(32) NOT NULL, table_version INTEGER DEFAULT 0 NOT NULL);
      INSERT INTO version (table_name, table_version) VALUES ('subscriber', 7);
      CREATE TABLE subscriber (
        id INTEGER PRIMARY KEY NOT NULL,
        username VARCHAR(64) DEFAULT '' NOT NULL,
        domain VARCHAR(64) DEFAULT '' NOT NULL,
        password VARCHAR(64) DEFAULT '' NOT NULL,
        ha1 VARCHAR(128) DEFAULT '' NOT NULL,
        ha1b VARCHAR(128) DEFAULT '' NOT NULL,
        CONSTRAINT subscriber_account_idx UNIQUE (username, domain)
      );
      CREATE INDEX subscriber_username_idx ON subscriber (username);`);
    const insert = db.prepare("INSERT INTO subscriber (username, domain, ha1) VALUES (?, ?, ?)");
    for (const user of users) {
      const ha1 = createHash("md5").update(`${user}:${domain}:${user}-secret`).digest("hex");
      insert.run(user, domain, ha1);
    }
  } finally {
    db.close();
  }
}

export interface Peer {
  readonly kamailioPid: number;
  readonly rtpengine: Rtpengine;
  readonly runDir: string;
  /** Where siptrace's db_flatstore appends one line per SIP message. */
  readonly traceDir: string;
  readonly logFile: string;
  /** Kamailio's process tree and rtpengine: the CPU and memory counted for the peer. */
  pids(): number[];
  /** SIP messages traced so far (lines in the trace files). */
  tracedMessages(): number;
  stop(): Promise<void>;
}

export interface PeerOptions {
  port: number;
  uasPort: number;
  children: number;
  domain: string;
  users: string[];
  ngPort: number;
  rtpMin: number;
  rtpMax: number;
  deleteDelay: number;
}

export async function startPeer(o: PeerOptions): Promise<Peer> {
  const runDir = tmp("hookline-bench-peer-");
  const dbFile = path.join(runDir, "subscriber.db");
  const traceDir = path.join(runDir, "trace");
  mkdirSync(traceDir);
  writeSubscribers(dbFile, o.domain, o.users);
  const rtpengine = await startRtpengine({
    ngPort: o.ngPort,
    portMin: o.rtpMin,
    portMax: o.rtpMax,
    deleteDelay: o.deleteDelay,
    runDir,
  });
  const kam = await startKamailio(o.port, o.uasPort, o.children, {
    cfg: path.join(HERE, "kamailio-peer.cfg"),
    runDir,
    defines: {
      DB_URL: `sqlite://${dbFile}`,
      TRACE_URL: `flatstore:${traceDir}`,
      RTPENGINE_SOCK: `udp:127.0.0.1:${o.ngPort}`,
    },
  }).catch(async (err: unknown) => {
    await rtpengine.stop();
    throw err;
  });
  return {
    kamailioPid: kam.pid,
    rtpengine,
    runDir,
    traceDir,
    logFile: kam.logFile,
    pids: () => [...processTree(kam.pid), rtpengine.pid],
    tracedMessages: () =>
      readdirSync(traceDir).reduce(
        (n, f) => n + readFileSync(path.join(traceDir, f), "latin1").split("\n").filter(Boolean).length,
        0,
      ),
    stop: async () => {
      await kam.stop();
      await rtpengine.stop();
    },
  };
}
