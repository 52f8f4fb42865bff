/**
 * Hookline's users for the registration benchmark, through the REST API (SPEC §3) as
 * bench/gateway/processes.ts provisions them (one account, one domain, password `${user}-secret`),
 * but many credentials at once: ten thousand one after the other would take most of the run.
 */
import type { Gateway } from "../gateway/processes.js";

/** Creates the account, its domain and one credential per user; returns the account's API key. */
export async function provisionMany(
  gw: Gateway,
  domain: string,
  users: string[],
  inFlight = 16,
): Promise<string> {
  const call = async (token: string, p: string, body: unknown) => {
    const res = await fetch(`http://127.0.0.1:${gw.http}${p}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status !== 201) throw new Error(`POST ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const key = String((await call(gw.token, "/v1/accounts", { name: "bench-registrations" })).apiKey);
  await call(key, "/v1/domains", { name: domain });
  let next = 0;
  const worker = async () => {
    while (next < users.length) {
      const username = users[next++]!;
      await call(key, "/v1/credentials", { domain, username, password: `${username}-secret` });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return key;
}
