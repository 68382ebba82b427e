import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Asset, ExternalAsset, Project, Selection, SourceAsset } from "../src/index.ts"

const one = () => Effect.succeed(1)
const raw = SourceAsset.make("bronze/raw_users", {
  observe: Effect.succeed({ dataVersion: "1" }),
  load: () => Effect.succeed(1),
  group: "bronze"
})
const silver = Asset.make("silver_users", { deps: { raw }, group: "silver", kinds: ["parquet"], owners: ["team:data"] }, one)
const orders = Asset.make("silver_orders", { group: "silver", tags: { pii: "", tier: "gold" } }, one)
const gold = Asset.make("gold_user_metrics", { deps: { silver, orders }, group: "gold", kinds: ["parquet"] }, one)
const report = Asset.make("gold_report", { deps: { gold }, group: "gold" }, one)
const dashboard = ExternalAsset.make("dashboards/growth", { deps: [report] })
const project = Project.make({ assets: [raw, silver, orders, gold, report, dashboard] })

const pick = (text: string) => [...Selection.resolveSync(project, text)].sort()

describe("Selection", () => {
  it.each([
    ["silver_users", ["silver_users"]],
    ["+silver_users", ["bronze/raw_users", "silver_users"]],
    ["*gold_report", ["bronze/raw_users", "gold_report", "gold_user_metrics", "silver_orders", "silver_users"]],
    ["2+gold_report", ["gold_report", "gold_user_metrics", "silver_orders", "silver_users"]],
    ["++gold_report", ["gold_report", "gold_user_metrics", "silver_orders", "silver_users"]],
    ["silver_users+", ["gold_user_metrics", "silver_users"]],
    ["silver_users+2", ["gold_report", "gold_user_metrics", "silver_users"]],
    ["silver_users*", ["dashboards/growth", "gold_report", "gold_user_metrics", "silver_users"]],
    ["group:silver", ["silver_orders", "silver_users"]],
    ["kind:parquet", ["gold_user_metrics", "silver_users"]],
    ["owner:team:data", ["silver_users"]],
    ["tag:tier=gold", ["silver_orders"]],
    ["tag:pii", ["silver_orders"]],
    ["key:silver_*", ["silver_orders", "silver_users"]],
    ["key:\"bronze/*\"", ["bronze/raw_users"]],
    ["silver_users, silver_orders", ["silver_orders", "silver_users"]],
    ["silver_users or gold_report", ["gold_report", "silver_users"]],
    ["group:gold and kind:parquet", ["gold_user_metrics"]],
    ["group:gold and not kind:parquet", ["gold_report"]],
    ["not (group:gold or group:silver)", ["bronze/raw_users", "dashboards/growth"]],
    ["roots(*gold_report)", ["bronze/raw_users", "silver_orders"]],
    ["sinks(group:silver+)", ["gold_user_metrics"]],
    ["(silver_users)+", ["gold_user_metrics", "silver_users"]]
  ])("%s", (text, expected) => {
    expect(pick(text)).toEqual(expected)
  })

  it("selects everything with *", () => {
    expect(pick("*")).toHaveLength(6)
  })

  it.each([
    ["", 0, "the selection is empty"],
    ["silver_users gold_report", 13, "unexpected 'gold_report'"],
    ["(silver_users", 13, "expected ')'"],
    ["colour:red", 0, "unknown attribute 'colour'"],
    ["silver_users,", 13, "ends too early"],
    ["a ; b", 2, "unexpected character \";\""],
    ["and", 0, "'and' needs a term on both sides"]
  ])("reports a parse error in %j at its position", (text, position, problem) => {
    let error: unknown
    try {
      Selection.parseSync(text)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(Selection.SelectionParseError)
    const parseError = error as Selection.SelectionParseError
    expect(parseError.position).toBe(position)
    expect(parseError.problem).toContain(problem)
    expect(parseError.message).toContain(`column ${position + 1}`)
  })

  it("fails on an unknown key and suggests the nearest ones", () => {
    const exit = Effect.runSyncExit(Selection.resolve(project, "+silver_user"))
    expect(exit._tag).toBe("Failure")
    let error: unknown
    try {
      Selection.resolveSync(project, "+silver_user")
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(Selection.SelectionResolveError)
    const resolveError = error as Selection.SelectionResolveError
    expect(resolveError.term).toBe("silver_user")
    expect(resolveError.suggestions).toContain("silver_users")
    expect(resolveError.message).toContain("no asset has the key 'silver_user'; did you mean silver_users")
    expect(() => Selection.resolveSync(project, "raw_users")).toThrowError(/did you mean bronze\/raw_users/)
  })

  it("fails on an attribute matching nothing and lists the known values", () => {
    expect(() => Selection.resolveSync(project, "group:platinum")).toThrowError(/no asset matches group:platinum \(known: bronze, default, gold, silver\)/)
  })
})
