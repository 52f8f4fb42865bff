import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/dist/**",
      "apps/gateway/build/**",
      "**/node_modules/**",
      "data/**",
      "packages/db/drizzle/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Each workspace's tsconfig (tests, e2e and bench included) gives the types; the few root
        // files that belong to no project get a default one.
        projectService: {
          allowDefaultProject: [
            "eslint.config.js",
            "vitest.config.ts",
            "scripts/*.ts",
            "packages/db/drizzle.config.ts",
            "packages/db/drizzle-pg.config.ts",
          ],
          defaultProject: "tsconfig.base.json",
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
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
  // Examples are plain Node scripts a newcomer runs as they are, without TypeScript: no types to
  // check. So is the gateway's build, which `npm start` runs before anything can load TypeScript.
  { files: ["examples/**/*.mjs", "scripts/*.mjs"], ...tseslint.configs.disableTypeChecked },
  {
    files: ["examples/**/*.mjs", "scripts/*.mjs"],
    languageOptions: { globals: { Buffer: "readonly", console: "readonly", process: "readonly" } },
  },
  {
    // Tests read response bodies as loose JSON and assert them field by field with expect(), which
    // fails on any wrong shape; the promise and method rules still apply to them.
    files: ["**/*.test.ts", "**/*.test.tsx", "**/test-helpers.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
);
