/**
 * The callback form's only script (progressive enhancement: without it the form still works and
 * a filter that does not compile comes back as a 400 with the error beside the field). As the
 * user types, it posts the filter to `/callbacks/check-filter`, which compiles and evaluates it
 * against the sample event with the API's own code, and shows the error or `true` / `false`.
 */
export const CALLBACK_FORM_SCRIPT = `"use strict";
(() => {
  const input = document.getElementById("f-filter");
  const out = document.getElementById("f-filter-check");
  const form = input && input.form;
  if (!input || !out || !form) return;
  let timer = 0;
  let seq = 0;
  const show = (text, bad) => {
    out.textContent = text;
    out.className = bad ? "field-error" : "hint";
    if (bad) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  };
  const check = async () => {
    const filter = input.value.trim();
    const mine = ++seq;
    if (filter === "") return show("No filter: every subscribed event is sent.", false);
    const body = new URLSearchParams({ _csrf: form.elements.namedItem("_csrf").value, filter });
    try {
      const res = await fetch("/callbacks/check-filter", { method: "POST", body, credentials: "same-origin" });
      const answer = await res.json();
      if (mine !== seq) return;
      if (answer.error) show(answer.error, true);
      else show("On the sample event: " + String(answer.match), false);
    } catch {
      if (mine === seq) show("Could not check the filter now; it is checked again on save.", false);
    }
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  });
  if (input.value.trim() !== "") check();
})();
`;
