import { defineConfig } from "vitest/config"

export default defineConfig({
  resolve: { conditions: ["@strata/source"] },
  ssr: { resolve: { conditions: ["@strata/source"], externalConditions: ["@strata/source"] } },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/buildUi.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
