/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The console's web pages (server-rendered with Hono JSX): one layout, one stylesheet
 * (`/console.css`, served by ./assets.ts), a navigation bar naming the signed-in user.
 * Every page renders through `Layout`; hono/jsx escapes every interpolated value.
 */
import type { Child } from "hono/jsx";

export interface WebUser {
  readonly userId: string;
  readonly accountId: string;
  readonly email: string;
  /** The session's CSRF token, which every form of the page carries (./session.ts). */
  readonly csrfToken?: string;
}

export const NAV = [
  ["/", "Overview"],
  ["/calls", "Calls"],
  ["/domains", "Domains"],
  ["/credentials", "Users"],
  ["/callbacks", "Callbacks"],
  ["/deliveries", "Deliveries"],
  ["/trunks", "Trunks"],
  ["/softphone", "Softphone"],
  ["/api-keys", "API keys"],
] as const;

/** The hidden field every form of a signed-in page carries (./session.ts `requireWebUser`). */
export function CsrfField(props: { user: WebUser }) {
  return <input type="hidden" name="_csrf" value={props.user.csrfToken ?? ""} />;
}

export function Layout(props: {
  title: string;
  user?: WebUser | undefined;
  current?: string;
  children?: Child;
}) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · Hookline`}</title>
        <link rel="stylesheet" href="/console.css" />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <a class="brand" href="/">
            Hookline
          </a>
          {props.user && (
            <nav aria-label="Main">
              {NAV.map(([href, label]) => (
                <a href={href} aria-current={props.current === href ? "page" : undefined}>
                  {label}
                </a>
              ))}
            </nav>
          )}
          {props.user && (
            <form class="who" method="post" action="/sign-out">
              <a href="/account" aria-current={props.current === "/account" ? "page" : undefined}>
                {props.user.email}
              </a>
              <CsrfField user={props.user} />
              <button type="submit" class="link">
                Sign out
              </button>
            </form>
          )}
        </header>
        <main id="main">
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}
