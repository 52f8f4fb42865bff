// Owned by helper D (packages/callbacks): the durable event outbox, deliveries and their attempts.
// Tables defined here are picked up by schema/index.ts and by drizzle-kit.
export {};
