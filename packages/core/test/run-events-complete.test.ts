/**
 * A run's events are written in batches by whichever fiber flushes first: a
 * step finishing, or the run's ticker every 200 ms. When the steps are done the
 * ticker is stopped; a batch it is writing at that moment must still be stored
 * whole (issue 14: on Postgres, where an append can wait on other processes'
 * appends, one run in six was recorded as succeeded without its last step).
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import type { Event } from "../src/index.ts"
import { Asset, InMemoryIO, Instance, Materialize, Project } from "../src/index.ts"

describe("a run's event log", () => {
  it.live("keeps the batch the ticker is writing when the run ends: a succeeded run has all its step events", () =>
    Effect.gen(function*() {
      // a first run warms the code paths up: the step's events are then buffered well within the 25 ms after the
      // ticker's flush, so no step-end flush waits for that write
      const warm = Asset.make("slow", {}, () => Effect.succeed(1))
      yield* Materialize.materialize(Project.make({ assets: [warm] })).pipe(
        Effect.provide(InMemoryIO.layer),
        Effect.provideService(Instance.Instance, Instance.makeMemory())
      )
      const memory = Instance.makeMemory()
      const tickerWriting = yield* Deferred.make<void>()
      // the ticker's first flush (200 ms in) holds `slow`'s step-started; this append is slow, as one
      // waiting on other processes' appends is, and the step finishes while it is in flight
      const instance: Instance.InstanceShape = {
        ...memory,
        appendEvents: (batch) => {
          const holdsStepStart = batch.some((event) => event.type === "step-started" && event.assetKey === "slow")
          if (!holdsStepStart) return memory.appendEvents(batch)
          return Deferred.succeed(tickerWriting, undefined).pipe(
            Effect.andThen(Effect.sleep(500)),
            Effect.andThen(memory.appendEvents(batch))
          )
        }
      }
      const slow = Asset.make("slow", {}, () => Effect.as(Deferred.await(tickerWriting), 1))
      const emitted: Array<Event.StrataEvent> = []
      const result = yield* Materialize.materialize(Project.make({ assets: [slow] }), { onEvent: (event) => emitted.push(event) }).pipe(
        Effect.provide(InMemoryIO.layer),
        Effect.provideService(Instance.Instance, instance)
      )
      expect(result.status).toBe("succeeded")
      const stored = yield* memory.runEvents(result.runId)
      expect(stored.map((event) => event.type)).toEqual(emitted.map((event) => event.type))
      expect(stored.map((event) => event.type)).toEqual(["run-started", "step-started", "asset-materialized", "step-succeeded", "run-succeeded"])
      expect((yield* memory.getRun(result.runId))?.status).toBe("succeeded")
    }))
})
