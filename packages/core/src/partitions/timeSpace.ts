/**
 * The ordinal space of a time-window definition: partition `i` is the `i`-th
 * window from the start. Hourly, daily, weekly and monthly windows are
 * computed (calendar arithmetic on local dates, an hour count on instants);
 * any other cron schedule walks its ticks with croner once and keeps them.
 */
import { cronerClass } from "../internal/croner.ts"
import * as KeyFormat from "./keyFormat.ts"
import type { KeyFields } from "./keyFormat.ts"
import * as Zoned from "./zoned.ts"

export type Cadence = "hourly" | "daily" | "weekly" | "monthly" | "cron"

export interface TimeWindowFields {
  readonly cadence: Cadence
  readonly cron?: string | undefined
  readonly start: string
  readonly end?: string | undefined
  readonly timezone: string
  readonly format: string
  readonly endOffset: number
  readonly weekStartsOn: number
}

/** A window: its first instant, included, and its end, excluded (ms since the epoch). */
export interface Window {
  readonly start: number
  readonly end: number
}

export interface TimeSpace {
  /** The index of a key, or why it is not a key of this definition. */
  readonly indexOf: (key: string) => number | string
  readonly keyAt: (index: number) => string
  readonly window: (index: number) => Window
  /** The index of the window holding an instant (negative before the start). */
  readonly indexAt: (ms: number) => number
  /** How many partitions exist at `now`: the complete windows, plus the end offset, up to the end. */
  readonly size: (now: number) => number
}

const HOUR = 3_600_000
const OFFSET_SUFFIX = /([+-])(\d{2}):(\d{2})$/

const offsetText = (offset: number): string => {
  const sign = offset < 0 ? "-" : "+"
  const minutes = Math.abs(offset) / 60_000
  return `${sign}${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`
}

/** The fields and the instant of a key written with an optional `+01:00` suffix (repeated hours). */
const instantOfKey = (format: KeyFormat.KeyFormat, timezone: string, key: string): number | string => {
  let text = key
  let offset: number | undefined
  const suffix = OFFSET_SUFFIX.exec(key)
  if (suffix !== null && !format.pattern.test(key)) {
    text = key.slice(0, -6)
    offset = (suffix[1] === "-" ? -1 : 1) * (Number(suffix[2]) * 60 + Number(suffix[3])) * 60_000
  }
  const fields = KeyFormat.parse(format, text)
  if (typeof fields === "string") return fields
  const instants = Zoned.instantsOf(fields, timezone)
  if (instants.length === 0) return `${text} does not exist in ${timezone} (the clocks skip it)`
  if (offset !== undefined) {
    const found = instants.find((ms) => Zoned.offsetAt(ms, timezone) === offset)
    return found ?? `${text} is not at UTC${offsetText(offset)} in ${timezone}`
  }
  if (instants.length > 1) {
    const options = instants.map((ms) => `${text}${offsetText(Zoned.offsetAt(ms, timezone))}`)
    return `${text} happens twice in ${timezone} (the clocks go back); write ${options.join(" or ")}`
  }
  return instants[0]!
}

/** The key of an instant, with its offset appended when its local time happens twice. */
const keyOfInstant = (format: KeyFormat.KeyFormat, timezone: string, ms: number): string => {
  const local = Zoned.localAt(ms, timezone)
  const key = KeyFormat.format(format, local)
  return Zoned.instantsOf(local, timezone).length > 1 ? key + offsetText(Zoned.offsetAt(ms, timezone)) : key
}

const clampSize = (fields: TimeWindowFields, complete: number, endIndex: number | undefined): number => {
  const size = Math.max(0, complete + fields.endOffset)
  return endIndex === undefined ? size : Math.min(size, endIndex)
}

