/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The API the dev server proxies to; STRATCREW_API points it elsewhere (another port, another host).
const API = process.env.STRATCREW_API ?? "http://127.0.0.1:8000";
// Every backend route prefix; the SPA owns everything else.
const prefixes = ["/auth", "/strategies", "/executions", "/data", "/code", "/memory", "/reports", "/health", "/docs", "/redoc", "/docs-assets", "/openapi.json"];

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: Object.fromEntries(
      prefixes.map((p) => [p, { target: API, changeOrigin: true, ws: p === "/executions" }]),
    ),
  },
  build: {
    outDir: "dist",
    sourcemap: false,
    // Plotly's cartesian bundle (1.4 MB, 460 kB gzipped) is its own lazy chunk, fetched only by the Sweep tab's charts.
    chunkSizeWarningLimit: 1500,
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    // A 2-core CI box shared with the backend suite can take seconds to render a table: fail on bugs, not load.
    testTimeout: 20_000,
  },
});
