/**
 * The in-process bus between the gateway (publisher) and the callback engine (subscriber).
 * `publish()` never blocks on and never throws into the publisher: listeners run via `safeEmit`,
 * and the engine's listener only queues the event (matching and the outbox write happen later).
 */
import type {
  CallLifecycleEvent,
  HooklineEvent,
  MediaEvent,
  RegistrationEvent,
  SipMessageEvent,
  TrunkEvent,
} from "./events.js";
import type { Logger } from "./logger.js";
import { callbacksLog } from "./logger.js";
import { TypedEmitter } from "./typed-emitter.js";

export interface EventBusEvents {
  [key: string]: unknown[];
  /** Every event. */
  event: [HooklineEvent];
  sip: [SipMessageEvent];
  call: [CallLifecycleEvent];
  registration: [RegistrationEvent];
  media: [MediaEvent];
  trunk: [TrunkEvent];
}

export class EventBus extends TypedEmitter<EventBusEvents> {
  constructor(logger: Logger = callbacksLog) {
    super(logger);
  }

  publish(event: HooklineEvent): void {
    this.safeEmit("event", event);
    if (event.type.startsWith("sip.")) this.safeEmit("sip", event as SipMessageEvent);
    else if (event.type.startsWith("call.")) {
      // `call.dtmf` is not a step of the call's life: "call" listeners follow its states only.
      if (event.type !== "call.dtmf") this.safeEmit("call", event as CallLifecycleEvent);
    } else if (event.type.startsWith("media.")) this.safeEmit("media", event as MediaEvent);
    else if (event.type.startsWith("trunk.")) this.safeEmit("trunk", event as TrunkEvent);
    else this.safeEmit("registration", event as RegistrationEvent);
  }
}
