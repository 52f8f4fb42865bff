/**
 * The most common e2e set-up: a real Hookline, one tenant domain with alice and bob registered as
 * sip.js phones over WebSocket, and a real HTTP receiver for callbacks.
 */
import type { StartOptions } from "@hookline/gateway";
import { startStack, type Stack } from "./harness.js";
import { NodePhone } from "./node-phone.js";
import { Receiver } from "./receiver.js";

export interface TwoPhones {
  stack: Stack;
  /** The tenant's API key. */
  key: string;
  alice: NodePhone;
  bob: NodePhone;
  receiver: Receiver;
  /** The receiver's URL, for callbacks. */
  url: string;
  close(): Promise<void>;
}

export async function startTwoPhones(
  domain: string,
  { env = {}, options = {} }: { env?: Record<string, string>; options?: StartOptions } = {},
): Promise<TwoPhones> {
  const receiver = new Receiver();
  const url = await receiver.listen();
  const stack = await startStack(env, options);
  const { apiKey: key } = await stack.tenant(domain, ["alice", "bob"]);
  const alice = await NodePhone.register({ wsUrl: stack.wsUrl, user: "alice", domain });
  const bob = await NodePhone.register({ wsUrl: stack.wsUrl, user: "bob", domain });
  return {
    stack,
    key,
    alice,
    bob,
    receiver,
    url,
    close: async () => {
      await alice.stop();
      await bob.stop();
      await stack.close();
      await receiver.close();
    },
  };
}
