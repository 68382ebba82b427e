import { defineConfig } from "tsup"
import { packageBuild } from "../../tsup.base.ts"

export default defineConfig(packageBuild({
  // the encoding worker is loaded by URL, next to index.js
  entry: { index: "src/index.ts", TableIO: "src/TableIO.ts", worker: "src/internal/worker.ts" }
}))
