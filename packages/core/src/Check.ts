/**
 * Asset checks: tests on an asset's data, run after it materializes (or on
 * their own), whose results are events (`check-evaluated`) kept in the
 * instance's check store with their history.
 *
 * `Check.make(asset, name, options, evaluate)` attaches a check to an asset;
 * `Project.make({ assets, checks })` registers it. The check receives the
 * asset's value (loaded through the asset's I/O manager) and a
 * {@link CheckContext} with the materialization it checks and the one before,
 * and returns `true`/`false` or a {@link CheckResult} with metadata.
 *
 * Severity: an `error` check is **blocking**: when it fails (or cannot be
 * evaluated), the asset's downstream in the run is skipped, naming the check,
 * while independent branches go on, and the run ends `failed`. A `warn`
 * check's failure is recorded and shown, and nothing else changes.
 *
 * @example
 * ```ts
 * import { Asset, Check, Project } from "@strata/core"
 * import { Effect } from "effect"
 *
 * const users = Asset.make("users", {}, () => Effect.succeed([{ id: 1, email: "a@x.org" }]))
 * const emailsUnique = Check.unique(users, "email")
 * const notEmpty = Check.make(users, "not_empty", { severity: "warn" }, (rows) => Effect.succeed(rows.length > 0))
 * export const project = Project.make({ assets: [users], checks: [emailsUnique, notEmpty] })
 * ```
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { Asset, Node } from "./Asset.ts"
import type { AssetKey } from "./AssetKey.ts"
import type { MaterializationRecord } from "./Instance.ts"
import type { Metadata } from "./Metadata.ts"
import type { Measure, MeasureResult } from "./TableMeasure.ts"
import { compute } from "./TableMeasure.ts"

const TypeId: unique symbol = Symbol.for("@strata/core/Check")

/**
 * `error` checks block the asset's downstream when they fail; `warn` checks only report.
 *
 * @since 0.1.0
 */
export type Severity = "warn" | "error"

/**
 * What a check returns (or `true`/`false`).
 *
 * @since 0.1.0
 */
export interface CheckResult {
  readonly passed: boolean
  /** One line for the CLI and the catalog: what failed (`3 duplicate emails: a@x.org, ...`). */
  readonly message?: string | undefined
  /** Figures behind the verdict (counts, offending values), stored with the result. */
  readonly metadata?: Metadata | undefined
}

/**
 * What a check knows besides the value.
 *
 * @since 0.1.0
 */
export interface CheckContext {
  readonly assetKey: AssetKey
  readonly check: string
  readonly partition: string | undefined
  readonly runId: string
  /** The materialization being checked (the latest one), when the instance has it. */
  readonly materialization: MaterializationRecord | undefined
  /** The materialization before it, when there is one (for "did not drop by more than X%"). */
  readonly previous: MaterializationRecord | undefined
}

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 */
export interface Options {
  /** Default `error` (blocking). */
  readonly severity?: Severity | undefined
  readonly description?: string | undefined
  /**
   * Load the asset's value through its I/O manager before evaluating (default
   * true). A check that reads only the context (metadata, history) or runs SQL
   * against the stored table sets it to false and receives `undefined`.
   */
  readonly load?: boolean | undefined
}

/**
 * The plain description of a check (what `strata checks` and the catalog list).
 *
 * @since 0.1.0
 */
export interface CheckSpec {
  readonly assetKey: AssetKey
  readonly name: string
  readonly severity: Severity
  readonly blocking: boolean
  readonly description: string | undefined
}

/**
 * A check of an asset producing `A`, needing services `R`.
 *
 * @since 0.1.0
 */
export interface Check<A, R = never> {
  readonly [TypeId]: typeof TypeId
  readonly asset: Node<unknown, unknown>
  readonly spec: CheckSpec
  readonly load: boolean
  readonly evaluate: (value: A, context: CheckContext) => Effect.Effect<CheckResult | boolean, unknown, R>
  /**
   * Set for checks judged on table measures ({@link fromMeasures}, the
   * built-ins): the step asks the asset's I/O manager to compute them where
   * the data lives (`IOManager.measure`) before loading the value.
   */
  readonly measured?: Measured | undefined
  readonly "~requirements": (_: never) => R
}

