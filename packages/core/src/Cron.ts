/**
 * Cron expressions with a time zone, for schedules and `onCron` conditions.
 * Parsing and the tick arithmetic are `croner`'s (DST-correct: a tick in the
 * hour a spring-forward skips fires at the first valid time after it, a tick
 * in the hour a fall-back repeats fires once). This module gives them typed
 * errors and the three questions automation asks: the next ticks after an
 * instant, the latest tick at or before an instant, and the ticks between two
 * instants (bounded).
 *
 * @example
 * ```ts
 * import { Cron } from "@strata/core"
 *
 * const daily = Cron.make("0 6 * * *", "Europe/Berlin")
 * Cron.next(daily, Date.UTC(2026, 2, 28), 2) // 2026-03-28T05:00Z, 2026-03-29T04:00Z (DST began)
 * ```
 *
 * @since 0.1.0
 */
import type { Cron as Croner } from "croner"
import { Schema } from "effect"
import { cronerClass } from "./internal/croner.ts"

/**
 * A parsed cron expression and the time zone its fields are read in.
 *
 * @since 0.1.0
 */
export interface Cron {
  readonly expression: string
  /** IANA name (`Europe/Berlin`); `UTC` by default. */
  readonly timezone: string
  /** croner's compiled pattern (paused: it never fires callbacks). */
  readonly compiled: Croner
}

/**
 * A cron expression or time zone that does not parse; `owner` names the
 * schedule or asset it belongs to when known.
 *
 * @since 0.1.0
 */
export class InvalidCron extends Schema.TaggedError<InvalidCron>()("@strata/core/InvalidCron", {
  expression: Schema.String,
  timezone: Schema.String,
  owner: Schema.optional(Schema.String),
  message: Schema.String
}) {}

const MAX_EXPRESSION = 256

/**
 * Parses `expression` (five fields, or six with seconds) in `timezone`;
 * returns an {@link InvalidCron} instead of throwing.
 *
 * @since 0.1.0
 */
export const parse = (expression: string, timezone = "UTC", owner?: string): Cron | InvalidCron => {
  const fail = (why: string) =>
    new InvalidCron({
      expression: expression.slice(0, MAX_EXPRESSION),
      timezone,
      ...(owner === undefined ? {} : { owner }),
      message: `${owner === undefined ? "" : `${owner}: `}cron '${expression.slice(0, 80)}' (${timezone}) does not parse: ${why}`
    })
  if (typeof expression !== "string" || expression.length > MAX_EXPRESSION) return fail(`at most ${MAX_EXPRESSION} characters`)
  try {
    Intl.DateTimeFormat("en-US", { timeZone: timezone })
  } catch {
    return fail(`unknown time zone '${timezone}' (use an IANA name such as Europe/Berlin or UTC)`)
  }
  try {
    const compiled = new (cronerClass())(expression, { timezone, paused: true, domAndDow: false })
    return { expression, timezone, compiled }
  } catch (error) {
    return fail(error instanceof Error ? error.message.replace(/^CronPattern: /, "") : String(error))
  }
}

/**
 * Parses or throws the {@link InvalidCron}.
 *
 * @since 0.1.0
 */
export const make = (expression: string, timezone = "UTC", owner?: string): Cron => {
  const result = parse(expression, timezone, owner)
  if (result instanceof InvalidCron) throw result
  return result
}

/** `expression@timezone`: identifies a cron in stored state. */
export const id = (cron: Cron): string => `${cron.expression}@${cron.timezone}`

/**
 * The next `count` ticks strictly after `after` (ms since the epoch).
 *
 * @since 0.1.0
 */
export const next = (cron: Cron, after: number, count = 1): ReadonlyArray<number> =>
  cron.compiled.nextRuns(count, new Date(after)).map((date) => date.getTime())

/**
 * The latest tick at or before `at`, if any within croner's search range.
 *
 * @since 0.1.0
 */
export const latest = (cron: Cron, at: number): number | undefined => {
  // previousRuns is strictly before its reference: step one millisecond past `at`
  const [previous] = cron.compiled.previousRuns(1, new Date(at + 1))
  return previous?.getTime()
}

/**
 * The ticks in `(from, to]`, oldest first, at most `max` of them (the newest
 * `max` when more passed): what a daemon that was down missed.
 *
 * @since 0.1.0
 */
export const between = (cron: Cron, from: number, to: number, max = 100): ReadonlyArray<number> => {
  const ticks = cron.compiled.previousRuns(max, new Date(to + 1)).map((date) => date.getTime()).filter((tick) => tick > from)
  return ticks.reverse()
}
