import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "data/**", "packages/db/drizzle/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  {
    // The server logs through @hookline/log (JSON lines, docs/operations.md); main.ts prints the banner.
    files: ["apps/*/src/**/*.{ts,tsx}", "packages/*/src/**/*.ts"],
    ignores: [
      "**/*.test.ts",
      "**/test-*.ts",
      "**/testing/**",
      "apps/console/src/softphone/**",
      "apps/gateway/src/main.ts",
    ],
    rules: { "no-console": "error" },
  },
  // Examples are plain Node scripts a newcomer runs as they are, without TypeScript.
  {
    files: ["examples/**/*.mjs"],
    languageOptions: { globals: { Buffer: "readonly", console: "readonly", process: "readonly" } },
  },
);
