/**
 * The console's landing page: static HTML plus a little script that calls the REST API with a
 * pasted key. Nothing server-side is interpolated, and the script writes data with textContent
 * only, so tenant data cannot inject markup.
 */
export function consolePage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hookline console</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1d2330; }
  h1 { margin-bottom: 0; } .tag { color: #5b6475; margin-top: .25rem; }
  form { display: flex; gap: .5rem; margin: 1.5rem 0; }
  input { flex: 1; padding: .45rem .6rem; font: inherit; border: 1px solid #b8c0cc; border-radius: 6px; }
  button { padding: .45rem 1rem; font: inherit; border: 0; border-radius: 6px; background: #2454d6; color: #fff; cursor: pointer; }
  table { border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; font-size: 14px; }
  th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e3e7ee; vertical-align: top; }
  th { color: #5b6475; font-weight: 600; } .empty { color: #8a93a3; } .error { color: #b3261e; }
  code { background: #f1f3f7; padding: 0 .25rem; border-radius: 4px; }
</style>
</head>
<body>
<h1>Hookline</h1>
<p class="tag">SIP for the browser era: SIP over WebSocket, UDP and TCP, media anchored in an SFU,
and every signaling event delivered to your application as a signed HTTP callback.</p>
<p>The REST API is described by <a href="/v1/openapi.json"><code>/v1/openapi.json</code></a>.
Paste an account API key to see what it owns; the key stays in this page.</p>
<form id="key-form">
  <input id="key" type="password" placeholder="hk_..." autocomplete="off" aria-label="API key">
  <button type="submit">Show</button>
</form>
<p id="status" role="status"></p>
<div id="out"></div>
<script>
const sections = [
  ["Domains", "/v1/domains", ["name", "applicationUrl", "fallbackUrl", "id"]],
  ["Credentials", "/v1/credentials", ["username", "domain", "id"]],
  ["Registrations", "/v1/registrations", ["aor", "contact", "transport", "expires"]],
  ["Callbacks", "/v1/callbacks", ["url", "events", "filter", "enabled", "id"]],
  ["Calls", "/v1/calls", ["from", "to", "state", "startedAt", "id"]],
];
const el = (tag, text) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; return e; };
const cell = (v) => v === null || v === undefined ? "" : Array.isArray(v) ? v.join(", ") : String(v);
document.getElementById("key-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const key = document.getElementById("key").value.trim();
  const out = document.getElementById("out"), status = document.getElementById("status");
  out.replaceChildren(); status.className = ""; status.textContent = "Loading…";
  try {
    for (const [title, path, cols] of sections) {
      const res = await fetch(path, { headers: { authorization: "Bearer " + key } });
      const body = await res.json();
      if (!res.ok) throw new Error(body.error ? body.error.message : res.statusText);
      out.append(el("h2", title));
      if (body.data.length === 0) { const p = el("p", "None yet."); p.className = "empty"; out.append(p); continue; }
      const table = el("table"), head = el("tr");
      for (const c of cols) head.append(el("th", c));
      table.append(head);
      for (const row of body.data) { const tr = el("tr"); for (const c of cols) tr.append(el("td", cell(row[c]))); table.append(tr); }
      out.append(table);
    }
    status.textContent = "";
  } catch (err) { status.className = "error"; status.textContent = String(err.message || err); }
});
</script>
</body>
</html>
`;
}
