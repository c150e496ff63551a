/// <reference types="vitest/config" />
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig, mergeConfig } from "vite";
import { spaKitConfig } from "../../shared/spa/vite";

// The dev server on 5174 (the address the Lang Portal's seed opens), /api proxied to make run-haiku.
const config = spaKitConfig({ api: process.env.HAIKU_API ?? "http://127.0.0.1:8010", port: 5174 });

export default defineConfig(mergeConfig(config, { plugins: [react(), tailwindcss()] }));
