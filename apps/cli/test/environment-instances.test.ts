/**
 * Each environment without its own `Instance` gets its own default SQLite
 * instance: the default environment keeps `.strata/instance.db` (existing
 * projects keep their history), any other one `.strata/<name>/instance.db`.
 * A prod run must not change what local `status` says.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { projectsOfThisFile, strata } from "./helpers.ts"

const project = projectsOfThisFile()

const config = (defaultEnvironment?: string) =>
  `import { Asset, FileSystemIO, Project, StrataConfig } from "@strata/core"
import { Effect } from "effect"
const orders = Asset.make("orders", {}, () => Effect.succeed([1, 2, 3]))
const total = Asset.make("total", { deps: { orders } }, ({ orders }) => Effect.succeed(orders.length))
export default StrataConfig.define({
  project: Project.make({ assets: [orders, total] }),
  environments: {
    local: ({ root }) => FileSystemIO.layer({ base: root + "/.strata/storage" }),
    prod: ({ root }) => FileSystemIO.layer({ base: root + "/prod-storage" })
  }${defaultEnvironment === undefined ? "" : `,\n  defaultEnvironment: ${JSON.stringify(defaultEnvironment)}`}
})
`

const statuses = async (dir: string, env?: string) => {
  const result = await strata(["status", "--json"], { cwd: dir, env: { STRATA_ENV: env } })
  expect(result.code, result.stderr).toBe(0)
  return (JSON.parse(result.stdout).assets as Array<{ key: string; status: string }>).map((a) => `${a.key}:${a.status}`)
}
const runIds = async (dir: string, env?: string) =>
  (JSON.parse((await strata(["runs", "--json"], { cwd: dir, env: { STRATA_ENV: env } })).stdout) as Array<{ runId: string }>)
    .map((run) => run.runId)

describe("a default instance per environment", () => {
  it("a prod run does not change local status; each environment lists its own runs", async () => {
    const dir = project({ "strata.config.ts": config() })
    const prod = await strata(["materialize", "--json"], { cwd: dir, env: { STRATA_ENV: "prod" } })
    expect(prod.code, prod.stderr).toBe(0)
    const prodRun = JSON.parse(prod.stdout).runId as string
    expect(fs.existsSync(path.join(dir, ".strata", "prod", "instance.db"))).toBe(true)
    expect(fs.existsSync(path.join(dir, "prod-storage", "total.json"))).toBe(true)
    // local storage holds nothing: local status must not say fresh
    expect(await statuses(dir)).toEqual(["orders:missing", "total:missing"])
    expect(await statuses(dir, "prod")).toEqual(["orders:fresh", "total:fresh"])
    expect(await runIds(dir, "prod")).toEqual([prodRun])
    expect(await runIds(dir)).toEqual([])
    const text = await strata(["materialize"], { cwd: dir, env: { STRATA_ENV: "prod" } })
    expect(text.stdout).toContain(`instance sqlite ${path.join(dir, ".strata", "prod", "instance.db")}`)
  })

  it("the default environment keeps reading .strata/instance.db, so existing history stays", async () => {
    const dir = project({ "strata.config.ts": config() })
    const local = await strata(["materialize", "--json"], { cwd: dir })
    expect(local.code, local.stderr).toBe(0)
    const localRun = JSON.parse(local.stdout).runId as string
    expect(fs.existsSync(path.join(dir, ".strata", "instance.db"))).toBe(true)
    expect((await strata(["materialize"], { cwd: dir, env: { STRATA_ENV: "prod" } })).code).toBe(0)
    expect(await runIds(dir)).toEqual([localRun])
    expect(await statuses(dir)).toEqual(["orders:fresh", "total:fresh"])
  })

  it("with defaultEnvironment prod, prod has .strata/instance.db and local its own folder", async () => {
    const dir = project({ "strata.config.ts": config("prod") })
    expect((await strata(["materialize"], { cwd: dir, env: { STRATA_ENV: "local" } })).code).toBe(0)
    expect(fs.existsSync(path.join(dir, ".strata", "local", "instance.db"))).toBe(true)
    expect(fs.existsSync(path.join(dir, ".strata", "instance.db"))).toBe(false)
    expect(await statuses(dir)).toEqual(["orders:missing", "total:missing"])
    expect(await statuses(dir, "local")).toEqual(["orders:fresh", "total:fresh"])
  })
})
