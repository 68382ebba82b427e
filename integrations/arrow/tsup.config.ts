import { defineConfig } from "tsup"

export default defineConfig({
  // the encoding worker is loaded by URL, next to index.js
  entry: { index: "src/index.ts", worker: "src/internal/worker.ts" },
  format: ["esm"],
  dts: true,
  clean: true,
  target: "node22",
  removeNodeProtocol: false,
  sourcemap: true
})
