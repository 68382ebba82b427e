import { defineConfig } from "tsup"
import { packageBuild } from "../../tsup.base.ts"

export default defineConfig(packageBuild({
  // browser-safe: the catalog UI bundles it
  entry: ["src/index.ts"],
  target: "es2022"
}))
