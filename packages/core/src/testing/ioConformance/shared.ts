/**
 * What the I/O manager conformance suites share: the options and capabilities
 * a manager declares, how a test opens a manager over fresh storage, and the
 * store/load calls that turn every outcome (value, typed failure, defect)
 * into data the tests check.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { expect, it } from "@effect/vitest"
import type { Scope } from "effect"
import { Cause, Effect, Exit } from "effect"
import type { AssetKey } from "../../AssetKey.ts"
import type { IOManager, StoreResult } from "../../IOManager.ts"
import { IOError } from "../../IOManager.ts"
import type { StepPartitions } from "../../partitions/stepPartitions.ts"

/**
 * A kind of value the suite has samples of: `json` (values JSON represents
 * exactly: objects, arrays, strings, finite numbers, booleans, null) and
 * `structured` (what structured clone keeps and JSON does not: Dates, Maps,
 * Sets, BigInts, NaN, undefined, typed arrays). A manager of another kind of
 * value (tables) declares none and gives `sample`.
 *
 * @since 0.1.0
 */
export type ValueKind = "json" | "structured"

/**
 * What an I/O manager declares it does. Every capability is checked both
 * ways: a declared one is tested, an undeclared one is tested to be refused
 * with an `IOError` (never silently ignored).
 *
 * @since 0.1.0
 */
export interface IOManagerCapabilities {
  /** The built-in sample kinds it round-trips exactly. */
  readonly values: ReadonlyArray<ValueKind>
  /** Stores and loads partitions, each apart from the others. */
  readonly partitions: boolean
  /**
   * A limitation, declared: a partition never stored loads as an empty value
   * instead of failing (partitions that share one table cannot tell an empty
   * partition from a missing one). The suite then checks that such a load
   * succeeds. Default false: it fails with an `IOError` naming the partition.
   */
  readonly emptyMissingPartitions?: boolean | undefined
  /**
   * Loads a range of partitions as one value (`InputContext.partitions`
   * holding several keys, as when a downstream asset reads a range through a
   * partition mapping): the partitions' values in partition order, combined
   * by the options' `concat`. Default false (core then loads the partitions
   * one by one, when the manager is wrapped to do so).
   */
  readonly partitionRanges?: boolean | undefined
  /** A load while the same asset is overwritten gets the old or the new value, never a part or nothing. */
  readonly concurrentReaders: boolean
  /** Opening the same storage again (same `ConformanceStorage`) finds what was stored. */
  readonly persistent: boolean
  /**
   * `content`: storing an equal value again gives the same data version, a
   * different value a different one. `per-store`: every store gives a new
   * one. `changes`: a different value gets a different one, an equal value
   * may or may not get the same one (a hash of bytes an encoder does not
   * produce deterministically). `none`: stores return no data version (the
   * executor derives one).
   */
  readonly dataVersion: "content" | "per-store" | "changes" | "none"
  /**
   * Stores valid asset keys of up to 512 characters and partition keys of up
   * to 128 characters of any script. When false, keys longer than 60 bytes may
   * be refused, with an `IOError`.
   */
  readonly longNames: boolean
}

/**
 * The storage of one test: a fresh folder `base` (inside a sandbox folder
 * the suite watches: nothing may be written outside `base`) and a fresh `id`
 * (for a database name or schema). Opening a manager with the same storage
 * again must reopen the same data when the manager is `persistent`.
 *
 * @since 0.1.0
 */
export interface ConformanceStorage {
  readonly base: string
  readonly id: string
}

/**
 * Options of `ioManagerConformance`.
 *
 * @since 0.1.0
 */
export interface IOManagerConformanceOptions<A> {
  readonly capabilities: IOManagerCapabilities
  /** Opens the manager over `storage`; the scope closes it when the test ends. */
  readonly make: (storage: ConformanceStorage) => Effect.Effect<IOManager<A>, unknown, Scope.Scope>
  /**
   * The n-th test value: different for different `n`. `large` asks for a
   * value of a few megabytes, so that an overwrite takes long enough for a
   * concurrent reader to see a partial one. Default: JSON rows (needs
   * `json` in `values`).
   */
  readonly sample?: ((n: number, size: "small" | "large") => A) | undefined
  /**
   * One value of several partitions' values in partition order, as a range
   * load must return it (`partitionRanges`). Default: JSON rows concatenated.
   */
  readonly concat?: ((values: ReadonlyArray<A>) => A) | undefined
  /** `true` when a loaded value equals the stored one. Default: vitest's `toEqual`. */
  readonly same?: ((loaded: A, stored: A) => boolean) | undefined
  /** Per-test timeout in milliseconds (default 60 000). */
  readonly timeout?: number | undefined
}

/** What a test body gets. */
export interface Harness<A> {
  readonly io: IOManager<A>
  readonly storage: ConformanceStorage
  /** The sandbox folder holding `storage.base`. */
  readonly sandbox: string
  /** Opens another manager over the same storage. */
  readonly reopen: Effect.Effect<IOManager<A>, unknown, Scope.Scope>
  readonly capabilities: IOManagerCapabilities
  readonly sample: (n: number, size: "small" | "large") => A
  readonly same: (loaded: A, stored: A) => boolean
  readonly concat: (values: ReadonlyArray<A>) => A
}

/** Registers one test over a fresh manager. */
export type IOTest<A> = (title: string, body: (harness: Harness<A>) => Effect.Effect<void, unknown, Scope.Scope>) => void

