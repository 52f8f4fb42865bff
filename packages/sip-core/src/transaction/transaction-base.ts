import type { SipMessage, SipRequest } from "../message/types.js";
import type { TimerConfig, TimerHandle, Timers } from "../timers.js";
import { Emitter } from "./emitter.js";
import type { EventMap } from "./emitter.js";
import { TransportError } from "./errors.js";
import type { RetainedMessage } from "./retained-message.js";
import type { Transport } from "./transport.js";
import type { WaitQueue } from "./wait-queue.js";

/** Events every transaction emits to its TU. */
export interface TransactionEvents<S extends string> {
  /** Every state change, in order (RFC 3261 §17 state machines). */
  "state.changed": [state: S, previous: S];
  /** The transport failed to send (RFC 3261 §17.1.4, §17.2.4); the transaction may terminate. */
  "transport.error": [error: TransportError];
  /** Timer B, F or H fired: no final response / no ACK in time (RFC 3261 §17.1.1.2, §17.1.2.2, §17.2.1). */
  "transaction.timeout": [];
  /** The transaction reached Terminated; it is removed from its layer and emits nothing more. */
  "transaction.terminated": [];
}

/** What the layer shares with all its transactions (one object per layer, not per transaction). */
export interface TransactionContext {
  readonly timers: Timers;
  readonly config: TimerConfig;
  /** The layer's queue for the wait timers of finished transactions; undefined: a timer each. */
  readonly waits: WaitQueue | undefined;
  /** Told as the transaction terminates, before its own listeners: the layer forgets it. */
  readonly ended: (transaction: { readonly key: string }) => void;
}

/** The handle of a wait kept in the layer's {@link WaitQueue}: there is no timer to clear. */
const QUEUED = Symbol("queued");
const NO_TIMERS: readonly unknown[] = [];
/** `[name, QUEUED]` per wait timer name, shared: a waiting transaction allocates no array. */
const queuedAs = new Map<string, readonly unknown[]>();

/**
 * State, named timers and guarded sending shared by the four RFC 3261 §17 state machines.
 * A timer of zero duration (reliable transports, §17) takes effect at once, without a timer.
 *
 * A transaction that has its final response only waits (Completed, Confirmed, RFC 6026 Accepted):
 * from then on it keeps its key, its transport and at most the serialized message it may have to
 * send again ({@link RetainedMessage}), never the parsed request or responses, and it drops the
 * listeners of events it can no longer emit.
 */
export abstract class TransactionBase<
  S extends string,
  E extends TransactionEvents<S> & EventMap<E>,
