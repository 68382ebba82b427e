/**
 * `defs:N`: import @strata/core, build the N assets, validate the project and
 * plan "everything". Only definition-time costs: nothing runs.
 *
 * @since 0.1.0
 */
import { argumentN, expectEqual, main, peakRssMb, since } from "../script.ts"

main(async () => {
  const n = argumentN()
  const start = performance.now()
  const { ExecutionPlan, Project } = await import("@strata/core")
  const import_s = since(start)
  const { make } = await import("../workload.ts")

  const buildStart = performance.now()
  const assets = make(n)
  const assets_s = since(buildStart)
  let mark = performance.now()
  const project = Project.make({ assets })
  const project_s = since(mark)
  mark = performance.now()
  const plan = ExecutionPlan.makeSync(project, { selection: "*" })
  const plan_s = since(mark)
  const build_total_s = since(buildStart)
  expectEqual("planned steps", plan.steps.length, n)
  return {
    n,
    import_s,
    assets_s,
    project_s,
    plan_s,
    build_total_s,
    total_s: since(start),
    peak_rss_mb: peakRssMb()
  }
})
