import { defineConfig } from "vitest/config"

export default defineConfig({
  resolve: { conditions: ["@strata/source"] },
  test: {
    include: ["test/**/*.test.ts"],
    // the demo runs several CLI processes over 100,000 rows (and the silver checks read the Parquet file back);
    // on this shared machine at load 20-30 one test took over 120 s
    testTimeout: 300_000,
    hookTimeout: 120_000
  }
})