> extends Emitter<E> {
  /** The layer's lookup key (RFC 3261 §17.1.3 / §17.2.3). */
  readonly key: string;
  /** The SIP method of the request, e.g. `INVITE`. */
  readonly method: string;
  readonly transport: Transport;
  readonly #context: TransactionContext;
  /** Running timers as `[name, handle, ...]`, replaced on change (a Map costs more, see Emitter). */
  #pending: readonly unknown[] = NO_TIMERS;
  #state: S;
  #request: SipRequest | undefined;

  protected constructor(
    key: string,
    request: SipRequest,
    context: TransactionContext,
    transport: Transport,
    initial: S,
  ) {
    super();
    this.key = key;
    this.method = request.method;
    this.#request = request;
    this.transport = transport;
    this.#context = context;
    this.#state = initial;
  }

  protected get config(): TimerConfig {
    return this.#context.config;
  }

  get state(): S {
    return this.#state;
  }

  /**
   * The request that created the transaction, while the state machine may still need it (to
   * retransmit it, answer it or build an ACK from it); undefined once a final response has been
   * sent or received, and once terminated. The TU that needs it longer keeps its own reference.
   */
  get request(): SipRequest | undefined {
    return this.#request;
  }

  get terminated(): boolean {
    return this.#state === "terminated";
  }

  /** Names of the timers currently running (for tests and diagnostics). */
  get runningTimers(): string[] {
    return this.#pending.filter((_, i) => i % 2 === 0) as string[];
  }

  /** Ends the transaction now, e.g. when the layer shuts down; timers are cleared, nothing is sent. */
  terminate(): void {
    this.setState("terminated" as S);
  }

  protected setState(next: S): void {
    const previous = this.#state;
    if (previous === next || previous === "terminated") return;
    this.#state = next;
    this.events().emit("state.changed", next, previous);
    if (next === "terminated") {
      const pending = this.#pending;
      this.#pending = NO_TIMERS;
      for (let i = 1; i < pending.length; i += 2) this.#clear(pending[i]);
      this.releaseMessages();
      this.#context.ended(this);
      this.events().emit("transaction.terminated");
      this.removeAllListeners();
    }
  }

  /**
   * Drops every message the transaction holds, for a state that only waits or has ended; a
   * subclass drops its own (responses, retained bytes) and calls this.
   */
  protected releaseMessages(): void {
    this.#request = undefined;
  }

  /** Starts (or restarts) the named timer; `ms <= 0` runs `fire` at once. No-op once terminated. */
  protected startTimer(name: string, ms: number, fire: () => void): void {
    this.stopTimer(name);
    if (this.terminated) return;
    if (ms <= 0) {
      fire();
      return;
    }
    const handle = this.#context.timers.setTimer(ms, () => {
      this.#forget(name);
      if (!this.terminated) fire();
    });
    this.#pending = this.#pending.concat([name, handle]); // exact size; a handle is never spread
  }

  /**
   * Starts the named wait timer of a finished transaction (RFC 3261 Timers D, I, J, K; RFC 6026
   * Timers L, M), at whose end it terminates: an entry in the layer's {@link WaitQueue}, with no
   * timer, closure or array of its own. `ms <= 0` terminates at once. A wait is never stopped but
   * by the end of the transaction.
   */
  protected wait(name: string, ms: number): void {
    const waits = this.#context.waits;
    if (ms <= 0 || waits === undefined || this.terminated) {
      this.startTimer(name, ms, () => this.setState("terminated" as S));
      return;
    }
    this.stopTimer(name);
    waits.add(ms, this);
    let queued = queuedAs.get(name);
    if (queued === undefined) {
      queued = Object.freeze([name, QUEUED]);
      queuedAs.set(name, queued);
    }
    this.#pending = this.#pending.length === 0 ? queued : this.#pending.concat(queued);
  }

  /** The wait started by {@link wait} ran out (called by the layer's queue only). */
  expire(): void {
    if (!this.terminated) this.setState("terminated" as S);
  }

  protected stopTimer(name: string): void {
    this.#clear(this.#forget(name));
  }

  #clear(handle: TimerHandle): void {
    if (handle !== undefined && handle !== QUEUED) this.#context.timers.clearTimer(handle);
  }

  /** Removes the named timer from the running ones; its handle (undefined if it was not running). */
  #forget(name: string): TimerHandle {
    const pending = this.#pending;
    for (let i = 0; i < pending.length; i += 2) {
      if (pending[i] !== name) continue;
      this.#pending = pending.length === 2 ? NO_TIMERS : pending.slice(0, i).concat(pending.slice(i + 2));
      return pending[i + 1];
    }
    return undefined;
  }

  /** Hands a message to the transport; a throw or a rejection becomes {@link onTransportError}. */
  protected send(message: SipMessage): void {
    let pending: void | Promise<void>;
    try {
      pending = this.transport.send(message);
    } catch (error) {
      this.#failed(error);
      return;
    }
    if (pending instanceof Promise) pending.catch((error: unknown) => this.#failed(error));
  }

  /**
   * Sends a retained message again (a retransmission from a waiting state). Bytes the framing
   * parser cannot read back are reported like a failed send: they were never going to arrive.
   */
  protected resend(retained: RetainedMessage | undefined): void {
    if (retained === undefined) return;
    const framed = retained.message();
    if (framed.ok) this.send(framed.message);
    else this.#failed(framed.error);
  }

  /** Times out: inform the TU, then terminate. */
  protected timeout(): void {
    this.events().emit("transaction.timeout");
    this.setState("terminated" as S);
  }

  /** What the state machine does on a transport error in its current state. */
  protected abstract onTransportError(error: TransportError): void;

  /** Emits a common event (the class's own map extends it). */
  protected events(): {
    emit<K extends keyof TransactionEvents<S>>(event: K, ...args: TransactionEvents<S>[K]): void;
  } {
    return { emit: (event, ...args) => this.emit(event, ...(args as unknown as E[keyof E])) };
  }

  #failed(error: unknown): void {
    if (this.terminated) return;
    this.onTransportError(error instanceof TransportError ? error : new TransportError(error));
  }
}
