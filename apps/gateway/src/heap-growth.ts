/**
 * How far V8 lets a heap grow before its next full collection. By default an isolate's old space
 * may grow to several times what survived the last full collection; the gateway keeps little (live
 * calls, and what ended calls keep for 64*T1, RFC 6026) but allocates fast (every message), so
 * under load most of its memory was garbage waiting for that collection. A fixed factor of 2 keeps
 * about a quarter of the memory off for a few percent more CPU (docs/performance.md). V8's flags
 * are the process's: the worker threads' heaps follow it too. A `--heap-growing-percent` given to
 * node on its command line wins.
 */
import { setFlagsFromString } from "node:v8";

const HEAP_GROWING_PERCENT = 100;

if (!process.execArgv.some((arg) => arg.startsWith("--heap-growing-percent"))) {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
