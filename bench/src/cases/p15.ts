// scratch harness (untracked): p15.ts <n> <memory|files> [stop]: materialize the workload once, or stop before it
import { Materialize, Project } from "@strata/core"
import * as Runtime from "../runtime.ts"
import * as Workload from "../workload.ts"

const n = Number(process.argv[2])
const storage = process.argv[3] as Runtime.Storage
const project = Project.make({ assets: Workload.make(n) })
const bench = await Runtime.make(storage)
console.log("MARK start"); const cpu0 = process.cpuUsage()
if (process.argv[4] !== "stop") {
  const result = await bench.runtime.runPromise(Materialize.materialize(project))
  if (result.status !== "succeeded" || result.materialized.length !== n) throw new Error("run did not succeed")
}
console.log("MARK end", process.cpuUsage(cpu0))
await bench.close()
