/// <reference types="vitest/config" />
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig, mergeConfig } from "vite";
import { spaKitConfig, testFiles, testSetup } from "../../shared/spa/vite";

// `npm run dev` (port 5174, the address the Lang Portal's seed opens) and `preview` proxy /api to the local
// backend (make run-haiku), so the SPA and the API share an origin exactly as they do behind CloudFront in AWS.
const apiTarget = process.env.HAIKU_API ?? "http://127.0.0.1:8010";

export default defineConfig(
  mergeConfig(spaKitConfig(), {
    plugins: [react(), tailwindcss()],
    server: { host: "127.0.0.1", port: 5174, strictPort: true, proxy: { "/api": apiTarget } },
    preview: { host: "127.0.0.1", proxy: { "/api": apiTarget } },
    test: {
      environment: "jsdom",
      include: testFiles,
      setupFiles: [testSetup],
      restoreMocks: true,
    },
  }),
);
