/**
 * The lakehouse's partitioned chain, from the same world as the users CSV
 * (ids 1..100,000, a calendar starting 2024-01-01, seeded):
 *
 * - `event_drops` (an observable partitioned source, daily): each day's drop
 *   `data/events/<day>.json` as a data version per day (the file's hash, or
 *   `generated` for a day without a drop). `strata observe` finds a rewritten
 *   or added drop, and exactly that day of `raw_events` becomes stale.
 * - `raw_events` (daily from 2024-01-01): the day's product events, ingested
 *   from the day's drop when one was written (`scripts/change-day.ts`), else
 *   the generator's events of that day (seed 1, the same bytes a drop of that
 *   day holds); FileSystemIO writes one file per day
 *   (`.strata/storage/raw_events/2024-01-01.json`). It runs after `event_drops`.
 * - `daily_active_users` (daily): distinct users with an event that day.
 * - `weekly_retention` (weekly, weeks starting Monday 2024-01-01): reads its 7
 *   days of `raw_events` as one array through a time-window mapping, and
 *   gives the share of the week's first-day users seen again later that week.
 *
 * A step over a range of partitions (a `single-run` or `max-per-run` backfill)
 * returns one entry per partition key (see `perPartition`).
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Asset, PartitionMapping, Partitions, SourceAsset } from "@strata/core"
import { Data, Effect } from "effect"

export interface Event {
  readonly day: string
  readonly userId: number
  readonly kind: "view" | "click" | "purchase"
}

/** The calendar of the users CSV (scripts/generate.ts). */
export const days = Partitions.daily({ start: "2024-01-01" })
export const weeks = Partitions.weekly({ start: "2024-01-01" })

const USERS = 100_000
const KINDS = ["view", "view", "view", "click", "click", "purchase"] as const

