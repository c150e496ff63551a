/// <reference types="vitest/config" />
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig, mergeConfig } from "vite";
import { spaKitConfig, testFiles, testSetup } from "../../shared/spa/vite";

// `npm run dev` (and `preview`) proxies /api to the local backend (make run-lang-portal), so the SPA and the
// API share an origin exactly as they do behind the ALB in AWS.
const apiTarget = process.env.LANG_PORTAL_API ?? "http://127.0.0.1:8000";

export default defineConfig(
  mergeConfig(spaKitConfig(), {
    plugins: [react(), tailwindcss()],
    server: { host: "127.0.0.1", proxy: { "/api": apiTarget } },
    preview: { host: "127.0.0.1", proxy: { "/api": apiTarget } },
    test: {
      environment: "jsdom",
      include: testFiles,
      setupFiles: [testSetup],
      restoreMocks: true,
    },
  }),
);