const equalByExpect = (loaded: unknown, stored: unknown): boolean => {
  try {
    expect(loaded).toEqual(stored)
    return true
  } catch {
    return false
  }
}

/** JSON rows `{ n, i, text }`: 5 short ones, or (large) 256 of 10 kB each, about 2.6 MB. */
export const defaultSample = (n: number, size: "small" | "large"): unknown => {
  const rows = size === "small" ? 5 : 256
  return Array.from({ length: rows }, (_, i) => ({ n, i, text: `value ${n} row ${i} ${"x".repeat(size === "small" ? 3 : 10_000)}` }))
}

let counter = 0

/** The {@link IOTest} of a manager: a fresh sandbox and storage per test, removed afterwards. */
export const ioTest = <A>(options: IOManagerConformanceOptions<A>): IOTest<A> => (title, body) =>
  it.live(title, () =>
    Effect.scoped(Effect.gen(function*() {
      const sandbox = yield* Effect.acquireRelease(
        Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "strata-io-conformance-"))),
        (folder) => Effect.sync(() => fs.rmSync(folder, { recursive: true, force: true }))
      )
      const storage: ConformanceStorage = {
        base: path.join(sandbox, "storage"),
        id: `io_${process.pid}_${++counter}_${Math.random().toString(36).slice(2, 8)}`
      }
      const io = yield* options.make(storage)
      yield* body({
        io,
        storage,
        sandbox,
        reopen: options.make(storage),
        capabilities: options.capabilities,
        sample: options.sample ?? (defaultSample as (n: number, size: "small" | "large") => A),
        same: options.same ?? equalByExpect,
        concat: options.concat ?? ((values) => (values as ReadonlyArray<ReadonlyArray<unknown>>).flat() as A)
      })
    })), options.timeout ?? 60_000)

/** How a store or load ended: a value, a typed `IOError`, or something else (a defect, another error). */
export type Outcome<A> =
  | { readonly _tag: "ok"; readonly value: A }
  | { readonly _tag: "io-error"; readonly error: IOError }
  | { readonly _tag: "other"; readonly description: string }

const outcome = <A>(exit: Exit.Exit<A, unknown>): Outcome<A> => {
  if (Exit.isSuccess(exit)) return { _tag: "ok", value: exit.value }
  const failure = exit.cause.reasons.find(Cause.isFailReason)
  if (failure !== undefined && failure.error instanceof IOError) return { _tag: "io-error", error: failure.error }
  return { _tag: "other", description: Cause.pretty(exit.cause).split("\n").slice(0, 4).join(" | ") }
}

const shown = (text: string) => {
  const quoted = JSON.stringify(text)
  return quoted.length > 64 ? `${quoted.slice(0, 40)}..." (${text.length} characters)` : quoted
}

const where = (key: string, partition: string | undefined) =>
  `asset ${shown(key)}${partition === undefined ? "" : ` partition ${shown(partition)}`}`

/** Stores a value; a defect or an error other than `IOError` is an outcome too. */
export const store = <A>(io: IOManager<A>, key: string, partition: string | undefined, value: A) =>
  Effect.suspend(() => io.store({ key: key as AssetKey, partition, runId: "conformance", definitionMetadata: {} }, value)).pipe(
    Effect.exit,
    Effect.map((exit) => outcome<StoreResult>(exit))
  )

/**
 * Loads a value; a defect or an error other than `IOError` is an outcome too.
 * `partitions` (several keys) asks for a range load.
 */
export const load = <A>(io: IOManager<A>, key: string, partition: string | undefined, partitions?: StepPartitions | undefined) =>
  Effect.suspend(() =>
    io.load({
      key: key as AssetKey,
      partition,
      ...(partitions === undefined ? {} : { partitions }),
      downstream: undefined,
      definitionMetadata: {}
    })
  ).pipe(
    Effect.exit,
    Effect.map((exit) => outcome<A>(exit))
  )

/** Stores and fails the test, saying how, unless the store succeeded. */
export const storeOk = <A>(io: IOManager<A>, key: string, partition: string | undefined, value: A) =>
  Effect.map(store(io, key, partition, value), (result) => {
    if (result._tag !== "ok") throw new Error(`${io.name}: storing ${where(key, partition)} failed: ${describe(result)}`)
    return result.value
  })

/** Loads and fails the test, saying how, unless the load succeeded. */
export const loadOk = <A>(io: IOManager<A>, key: string, partition: string | undefined) =>
  Effect.map(load(io, key, partition), (result) => {
    if (result._tag !== "ok") throw new Error(`${io.name}: loading ${where(key, partition)} failed: ${describe(result)}`)
    return result.value
  })

export const describe = (result: Outcome<unknown>): string =>
  result._tag === "ok" ? "it succeeded" : result._tag === "io-error"
    ? `IOError: ${result.error.message.length > 300 ? `${result.error.message.slice(0, 300)}...` : result.error.message}`
    : `not with an IOError but ${result.description}`

export { where }

/** Every file under `folder`, absolute. */
export const filesUnder = (folder: string): Array<string> =>
  (fs.readdirSync(folder, { recursive: true, withFileTypes: true }) as Array<fs.Dirent>)
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.join(entry.parentPath, entry.name))

/** Lets the event loop run (I/O callbacks, timers) before the next step. */
export const nextTick = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
