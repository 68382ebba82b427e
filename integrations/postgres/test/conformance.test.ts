import { instanceConformance } from "@strata/core/testing"
import { afterAll, beforeAll } from "vitest"
import { PostgresInstance } from "../src/index.ts"
import type { TestDatabase } from "./support.ts"
import { createTestDatabase } from "./support.ts"

let database: TestDatabase
beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(() => database.drop())

// a fresh schema per test: building the same layer again reopens the same schema
let n = 0
instanceConformance("postgres", () => PostgresInstance.layerClient(database.config, { schema: `conformance_${++n}` }))
