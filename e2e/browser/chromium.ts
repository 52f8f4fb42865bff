/**
 * Debian's Chromium driven by Playwright (never a downloaded browser), with the flags
 * verified for headless WebRTC on loopback and a fresh profile per launch.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  "--allow-loopback-in-peer-connection",
  "--autoplay-policy=no-user-gesture-required",
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  const dir = mkdtempSync(path.join(tmpdir(), "hookline-chromium-"));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_FLAGS,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PhoneStats {
  packetsReceived: number;
  audioLevel: number;
  totalAudioEnergy: number;
  packetsSent: number;
  codec: string | null;
  remoteCandidate: { address: string; port: number } | null;
  connectionState: string;
}

export interface PhoneState {
  registered: boolean;
  incoming: boolean;
  established: boolean;
  ended: number;
}

type PhoneApi = {
  register(ws: string, user: string, domain: string, password: string): Promise<void>;
  call(target: string): Promise<void>;
  answer(): Promise<void>;
  hangup(): Promise<void>;
  state(): PhoneState;
  stats(): Promise<PhoneStats | null>;
};

/** The softphone page at `/softphone`, driven through its `window.phone`. */
export class SoftphonePage {
  private constructor(readonly page: Page) {}

  static async open(context: BrowserContext, httpBase: string): Promise<SoftphonePage> {
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") console.log(`[browser] ${m.text()}`);
    });
    await page.goto(`${httpBase}/softphone`);
    await page.waitForFunction(() => "phone" in globalThis);
    return new SoftphonePage(page);
  }

  #run<T>(fn: (phone: PhoneApi, arg: unknown) => T | Promise<T>, arg?: unknown): Promise<T> {
    return this.page.evaluate(
      ([src, a]) => {
        // Runs inside the page: a Playwright evaluate takes one argument, so our own test function
        // travels as source and is rebuilt there to receive the page's phone too.
        // eslint-disable-next-line @typescript-eslint/no-implied-eval
        const make = new Function(`return (${src})`) as () => (p: unknown, a: unknown) => unknown;
        const f = make();
        return f((globalThis as unknown as { phone: unknown }).phone, a);
      },
      [fn.toString(), arg] as const,
    ) as Promise<T>;
  }

  register(ws: string, user: string, domain: string, password: string): Promise<void> {
    return this.#run(
      (p, a) => {
        const [w, u, d, pw] = a as string[];
        return p.register(w!, u!, d!, pw!);
      },
      [ws, user, domain, password],
    );
  }
  call(target: string): Promise<void> {
    return this.#run((p, a) => p.call(a as string), target);
  }
  answer(): Promise<void> {
    return this.#run((p) => p.answer());
  }
  hangup(): Promise<void> {
    return this.#run((p) => p.hangup());
  }
  state(): Promise<PhoneState> {
    return this.#run((p) => p.state());
  }
  /**
   * Resolves with the stats once more than `packets` RTP packets have arrived with an audio level
   * above silence; throws after `timeoutMs` (a bounded wait, not a measure of time).
   */
  async hearsAudio(packets = 100, timeoutMs = 20_000): Promise<PhoneStats> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.stats();
      if (s && s.packetsReceived > packets && (s.audioLevel ?? 0) > 0) return s;
      if (Date.now() > end) throw new Error(`no audio heard: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  stats(): Promise<PhoneStats | null> {
    return this.#run((p) => p.stats());
  }
}
