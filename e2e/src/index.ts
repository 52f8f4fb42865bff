export { clusterDataDir, startStack } from "./harness.js";
export type { Stack } from "./harness.js";
export { NodePhone, CANNED_SDP, sessionState } from "./node-phone.js";
export { Receiver } from "./receiver.js";
export type { Received } from "./receiver.js";
export { startTwoPhones, type TwoPhones } from "./two-phones.js";
