/**
 * A run whose steps wait on a queue no live worker serves would wait
 * silently forever. The coordinator looks once per heartbeat period; when
 * steps wait and the queue has no live worker, each waiting run gets a `log`
 * event at level `warn` (shown by `strata runs show` and the run page) and the
 * coordinator logs the same warning, again every `repeatMs` while it lasts.
 */
import type { Event, Instance } from "@strata/core"
import type { PgClient } from "@strata/postgres"
import { Effect } from "effect"
import type { Settings } from "../WorkerQueue.ts"
import { liveWorkers } from "./leases.ts"
import type { RunTail } from "./runTail.ts"

const repeatMs = 60_000

export const warningText = (settings: Settings, steps: number): string =>
  `${steps} step${steps === 1 ? "" : "s"} wait${steps === 1 ? "s" : ""} on queue ${settings.queue}, which has no live worker ` +
  `(none heartbeated within the lease of ${settings.leaseMs} ms): start one with \`strata worker\`` +
  (settings.queue === "default" ? "" : ` --queue ${settings.queue}`) + " in the same environment"

export const warnIfNoWorker = (
  client: PgClient["Service"],
  instance: Instance.InstanceShape,
  settings: Settings,
  tails: Iterable<RunTail>
) =>
  Effect.gen(function*() {
    const waiting = [...tails].filter((tail) => tail.runId !== undefined && tail.waiting.size > 0)
    if (waiting.length === 0) return
    const live = yield* liveWorkers(client, settings)
    const now = Date.now()
    if (live > 0) {
      for (const tail of waiting) tail.warnedAt = undefined
      return
    }
    const due = waiting.filter((tail) => tail.warnedAt === undefined || now - tail.warnedAt >= repeatMs)
    if (due.length === 0) return
    const events: Array<Event.StrataEvent> = due.map((tail) => ({
      type: "log",
      runId: tail.runId!,
      timestamp: now,
      level: "warn",
      message: warningText(settings, tail.waiting.size)
    }))
    for (const tail of due) tail.warnedAt = now
    for (const event of events) yield* Effect.logWarning((event as Event.Log).message)
    yield* instance.appendEvents(events)
  })
