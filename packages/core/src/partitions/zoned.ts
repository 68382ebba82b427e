/**
 * Wall-clock time in an IANA time zone, through `Intl` (the platform's time
 * zone database): the local fields of an instant, and the instant of local
 * fields, with Temporal's "compatible" rule for the hours daylight saving
 * time skips (the later instant) or repeats (the earlier one).
 */

export interface LocalTime {
  readonly year: number
  /** 1–12 */
  readonly month: number
  readonly day: number
  readonly hour: number
  readonly minute: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()

const formatter = (timeZone: string): Intl.DateTimeFormat => {
  let f = formatters.get(timeZone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric"
    })
    formatters.set(timeZone, f)
  }
  return f
}

/** Whether the platform knows the zone. */
export const isTimeZone = (timeZone: string): boolean => {
  try {
    formatter(timeZone)
    return true
  } catch {
    return false
  }
}

const fieldsAt = (ms: number, timeZone: string): [number, number, number, number, number, number] => {
  const out: [number, number, number, number, number, number] = [0, 0, 0, 0, 0, 0]
  for (const part of formatter(timeZone).formatToParts(ms)) {
    switch (part.type) {
      case "year":
        out[0] = Number(part.value)
        break
      case "month":
        out[1] = Number(part.value)
        break
      case "day":
        out[2] = Number(part.value)
        break
      case "hour":
        out[3] = Number(part.value)
        break
      case "minute":
        out[4] = Number(part.value)
        break
      case "second":
        out[5] = Number(part.value)
        break
    }
  }
  return out
}

/** The local fields of an instant. */
export const localAt = (ms: number, timeZone: string): LocalTime => {
  const [year, month, day, hour, minute] = fieldsAt(ms, timeZone)
  return { year, month, day, hour, minute }
}

/** The zone's offset from UTC at an instant, in milliseconds (whole seconds). */
export const offsetAt = (ms: number, timeZone: string): number => {
  const [y, mo, d, h, mi, s] = fieldsAt(ms, timeZone)
  return Date.UTC(y, mo - 1, d, h, mi, s) - Math.floor(ms / 1000) * 1000
}

const HOURS_18 = 18 * 3_600_000

/**
 * The instants whose local time is `local`: none (skipped by a transition),
 * one, or two (repeated), earliest first.
 */
export const instantsOf = (local: LocalTime, timeZone: string): Array<number> => {
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute)
  const candidates = new Set([offsetAt(wall - HOURS_18, timeZone), offsetAt(wall + HOURS_18, timeZone)])
  const out: Array<number> = []
  for (const offset of candidates) {
    const ms = wall - offset
    if (offsetAt(ms, timeZone) === offset) out.push(ms)
  }
  return out.sort((a, b) => a - b)
}

/**
 * The instant of a local time: the earlier of two when the hour repeats, and
 * when it is skipped, the instant the clock would show with the offset before
 * the transition (local 02:30 on a spring-forward night in Berlin is 03:30).
 */
export const instantOf = (local: LocalTime, timeZone: string): number => {
  const found = instantsOf(local, timeZone)
  if (found.length > 0) return found[0]!
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute)
  return wall - offsetAt(wall - HOURS_18, timeZone)
}

const DAY = 86_400_000

/** Days since 1970-01-01 of a calendar date (proleptic Gregorian, no zone). */
export const dayNumber = (year: number, month: number, day: number): number => Date.UTC(year, month - 1, day) / DAY

/** The calendar date of a day number. */
export const dateOf = (days: number): { year: number; month: number; day: number; weekday: number } => {
  const d = new Date(days * DAY)
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: d.getUTCDay() }
}
