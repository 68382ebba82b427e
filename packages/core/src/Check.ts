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
import type { Effect } from "effect"
import type { Asset, Node } from "./Asset.ts"
import type { AssetKey } from "./AssetKey.ts"
import type { MaterializationRecord } from "./Instance.ts"
import type { Metadata } from "./Metadata.ts"

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
  readonly "~requirements": (_: never) => R
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
