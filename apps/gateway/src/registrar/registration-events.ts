/** Registration changes as typed events on the bus (SPEC §4: `registration.*`). */
import type { EventBus, RegistrationEvent, RegistrationEventType } from "@hookline/callbacks";
import type { Binding } from "./binding.js";
import { formatSource } from "./binding.js";
import { log } from "@hookline/log";

const registrarLog = log.child({ component: "registrar" });

export function registrationEvent(
  type: RegistrationEventType,
  binding: Binding,
  now: number,
): RegistrationEvent {
  return {
    type,
    timestamp: new Date(now).toISOString(),
    data: {
      accountId: binding.accountId,
      registration: {
        aor: binding.aor,
        contact: binding.contact,
        transport: binding.source.transport,
        source: formatSource(binding.source),
        expiresAt: new Date(binding.expiresAt).toISOString(),
      },
    },
  };
}

/** Publishes without ever throwing into the registrar: a broken listener must not fail a REGISTER. */
export function publishRegistration(
  bus: EventBus | undefined,
  type: RegistrationEventType,
  binding: Binding,
  now: number,
): void {
  if (bus === undefined) return;
  try {
    bus.publish(registrationEvent(type, binding, now));
  } catch (err) {
    registrarLog.error({ err, type }, "registration event not published");
  }
}
