import { defineConfig } from "vitest/config"

export default defineConfig({
  // tests run in Vite's SSR environment, which has its own resolve conditions
  resolve: { conditions: ["@strata/source"] },
  ssr: { resolve: { conditions: ["@strata/source"] } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    // the files start worker processes against one server on a small machine: one file at a time
    fileParallelism: false
  }
})
