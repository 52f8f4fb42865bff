export type { SipHeader, SipMessage, SipRequest, SipResponse } from "./message/types.js";
