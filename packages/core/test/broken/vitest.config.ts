import { defineConfig } from "vitest/config"

// the broken managers' suite, run by io-conformance-broken.test.ts only
export default defineConfig({
  resolve: { conditions: ["@strata/source"] },
  test: { root: new URL("../..", import.meta.url).pathname, include: ["test/broken/*.conformance.ts"], testTimeout: 60_000 }
})