/** Daily, weekly, monthly: a unit number per local date. */
const calendarSpace = (fields: TimeWindowFields, format: KeyFormat.KeyFormat): TimeSpace => {
  const { cadence, timezone } = fields
  // weekly: day number of a week start, so that unit = floor((day - anchor) / 7)
  const anchor = (fields.weekStartsOn - 4 + 7) % 7 // 1970-01-01 (day 0) was a Thursday (weekday 4)
  const unitOfDate = (d: { year: number; month: number; day: number }): number => {
    if (cadence === "monthly") return d.year * 12 + d.month - 1
    const day = Zoned.dayNumber(d.year, d.month, d.day)
    return cadence === "daily" ? day : Math.floor((day - anchor) / 7)
  }
  const dateOfUnit = (unit: number) => {
    if (cadence === "monthly") return { year: Math.floor(unit / 12), month: (unit % 12) + 1, day: 1 }
    return Zoned.dateOf(cadence === "daily" ? unit : unit * 7 + anchor)
  }
  const alignment = (f: KeyFields): string | undefined => {
    if (cadence === "monthly" && f.day !== 1) return `a monthly partition starts on day 01`
    if (cadence === "weekly" && Zoned.dateOf(Zoned.dayNumber(f.year, f.month, f.day)).weekday !== fields.weekStartsOn) {
      return `a weekly partition starts on a ${WEEKDAYS[fields.weekStartsOn]}`
    }
    if (f.hour !== 0 || f.minute !== 0) return `a ${cadence} partition starts at 00:00`
    return undefined
  }
  const unitOfKey = (key: string): number | string => {
    const f = KeyFormat.parse(format, key)
    if (typeof f === "string") return f
    return alignment(f) ?? unitOfDate(f)
  }
  const startUnit = unitOfKey(fields.start)
  if (typeof startUnit === "string") throw new Error(`start ${fields.start}: ${startUnit}`)
  const endUnit = fields.end === undefined ? undefined : unitOfKey(fields.end)
  if (typeof endUnit === "string") throw new Error(`end ${fields.end}: ${endUnit}`)
  const startOf = (index: number) => Zoned.instantOf({ ...dateOfUnit(startUnit + index), hour: 0, minute: 0 }, timezone)
  const indexAt = (ms: number) => unitOfDate(Zoned.localAt(ms, timezone)) - startUnit
  return {
    indexOf: (key) => {
      const unit = unitOfKey(key)
      return typeof unit === "string" ? unit : unit - startUnit
    },
    keyAt: (index) => KeyFormat.format(format, { ...dateOfUnit(startUnit + index), hour: 0, minute: 0 }),
    window: (index) => ({ start: startOf(index), end: startOf(index + 1) }),
    indexAt,
    size: (now) => clampSize(fields, indexAt(now), endUnit === undefined ? undefined : endUnit - startUnit)
  }
}

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

/** Hourly: windows are hours of absolute time from the start instant (23 on a spring-forward day, 25 in the fall). */
const hourlySpace = (fields: TimeWindowFields, format: KeyFormat.KeyFormat): TimeSpace => {
  const { timezone } = fields
  const instantOfStart = (key: string, what: string): number => {
    const ms = instantOfKey(format, timezone, key)
    if (typeof ms === "string") throw new Error(`${what} ${key}: ${ms}`)
    if (Zoned.localAt(ms, timezone).minute !== 0) throw new Error(`${what} ${key}: an hourly partition starts at minute 00`)
    return ms
  }
  const start = instantOfStart(fields.start, "start")
  const endIndex = fields.end === undefined ? undefined : (instantOfStart(fields.end, "end") - start) / HOUR
  const indexAt = (ms: number) => Math.floor((ms - start) / HOUR)
  return {
    indexOf: (key) => {
      const ms = instantOfKey(format, timezone, key)
      if (typeof ms === "string") return ms
      return (ms - start) % HOUR === 0 ? (ms - start) / HOUR : `an hourly partition starts at minute 00`
    },
    keyAt: (index) => keyOfInstant(format, timezone, start + index * HOUR),
    window: (index) => ({ start: start + index * HOUR, end: start + (index + 1) * HOUR }),
    indexAt,
    size: (now) => clampSize(fields, indexAt(now), endIndex)
  }
}

