/**
 * Child process of crash.test.ts: stores big tables under one asset key, over
 * and over, until it is killed. Run with plain Node (type stripping) and the
 * `@strata/source` condition:
 * `node --conditions=@strata/source test/crash-writer.ts <base> <format> <rows>`.
 */
import { Effect } from "effect"
import { ArrowIO } from "../src/index.ts"
import { bigTable } from "./tables.ts"

const [base, format, rows] = process.argv.slice(2)
const io = ArrowIO.make({ base: base!, format: format as "parquet" | "ipc", durable: true, schemaChange: "allow" })
const table = bigTable(Number(rows), 1)
process.stdout.write("ready\n")
for (;;) await Effect.runPromise(io.write("victim", table))
