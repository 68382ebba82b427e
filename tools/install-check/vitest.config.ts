import { defineConfig } from "vitest/config"

// No `@strata/source` condition, and nothing here imports the packages: the test runs them from their
// packed tarballs, installed with npm in a project outside the repository.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 900_000
  }
})
