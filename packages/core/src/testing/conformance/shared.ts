/**
 * What the conformance suites of the instance's domains share: how a test opens
 * an instance, and builders of runs and events.
 */
import { spawnSync } from "node:child_process"
import { expect, it } from "@effect/vitest"
import type { Scope } from "effect"
import { Context, Effect, Exit, Layer } from "effect"
import type { StoredEvent, StrataEvent } from "../../Event.ts"
import type { InstanceShape, NewRun } from "../../Instance.ts"
import { CancelRequestError, Instance, InstanceError } from "../../Instance.ts"
import type { Metadata } from "../../Metadata.ts"

/** Registers one test: `body` gets a fresh instance (and its layer, to reopen it). */
export type ConformanceTest = (
  title: string,
  body: (instance: InstanceShape, layer: Layer.Layer<Instance, unknown>) => Effect.Effect<void, unknown, Scope.Scope>
) => void

/** The {@link ConformanceTest} of a backend: a fresh layer from `make` per test. */
export const conformanceTest = (make: () => Layer.Layer<Instance, unknown>, timeout: number): ConformanceTest => (title, body) =>
  it.live(title, () =>
    Effect.gen(function*() {
      const layer = make()
      yield* Effect.scoped(Effect.flatMap(open(layer), (instance) => body(instance, layer)))
    }), timeout)

/**
 * Opens an instance from a layer in the current scope; closing the scope
 * closes the instance.
 */
export const open = (layer: Layer.Layer<Instance, unknown>): Effect.Effect<InstanceShape, unknown, Scope.Scope> =>
  Effect.map(Layer.build(layer), (context) => Context.get(context, Instance))

let runCounter = 0
export const freshRunId = (label: string) => `${label}-${++runCounter}-${Math.random().toString(36).slice(2, 8)}`

export const newRun = (runId: string, overrides?: Partial<NewRun>): NewRun => ({
  runId,
  selection: "*",
  assetKeys: ["a", "b"],
  staleOnly: false,
  tags: {},
  createdAt: Date.now(),
  ...overrides
})

export const materialized = (
  runId: string,
  assetKey: string,
  options?: { partition?: string; metadata?: Metadata; dataVersion?: string; timestamp?: number }
): StrataEvent => ({
  type: "asset-materialized",
  runId,
  timestamp: options?.timestamp ?? Date.now(),
  assetKey,
  partition: options?.partition,
  metadata: options?.metadata ?? { row_count: 1 },
  dataVersion: options?.dataVersion ?? `${runId}:${assetKey}:${options?.partition ?? ""}`,
  codeVersion: "code-1",
  inputVersions: {}
})

export const stepStarted = (runId: string, assetKey: string, attempt = 1, partition?: string): StrataEvent => ({
  type: "step-started",
  runId,
  timestamp: Date.now(),
  assetKey,
  partition,
  attempt
})

export const stepFailed = (runId: string, assetKey: string, willRetry: boolean): StrataEvent => ({
  type: "step-failed",
  runId,
  timestamp: Date.now(),
  assetKey,
  attempt: 1,
  durationMs: 5,
  error: { tag: "Boom", message: `${assetKey} exploded`, retryable: willRetry },
  willRetry
})

/** Drops `undefined` fields, which JSON-backed stores cannot keep apart from missing ones. */
export const defined = <A>(value: A): A => JSON.parse(JSON.stringify(value)) as A

export const withoutId = ({ id: _id, ...event }: StoredEvent) => event

/** A pid that belonged to a process which has exited (so it is, almost surely, free). */
export const deadPid = (): number => {
  const child = spawnSync(process.execPath, ["-e", ""])
  return child.pid!
}

export const expectInstanceError = <A>(
  exit: Exit.Exit<A, InstanceError>,
  reason: InstanceError["reason"]
) => {
  expect(Exit.isFailure(exit)).toBe(true)
  if (Exit.isFailure(exit)) {
    const error = exit.cause.reasons.find((r) => r._tag === "Fail")
    expect(error).toBeDefined()
    const failure = (error as { error: unknown }).error
    expect(failure).toBeInstanceOf(InstanceError)
    expect((failure as InstanceError).reason).toBe(reason)
  }
}

export const expectCancelRefused = <A>(
  exit: Exit.Exit<A, InstanceError | CancelRequestError>,
  reason: CancelRequestError["reason"]
): CancelRequestError => {
  expect(Exit.isFailure(exit)).toBe(true)
  const error = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
  const failure = (error as { error: unknown } | undefined)?.error
  expect(failure).toBeInstanceOf(CancelRequestError)
  expect((failure as CancelRequestError).reason).toBe(reason)
  return failure as CancelRequestError
}

