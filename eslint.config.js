// `npm run lint` (run by .ci/run): a small rule set that catches real bugs, not style. Type-aware
// (floating promises need the types), over the sources and the tests. Formatting is prettier's job
// (.prettierrc.json, `npm run format:check`).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "test/compat/roles/**", "test/compat/templates/**", "**/*.js", "**/*.cjs", "**/*.mjs", "vitest.config.ts"] },
  {
    files: ["**/*.ts"],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { project: ["./tsconfig.test.json"], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // an unawaited promise loses its error and its ordering: the class of bug a runner must not have
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: false }],
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      // `any` only where a library hands us untyped data; each one is an eslint-disable with a reason
      "@typescript-eslint/no-explicit-any": "error",
      "no-constant-condition": ["error", { checkLoops: false }],
      // `let x = fallback; try { x = … } catch {}` is the house pattern for optional reads
      "no-useless-assignment": "off",
      // control characters in regexes are deliberate here (terminal escapes, XML-invalid bytes, NUL refusal)
      "no-control-regex": "off",
      // a regex with literal runs of spaces mirrors the aligned text it matches (tables, recaps)
      "no-regex-spaces": "off",
      "no-empty": ["error", { allowEmptyCatch: true }],
    },
  },
  {
    // @types/ssh2 lags ssh2's API (algorithm lists as plain strings, authHandler method objects,
    // keyboard-interactive prompts); the casts stay inside the transport
    files: ["engine/transport/ssh.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    // tests inspect parsed JSON reports; typing every one would add nothing
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
