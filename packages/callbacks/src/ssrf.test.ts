import { describe, expect, it } from "vitest";
import { checkAddress, checkCallbackUrl, parseAllowlist } from "./ssrf.js";

function allow(spec: string) {
  const r = parseAllowlist(spec);
  if (!r.ok) throw new Error(r.error);
  return r.allowlist;
}

describe("checkCallbackUrl", () => {
  it.each([
    "http://127.0.0.1/hook",
    "http://localhost:8080/",
    "http://app.localhost/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data",
    "http://169.254.1.1/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://[::1]/",
    "http://[::]/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[fe80::1]/",
    "http://[ff02::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:8.8.8.8]/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "ftp://example.com/",
    "http://user:pw@example.com/",
    "not a url",
  ])("refuses %s", (url) => {
    const r = checkCallbackUrl(url, {});
    expect(r.ok).toBe(false);
  });

  it("names the reason", () => {
    const r = checkCallbackUrl("http://0x7f000001/", {});
    expect(r).toEqual({ ok: false, reason: expect.stringContaining("127.0.0.1 is loopback") });
    const m = checkCallbackUrl("http://169.254.169.254/", {});
    expect(m).toEqual({ ok: false, reason: expect.stringContaining("metadata") });
  });

  it("accepts public hosts", () => {
    expect(checkCallbackUrl("https://hooks.example.com/x?y=1", {}).ok).toBe(true);
    expect(checkCallbackUrl("http://8.8.8.8:8080/", {}).ok).toBe(true);
    expect(checkCallbackUrl("http://[2606:4700::1111]/", {}).ok).toBe(true);
  });

  it("honours the operator allow-list: hosts, host:port and CIDRs", () => {
    expect(checkCallbackUrl("http://127.0.0.1:9999/", { allowlist: allow("127.0.0.1") })).toMatchObject({
      ok: true,
      allowlisted: true,
    });
    const port = allow("localhost:3000");
    expect(checkCallbackUrl("http://localhost:3000/", { allowlist: port }).ok).toBe(true);
    expect(checkCallbackUrl("http://localhost:3001/", { allowlist: port }).ok).toBe(false);
    const cidr = allow("10.0.0.0/8, [::1]");
    expect(checkCallbackUrl("http://10.9.8.7/", { allowlist: cidr }).ok).toBe(true);
    expect(checkCallbackUrl("http://[::1]:81/", { allowlist: cidr }).ok).toBe(true);
    expect(checkCallbackUrl("http://192.168.0.1/", { allowlist: cidr }).ok).toBe(false);
  });

  it("refuses a local name written with a trailing dot (localhost. and friends)", () => {
    for (const url of [
      "http://localhost./",
      "http://LOCALHOST../x",
      "http://app.localhost./",
      "http://printer.local./",
      "http://intranet./",
      "http://127.0.0.1./",
      "http://./",
    ]) {
      expect({ url, ok: checkCallbackUrl(url, {}).ok }).toEqual({ url, ok: false });
    }
    expect(checkCallbackUrl("http://localhost./", {})).toEqual({
      ok: false,
      reason: 'url host "localhost" is a local name',
    });
    // A public FQDN with its root dot is still a public name.
    expect(checkCallbackUrl("https://hooks.example.com./x", {}).ok).toBe(true);
  });

  it("matches allow-list hosts whichever side has the trailing dot", () => {
    expect(checkCallbackUrl("http://localhost.:3000/", { allowlist: allow("localhost:3000") })).toMatchObject(
      {
        ok: true,
        allowlisted: true,
      },
    );
    expect(checkCallbackUrl("http://localhost:3000/", { allowlist: allow("localhost.:3000") }).ok).toBe(true);
  });

  it("refuses malformed allow-list entries", () => {
    expect(parseAllowlist("10.0.0.0/33").ok).toBe(false);
    expect(parseAllowlist("a/b/c").ok).toBe(false);
    expect(parseAllowlist("").ok).toBe(true);
  });
});

describe("checkAddress", () => {
  it("passes public unicast and refuses special ranges", () => {
    expect(checkAddress("93.184.216.34").ok).toBe(true);
    expect(checkAddress("::ffff:7f00:1").ok).toBe(false);
    expect(checkAddress("64:ff9b::a00:1").ok).toBe(false);
    expect(checkAddress("nonsense").ok).toBe(false);
  });
});
