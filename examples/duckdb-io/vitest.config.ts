import { defineConfig } from "vitest/config"

// No "@strata/source" condition: @strata/core resolves to its built dist, as in a user's project
// (turbo builds it first: test depends on ^build).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000
  }
})
