/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * Times on the console's pages: one way everywhere, in UTC, readable, with the machine-readable
 * value for the browser.
 */
export function Time({ at }: { at: string | number | null }) {
  if (at === null) return <>—</>;
  const iso = typeof at === "number" ? new Date(at).toISOString() : at;
  return <time datetime={iso}>{`${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`}</time>;
}
