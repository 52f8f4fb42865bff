/**
 * A callback receiver for the README's tour: prints every delivery Hookline makes to
 * http://127.0.0.1:8080/ and, given the callback's secret, checks its Standard Webhooks signature.
 *   npx tsx scripts/print-callbacks.ts [whsec_...]
 */
import http from "node:http";
import { Webhook } from "standardwebhooks";

const secret = process.argv[2];
const verifier = secret ? new Webhook(secret) : undefined;
const port = Number(process.env.PORT ?? 8080);

http
  .createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let verdict = "unsigned check skipped";
      if (verifier) {
        try {
          verifier.verify(body, req.headers as Record<string, string>);
          verdict = "signature ok";
        } catch {
          verdict = "BAD SIGNATURE";
        }
      }
      const event = JSON.parse(body) as { type: string; data: { seq?: number; callId?: string } };
      console.log(
        `${new Date().toISOString()} ${event.type} seq=${event.data.seq ?? "-"} call=${event.data.callId ?? "-"} (${verdict})`,
      );
      res.writeHead(204).end();
    });
  })
  .listen(port, "127.0.0.1", () => console.log(`printing callbacks sent to http://127.0.0.1:${port}/`));
