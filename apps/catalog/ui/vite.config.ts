import { fileURLToPath } from "node:url"
import { defineConfig } from "vite"

const root = fileURLToPath(new URL(".", import.meta.url))

export default defineConfig({
  root,
  base: "/",
  // Preact renders the UI (README, "Why Preact"): its automatic JSX runtime
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  // the protocol is bundled from its sources, like the server resolves it in this repo
  resolve: { conditions: ["@strata/source", "browser", "module", "import", "default"] },
  build: {
    outDir: fileURLToPath(new URL("../ui-dist", import.meta.url)),
    emptyOutDir: true,
    // `/asset/...` is a UI route; built files live under `/static/`
    assetsDir: "static",
    chunkSizeWarningLimit: 1500
  },
  // changeOrigin: the catalog answers only requests whose Host names it (127.0.0.1:3000), not Vite's :5173
  server: { proxy: { "/api": { target: "http://127.0.0.1:3000", changeOrigin: true } } }
})
