/**
 * What `mat:N` and `mem:N` share: materialize the whole workload once and
 * check that every asset was materialized.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Materialize, Project } from "@strata/core"
import { createFiles } from "../fileCreate.ts"
import * as Runtime from "../runtime.ts"
import { cpuSince, expectEqual, peakRssMb, round, since, threadCpuSince } from "../script.ts"
import * as Workload from "../workload.ts"

/**
 * Runs the case and returns its figures.
 *
 * @since 0.1.0
 */
export const run = async (n: number, storage: Runtime.Storage): Promise<Record<string, unknown>> => {
  const project = Project.make({ assets: Workload.make(n) })
  const bench = await Runtime.make(storage)
  try {
    const cpu = process.cpuUsage()
    const mainCpu = process.threadCpuUsage()
    const start = performance.now()
    const result = await bench.runtime.runPromise(Materialize.materialize(project))
    const materialize_s = since(start)
    const materialize_cpu_s = cpuSince(cpu)
    const materialize_main_cpu_s = threadCpuSince(mainCpu)
    const materialize_sys_s = round(process.cpuUsage(cpu).system / 1e6)
    expectEqual("run status", result.status, "succeeded")
    expectEqual("materialized assets", result.materialized.length, n)
    if (bench.folder !== undefined) {
      // the last layer's value, re-read from its file, proves the data really went through storage
      const file = path.join(bench.folder, "storage", `${Workload.keyOf(Workload.LAYERS - 1, 0)}.json`)
      const stored = JSON.parse(fs.readFileSync(file, "utf8")) as unknown
      expectEqual(`value stored in ${file}`, stored, Workload.expectedValue(Workload.LAYERS - 1))
    }
    // what creating a file costs in this folder right after the run (the disk's share of materialize_sys_s)
    const probe = bench.folder === undefined ? undefined : createFiles(bench.folder, 200, true)
    return {
      n,
      materialize_s,
      per_asset_ms: round((materialize_s * 1000) / n, 4),
      materialize_cpu_s,
      materialize_main_cpu_s,
      materialize_sys_s,
      ...(probe === undefined ? {} : { file_create_sys_us: probe.sys_us, file_create_wall_us: probe.wall_us }),
      setup_s: round(bench.setup_s),
      peak_rss_mb: peakRssMb()
    }
  } finally {
    await bench.close()
  }
}
