/**
 * The project `strata init <dir>` creates: two assets fed by a resource with a local Layer, one test, and
 * the package.json / tsconfig.json to install and type-check them.
 *
 * @since 0.1.0
 */
import type { StrataRanges } from "../Versions.ts"
import { toolRanges } from "../Versions.ts"
import type { Sources, TemplateFile } from "../Template.ts"
import { compilerOptions, dedent, gitignore, jsonText, overrideFields } from "../Template.ts"

/**
 * What the app template needs to know.
 *
 * @since 0.1.0
 */
export interface AppOptions {
  /** The package name (from the folder's name). */
  readonly name: string
  readonly ranges: StrataRanges
  readonly sources: Sources
}

const packageJson = (options: AppOptions): string => {
  const dependencies = {
    "@strata/cli": options.sources.spec("@strata/cli"),
    "@strata/core": options.sources.spec("@strata/core"),
    effect: options.ranges.effect
  }
  const devDependencies = {
    "@types/node": toolRanges["@types/node"],
    typescript: toolRanges.typescript,
    vitest: options.ranges.vitest
  }
  return jsonText({
    name: options.name,
    version: "0.0.0",
    private: true,
    type: "module",
    engines: { node: ">=22.19" },
    scripts: {
      materialize: "strata materialize",
      status: "strata status",
      dev: "strata dev",
      test: "vitest run",
      typecheck: "tsc -p tsconfig.json"
    },
    dependencies,
    devDependencies,
    ...overrideFields(options.sources, new Set([...Object.keys(dependencies), ...Object.keys(devDependencies)]))
  })
}

const tsconfig = jsonText({ compilerOptions, include: ["strata.config.ts", "src", "test"] })

const config = dedent(`
  // The project: its assets, and one Layer per environment providing everything they use.
  // strata materialize / status / dev load this file (STRATA_ENV picks the environment, default local).
  import { FileSystemIO, Project, StrataConfig } from "@strata/core"
  import { Layer } from "effect"
  import { orders, revenueByCustomer } from "./src/assets.ts"
  import { ShopLocal } from "./src/shop.ts"

  export default StrataConfig.define({
    project: Project.make({ assets: [orders, revenueByCustomer] }),
    environments: {
      // assets stored as JSON files under .strata/storage; the shop is the local one (leave ShopLocal out
      // and tsc reports the missing Shop service)
      local: ({ root }) => Layer.mergeAll(FileSystemIO.layer({ base: \`\${root}/.strata/storage\` }), ShopLocal)
    }
  })
`)

const shop = (name: string) =>
  dedent(`
  // A resource: any Effect service. An asset that uses it requires it; each environment provides a Layer.
  import { Context, Effect, Layer } from "effect"

  export interface Order {
    readonly id: number
    readonly customer: string
    readonly amount: number
  }

  export class Shop extends Context.Service<Shop, {
    readonly orders: () => Effect.Effect<ReadonlyArray<Order>>
  }>()(${JSON.stringify(`${name}/Shop`)}) {}

  // The local shop: a few orders in memory. A production Layer would call your shop's API or database.
  export const ShopLocal: Layer.Layer<Shop> = Layer.succeed(Shop, {
    orders: () =>
      Effect.succeed([
        { id: 1, customer: "acme", amount: 30 },
        { id: 2, customer: "globex", amount: 12 },
        { id: 3, customer: "acme", amount: 8 }
      ])
  })
`)

const assets = dedent(`
  // The assets: typed functions of other assets. Strata infers the graph from \`deps\`.
  import { Asset, Output } from "@strata/core"
  import { Effect } from "effect"
  import { Shop } from "./shop.ts"

  export const orders = Asset.make("orders", { group: "bronze" }, () =>
    Effect.gen(function*() {
      const shop = yield* Shop
      const rows = yield* shop.orders()
      return Output.make(rows, { metadata: { row_count: rows.length } })
    }))

  export const revenueByCustomer = Asset.make(
    "revenue_by_customer",
    { deps: { orders }, group: "gold" },
    ({ orders }) => {
      // orders: ReadonlyArray<Order>, typed from the upstream asset
      const totals: Record<string, number> = {}
      for (const order of orders) totals[order.customer] = (totals[order.customer] ?? 0) + order.amount
      return Effect.succeed(totals)
    }
  )
`)

const test = dedent(`
  import { Materialize, Project } from "@strata/core"
  import { Effect, Layer } from "effect"
  import { expect, it } from "vitest"
  import { orders, revenueByCustomer } from "../src/assets.ts"
  import { Shop } from "../src/shop.ts"

  // a test Layer in place of the real shop; materializeInMemory keeps values in memory (no files, no instance)
  const TestShop = Layer.succeed(Shop, {
    orders: () =>
      Effect.succeed([
        { id: 1, customer: "initech", amount: 5 },
        { id: 2, customer: "initech", amount: 7 },
        { id: 3, customer: "umbrella", amount: 1 }
      ])
  })

  it("sums the orders of each customer", async () => {
    const project = Project.make({ assets: [orders, revenueByCustomer] })
    const result = await Effect.runPromise(Materialize.materializeInMemory(project).pipe(Effect.provide(TestShop)))
    expect(result.status).toBe("succeeded")
    expect(result.value(revenueByCustomer)).toEqual({ initech: 12, umbrella: 1 })
  })
`)

const readme = (options: AppOptions) =>
  dedent(`
  # ${options.name}

  A Strata project (a data-aware orchestrator on Effect), created by \`strata init\`.

  \`\`\`sh
  npm install                 # or pnpm install
  npx strata materialize      # materializes orders and revenue_by_customer into .strata/
  npx strata status           # fresh / stale / missing, with reasons
  npx strata dev              # the catalog on http://127.0.0.1:3000
  npx vitest run              # the test in test/
  npx tsc -p tsconfig.json    # type-check
  \`\`\`

  - \`strata.config.ts\`: the project and its environments (one Layer each).
  - \`src/assets.ts\`: the assets. \`src/shop.ts\`: the \`Shop\` resource and its local Layer.
  - \`test/assets.test.ts\`: the assets materialized in memory with a test Layer.
`)

/**
 * The files of a new project.
 *
 * @since 0.1.0
 */
export const files = (options: AppOptions): Array<TemplateFile> => [
  { path: "package.json", content: packageJson(options) },
  { path: "tsconfig.json", content: tsconfig },
  { path: "strata.config.ts", content: config },
  { path: "src/shop.ts", content: shop(options.name) },
  { path: "src/assets.ts", content: assets },
  { path: "test/assets.test.ts", content: test },
  { path: "README.md", content: readme(options) },
  { path: ".gitignore", content: gitignore }
]
