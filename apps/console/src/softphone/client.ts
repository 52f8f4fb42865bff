/**
 * The softphone's one client script (a module, sip.js through the page's import map). It keeps one
 * registration and at most one call, shows their states as the SIP responses say (RFC 3261 §21:
 * the status and reason of a failure, 180/183 as ringing) and enables only the buttons that make
 * sense in that state. Tests drive it through `window.phone` and read the `data-state` attributes.
 */
export const CLIENT_SCRIPT = String.raw`
import { Web } from "sip.js";

const $ = (id) => document.getElementById(id);
const root = $("phone");
function log(...parts) {
  const el = $("log");
  el.textContent += new Date().toISOString().slice(11, 23) + " " + parts.join(" ") + "\n";
  el.scrollTop = el.scrollHeight;
}
const statusText = (r) => r.message.statusCode + " " + r.message.reasonPhrase;
const bare = (uri) => String(uri).replace(/^sips?:/, "");

/** Why getUserMedia failed, in words a person can act on. */
function micProblem(e) {
  const name = e && e.name;
  if (!navigator.mediaDevices) return "This page is not a secure context, so the browser offers no microphone: open the console over https:// or on localhost.";
  if (name === "NotAllowedError" || name === "SecurityError") return "The browser was refused the microphone. Allow it for this site (the icon left of the address) and try again.";
  if (name === "NotFoundError" || name === "OverconstrainedError") return "No microphone was found. Plug one in, or pick another input in your system settings, then try again.";
  if (name === "NotReadableError" || name === "AbortError") return "The microphone is in use by another application or could not be started. Close that application and try again.";
  return null;
}

// One registration, one call: their states are the page's truth (and window.phone.state()'s).
const st = { reg: "unregistered", regDetail: "", call: "idle", callDetail: "", held: false, muted: false, ended: 0, dtmfReceived: "", lastError: "" };
let manager;
let session;
let entry; // this call's log entry: { direction, peer, startedAt, answeredAt, result }
const calls = [];
const IDLE = ["idle", "ended", "failed"];

const REG_TEXT = { unregistered: "Not registered", registering: "Registering…", registered: "Registered", failed: "Registration failed" };
const CALL_TEXT = { idle: "No call", calling: "Calling…", ringing: "Ringing", incoming: "Incoming call", answered: "In call", ended: "Call ended", failed: "Call failed" };

function render() {
  const inCall = st.call === "answered";
  const idle = IDLE.includes(st.call);
  root.dataset.reg = st.reg;
  root.dataset.call = st.call;
  $("reg-status").dataset.state = st.reg;
  $("reg-status").textContent = REG_TEXT[st.reg] + (st.regDetail ? ": " + st.regDetail : "");
  $("call-status").dataset.state = st.call;
  $("call-status").textContent = CALL_TEXT[st.call] + (st.held ? " (on hold)" : "") + (st.muted ? " (muted)" : "") + (st.callDetail ? ": " + st.callDetail : "");
  $("register").disabled = st.reg === "registering";
  $("unregister").disabled = st.reg !== "registered" || !idle;
  $("call").disabled = st.reg !== "registered" || !idle;
  $("hangup").disabled = !["calling", "ringing", "answered"].includes(st.call);
  $("answer").disabled = $("decline").disabled = st.call !== "incoming";
  $("mute").disabled = $("hold").disabled = !inCall;
  $("mute").setAttribute("aria-pressed", String(st.muted));
  $("mute").textContent = st.muted ? "Unmute" : "Mute";
  $("hold").setAttribute("aria-pressed", String(st.held));
  $("hold").textContent = st.held ? "Resume" : "Hold";
  for (const key of document.querySelectorAll("#keypad button")) key.disabled = !inCall;
  ring(st.call === "incoming");
}
function setReg(reg, detail = "") { st.reg = reg; st.regDetail = detail; render(); }
function setCall(call, detail = "") { st.call = call; st.callDetail = detail; render(); }
function problem(text) {
  st.lastError = text;
  $("problem").textContent = text;
  $("problem").hidden = !text;
}

// The incoming-call ring: the banner pulses (CSS) and WebAudio plays the North American ring
// cadence (440 + 480 Hz, 2 s on, 4 s off) until the call is answered, declined or gone.
let ringer;
function ring(on) {
  if (on && !ringer) {
    try {
      const ctx = new AudioContext();
      const gain = ctx.createGain();
      gain.gain.value = 0;
      gain.connect(ctx.destination);
      for (const f of [440, 480]) { const o = ctx.createOscillator(); o.frequency.value = f; o.connect(gain); o.start(); }
      const burst = () => { const t = ctx.currentTime; gain.gain.setValueAtTime(0.08, t); gain.gain.setValueAtTime(0, t + 2); };
      burst();
      ringer = { ctx, timer: setInterval(burst, 6000) };
    } catch (e) { ringer = { ctx: null, timer: 0 }; }
  } else if (!on && ringer) {
    clearInterval(ringer.timer);
    if (ringer.ctx) ringer.ctx.close().catch(() => {});
    ringer = undefined;
  }
  root.dataset.ringing = on ? "1" : "0";
}

function mmss(ms) { const s = Math.round(ms / 1000); return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0"); }
function logCall(result) {
  if (!entry || entry.result) return;
  entry.result = result;
  const e = entry;
  const row = $("calls").insertRow(0);
  row.dataset.direction = e.direction;
  row.dataset.result = result;
  const cells = [new Date(e.startedAt).toLocaleTimeString(), e.direction === "out" ? "Outgoing" : "Incoming", e.peer, result, e.answeredAt ? mmss(Date.now() - e.answeredAt) : "—"];
  for (const text of cells) row.insertCell().textContent = text;
  calls.push({ direction: e.direction, peer: e.peer, result, answered: Boolean(e.answeredAt) });
  $("calls-empty").hidden = true;
  $("calls-table").hidden = false;
}

/** The end of a call, however it came: the one place a call leaves the page. */
function finished(s) {
  if (s !== session) return;
  session = undefined;
  st.held = st.muted = false;
  // sip.js ends an outgoing session before it hands over the final response (onReject): let that
  // land first, so a refused call is logged with its status rather than as cancelled.
  setTimeout(concluded, 0);
}
function concluded() {
  st.ended++;
  if (st.call === "failed") return render();
  const why = st.call === "answered" ? "ended" : entry && entry.direction === "in" ? (st.call === "incoming" ? "missed" : "declined") : "cancelled";
  logCall(why === "ended" ? "ended" : why);
  setCall("ended", why === "ended" ? "" : why);
  log("call ended");
}

window.phone = {
  async register(wsUrl, user, domain, password) {
    problem("");
    if (manager) await manager.disconnect().catch(() => {});
    setReg("registering");
    // Resolves once the registrar accepts (sip.js's register() only sends the REGISTER), so a
    // caller of register() can call at once; rejects on a refusal.
    let outcome;
    const accepted = new Promise((resolve, reject) => (outcome = { resolve, reject }));
    const m = (manager = new Web.SessionManager(wsUrl, {
      aor: "sip:" + user + "@" + domain,
      media: { constraints: { audio: true, video: false }, remote: { audio: $("remote") } },
      registererRegisterOptions: {
        requestDelegate: {
          // The registrar's final refusal (after sip.js answered its digest challenge once).
          onReject: (r) => {
            setReg("failed", statusText(r));
            log("register refused:", statusText(r));
            if (manager === m) manager = undefined;
            m.disconnect().catch(() => {});
            outcome.reject(new Error("refused: " + statusText(r)));
          },
        },
      },
      userAgentOptions: {
        authorizationUsername: user,
        authorizationPassword: password,
        logLevel: "warn",
        // No STUN: the gateway is ICE-lite and reachable directly.
        sessionDescriptionHandlerFactoryOptions: { peerConnectionConfiguration: { iceServers: [] }, iceGatheringTimeout: 2000 },
      },
      delegate: {
        onRegistered: () => { setReg("registered", user + "@" + domain); log("registered as", user + "@" + domain); outcome.resolve(); },
        onUnregistered: () => { if (st.reg !== "failed") setReg("unregistered"); log("unregistered"); },
        onServerDisconnect: (e) => { if (manager === m) setReg("failed", "lost the connection to the gateway"); log("disconnected", e ? e.message : ""); outcome.reject(new Error("lost the connection to the gateway")); },
        onCallReceived: (s) => {
          // One call at a time: a second caller hears busy (RFC 3261 §21.4.24).
          if (session) { s.reject({ statusCode: 486 }).catch(() => {}); return; }
          session = s;
          entry = { direction: "in", peer: bare(s.remoteIdentity.uri), startedAt: Date.now() };
          s.stateChange.addListener((state) => { if (state === "Terminated") finished(s); });
          log("incoming call from", entry.peer);
          setCall("incoming", entry.peer);
        },
        onCallAnswered: (s) => {
          if (s !== session) return;
          entry.answeredAt = Date.now();
          log("call established");
          setCall("answered", entry.peer);
        },
        onCallHold: (s, held) => { st.held = held; log(held ? "on hold" : "resumed"); render(); },
        onCallDTMFReceived: (s, tone) => { st.dtmfReceived += tone; $("dtmf-received").textContent = st.dtmfReceived; log("DTMF received:", tone); },
      },
    }));
    try {
      await m.connect();
      await m.register();
    } catch (e) {
      if (manager === m) manager = undefined;
      setReg("failed", "cannot reach the gateway at " + wsUrl);
      throw e;
    }
    await accepted;
  },
  async unregister() {
    const m = manager;
    manager = undefined;
    if (m) await m.unregister().catch(() => {});
    if (m) await m.disconnect().catch(() => {});
    setReg("unregistered");
  },
  async call(target) {
    problem("");
    if (!manager || st.reg !== "registered") throw new Error("not registered");
    if (!IDLE.includes(st.call)) throw new Error("already in a call");
    const domain = st.regDetail.split("@")[1];
    const uri = /^sips?:/.test(target) ? target : "sip:" + (target.includes("@") ? target : target + "@" + domain);
    entry = { direction: "out", peer: bare(uri), startedAt: Date.now() };
    setCall("calling", entry.peer);
    log("calling", uri);
    const delegate = {
      onProgress: (r) => {
        const code = r.message.statusCode;
        if (code === 180 || code === 183) { if (st.call === "calling") log("ringing:", statusText(r)); setCall("ringing", statusText(r)); }
      },
      onReject: (r) => {
        log("call failed:", statusText(r));
        logCall(statusText(r));
        setCall("failed", statusText(r));
      },
    };
    try {
      const s = await manager.call(uri, undefined, { requestDelegate: delegate });
      session = s;
      s.stateChange.addListener((state) => { if (state === "Terminated") finished(s); });
      if (s.state === "Terminated") finished(s);
    } catch (e) {
      const why = micProblem(e) || e.message;
      problem(why);
      logCall("not placed");
      setCall("failed", why);
      throw e;
    }
  },
  async answer() {
    if (st.call !== "incoming" || !session) throw new Error("no incoming call");
    problem("");
    try {
      await manager.answer(session);
    } catch (e) {
      const why = micProblem(e);
      if (why) problem(why);
      throw e;
    }
  },
  /** Refuses the ringing call with 486 Busy Here (RFC 3261 §21.4.24). */
  async decline() {
    if (st.call !== "incoming" || !session) throw new Error("no incoming call");
    const s = session;
    logCall("declined");
    setCall("ended", "declined");
    await s.reject({ statusCode: 486 });
  },
  async hangup() {
    if (session) await manager.hangup(session);
  },
  mute(on = !st.muted) {
    if (!session || st.call !== "answered") return;
    if (on) manager.mute(session); else manager.unmute(session);
    st.muted = manager.isMuted(session);
    log(st.muted ? "muted" : "unmuted");
    render();
  },
  /** A re-INVITE with a=sendonly (hold) or a=sendrecv (resume), RFC 3264 §8.4. */
  async hold(on = !st.held) {
    if (!session || st.call !== "answered") return;
    await (on ? manager.hold(session) : manager.unhold(session));
  },
  /** A SIP INFO with application/dtmf-relay, as sip.js sends it. */
  async dtmf(tone) {
    if (!session || st.call !== "answered") throw new Error("not in a call");
    $("dtmf-sent").textContent += tone;
    log("DTMF sent:", tone);
    await manager.sendDTMF(session, tone);
  },
  state() {
    return { ...st, registered: st.reg === "registered", incoming: st.call === "incoming", established: st.call === "answered" };
  },
  callLog() {
    return calls.slice();
  },
  /** The local SDP's audio direction (sendrecv, sendonly, ...), as the last offer/answer left it. */
  localDirection() {
    const pc = session && session.sessionDescriptionHandler && session.sessionDescriptionHandler.peerConnection;
    const sdp = pc && pc.localDescription ? pc.localDescription.sdp : "";
    const m = /a=(sendrecv|sendonly|recvonly|inactive)/.exec(sdp);
    return m ? m[1] : null;
  },
  /** What the browser's RTCPeerConnection sees: inbound/outbound audio and the selected remote candidate. */
  async stats() {
    const pc = session && session.sessionDescriptionHandler && session.sessionDescriptionHandler.peerConnection;
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

const report = (what) => (e) => { log(what + " failed:", e.message); if (!st.lastError) problem(what + " failed: " + e.message); };
$("register-form").onsubmit = (ev) => { ev.preventDefault(); window.phone.register($("ws").value, $("user").value, $("domain").value, $("password").value).catch((e) => log("register failed:", e.message)); };
$("unregister").onclick = () => window.phone.unregister().catch(report("unregister"));
$("call-form").onsubmit = (ev) => { ev.preventDefault(); window.phone.call($("target").value.trim()).catch(() => {}); };
$("answer").onclick = () => window.phone.answer().catch(report("answer"));
$("decline").onclick = () => window.phone.decline().catch(report("decline"));
$("hangup").onclick = () => window.phone.hangup().catch(report("hang up"));
$("mute").onclick = () => window.phone.mute();
$("hold").onclick = () => window.phone.hold().catch(report("hold"));
for (const key of document.querySelectorAll("#keypad button")) key.onclick = () => window.phone.dtmf(key.dataset.tone).catch(report("DTMF"));
const picker = $("credential");
if (picker) picker.onchange = () => {
  const [user, domain] = picker.value.split("@");
  if (!user || !domain) return;
  $("user").value = user;
  $("domain").value = domain;
  $("password").focus();
};
setInterval(async () => {
  const s = await window.phone.stats().catch(() => null);
  $("stats").textContent = s && s.codec ? "Received " + s.packetsReceived + " packets (" + s.codec + "), level " + s.audioLevel.toFixed(3) + ", sent " + s.packetsSent : "";
}, 1000);
$("ws").value = "ws://" + location.hostname + ":" + root.dataset.wsPort;
render();
`;
