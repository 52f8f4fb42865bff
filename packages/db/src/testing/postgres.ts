/**
 * For tests and benchmarks only: a throwaway PostgreSQL cluster. `startPostgres()` uses the server
 * named by `HOOKLINE_TEST_POSTGRES_URL` when set; otherwise it runs initdb into a fresh temporary
 * folder (trust auth, fsync off, listening on a free port of 127.0.0.1 and on a unix socket inside
 * that folder), starts it with `pg_ctl start -w`, creates a database and returns its URL. `stop()`
 * stops the server (`pg_ctl stop -m immediate`) and removes the folder.
 *
 * initdb and postgres refuse to run as root: as root, the server binaries run as the `postgres` OS
 * user (the postgresql package creates it), which is given the folder.
 */
import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PostgresCluster {
  /** `postgres://user@127.0.0.1:port/database`: trust auth, no password. */
  url: string;
  /** The cluster's temporary folder (data, socket, log); null for an external server. */
  dir: string | null;
  /** Stops the server and removes its folder; resolves at once for an external server. */
  stop(): Promise<void>;
}

/** PostgreSQL cannot be had here: its binaries are missing, or the server would not start. */
export class PostgresUnavailableError extends Error {
  readonly code = "HOOKLINE_POSTGRES_UNAVAILABLE";
  override readonly name = "PostgresUnavailableError";
}

const DATABASE = "hookline";
const SETUP_HINT = "run npm run setup (it installs the postgresql package)";
/** Bounds on each step; a loaded 2-core machine is slow, a hung one must still fail. */
const INITDB_TIMEOUT_MS = 90_000;
const START_TIMEOUT_S = 45;
const STEP_TIMEOUT_MS = 30_000;

/**
 * Where initdb and pg_ctl are: `HOOKLINE_POSTGRES_BIN`, else the newest Debian
 * `/usr/lib/postgresql/<major>/bin`, else the PATH. Throws {@link PostgresUnavailableError}.
 */
export function postgresBinDir(): string {
  const fromEnv = process.env.HOOKLINE_POSTGRES_BIN;
  if (fromEnv) {
    if (existsSync(join(fromEnv, "initdb"))) return fromEnv;
    throw new PostgresUnavailableError(`HOOKLINE_POSTGRES_BIN=${fromEnv} has no initdb; ${SETUP_HINT}`);
  }
  const debian = "/usr/lib/postgresql";
  const majors = existsSync(debian)
    ? readdirSync(debian)
        .filter((v) => /^\d+$/.test(v) && existsSync(join(debian, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors[0]) return join(debian, majors[0], "bin");
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir && existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"))) return dir;
  }
  throw new PostgresUnavailableError(
    `PostgreSQL's server binaries (initdb, pg_ctl) are in neither ${debian}/*/bin nor the PATH: ${SETUP_HINT}`,
  );
}

export async function startPostgres(): Promise<PostgresCluster> {
  const external = process.env.HOOKLINE_TEST_POSTGRES_URL;
  // The caller's server and database, used as they are (migrations are idempotent, ids are fresh).
  if (external) return { url: external, dir: null, stop: () => Promise.resolve() };

  const bin = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? await postgresUser() : null;
  const dir = mkdtempSync(join(tmpdir(), "hookline-pg-"));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, "data");
  const run = (tool: string, args: string[], timeout: number) =>
    runTool(owner ? ["runuser", "-u", "postgres", "--", join(bin, tool)] : [join(bin, tool)], args, timeout);

  let started = false;
  const stop = async () => {
    process.off("exit", onExit);
    if (started) {
      started = false;
      await run("pg_ctl", ["stop", "-D", data, "-m", "immediate", "-w", "-t", "30"], STEP_TIMEOUT_MS).catch(
        () => killPostmaster(data),
      );
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // A test run that dies without stop() must not leave a server behind.
  const onExit = () => {
    killPostmaster(data);
    rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", onExit);

  try {
    if (owner) {
      // The postgres user must reach the folder through every parent (a TMPDIR under /root would not).
      await runTool(["runuser", "-u", "postgres", "--", "test"], ["-w", dir], STEP_TIMEOUT_MS).catch(
        (err) => {
          throw new PostgresUnavailableError(
            `the postgres OS user cannot write to ${dir}: point TMPDIR at a folder it can reach, e.g. /tmp`,
            { cause: err },
          );
        },
      );
    }
    await run(
      "initdb",
      ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "-N"],
      INITDB_TIMEOUT_MS,
    );
    // A port picked free can be taken before the server binds it: try a few.
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const options = [
        `-p ${port}`,
        "-c listen_addresses=127.0.0.1",
        `-c unix_socket_directories=${dir}`,
        "-c fsync=off",
        "-c full_page_writes=off",
        "-c max_connections=40",
      ].join(" ");
      const log = join(dir, "server.log");
      try {
        const startArgs = [
          "start",
          "-D",
          data,
          "-l",
          log,
          "-w",
          "-t",
          String(START_TIMEOUT_S),
          "-o",
          options,
        ];
        await run("pg_ctl", startArgs, (START_TIMEOUT_S + 15) * 1000);
        started = true;
        break;
      } catch (err) {
        if (attempt >= 3)
          throw new PostgresUnavailableError(`${errorText(err)}\n${tail(log)}`, { cause: err });
      }
    }
    await run(
      "createdb",
      ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", DATABASE],
      STEP_TIMEOUT_MS,
    );
    return { url: `postgres://postgres@127.0.0.1:${port}/${DATABASE}`, dir, stop };
  } catch (err) {
    await stop();
    if (err instanceof PostgresUnavailableError) throw err;
    throw new PostgresUnavailableError(`could not start a throwaway PostgreSQL: ${errorText(err)}`, {
      cause: err,
    });
  }
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  try {
    const uid = Number((await runTool(["id"], ["-u", "postgres"], STEP_TIMEOUT_MS)).trim());
    const gid = Number((await runTool(["id"], ["-g", "postgres"], STEP_TIMEOUT_MS)).trim());
    return { uid, gid };
  } catch (err) {
    throw new PostgresUnavailableError(
      `running as root, PostgreSQL must run as the postgres OS user, and there is none: ${SETUP_HINT}`,
      { cause: err },
    );
  }
}

function runTool(command: string[], args: string[], timeout: number): Promise<string> {
  const [file, ...pre] = command;
  return new Promise((resolve, reject) => {
    execFile(file!, [...pre, ...args], { timeout, killSignal: "SIGKILL" }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${[file, ...pre, ...args].join(" ")}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** SIGQUIT is PostgreSQL's immediate shutdown; the postmaster's pid is postmaster.pid's first line. */
function killPostmaster(data: string): void {
  try {
    const pid = Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
    if (pid > 0) process.kill(pid, "SIGQUIT");
  } catch {
    // Not running.
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-15).join("\n");
  } catch {
    return "";
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
