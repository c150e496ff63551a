/**
 * How an SPA uses the kit: `@app-dw/spa-kit/...` resolves to src/ here, and every package the kit imports
 * (React, the router, the test libraries) resolves from the SPA's own node_modules, so there is one React and
 * the kit needs no install of its own. The SPA's vitest runs the kit's tests too: a change to the kit is
 * tested (and built) by every SPA that uses it.
 */
import { fileURLToPath } from "node:url";

export const kitSource = fileURLToPath(new URL("./src", import.meta.url));

const SHARED_PACKAGES = [
  "react",
  "react-dom",
  "react-router",
  "@testing-library/react",
  "@testing-library/user-event",
  "@testing-library/jest-dom",
  "@testing-library/dom",
  "vitest",
];

/** The SPA's tests and the kit's (vitest's `include`). */
export const testFiles = ["src/**/*.test.{ts,tsx}", `${kitSource}/**/*.test.{ts,tsx}`];

/** jsdom stand-ins and cleanup every SPA's tests need (vitest's `setupFiles`). */
export const testSetup = `${kitSource}/test/setup.ts`;

/**
 * The SPA's Vite config merges this (`mergeConfig`) and adds its plugins; plain data, so the kit needs no Vite
 * types of its own. `npm run dev` (on `port`, when given) and `preview` proxy /api to `api`, the local backend,
 * so the SPA and the API share an origin exactly as they do in AWS.
 */
export function spaKitConfig({ api, port }: { api: string; port?: number }) {
  const proxy = { "/api": api };
  return {
    resolve: { alias: { "@app-dw/spa-kit": kitSource }, dedupe: SHARED_PACKAGES },
    server: { host: "127.0.0.1", ...(port ? { port, strictPort: true } : {}), proxy, fs: { allow: [".", kitSource] } },
    preview: { host: "127.0.0.1", proxy },
    test: { environment: "jsdom", include: testFiles, setupFiles: [testSetup], restoreMocks: true },
  };
}
