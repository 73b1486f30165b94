// ESLint (flat config) for the extension's JavaScript, run by `make lint` from the repository root.
// The recommended rules catch real mistakes (undefined names, unreachable code, unused variables);
// the few added ones keep the habits the code already has. Style is not linted: no formatter rules.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["node_modules/**"] },
  js.configs.recommended,
  {
    files: ["**/*.js"],
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: "module",
      // The service worker, pages and content scripts all run in the browser with `chrome.*`.
      globals: { ...globals.browser, ...globals.serviceworker, ...globals.webextensions },
    },
    rules: {
      eqeqeq: ["error", "always"],
      "no-var": "error",
      "prefer-const": "error",
      "no-unused-vars": ["error", { argsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    // Injected with chrome.scripting / content_scripts: classic scripts, not modules.
    files: ["content/launch.js", "content/agent-loader.js"],
    languageOptions: { sourceType: "script" },
  },
  {
    // Node's own test runner, with a fake `chrome` and a DOM from linkedom.
    files: ["tests/**/*.js"],
    languageOptions: { globals: { ...globals.node } },
  },
];
