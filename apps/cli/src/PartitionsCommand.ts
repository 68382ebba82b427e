/**
 * `strata partitions add | remove | list`: the keys of dynamic partitions
 * definitions, stored in the instance. The target is an asset whose
 * partitions are (or have a dimension that is) `Partitions.dynamic(name)`,
 * or the definition's name itself.
 *
 * @since 0.1.0
 */
import type { Project } from "@strata/core"
import { DynamicPartitionStore } from "@strata/core"
import { Effect, Option } from "effect"
import { Argument, Command } from "effect/cli"
import type { CliFailure } from "./CliError.ts"
import { runtime, usage } from "./CliError.ts"
import { fileFlag, jsonFlag } from "./CommonFlags.ts"
import * as OpenProject from "./OpenProject.ts"
import * as Output from "./Output.ts"

const targetArgument = Argument.String("target").pipe(
  Argument.withDescription("An asset with dynamic partitions, or the dynamic partitions definition's name")
)

/** The definition name a target stands for, or a usage error listing what exists. */
const definitionName = (project: Project.Project<unknown>, target: string): string | CliFailure => {
  const byAsset = DynamicPartitionStore.definitionsOf(project)
  const names = new Set([...byAsset.values()].flatMap((set) => [...set]))
  const ofAsset = byAsset.get(target)
  if (ofAsset !== undefined && ofAsset.size === 1) return [...ofAsset][0]!
  if (names.has(target)) return target
  if (project.get(target) !== undefined) {
    return usage(`asset ${target} has no dynamic partitions; dynamic definitions: ${[...names].join(", ") || "none"}`)
  }
  return usage(`no asset or dynamic partitions definition is named ${target}; dynamic definitions: ${[...names].join(", ") || "none"}`)
}

const failure = (error: { readonly _tag: string; readonly message: string }): CliFailure =>
  error._tag === "@strata/core/DynamicPartitionError" ? usage(error.message) : runtime(`instance error: ${error.message}`)

const change = (verb: "add" | "remove") =>
  Command.make(
    verb,
    { file: fileFlag, json: jsonFlag, target: targetArgument, keys: Argument.String("keys").pipe(Argument.atLeast(1)) },
    (input) =>
      Effect.scoped(Effect.gen(function*() {
        if (input.json) Output.reserveStdoutForJson()
        const out = Output.processTerminal()
        const { project, instance } = yield* OpenProject.openInstance(input.file)
        const name = definitionName(project, input.target)
        if (typeof name !== "string") return yield* name
        const store = instance.dynamicPartitions
        const result: DynamicPartitionStore.AddResult | DynamicPartitionStore.RemoveResult = verb === "add"
          ? yield* Effect.mapError(store.add(name, input.keys), failure)
          : yield* Effect.mapError(store.remove(name, input.keys), failure)
        if (input.json) return Output.json(out, result)
        if ("added" in result) {
          Output.line(out, `${name}: added ${result.added.length} key${result.added.length === 1 ? "" : "s"}${result.added.length > 0 ? ` (${result.added.join(", ")})` : ""}`)
          if (result.existing.length > 0) Output.line(out, `  already there: ${result.existing.join(", ")}`)
        } else {
          Output.line(out, `${name}: removed ${result.removed.length} key${result.removed.length === 1 ? "" : "s"}${result.removed.length > 0 ? ` (${result.removed.join(", ")})` : ""}`)
          if (result.unknown.length > 0) Output.line(out, `  not there: ${result.unknown.join(", ")}`)
        }
      }))
  ).pipe(Command.withDescription(verb === "add" ? "Add keys to dynamic partitions" : "Remove keys from dynamic partitions"))

const list = Command.make(
  "list",
  { file: fileFlag, json: jsonFlag, target: targetArgument.pipe(Argument.optional) },
  (input) =>
    Effect.scoped(Effect.gen(function*() {
      if (input.json) Output.reserveStdoutForJson()
      const out = Output.processTerminal()
      const { project, instance } = yield* OpenProject.openInstance(input.file)
      const target = Option.getOrUndefined(input.target)
      const named = target === undefined ? undefined : definitionName(project, target)
      if (named !== undefined && typeof named !== "string") return yield* named
      const byAsset = DynamicPartitionStore.definitionsOf(project)
      const names = named !== undefined ? [named] : [...new Set([...byAsset.values()].flatMap((set) => [...set]))].sort()
      const all = yield* instance.dynamicPartitions.all().pipe(Effect.mapError(failure))
      const rows = names.map((name) => ({
        name,
        assets: [...byAsset].filter(([, set]) => set.has(name)).map(([key]) => key),
        keys: (all[name] ?? []).filter((key): key is string => key !== null)
      }))
      if (input.json) return Output.json(out, rows)
      for (const row of rows) {
        Output.line(out, `${row.name} (${row.assets.join(", ")}): ${row.keys.length} key${row.keys.length === 1 ? "" : "s"}`)
        for (const key of row.keys) Output.line(out, `  ${key}`)
      }
    }))
).pipe(Command.withDescription("List the keys of dynamic partitions (all definitions, or one)"))

/**
 * `strata partitions`.
 *
 * @since 0.1.0
 */
export const partitionsCommand = Command.make("partitions").pipe(
  Command.withDescription("Dynamic partitions: add, remove and list their keys (stored in the instance)"),
  Command.withExamples([
    { command: "strata partitions add customer_orders acme globex", description: "Add two keys (by asset or definition name)" },
    { command: "strata partitions remove customers globex", description: "Remove a key" },
    { command: "strata partitions list --json", description: "Every dynamic definition's keys" }
  ]),
  Command.withSubcommands([change("add"), change("remove"), list])
)
