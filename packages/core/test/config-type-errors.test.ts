/**
 * The compile error a user sees when an environment of `StrataConfig.define`
 * does not provide what the assets need: it names the environment and the
 * missing service, instead of pointing at `exactOptionalPropertyTypes` and
 * the fields of an I/O manager. Compiles a config with the real `tsc` and
 * reads its messages.
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"

const packageRoot = path.resolve(import.meta.dirname, "..")
const tsc = path.join(packageRoot, "node_modules", ".bin", "tsc")
const dir = fs.mkdtempSync(path.join(packageRoot, ".typetest-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const config = `import { Context, Effect, Layer } from "effect"
import { Asset, FileSystemIO, IOManager, Project, StrataConfig } from "../src/index.ts"

class Warehouse extends Context.Service<Warehouse, { readonly query: (sql: string) => Effect.Effect<number> }>()("my-project/Warehouse") {}
class TableIO extends IOManager.Tag<TableIO, ReadonlyArray<number>>()("my-project/TableIO") {}

const count = Asset.make("count", {}, () => Effect.gen(function*() { return yield* (yield* Warehouse).query("select 1") }))
const rows = Asset.make("rows", { io: TableIO }, () => Effect.succeed([1, 2, 3]))
const project = Project.make({ assets: [count, rows] })
const warehouse = Layer.succeed(Warehouse, { query: () => Effect.succeed(1) })
const needsWarehouse = Layer.effect(TableIO, Effect.gen(function*() {
  yield* Warehouse
  return FileSystemIO.make() as IOManager.IOManager<ReadonlyArray<number>>
}))

export default StrataConfig.define({
  project,
  environments: {
    complete: () => Layer.mergeAll(warehouse, FileSystemIO.layerFor(TableIO), FileSystemIO.layer()),
    alsoComplete: ({ root, name }) => Layer.mergeAll(warehouse, FileSystemIO.layerFor(TableIO), FileSystemIO.layer({ base: root + name })),
    noWarehouse: ({ root }) => Layer.mergeAll(FileSystemIO.layerFor(TableIO), FileSystemIO.layer({ base: root })),
    noTableIO: () => Layer.mergeAll(warehouse, FileSystemIO.layer()),
    needsInput: () => Layer.mergeAll(needsWarehouse, FileSystemIO.layer())
  },
  defaultEnvironment: "complete"
})
`

const compile = (): Promise<string> => {
  fs.writeFileSync(path.join(dir, "strata.config.ts"), config)
  fs.writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({ extends: "../tsconfig.json", include: [], files: ["strata.config.ts"] })
  )
  return new Promise((resolve) =>
    execFile(tsc, ["-p", path.join(dir, "tsconfig.json"), "--pretty", "false"], { cwd: packageRoot }, (_error, stdout) =>
      resolve(stdout))
  )
}

describe("StrataConfig.define: the compile error names the missing service", () => {
  it("one error per incomplete environment, on its line, naming the missing service", async () => {
    const output = await compile()
    const errors = output.split("\n").filter((line) => /error TS\d+/.test(line))
    const at = (environment: string) => {
      const line = config.split("\n").findIndex((text) => text.trimStart().startsWith(`${environment}:`)) + 1
      return errors.filter((error) => error.includes(`strata.config.ts(${line},`))
    }
    expect(at("complete")).toEqual([])
    expect(at("alsoComplete")).toEqual([])
    // a thunk without parameters: the error names exactly what is missing
    expect(at("noTableIO")).toHaveLength(1)
    expect(at("noTableIO")[0]).toContain(`not assignable to type '"this environment does not provide my-project/TableIO"'`)
    expect(at("needsInput")).toHaveLength(1)
    expect(at("needsInput")[0]).toContain(
      `"this environment's Layer still requires my-project/Warehouse; provide it inside the Layer"`
    )
    // a thunk reading its context ({ root }): TypeScript cannot infer its Layer once it fails the check, so the error
    // lists every service the assets need next to the Layer's type, which lacks Warehouse
    expect(at("noWarehouse")).toHaveLength(1)
    expect(at("noWarehouse")[0]).toContain("Type 'Layer<DefaultIO | TableIO, never, never>' is not assignable")
    expect(at("noWarehouse")[0]).toContain(`"this environment's Layer must provide my-project/Warehouse"`)
    expect(at("noWarehouse")[0]).toContain(`"this environment's Layer must provide my-project/TableIO"`)
    expect(errors).toHaveLength(3)
    for (const error of [...at("noTableIO"), ...at("needsInput")]) expect(error).not.toContain("exactOptionalPropertyTypes")
  })
})
