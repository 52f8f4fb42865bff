/**
 * The softphone page: sip.js (`Web.SessionManager`) in the browser with the microphone from
 * getUserMedia, registering over WebSocket to the gateway. Usable by a person (fields, buttons,
 * a log) and by tests through `window.phone`.
 */
const SCRIPT = String.raw`
import { Web } from "sip.js";

const $ = (id) => document.getElementById(id);
const logEl = $("log");
function log(...parts) {
  const line = new Date().toISOString().slice(11, 23) + " " + parts.join(" ");
  logEl.textContent += line + "\n";
  logEl.scrollTop = logEl.scrollHeight;
}

let manager;
let current;
let incoming;
const state = { registered: false, incoming: false, established: false, ended: 0, lastError: "" };
function show() {
  $("status").textContent = state.established ? "in call" : incoming ? "ringing (incoming)" : current ? "calling" : state.registered ? "registered" : "not registered";
}

window.phone = {
  async register(wsUrl, user, domain, password) {
    if (manager) await manager.disconnect().catch(() => {});
    manager = new Web.SessionManager(wsUrl, {
      aor: "sip:" + user + "@" + domain,
      media: { constraints: { audio: true, video: false }, remote: { audio: $("remote") } },
      userAgentOptions: {
        authorizationUsername: user,
        authorizationPassword: password,
        logLevel: "warn",
        // No STUN: the gateway is ICE-lite and reachable directly.
        sessionDescriptionHandlerFactoryOptions: { peerConnectionConfiguration: { iceServers: [] }, iceGatheringTimeout: 2000 },
      },
      delegate: {
        onRegistered: () => { state.registered = true; log("registered as", user + "@" + domain); show(); },
        onUnregistered: () => { state.registered = false; log("unregistered"); show(); },
        onServerDisconnect: (e) => { state.registered = false; log("disconnected", e ? e.message : ""); show(); },
        onCallReceived: (session) => { incoming = session; state.incoming = true; log("incoming call from", session.remoteIdentity.uri.toString()); show(); },
        onCallAnswered: (session) => { current = session; state.established = true; state.incoming = false; log("call established"); show(); },
        onCallHangup: () => { current = undefined; incoming = undefined; state.established = false; state.incoming = false; state.ended++; log("call ended"); show(); },
      },
    });
    await manager.connect();
    await manager.register();
  },
  async call(target) {
    current = await manager.call(target);
    log("calling", target);
    show();
  },
  async answer() {
    if (!incoming) throw new Error("no incoming call");
    current = incoming;
    incoming = undefined;
    await manager.answer(current);
  },
  async hangup() {
    const s = current || incoming;
    if (s) await manager.hangup(s);
  },
  state() {
    return { ...state };
  },
  /** What the browser's RTCPeerConnection sees: inbound/outbound audio and the selected remote candidate. */
  async stats() {
    const pc = current && current.sessionDescriptionHandler && current.sessionDescriptionHandler.peerConnection;
    if (!pc) return null;
    const report = await pc.getStats();
    let inbound, outbound, transport;
    report.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "audio") inbound = s;
      if (s.type === "outbound-rtp" && s.kind === "audio") outbound = s;
      if (s.type === "transport") transport = s;
    });
    const pair = transport && report.get(transport.selectedCandidatePairId);
    const remote = pair && report.get(pair.remoteCandidateId);
    const codec = inbound && report.get(inbound.codecId);
    return {
      packetsReceived: inbound ? inbound.packetsReceived : 0,
      audioLevel: inbound ? inbound.audioLevel || 0 : 0,
      totalAudioEnergy: inbound ? inbound.totalAudioEnergy || 0 : 0,
      packetsSent: outbound ? outbound.packetsSent : 0,
      codec: codec ? codec.mimeType : null,
      remoteCandidate: remote ? { address: remote.address || remote.ip, port: remote.port } : null,
      connectionState: pc.connectionState,
    };
  },
};

$("register").onclick = () => window.phone.register($("ws").value, $("user").value, $("domain").value, $("password").value).catch((e) => log("register failed:", e.message));
$("call").onclick = () => window.phone.call($("target").value).catch((e) => log("call failed:", e.message));
$("answer").onclick = () => window.phone.answer().catch((e) => log("answer failed:", e.message));
$("hangup").onclick = () => window.phone.hangup().catch((e) => log("hangup failed:", e.message));
setInterval(async () => {
  const s = await window.phone.stats().catch(() => null);
  $("stats").textContent = s ? "received " + s.packetsReceived + " packets (" + s.codec + "), level " + s.audioLevel.toFixed(3) + ", sent " + s.packetsSent + ", via " + (s.remoteCandidate ? s.remoteCandidate.address + ":" + s.remoteCandidate.port : "-") : "";
}, 1000);
$("ws").value = "ws://" + location.hostname + ":" + document.body.dataset.wsPort;
show();
`;

/** The page; `wsPort` is the gateway's SIP-over-WebSocket port, the Gateway field's default. */
export function softphonePage(wsPort = 5066): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Hookline softphone</title>
<script type="importmap">{"imports": {"sip.js": "/vendor/sip.js/index.js"}}</script>
<style>
  body { font: 14px system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; }
  label { display: inline-block; min-width: 7rem; }
  input { width: 20rem; margin: 0.15rem 0; }
  button { margin: 0.5rem 0.5rem 0.5rem 0; }
  pre { background: #f4f4f4; height: 14rem; overflow: auto; padding: 0.5rem; }
</style>
</head>
<body data-ws-port="${wsPort}">
<h1>Hookline softphone</h1>
<p>Register two of these pages (two users of one domain), then call the other user.</p>
<div><label for="ws">Gateway</label><input id="ws"></div>
<div><label for="user">User</label><input id="user" placeholder="alice"></div>
<div><label for="domain">Domain</label><input id="domain" placeholder="acme.sip.example"></div>
<div><label for="password">Password</label><input id="password" type="password"></div>
<button id="register">Register</button>
<div><label for="target">Call</label><input id="target" placeholder="sip:bob@acme.sip.example"></div>
<button id="call">Call</button><button id="answer">Answer</button><button id="hangup">Hang up</button>
<p>Status: <strong id="status"></strong> <span id="stats"></span></p>
<audio id="remote" autoplay></audio>
<pre id="log"></pre>
<script type="module">${SCRIPT}</script>
</body>
</html>`;
}
