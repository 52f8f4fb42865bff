/**
 * The sample event the console checks filters against and "send a test event" delivers: the body
 * of SPEC §4, with the caller's account. Its `type` is the one asked for (default `sip.BYE`).
 */
export function sampleEvent(accountId: string, type = "sip.BYE", now = Date.now()) {
  const timestamp = new Date(now).toISOString();
  return {
    type,
    timestamp,
    data: {
      accountId,
      callId: "call_sample",
      seq: 7,
      test: true,
      message: {
        direction: "received",
        method: "BYE",
        status: null,
        reason: null,
        requestUri: "sip:bob@acme.sip.example",
        from: "<sip:alice@acme.sip.example>;tag=a1",
        to: "<sip:bob@acme.sip.example>;tag=b2",
        sipCallId: "sample-call-id@hookline",
        cseq: "2 BYE",
        headers: { "x-priority": "high", "x-reason": "done" },
      },
      call: {
        id: "call_sample",
        state: "completed",
        from: "sip:alice@acme.sip.example",
        to: "sip:bob@acme.sip.example",
        startedAt: timestamp,
      },
    },
  };
}
