import { describe, expect, it } from "vitest";
import { openSecret, sealSecret } from "./sealed-secrets.js";

describe("sealed secrets", () => {
  it("opens what it sealed, with the same key and context", () => {
    const sealed = sealSecret("key-1", "carrier-password", "trk_1:outbound");
    expect(sealed).not.toContain("carrier-password");
    expect(openSecret("key-1", sealed, "trk_1:outbound")).toBe("carrier-password");
  });

  it("seals the same plaintext differently each time (random IV)", () => {
    expect(sealSecret("k", "p", "c")).not.toBe(sealSecret("k", "p", "c"));
  });

  it("refuses another key, another context, a tampered value or garbage", () => {
    const sealed = sealSecret("key-1", "pw", "trk_1:outbound");
    expect(openSecret("key-2", sealed, "trk_1:outbound")).toBeNull();
    expect(openSecret("key-1", sealed, "trk_2:outbound")).toBeNull();
    const parts = sealed.split(".");
    parts[2] = Buffer.from("xx").toString("base64url");
    expect(openSecret("key-1", parts.join("."), "trk_1:outbound")).toBeNull();
    expect(openSecret("key-1", "not sealed", "trk_1:outbound")).toBeNull();
  });
});
