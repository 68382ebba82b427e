import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { instanceConformance } from "@strata/core/testing"
import { afterAll } from "vitest"
import { SqliteInstance } from "../src/index.ts"

const folder = fs.mkdtempSync(path.join(os.tmpdir(), "strata-sqlite-conformance-"))
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }))

let n = 0
instanceConformance("sqlite file", () => SqliteInstance.layer({ path: path.join(folder, `db-${++n}`, "instance.db") }))
instanceConformance("sqlite :memory:", () => SqliteInstance.layer({ path: ":memory:" }))
