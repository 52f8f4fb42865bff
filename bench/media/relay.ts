/**
 * The baseline: a plain Node UDP relay (no mediasoup), two sockets per call like mediasoup's two
 * PlainTransports, run as its own process so that its CPU is measured like the worker's.
 * Parent → child: {calls, aPort, bPort}; child → parent: [[aSidePort, bSidePort], ...].
 */
import dgram from "node:dgram";

const sockets: dgram.Socket[] = [];

function bind(): Promise<dgram.Socket> {
  const s = dgram.createSocket("udp4");
  sockets.push(s);
  return new Promise((resolve) => s.bind(0, "127.0.0.1", () => resolve(s)));
}

async function onMessage(m: { calls: number; aPort: number; bPort: number } | "close"): Promise<void> {
  if (m === "close") {
    for (const s of sockets.splice(0)) s.close();
    return;
  }
  const ports: [number, number][] = [];
  for (let i = 0; i < m.calls; i++) {
    const facingA = await bind();
    const facingB = await bind();
    facingA.on("message", (msg) => facingB.send(msg, m.bPort, "127.0.0.1"));
    facingB.on("message", (msg) => facingA.send(msg, m.aPort, "127.0.0.1"));
    ports.push([facingA.address().port, facingB.address().port]);
  }
  process.send!(ports);
}

// A relay that cannot bind its sockets ends the run: the parent sees the exit, not a hang.
process.on("message", (m: Parameters<typeof onMessage>[0]) => {
  onMessage(m).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
});
