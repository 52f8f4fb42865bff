/**
 * The call page's only script (progressive enhancement: the page works without it). It opens the
 * message an arrow of the ladder links to, and for a call in progress it listens to
 * `/calls/:id/events` (server-sent events) and puts each update in place, keeping the messages
 * the reader had opened open.
 */
export const CALL_PAGE_SCRIPT = `"use strict";
(() => {
  const openFromHash = () => {
    const id = decodeURIComponent(location.hash.slice(1));
    const el = id ? document.getElementById(id) : null;
    if (el && el.tagName === "DETAILS") el.open = true;
  };
  addEventListener("hashchange", openFromHash);
  openFromHash();
  const root = document.getElementById("call-live");
  if (!root || !root.dataset.live || typeof EventSource !== "function") return;
  const url = "/calls/" + encodeURIComponent(root.dataset.call) + "/events?after=" + root.dataset.after;
  const source = new EventSource(url);
  source.addEventListener("update", (ev) => {
    const update = JSON.parse(ev.data);
    const open = Array.from(root.querySelectorAll("details[open]"), (d) => d.id);
    root.innerHTML = update.html;
    for (const id of open) {
      const d = document.getElementById(id);
      if (d) d.open = true;
    }
    root.dataset.after = String(update.after);
  });
  source.addEventListener("end", () => {
    source.close();
    delete root.dataset.live;
    root.removeAttribute("aria-live");
  });
})();
`;
