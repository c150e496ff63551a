/// <reference types="vitest/config" />
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig, mergeConfig } from "vite";
import { spaKitConfig } from "../../shared/spa/vite";

// The dev server (5173), /api proxied to make run-lang-portal.
const config = spaKitConfig({ api: process.env.LANG_PORTAL_API ?? "http://127.0.0.1:8000" });

export default defineConfig(mergeConfig(config, { plugins: [react(), tailwindcss()] }));
