import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { projectsOfThisFile, strata } from "./helpers.ts"

const project = projectsOfThisFile()

const config = `import { Asset, FileSystemIO, Partitions, Project, StrataConfig } from "@strata/core"
import { Effect } from "effect"

const customers = Partitions.dynamic("customers")
const orders = Asset.make("orders", { partitions: customers }, (_, context) =>
  Effect.succeed([{ customer: context.partitions.first, orders: 3 }]))

export default StrataConfig.define({
  project: Project.make({ assets: [orders] }),
  environments: { local: () => FileSystemIO.layer() }
})
`

describe("strata partitions add / remove / list (dynamic partitions in the instance)", () => {
  it("adds keys by asset or name, refuses bad keys and unknown targets, runs over stored keys only", async () => {
    const dir = project({ "strata.config.ts": config })
    const added = await strata(["partitions", "add", "orders", "acme", "globex", "acme", "--json"], { cwd: dir })
    expect(added.code, added.stderr).toBe(0)
    expect(JSON.parse(added.stdout)).toEqual({ name: "customers", added: ["acme", "globex"], existing: [] })

    const bad = await strata(["partitions", "add", "customers", "ok", "bad|key"], { cwd: dir })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain(`key "bad|key" of dynamic partitions customers is invalid: '|' separates the dimensions`)
    const unknown = await strata(["partitions", "add", "nothing", "x"], { cwd: dir })
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("no asset or dynamic partitions definition is named nothing; dynamic definitions: customers")

    const run = await strata(["materialize", "--select", "orders", "--partition", "acme", "--json"], { cwd: dir })
    expect(run.code, run.stderr).toBe(0)
    const stored = JSON.parse(fs.readFileSync(path.join(dir, ".strata", "storage", "orders", "@acme.json"), "utf8"))
    expect(stored).toEqual([{ customer: "acme", orders: 3 }])
    const missing = await strata(["materialize", "--select", "orders", "--partition", "initech"], { cwd: dir })
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain(
      `partition "initech" of asset orders is invalid: there is no such key (expected a key of the dynamic partitions customers)`
    )

    const removed = await strata(["partitions", "remove", "customers", "globex", "initech"], { cwd: dir })
    expect(removed.code, removed.stderr).toBe(0)
    expect(removed.stdout).toContain("customers: removed 1 key (globex)")
    expect(removed.stdout).toContain("not there: initech")
    const list = await strata(["partitions", "list", "--json"], { cwd: dir })
    expect(list.code, list.stderr).toBe(0)
    expect(JSON.parse(list.stdout)).toEqual([{ name: "customers", assets: ["orders"], keys: ["acme"] }])

    const status = await strata(["status", "--json"], { cwd: dir })
    expect(status.code, status.stderr).toBe(0)
    const orders = (JSON.parse(status.stdout).partitions as Array<Record<string, unknown>>).find((s) => s.key === "orders")
    expect(orders).toMatchObject({ total: 1, materialized: 1, missing: 0, stale: 0 })
  }, 600_000) // eight CLI processes
})
