import { defineConfig } from "vitest/config"

export default defineConfig({
  // tests run in Vite's SSR environment, which has its own resolve conditions
  resolve: { conditions: ["@strata/source"] },
  ssr: { resolve: { conditions: ["@strata/source"] } },
  test: {
    include: ["test/**/*.test.ts"],
    
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // the files share one server on a small machine: run them one at a time
    fileParallelism: false
  }
})
