/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import { describe, expect, it } from "vitest";
import { Layout } from "./layout.js";

describe("the console layout", () => {
  it("escapes what it shows and marks the current page", async () => {
    const html = String(
      await (
        <Layout
          title="<b>Calls</b>"
          current="/calls"
          user={{ userId: "u", accountId: "a", email: "x@y.test" }}
        >
          <p>hi</p>
        </Layout>
      ),
    );
    expect(html).toContain("&lt;b&gt;Calls&lt;/b&gt;");
    expect(html).toContain('<a href="/calls" aria-current="page">Calls</a>');
    expect(html).toContain("x@y.test");
  });
});