// mulberry32, as scripts/generate.ts: deterministic on every platform
const random = (seed: number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * The events of one day: 2,000 of them, from a pool of returning users, seeded
 * by the day and `seed` (seed 1 is the day's first drop; another seed is a
 * rewritten drop of the same day).
 */
export const eventsOf = (day: string, seed = 1, count = 2_000): Array<Event> => {
  const next = random(Number(day.replaceAll("-", "")) ^ Math.imul(seed - 1, 0x9e3779b9))
  const pool = 5_000
  return Array.from({ length: count }, (): Event => ({
    day,
    // most activity comes from a stable core of users, so that retention is meaningful
    userId: next() < 0.8 ? 1 + Math.floor(next() * pool) : 1 + Math.floor(next() * USERS),
    kind: KINDS[Math.floor(next() * KINDS.length)]!
  }))
}

/** One value per partition of the step: the value itself for one partition, else an object keyed by partition key. */
export const perPartition = <A>(partitions: { readonly keys: ReadonlyArray<string> }, compute: (key: string) => A): A => {
  if (partitions.keys.length === 1) return compute(partitions.keys[0]!)
  return Object.fromEntries(partitions.keys.map((key) => [key, compute(key)])) as A
}

/** Where the day's drop lands, relative to the project folder (the working directory). */
export const dropFile = (day: string, root = process.cwd()): string => path.join(root, "data", "events", `${day}.json`)

/** A drop that is not a JSON array of events. */
export class DropUnreadable extends Data.TaggedError("DropUnreadable")<{
  readonly asset: string
  readonly partition: string
  readonly file: string
  readonly message: string
}> {}

/** The day's drop if one was written, else the generator's events of the day. */
export const readDrop = (day: string): Effect.Effect<Array<Event>, DropUnreadable> => {
  const file = dropFile(day)
  if (!fs.existsSync(file)) return Effect.sync(() => eventsOf(day))
  return Effect.try({
    try: () => {
      const rows: unknown = JSON.parse(fs.readFileSync(file, "utf8"))
      if (!Array.isArray(rows)) throw new Error("expected a JSON array of events")
      return rows as Array<Event>
    },
    catch: (cause) =>
      new DropUnreadable({
        asset: "raw_events",
        partition: day,
        file,
        message: `raw_events partition ${day}: drop ${file} is unreadable: ${cause instanceof Error ? cause.message : String(cause)}`
      })
  })
}

/**
 * The days' drops, observed: one data version per day that exists now. A day
 * holding its first events (no drop, or a drop with exactly the seed-1 bytes)
 * is `seed-1`; another drop is its SHA-256. Listing the folder once and
 * reading only the drops written keeps an observation of ~1,000 days cheap.
 */
/** What a drop's bytes are (`writeDrop` writes them): the day's events as one JSON line. */
export const dropBytes = (events: ReadonlyArray<Event>): string => JSON.stringify(events) + "\n"

const dropVersion = (day: string, bytes: Buffer): string =>
  bytes.equals(Buffer.from(dropBytes(eventsOf(day)))) ? "seed-1" : createHash("sha256").update(bytes).digest("hex").slice(0, 16)

export const eventDrops = SourceAsset.make("event_drops", {
  partitions: days,
  group: "events",
  description: "Each day's drop (data/events/<day>.json), observed per day",
  // `strata dev` watches the drops' folder and observes the source when a drop is written
  files: ["data/events/*"],
  observe: Effect.sync(() => {
    const folder = path.dirname(dropFile("2024-01-01"))
    const written = new Set(fs.existsSync(folder) ? fs.readdirSync(folder) : [])
    const space = Partitions.resolve(days, { now: Date.now(), dynamic: () => undefined })
    const versions: Record<string, string> = {}
    for (const day of Partitions.keys(space, space.all)) {
      versions[day] = written.has(`${day}.json`) ? dropVersion(day, fs.readFileSync(dropFile(day))) : "seed-1"
    }
    return SourceAsset.partitionObservation(versions, { drops: written.size })
  })
})

export const rawEvents = Asset.make("raw_events", {
  partitions: days,
  after: [eventDrops],
  group: "events",
  description: "The day's product events (ingested from the day's drop, data/events/<day>.json: one file per day)"
}, (_, context) =>
  Effect.map(
    Effect.forEach(context.partitions.keys, (day) => Effect.map(readDrop(day), (rows) => [day, rows] as const)),
    (pairs) => {
      const byDay = new Map(pairs)
      return perPartition(context.partitions, (day) => byDay.get(day)!)
    }
  ))

export const dailyActiveUsers = Asset.make("daily_active_users", {
  deps: { rawEvents },
  partitions: days,
  group: "events",
  description: "Distinct users with an event that day"
}, ({ rawEvents }, context) =>
  Effect.sync(() =>
    perPartition(context.partitions, (day) => [{
      day,
      activeUsers: new Set(rawEvents.filter((event) => event.day === day).map((event) => event.userId)).size
    }])))

export const weeklyRetention = Asset.make("weekly_retention", {
  deps: { rawEvents },
  partitions: weeks,
  partitionMappings: { rawEvents: PartitionMapping.timeWindow() },
  group: "events",
  description: "Share of the users of a week's first day seen again later that week (reads the 7 days)"
}, ({ rawEvents }, context) =>
  Effect.sync(() =>
    perPartition(context.partitions, (week) => {
      const inWeek = rawEvents.filter((event) => event.day >= week && event.day < nextWeek(week))
      const first = new Set(inWeek.filter((event) => event.day === week).map((event) => event.userId))
      const later = new Set(inWeek.filter((event) => event.day > week).map((event) => event.userId))
      const returned = [...first].filter((user) => later.has(user)).length
      return [{ week, days: new Set(inWeek.map((event) => event.day)).size, cohort: first.size, retention: first.size === 0 ? 0 : returned / first.size }]
    })))

const nextWeek = (week: string): string => new Date(Date.parse(`${week}T00:00:00Z`) + 7 * 86_400_000).toISOString().slice(0, 10)

/** The partitioned chain. */
export const eventAssets = [eventDrops, rawEvents, dailyActiveUsers, weeklyRetention] as const
