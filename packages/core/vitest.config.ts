import { defineConfig } from "vitest/config"

export default defineConfig({
  resolve: { conditions: ["@strata/source"] },
  test: {
    include: ["test/**/*.test.ts"],
    typecheck: { enabled: true, include: ["typetest/**/*.test-d.ts"], tsconfig: "./tsconfig.json" },
    testTimeout: 30_000
  }
})
