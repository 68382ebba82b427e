import { defineConfig } from "tsup"

export default defineConfig({
  entry: ["src/index.ts", "src/spi.ts", "src/testing.ts"],
  format: ["esm"],
  dts: true,
  clean: true,
  target: "node22",
  removeNodeProtocol: false,
  sourcemap: true
})