/** At most this many ticks of a custom cron schedule are walked (570 years of hourly ticks). */
export const MAX_CRON_TICKS = 5_000_000

/** Any cron schedule: its ticks walked with croner from the start, kept in a growing array. */
const cronSpace = (fields: TimeWindowFields, format: KeyFormat.KeyFormat): TimeSpace => {
  const { timezone } = fields
  const schedule = new (cronerClass())(fields.cron!, { timezone, paused: true })
  const start = instantOfKey(format, timezone, fields.start)
  if (typeof start === "string") throw new Error(`start ${fields.start}: ${start}`)
  const ticks: Array<number> = []
  const first = schedule.nextRun(new Date(start - 1))
  if (first === null) throw new Error(`the schedule ${fields.cron} never runs after ${fields.start}`)
  if (first.getTime() !== start) throw new Error(`start ${fields.start} is not a tick of the schedule ${fields.cron}`)
  ticks.push(start)
  let exhausted = false
  const extendUntil = (done: () => boolean) => {
    while (!exhausted && !done()) {
      if (ticks.length >= MAX_CRON_TICKS) throw new Error(`the schedule ${fields.cron} has over ${MAX_CRON_TICKS} ticks in range`)
      const next = schedule.nextRun(new Date(ticks[ticks.length - 1]!))
      if (next === null) exhausted = true
      else ticks.push(next.getTime())
    }
  }
  /** The last tick index at or before ms (-1 before the start). */
  const floorIndex = (ms: number): number => {
    extendUntil(() => ticks[ticks.length - 1]! > ms)
    let lo = 0
    let hi = ticks.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (ticks[mid]! <= ms) lo = mid
      else hi = mid - 1
    }
    return ticks[lo]! <= ms ? lo : -1
  }
  const tick = (index: number): number => {
    extendUntil(() => ticks.length > index)
    return ticks[index] ?? Infinity
  }
  const endIndex = fields.end === undefined ? undefined : (() => {
    const ms = instantOfKey(format, timezone, fields.end!)
    if (typeof ms === "string") throw new Error(`end ${fields.end}: ${ms}`)
    return floorIndex(ms - 1) + 1
  })()
  return {
    indexOf: (key) => {
      const ms = instantOfKey(format, timezone, key)
      if (typeof ms === "string") return ms
      const index = floorIndex(ms)
      return index >= 0 && ticks[index] === ms ? index : `it is not a tick of the schedule ${fields.cron}`
    },
    keyAt: (index) => keyOfInstant(format, timezone, tick(index)),
    window: (index) => ({ start: tick(index), end: tick(index + 1) }),
    indexAt: (ms) => floorIndex(ms),
    // the window holding `now` is incomplete: the complete ones are those before it
    size: (now) => clampSize(fields, Math.max(0, floorIndex(now)), endIndex)
  }
}

/** Compiles the ordinal space of a definition; throws a message naming what is wrong. */
export const compileSpace = (fields: TimeWindowFields): TimeSpace => {
  if (!Zoned.isTimeZone(fields.timezone)) throw new Error(`time zone ${fields.timezone} is not an IANA time zone this platform knows`)
  const format = KeyFormat.compile(fields.format)
  if (fields.cadence === "hourly") {
    if (!KeyFormat.hasToken(format, "HH")) throw new Error(`format ${fields.format} has no HH, which hourly keys need`)
    return hourlySpace(fields, format)
  }
  if (fields.cadence === "cron") return cronSpace(fields, format)
  if (fields.cadence !== "monthly" && !KeyFormat.hasToken(format, "DD")) {
    throw new Error(`format ${fields.format} has no DD, which ${fields.cadence} keys need`)
  }
  return calendarSpace(fields, format)
}
