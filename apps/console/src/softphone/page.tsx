/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The softphone page (SPEC §1 web console): sip.js in the browser with the microphone from
 * getUserMedia, registering over WebSocket (RFC 7118) to the gateway. Server-rendered in the
 * console's layout; ./client.ts is its one script. Signed in, it offers the account's SIP users to
 * pick from (their passwords are stored only as digests, so the password is still typed).
 */
import { Layout, type WebUser } from "../web/layout.js";
import { CLIENT_SCRIPT } from "./client.js";

/** A SIP user of the signed-in account, `username@domain`. */
export interface SoftphoneCredential {
  username: string;
  domain: string;
}

const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];

/** The page's own rules, on top of /console.css: a two-column phone that folds at phone width. */
const CSS = `
.phone{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:1rem;align-items:start}
.phone .card{margin:0}
.phone h2{margin-top:0}
.phone form.stack{max-width:none}
.state{display:block;font-size:1.1rem;font-weight:600;padding:.5rem .75rem;border-radius:6px;background:#f1f3f7;margin:.25rem 0 .75rem}
.state[data-state=registered],.state[data-state=answered]{background:#e3f4e8;color:#14532d}
.state[data-state=failed]{background:#fbe9e7;color:#8c1d18}
.state[data-state=ringing],.state[data-state=incoming],.state[data-state=calling]{background:#fff4d6;color:#5c3c00}
[data-ringing="1"] #call-status{animation:pulse 1s ease-in-out infinite alternate}
@keyframes pulse{to{background:#ffd866}}
@media (prefers-reduced-motion:reduce){[data-ringing="1"] #call-status{animation:none;outline:3px solid #5c3c00}}
button:disabled,button.secondary:disabled,button.danger:disabled{background:#c9ced8;color:#3b4250;cursor:not-allowed}
button.secondary{background:#4a5263}
#keypad{display:grid;grid-template-columns:repeat(3,minmax(3rem,4.5rem));gap:.4rem;margin:.75rem 0}
#keypad button{font-size:1.1rem;padding:.5rem 0}
details{margin:1rem 0}
#log{background:#f1f3f7;max-height:12rem;overflow:auto;padding:.5rem;font-size:12px;white-space:pre-wrap}
.mono{font-family:ui-monospace,monospace}
`;

export function SoftphonePage(props: {
  wsPort: number;
  user?: WebUser | undefined;
  credentials?: SoftphoneCredential[] | undefined;
}) {
  const creds = props.credentials ?? [];
  return (
    <Layout title="Softphone" user={props.user} current="/softphone">
      <style dangerouslySetInnerHTML={{ __html: CSS }} />
      <p>
        Register as one of your SIP users, then call another user of the same domain (just its name, such as{" "}
        <code>bob</code>, or a full <code>sip:</code> address). The browser asks for the microphone when a
        call starts.
      </p>
      <p id="problem" class="notice error" role="alert" hidden></p>
      <div
        id="phone"
        class="phone"
        data-ws-port={String(props.wsPort)}
        data-reg="unregistered"
        data-call="idle"
      >
        <section class="card" aria-labelledby="reg-h">
          <h2 id="reg-h">Registration</h2>
          <output id="reg-status" class="state" data-state="unregistered" aria-live="polite">
            Not registered
          </output>
          <form id="register-form" class="stack">
            {props.user &&
              (creds.length > 0 ? (
                <label for="credential">
                  Your SIP users
                  <select id="credential">
                    <option value="">Type a user below, or pick one</option>
                    {creds.map((c) => (
                      <option value={`${c.username}@${c.domain}`}>{`${c.username}@${c.domain}`}</option>
                    ))}
                  </select>
                </label>
              ) : (
                <p class="empty">
                  Your account has no SIP users yet: <a href="/credentials">create one</a>, or type another
                  below.
                </p>
              ))}
            <label for="user">
              User
              <input id="user" autocomplete="username" placeholder="alice" />
            </label>
            <label for="domain">
              Domain
              <input id="domain" placeholder="acme.sip.example" />
            </label>
            <label for="password">
              Password
              <span class="hint" id="password-hint">
                The SIP user's password (Hookline keeps only its digest, so it cannot fill this in).
              </span>
              <input
                id="password"
                type="password"
                autocomplete="current-password"
                aria-describedby="password-hint"
              />
            </label>
            <label for="ws">
              Gateway
              <input id="ws" class="mono" />
            </label>
            <div class="actions">
              <button id="register" type="submit">
                Register
              </button>
              <button id="unregister" type="button" class="secondary" disabled>
                Unregister
              </button>
            </div>
          </form>
        </section>
        <section class="card" aria-labelledby="call-h">
          <h2 id="call-h">Call</h2>
          <output id="call-status" class="state" data-state="idle" aria-live="polite">
            No call
          </output>
          <form id="call-form" class="stack">
            <label for="target">
              Call
              <input id="target" placeholder="bob or sip:bob@acme.sip.example" />
            </label>
            <div class="actions">
              <button id="call" type="submit" disabled>
                Call
              </button>
              <button id="hangup" type="button" class="danger" disabled>
                Hang up
              </button>
            </div>
          </form>
          <div class="actions" role="group" aria-label="Call controls">
            <button id="answer" type="button" disabled>
              Answer
            </button>
            <button id="decline" type="button" class="danger" disabled>
              Decline
            </button>
            <button id="mute" type="button" class="secondary" aria-pressed="false" disabled>
              Mute
            </button>
            <button id="hold" type="button" class="secondary" aria-pressed="false" disabled>
              Hold
            </button>
          </div>
          <div id="keypad" role="group" aria-label="Keypad (sends DTMF)">
            {KEYS.map((k) => (
              <button type="button" class="secondary" data-tone={k} aria-label={`Key ${k}`} disabled>
                {k}
              </button>
            ))}
          </div>
          <p class="hint">
            Sent: <span id="dtmf-sent" class="mono"></span> · Received:{" "}
            <span id="dtmf-received" class="mono"></span>
          </p>
          <p id="stats" class="hint" aria-live="off"></p>
          <audio id="remote" autoplay></audio>
        </section>
      </div>
      <h2 id="calls-h">Calls from this page</h2>
      <p id="calls-empty" class="empty">
        No calls yet. They are listed here until the page is reloaded; every call is also in{" "}
        {props.user ? <a href="/calls">Calls</a> : "the console's Calls page"}.
      </p>
      <div id="calls-table" class="table-wrap" hidden tabindex={0} role="region" aria-labelledby="calls-h">
        <table>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Direction</th>
              <th scope="col">Peer</th>
              <th scope="col">Result</th>
              <th scope="col">Duration</th>
            </tr>
          </thead>
          <tbody id="calls"></tbody>
        </table>
      </div>
      <details>
        <summary>SIP log</summary>
        <pre id="log" tabindex={0} aria-label="SIP log"></pre>
      </details>
      <script
        type="importmap"
        dangerouslySetInnerHTML={{ __html: '{"imports": {"sip.js": "/vendor/sip.js/index.js"}}' }}
      />
      <script type="module" dangerouslySetInnerHTML={{ __html: CLIENT_SCRIPT }} />
    </Layout>
  );
}
