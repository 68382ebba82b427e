import { defineConfig } from "vitest/config"

// No `@strata/source` condition: the README examples are checked and run against the built packages
// (dist/), as a user who installed them would compile and run them.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000
  }
})
