/**
 * Throwaway certificates for TLS tests (a copy of apps/gateway/src/transport/tls-test-support.ts):
 * a CA made by /usr/bin/openssl in a temp folder, and server certificates it signs for the names
 * asked. No key here is of any value.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export interface TestCa {
  /** The CA certificate (PEM) and its file. */
  readonly ca: string;
  readonly caFile: string;
  /** A server certificate and key for `names` (DNS names or IP addresses), signed by this CA. */
  issue(names: string[]): { cert: string; key: string; certFile: string; keyFile: string };
  remove(): void;
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

export function createTestCa(): TestCa {
  const dir = mkdtempSync(path.join(tmpdir(), "hookline-tls-"));
  const file = (name: string) => path.join(dir, name);
  const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  openssl([
    "req", "-x509", ...EC, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
    "-subj", "/CN=Hookline Test CA",
    "-addext", "basicConstraints=critical,CA:TRUE",
    "-addext", "keyUsage=critical,keyCertSign,cRLSign",
  ]); // prettier-ignore
  let serial = 0;
  return {
    ca: readFileSync(file("ca.pem"), "utf8"),
    caFile: file("ca.pem"),
    issue(names) {
      const n = ++serial;
      const san = names.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(",");
      writeFileSync(file(`ext${n}.cnf`), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
      openssl(["req", ...EC, "-keyout", `srv${n}.key`, "-out", `srv${n}.csr`, "-subj", `/CN=${names[0]}`]);
      openssl([
        "x509", "-req", "-in", `srv${n}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key",
        "-set_serial", String(1000 + n), "-days", "2", "-out", `srv${n}.pem`, "-extfile", `ext${n}.cnf`,
      ]); // prettier-ignore
      const certFile = file(`srv${n}.pem`);
      const keyFile = file(`srv${n}.key`);
      return { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8"), certFile, keyFile };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
