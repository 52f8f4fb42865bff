import { Hono } from "hono";

/**
 * The console's one stylesheet (no framework, nothing fetched at run time). System fonts, a
 * readable measure, focus rings kept visible, and tables that scroll sideways on a phone.
 * Colours pass WCAG 2.1 AA contrast (4.5:1) on white.
 */
export const CONSOLE_CSS = `
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330;background:#f6f7f9}
a{color:#1f4fc7}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}
.skip:focus{left:.5rem;z-index:1}
:focus-visible{outline:3px solid #1f4fc7;outline-offset:2px}
.top{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.25rem;padding:.6rem 1.25rem;background:#1d2330;color:#fff}
.top a{color:#fff;text-decoration:none}
.top a[aria-current=page]{text-decoration:underline;text-underline-offset:.35em}
.brand{font-weight:700;font-size:1.1rem}
.top nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem}
.who{margin-left:auto;display:flex;gap:.75rem;align-items:center}
main{max-width:64rem;margin:0 auto;padding:1.25rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
.card{background:#fff;border:1px solid #dde2ea;border-radius:8px;padding:1rem 1.25rem;margin-bottom:1rem}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:1rem;margin:0 0 1rem;padding:0;list-style:none}
.stats li{background:#fff;border:1px solid #dde2ea;border-radius:8px;padding:.75rem 1rem}
.stats strong{display:block;font-size:1.6rem}
.table-wrap{overflow-x:auto;background:#fff;border:1px solid #dde2ea;border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:.45rem .75rem;border-bottom:1px solid #e3e7ee;vertical-align:top}
th{color:#4a5263;font-weight:600}
tr:last-child td{border-bottom:0}
form.stack{display:grid;gap:.9rem;max-width:32rem}
label{display:grid;gap:.25rem;font-weight:600}
.hint{font-weight:400;color:#4a5263;font-size:13px}
input,select,textarea{font:inherit;font-weight:400;padding:.45rem .6rem;border:1px solid #8a93a3;border-radius:6px;background:#fff;color:inherit;width:100%}
input[aria-invalid=true],textarea[aria-invalid=true]{border-color:#b3261e}
fieldset{border:1px solid #dde2ea;border-radius:6px;padding:.5rem .75rem}
fieldset label{display:inline-flex;gap:.35rem;font-weight:400;margin-right:1rem}
fieldset input{width:auto}
button,.button{font:inherit;padding:.45rem 1rem;border:0;border-radius:6px;background:#1f4fc7;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.danger{background:#b3261e}
button.link{background:none;color:inherit;padding:0;text-decoration:underline}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.actions form{display:inline}
.field-error{color:#b3261e;font-weight:400;font-size:14px}
.notice{border-left:4px solid #1f4fc7;background:#fff;padding:.75rem 1rem;margin-bottom:1rem}
.notice.error{border-color:#b3261e}
.secret{font-family:ui-monospace,monospace;background:#f1f3f7;padding:.35rem .5rem;border-radius:4px;word-break:break-all;display:block}
.empty{color:#4a5263}
code{background:#f1f3f7;padding:0 .25rem;border-radius:4px}
.badge{display:inline-block;padding:0 .5rem;border-radius:999px;font-size:13px;border:1px solid currentColor}
.badge-succeeded{color:#1b6b34}.badge-failed{color:#b3261e}.badge-pending{color:#4a5263}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0 0 1rem}
.facts dt{font-weight:600;color:#4a5263}.facts dd{margin:0;word-break:break-all}
form.filters{display:flex;gap:.5rem;align-items:end}
form.filters label{grid-auto-flow:column;align-items:center}
.pager{display:flex;gap:1rem;margin:1rem 0}
pre.code{background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:.75rem;overflow-x:auto;font-size:13px;white-space:pre-wrap;word-break:break-all}
fieldset.events{display:grid;gap:.5rem}
.event-group{display:flex;flex-wrap:wrap;gap:.25rem 0}
.event-group .family{flex-basis:100%;font-weight:600}
.filter-field{display:grid;gap:.25rem}
fieldset.events>label{display:grid;font-weight:600;margin:0}
@media (max-width:40rem){.who{margin-left:0}main{padding:1rem .75rem}}
`;

export const assetRoutes = () =>
  new Hono().get("/console.css", (c) => {
    c.header("Cache-Control", "public, max-age=300");
    return c.body(CONSOLE_CSS, 200, { "Content-Type": "text/css; charset=utf-8" });
  });
