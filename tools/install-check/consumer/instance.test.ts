// @strata/core/testing as the author of an Instance uses it: the shared conformance suite, registered
// with vitest (an optional peer of @strata/core, installed here), run on @strata/sqlite's instance. Each
// test gets a database file of its own under .strata/conformance/.
import * as path from "node:path"
import { instanceConformance } from "@strata/core/testing"
import { SqliteInstance } from "@strata/sqlite"

let next = 0
instanceConformance(
  "@strata/sqlite",
  () => SqliteInstance.layer({ path: path.join(import.meta.dirname, ".strata", "conformance", `${next++}.db`) }),
  { timeout: 60_000 }
)
