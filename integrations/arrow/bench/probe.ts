import { Effect } from "effect"
import { ArrowIO } from "@strata/arrow"
import * as os from "node:os"
import * as fs from "node:fs"
import * as path from "node:path"
import { bigTable } from "../test/tables.ts"
const table = bigTable(1_000_000)
const io = ArrowIO.make({ base: fs.mkdtempSync(path.join(os.tmpdir(), "p-")), format: "ipc" })
for (let i = 0; i < 6; i++) { const s = performance.now(); await Effect.runPromise(io.write("t", table)); console.error("total", (performance.now() - s).toFixed(1)) }