/**
 * The measures a check needs and its verdict over their results.
 *
 * @since 0.1.0
 */
export interface Measured {
  readonly measures: ReadonlyArray<Measure>
  readonly verdict: (results: ReadonlyArray<MeasureResult>, context: CheckContext) => CheckResult
}

/**
 * Any check.
 *
 * @since 0.1.0
 */
export type Any = Check<any, unknown>

/**
 * The services a check needs.
 *
 * @since 0.1.0
 */
export type Requirements<T> = T extends Check<infer _A, infer R> ? R : never

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/

/**
 * A check name that is not valid: letters, digits, `_`, `-`, `.`, at most 128 characters.
 *
 * @since 0.1.0
 */
export const isValidName = (name: string): boolean => NAME.test(name)

/**
 * Attaches a check to an asset.
 *
 * @since 0.1.0
 */
export const make = <A, E, RA, R = never>(
  asset: Asset<A, E, RA>,
  name: string,
  options: Options,
  evaluate: (value: A, context: CheckContext) => Effect.Effect<CheckResult | boolean, unknown, R>
): Check<A, R> => {
  if (!isValidName(name)) {
    throw new TypeError(
      `Check.make: check name ${JSON.stringify(name.slice(0, 130))} of asset ${asset.key} is not valid; ` +
        "use letters, digits, '_', '-' and '.' (at most 128 characters)"
    )
  }
  const severity = options.severity ?? "error"
  return {
    [TypeId]: TypeId,
    asset: asset as Node<unknown, unknown>,
    spec: { assetKey: asset.key, name, severity, blocking: severity === "error", description: options.description },
    load: options.load ?? true,
    evaluate
  } as Check<A, R>
}

/**
 * A check judged on table measures (`TableMeasure`): where the asset's I/O
 * manager can compute them in place (`IOManager.measure`, e.g. SQL in
 * Postgres), nothing is loaded; otherwise the value is loaded and the same
 * measures are computed in memory. Either way `verdict` sees the same results.
 *
 * @example
 * ```ts
 * import { Asset, Check } from "@strata/core"
 * import { Effect } from "effect"
 *
 * const orders = Asset.make("orders", {}, () => Effect.succeed([{ id: 1, amount: 5 }]))
 * const fewRefunds = Check.fromMeasures(orders, "few_negative_amounts", { severity: "warn" },
 *   [{ type: "outside-range", column: "amount", min: 0 }],
 *   ([amounts]) => amounts!.count <= amounts!.rows / 100 ? Check.pass() : Check.fail(`${amounts!.count} negative amounts`))
 * ```
 * @since 0.1.0
 */
export const fromMeasures = <A, E, RA>(
  asset: Asset<A, E, RA>,
  name: string,
  options: Omit<Options, "load">,
  measures: ReadonlyArray<Measure>,
  verdict: Measured["verdict"]
): Check<A> => {
  const evaluate = (value: A, context: CheckContext) =>
    Effect.sync(() => {
      const results = compute(value, measures)
      return results === undefined
        ? fail(`the value is not a table (an array of rows or a columnar table with numRows/getChild); got ${typeof value}`)
        : verdict(results, context)
    })
  return { ...make(asset, name, { ...options, load: true }, evaluate), measured: { measures, verdict } }
}

/**
 * `true` for values made by {@link make} (and the built-ins).
 *
 * @since 0.1.0
 */
export const isCheck = (u: unknown): u is Any => typeof u === "object" && u !== null && TypeId in u

/**
 * A passing result.
 *
 * @since 0.1.0
 */
export const pass = (metadata?: Metadata): CheckResult => ({ passed: true, metadata })

/**
 * A failing result.
 *
 * @since 0.1.0
 */
export const fail = (message: string, metadata?: Metadata): CheckResult => ({ passed: false, message, metadata })

/**
 * The result a check's return value stands for.
 *
 * @since 0.1.0
 */
export const normalize = (result: CheckResult | boolean): CheckResult =>
  typeof result === "boolean" ? { passed: result } : result

export * from "./internal/checks/builtins.ts"
