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
}

export const NAV = [
  ["/", "Overview"],
  ["/calls", "Calls"],
  ["/domains", "Domains"],
  ["/credentials", "Users"],
  ["/callbacks", "Callbacks"],
  ["/deliveries", "Deliveries"],
  ["/softphone", "Softphone"],
] as const;

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
          {props.user && <span class="who">{props.user.email}</span>}
        </header>
        <main id="main">
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}
