/**
 * The build every published package shares: ESM for Node 22+, declarations
 * and source maps, `node:` specifiers kept. A package's tsup.config.ts adds
 * its entries (and anything else it needs).
 */
import type { Options } from "tsup"

export const packageBuild = (options: Options): Options => ({
  format: ["esm"],
  dts: true,
  clean: true,
  target: "node22",
  removeNodeProtocol: false,
  sourcemap: true,
  ...options
})
