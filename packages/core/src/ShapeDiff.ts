/**
 * The shape of the data before a failure: how a materialization's metadata
 * (row count, null counts and rates, min/max, schema, as the I/O managers
 * record them) differs from the last good one. `compare` lists the changes,
 * the largest first; `forRun` finds, for each asset whose blocking check failed
 * in a run, the materialization that was checked and the one before it.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { InstanceError, MaterializationRecord } from "./Instance.ts"
import { Instance } from "./Instance.ts"
import type { Metadata } from "./Metadata.ts"

/**
 * One difference between two metadata objects. `path` is dotted
 * (`row_count`, `columns.email.null_rate`, `schema.email`).
 *
 * @since 0.1.0
 */
export interface Change {
  readonly path: string
  readonly kind: "added" | "removed" | "changed"
  readonly before: unknown
  readonly after: unknown
  /** For numbers: |after - before| / |before| (Infinity from 0). */
  readonly relative?: number | undefined
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const flatten = (value: unknown, prefix: string, out: Map<string, unknown>, depth: number): void => {
  if (isRecord(value) && depth < 3) {
    for (const key of Object.keys(value)) flatten(value[key], prefix === "" ? key : `${prefix}.${key}`, out, depth + 1)
  } else out.set(prefix, value)
}

/** A `schema` array of `{ name, type }` fields, by name. */
const schemaFields = (schema: unknown): Map<string, unknown> | undefined => {
  if (!Array.isArray(schema)) return undefined
  const fields = new Map<string, unknown>()
  for (const field of schema) if (isRecord(field) && typeof field["name"] === "string") fields.set(field["name"], field["type"] ?? field)
  return fields
}

const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b)

const rank = (change: Change): number =>
  change.path.startsWith("schema.") ? Number.MAX_VALUE : change.relative ?? (change.kind === "changed" ? 0 : 0.5)

/**
 * The changes from `before` to `after`, schema changes first, then the
 * largest relative changes of numbers; unchanged values are left out.
 *
 * @since 0.1.0
 */
export const compare = (before: Metadata | undefined, after: Metadata): Array<Change> => {
  const changes: Array<Change> = []
  const b = new Map<string, unknown>()
  const a = new Map<string, unknown>()
  const { schema: beforeSchema, ...beforeRest } = before ?? {}
  const { schema: afterSchema, ...afterRest } = after
  flatten(beforeRest, "", b, 0)
  flatten(afterRest, "", a, 0)
  const fb = schemaFields(beforeSchema)
  const fa = schemaFields(afterSchema)
  if (fb !== undefined && fa !== undefined) {
    for (const [name, type] of fb) b.set(`schema.${name}`, type)
    for (const [name, type] of fa) a.set(`schema.${name}`, type)
  }
  for (const [path, value] of a) {
    if (!b.has(path)) changes.push({ path, kind: "added", before: undefined, after: value })
    else if (!same(b.get(path), value)) {
      const old = b.get(path)
      const relative = typeof old === "number" && typeof value === "number"
        ? (old === 0 ? Infinity : Math.abs(value - old) / Math.abs(old))
        : undefined
      changes.push({ path, kind: "changed", before: old, after: value, relative })
    }
  }
  for (const [path, value] of b) if (!a.has(path)) changes.push({ path, kind: "removed", before: value, after: undefined })
  return changes.sort((x, y) => rank(y) - rank(x))
}

/**
 * The shape of one asset at a failure: the materialization that was rejected
 * (a blocking check failed on it) next to the last one before it.
 *
 * @since 0.1.0
 */
export interface FailureShape {
  readonly assetKey: string
  readonly partition: string | undefined
  /** The checks that failed on it. */
  readonly checks: ReadonlyArray<string>
  readonly failed: MaterializationRecord
  readonly lastGood: MaterializationRecord | undefined
  readonly changes: ReadonlyArray<Change>
}

/**
 * For each asset whose blocking check failed in a run: the materialization
 * checked and the one before it, with their differences.
 *
 * @since 0.1.0
 */
export const forRun = (runId: string): Effect.Effect<ReadonlyArray<FailureShape>, InstanceError, Instance> =>
  Effect.gen(function*() {
    const instance = yield* Instance
    const events = yield* instance.runEvents(runId)
    const failedChecks = new Map<string, { partition: string | undefined; dataVersion: string | undefined; checks: Array<string> }>()
    for (const event of events) {
      if (event.type !== "check-evaluated" || event.passed || event.severity !== "error") continue
      const key = `${event.assetKey}\u0000${event.partition ?? ""}`
      const entry = failedChecks.get(key) ?? { partition: event.partition, dataVersion: event.dataVersion, checks: [] }
      entry.checks.push(event.check)
      failedChecks.set(key, entry)
    }
    const shapes: Array<FailureShape> = []
    for (const [key, entry] of failedChecks) {
      const assetKey = key.slice(0, key.indexOf("\u0000"))
      const history = yield* instance.history(assetKey, { partition: entry.partition, limit: 50 })
      const own = history.filter((record) => record.partition === entry.partition)
      const at = own.findIndex((record) => entry.dataVersion === undefined || record.dataVersion === entry.dataVersion)
      if (at === -1) continue
      const failed = own[at]!
      const lastGood = own[at + 1]
      shapes.push({ assetKey, partition: entry.partition, checks: entry.checks, failed, lastGood, changes: compare(lastGood?.metadata, failed.metadata) })
    }
    return shapes
  })
