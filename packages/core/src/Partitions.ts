/**
 * Partitions: an asset split into slices (days, regions, days × regions) that
 * are materialized, tracked and stale one by one.
 *
 * A definition is plain data. Its partitions have an ordinal space: partition
 * `i` of a daily definition is the `i`-th day from its start, of a static one
 * the `i`-th key. Sets of partitions are {@link Ranges} over that space, so a
 * million days in one stretch cost one range and nothing is ever enumerated
 * to count, compare or find what is missing.
 *
 * - `daily`, `hourly`, `weekly`, `monthly`, `cron`: time windows with a start,
 *   an optional end (excluded), an IANA time zone (windows follow its daylight
 *   saving time: a Berlin day in March lasts 23 hours), a key format, and an end
 *   offset (by default a window exists once it is over; `endOffset: 1` adds the
 *   current one, `-1` holds back the last complete one).
 * - `staticKeys`: a fixed list of keys.
 * - `dynamic(name)`: keys added and removed at run time, stored in the instance
 *   (each key keeps the ordinal it was given when added).
 * - `multi({ date, region })`: two dimensions, keys written `2024-01-01|eu`; one
 *   of the two must be static.
 *
 * `resolve(definition, { now, dynamic })` gives the {@link Space} of a
 * definition at an instant: its size, its keys and their indexes.
 *
 * @example
 * ```ts
 * import { Partitions } from "@strata/core"
 *
 * const days = Partitions.daily({ start: "2024-01-01", timezone: "Europe/Berlin" })
 * const space = Partitions.resolve(days, { now: Date.parse("2024-04-01T12:00:00Z") })
 * space.size // 91
 * Partitions.parseRange(space, "2024-01-01...2024-01-07") // [[0, 7]]
 * ```
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { hash } from "./Version.ts"
import * as Ranges from "./partitions/Ranges.ts"
import type { Cadence, TimeSpace, TimeWindowFields, Window } from "./partitions/timeSpace.ts"
import { compileSpace } from "./partitions/timeSpace.ts"

export { Ranges }
export type { Cadence, Window }
export type { PartitionSummary } from "./partitions/summary.ts"
export { summaries, summarize } from "./partitions/summary.ts"

/**
 * Time-window partitions.
 *
 * @since 0.1.0
 */
export interface TimeWindowPartitions extends TimeWindowFields {
  readonly _tag: "TimeWindow"
}

/**
 * A fixed list of keys.
 *
 * @since 0.1.0
 */
export interface StaticPartitions {
  readonly _tag: "Static"
  readonly keys: ReadonlyArray<string>
}

/**
 * Keys added and removed at run time, stored in the instance under `name`.
 *
 * @since 0.1.0
 */
export interface DynamicPartitions {
  readonly _tag: "Dynamic"
  readonly name: string
}

/**
 * One dimension of a two-dimensional definition.
 *
 * @since 0.1.0
 */
export interface Dimension {
  readonly name: string
  readonly partitions: TimeWindowPartitions | StaticPartitions | DynamicPartitions
}

/**
 * Two dimensions; keys are `first|second` in the order given.
 *
 * @since 0.1.0
 */
export interface MultiPartitions {
  readonly _tag: "Multi"
  readonly dimensions: readonly [Dimension, Dimension]
}

/**
 * Any partitions definition.
 *
 * @since 0.1.0
 */
export type PartitionsDefinition = TimeWindowPartitions | StaticPartitions | DynamicPartitions | MultiPartitions

/**
 * A definition that is not valid (a malformed start, an unknown time zone,
 * repeated static keys); `asset` is set once the definition is known to
 * belong to one.
 *
 * @since 0.1.0
 */
export class PartitionDefinitionError extends Schema.TaggedError<PartitionDefinitionError>()(
  "@strata/core/PartitionDefinitionError",
  { asset: Schema.optional(Schema.String), reason: Schema.String }
) {
  override get message(): string {
    return this.asset === undefined
      ? `invalid partitions definition: ${this.reason}`
      : `asset ${this.asset} has an invalid partitions definition: ${this.reason}`
  }
}

/**
 * A partition key (or range) that the asset's definition does not have.
 *
 * @since 0.1.0
 */
export class InvalidPartitionKey extends Schema.TaggedError<InvalidPartitionKey>()("@strata/core/InvalidPartitionKey", {
  asset: Schema.optional(Schema.String),
  key: Schema.String,
  reason: Schema.String,
  expected: Schema.String
}) {
  override get message(): string {
    const of = this.asset === undefined ? "" : ` of asset ${this.asset}`
    return `partition ${JSON.stringify(this.key)}${of} is invalid: ${this.reason} (expected ${this.expected})`
  }
}

// ---------------------------------------------------------------------------------------------------------------
// constructors

/**
 * Options of the time-window constructors.
 *
 * @since 0.1.0
 */
export interface TimeWindowOptions {
  /** The first partition's key (in `format`). */
  readonly start: string
  /** The first partition not included, if the definition ends. */
  readonly end?: string | undefined
  /** IANA time zone; default `UTC`. */
  readonly timezone?: string | undefined
  /** Key format from `YYYY`, `MM`, `DD`, `HH`, `mm`; default `YYYY-MM-DD` (`YYYY-MM-DD-HH:mm` hourly and cron). */
  readonly format?: string | undefined
  /** Partitions after the last complete window (1: include the current one). Default 0. */
  readonly endOffset?: number | undefined
}

const DEFAULT_FORMAT: Record<Cadence, string> = {
  hourly: "YYYY-MM-DD-HH:mm",
  daily: "YYYY-MM-DD",
  weekly: "YYYY-MM-DD",
  monthly: "YYYY-MM-DD",
  cron: "YYYY-MM-DD-HH:mm"
}

const timeWindow = (
  cadence: Cadence,
  options: TimeWindowOptions,
  extra?: { readonly cron?: string; readonly weekStartsOn?: number }
): TimeWindowPartitions => {
  const definition: TimeWindowPartitions = {
    _tag: "TimeWindow",
    cadence,
    ...(extra?.cron === undefined ? {} : { cron: extra.cron }),
    start: options.start,
    ...(options.end === undefined ? {} : { end: options.end }),
    timezone: options.timezone ?? "UTC",
    format: options.format ?? DEFAULT_FORMAT[cadence],
    endOffset: options.endOffset ?? 0,
    weekStartsOn: extra?.weekStartsOn ?? 1
  }
  validate(definition)
  return definition
}

/**
 * Daily partitions (local days of `timezone`).
 *
 * @since 0.1.0
 */
export const daily = (options: TimeWindowOptions): TimeWindowPartitions => timeWindow("daily", options)

/**
 * Hourly partitions. A repeated hour (the clocks go back) has two keys with
 * their offsets, `2024-10-27-02:00+02:00` and `2024-10-27-02:00+01:00`; a skipped
 * hour has none.
 *
 * @since 0.1.0
 */
export const hourly = (options: TimeWindowOptions): TimeWindowPartitions => timeWindow("hourly", options)

/**
 * Weekly partitions, keyed by their first day; weeks start on `weekStartsOn`
 * (0 Sunday … 6 Saturday, default 1: Monday).
 *
 * @since 0.1.0
 */
export const weekly = (options: TimeWindowOptions & { readonly weekStartsOn?: number | undefined }): TimeWindowPartitions =>
  timeWindow("weekly", options, options.weekStartsOn === undefined ? undefined : { weekStartsOn: options.weekStartsOn })

/**
 * Monthly partitions, keyed by their first day (or `format: "YYYY-MM"`).
 *
 * @since 0.1.0
 */
export const monthly = (options: TimeWindowOptions): TimeWindowPartitions => timeWindow("monthly", options)

/**
 * Windows between the ticks of any cron schedule (croner syntax), in `timezone`.
 * `start` must be a tick. Ticks are walked once from the start (up to
 * `MAX_CRON_TICKS`); prefer `hourly`/`daily`/`weekly`/`monthly`, which compute.
 *
 * @since 0.1.0
 */
export const cron = (options: TimeWindowOptions & { readonly schedule: string }): TimeWindowPartitions =>
  timeWindow("cron", options, { cron: options.schedule })

const MAX_KEY_LENGTH = 256

/** Why a static or dynamic key cannot be a key, or `undefined`. */
export const keyProblem = (key: string): string | undefined => {
  if (typeof key !== "string" || key.length === 0) return "a key is a non-empty string"
  if (key.length > MAX_KEY_LENGTH) return `it is ${key.length} characters long; at most ${MAX_KEY_LENGTH} are allowed`
  if (key.includes("|")) return "'|' separates the dimensions of two-dimensional keys"
  if (key.includes("...")) return "'...' separates the ends of a range"
  if (key.includes(",")) return "',' separates keys in a list"
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) return "it holds a control character"
  if (key.trim() !== key) return "it starts or ends with white space"
  return undefined
}

/**
 * A fixed list of keys, in the order given (their ordinal order).
 *
 * @since 0.1.0
 */
export const staticKeys = (keys: ReadonlyArray<string>): StaticPartitions => {
  const definition: StaticPartitions = { _tag: "Static", keys: [...keys] }
  validate(definition)
  return definition
}

/**
 * Partitions whose keys live in the instance under `name` (`strata partitions add NAME KEY`).
 *
 * @since 0.1.0
 */
export const dynamic = (name: string): DynamicPartitions => {
  const definition: DynamicPartitions = { _tag: "Dynamic", name }
  validate(definition)
  return definition
}

/**
 * Two dimensions, e.g. `multi({ date: daily({ start }), region: staticKeys(["eu", "us"]) })`.
 *
 * @since 0.1.0
 */
export const multi = (
  dimensions: Readonly<Record<string, TimeWindowPartitions | StaticPartitions | DynamicPartitions>>
): MultiPartitions => {
  const entries = Object.entries(dimensions)
  if (entries.length !== 2) {
    throw new PartitionDefinitionError({ reason: `a multi definition has exactly two dimensions (got ${entries.length})` })
  }
  const definition: MultiPartitions = {
    _tag: "Multi",
    dimensions: [{ name: entries[0]![0], partitions: entries[0]![1] }, { name: entries[1]![0], partitions: entries[1]![1] }]
  }
  validate(definition)
  return definition
}

// ---------------------------------------------------------------------------------------------------------------
// validation and compiled spaces

const compiled = new WeakMap<TimeWindowPartitions, TimeSpace>()

/** The compiled space of a time-window definition (cached per definition object). */
export const timeSpace = (definition: TimeWindowPartitions): TimeSpace => {
  let space = compiled.get(definition)
  if (space === undefined) {
    try {
      space = compileSpace(definition)
    } catch (error) {
      throw new PartitionDefinitionError({ reason: error instanceof Error ? error.message : String(error) })
    }
    compiled.set(definition, space)
  }
  return space
}

/**
 * Checks a definition; throws {@link PartitionDefinitionError} (with `asset`
 * when given) naming what is wrong.
 *
 * @since 0.1.0
 */
export const validate = (definition: PartitionsDefinition, asset?: string): void => {
  const reason = problem(definition)
  if (reason !== undefined) throw new PartitionDefinitionError({ ...(asset === undefined ? {} : { asset }), reason })
}

const problem = (definition: PartitionsDefinition): string | undefined => {
  switch (definition._tag) {
    case "TimeWindow": {
      if (!Number.isSafeInteger(definition.endOffset)) return `endOffset ${definition.endOffset} is not an integer`
      if (!Number.isInteger(definition.weekStartsOn) || definition.weekStartsOn < 0 || definition.weekStartsOn > 6) {
        return `weekStartsOn ${definition.weekStartsOn} is not 0 (Sunday) … 6 (Saturday)`
      }
      try {
        timeSpace(definition)
      } catch (error) {
        return error instanceof PartitionDefinitionError ? error.reason : String(error)
      }
      return undefined
    }
    case "Static": {
      const seen = new Set<string>()
      for (const key of definition.keys) {
        const why = keyProblem(key)
        if (why !== undefined) return `static key ${JSON.stringify(key)}: ${why}`
        if (seen.has(key)) return `static key ${key} is listed twice`
        seen.add(key)
      }
      return definition.keys.length === 0 ? "a static definition needs at least one key" : undefined
    }
    case "Dynamic":
      return /^[A-Za-z0-9_.-]{1,128}$/.test(definition.name)
        ? undefined
        : `dynamic partitions name ${JSON.stringify(definition.name)}: use 1 to 128 letters, digits, '_', '-', '.'`
    case "Multi": {
      const [a, b] = definition.dimensions
      if (a.name === b.name) return `both dimensions are named ${a.name}`
      if (a.partitions._tag !== "Static" && b.partitions._tag !== "Static") {
        return `one of the two dimensions (${a.name}, ${b.name}) must be static, so that each key keeps its index`
      }
      return problem(a.partitions) ?? problem(b.partitions)
    }
  }
}

/**
 * Whether two definitions are the same (structurally).
 *
 * @since 0.1.0
 */
export const equals = (a: PartitionsDefinition, b: PartitionsDefinition): boolean =>
  a === b || JSON.stringify(a) === JSON.stringify(b)

/**
 * A short hash of what gives partitions their indexes (not `end` nor
 * `endOffset`, which only bound them): index ranges recorded under one
 * fingerprint mean the same partitions under another definition with it.
 *
 * @since 0.1.0
 */
export const fingerprint = (definition: PartitionsDefinition): string => hash(JSON.stringify(ordinalFields(definition)))

const ordinalFields = (definition: PartitionsDefinition): unknown => {
  switch (definition._tag) {
    case "TimeWindow": {
      const { end: _end, endOffset: _offset, ...rest } = definition
      return rest
    }
    case "Multi":
      return { _tag: "Multi", dimensions: definition.dimensions.map((d) => ({ name: d.name, partitions: ordinalFields(d.partitions) })) }
    default:
      return definition
  }
}

/**
 * What a key of the definition looks like, for messages.
 *
 * @since 0.1.0
 */
export const describe = (definition: PartitionsDefinition): string => {
  switch (definition._tag) {
    case "TimeWindow": {
      const what = definition.cadence === "cron" ? `cron (${definition.cron})` : definition.cadence
      const end = definition.end === undefined ? "" : ` before ${definition.end}`
      return `a ${what} key ${definition.format} from ${definition.start}${end} in ${definition.timezone}`
    }
    case "Static": {
      const shown = definition.keys.slice(0, 10).join(", ")
      return `one of ${shown}${definition.keys.length > 10 ? `, … (${definition.keys.length} keys)` : ""}`
    }
    case "Dynamic":
      return `a key of the dynamic partitions ${definition.name}`
    case "Multi":
      return `${definition.dimensions[0].name}|${definition.dimensions[1].name}: ` +
        `${describe(definition.dimensions[0].partitions)} | ${describe(definition.dimensions[1].partitions)}`
  }
}

// ---------------------------------------------------------------------------------------------------------------
// spaces: a definition at an instant

/**
 * What resolving a definition needs: the instant (time windows exist once
 * over) and the keys of dynamic definitions, by ordinal (`null` for a
 * deleted key), as the instance stores them.
 *
 * @since 0.1.0
 */
export interface Resolution {
  /** Milliseconds since the epoch. */
  readonly now: number
  readonly dynamic?: ((name: string) => ReadonlyArray<string | null> | undefined) | undefined
}

/**
 * A definition's partitions at an instant.
 *
 * @since 0.1.0
 */
export interface Space {
  readonly definition: PartitionsDefinition
  /** Indexes run from 0 to `size` (excluded). */
  readonly size: number
  /** The indexes that are partitions (all of `[0, size)` but deleted dynamic keys). */
  readonly all: Ranges.Ranges
  readonly keyAt: (index: number) => string
  /** The index of a key in `[0, size)`, or why it is not a partition. */
  readonly indexOf: (key: string) => number | string
  /** The time window of a partition (time-window definitions). */
  readonly window?: ((index: number) => Window) | undefined
  /** The partition whose window holds an instant, possibly outside `[0, size)` (time-window definitions). */
  readonly indexAt?: ((ms: number) => number) | undefined
}

const timeResolved = (definition: TimeWindowPartitions, now: number): Space => {
  const time = timeSpace(definition)
  const size = time.size(now)
  return {
    definition,
    size,
    all: Ranges.range(0, size),
    keyAt: time.keyAt,
    indexOf: (key) => {
      const index = time.indexOf(key)
      if (typeof index === "string") return index
      if (index < 0) return `it is before the first partition ${definition.start}`
      if (index >= size) {
        return size === 0 ? "no partition exists yet" : `it is after the last partition ${time.keyAt(size - 1)} that exists now`
      }
      return index
    },
    window: time.window,
    indexAt: time.indexAt
  }
}

const listResolved = (definition: StaticPartitions | DynamicPartitions, keys: ReadonlyArray<string | null>): Space => {
  const positions = new Map<string, number>()
  keys.forEach((key, i) => {
    if (key !== null) positions.set(key, i)
  })
  const all = definition._tag === "Static"
    ? Ranges.range(0, keys.length)
    : Ranges.normalize(keys.flatMap((key, i): Array<Ranges.Range> => key === null ? [] : [[i, i + 1]]))
  return {
    definition,
    size: keys.length,
    all,
    keyAt: (index) => keys[index] ?? "",
    indexOf: (key) => positions.get(key) ?? "there is no such key"
  }
}

const multiResolved = (definition: MultiPartitions, resolution: Resolution): Space => {
  const [first, second] = definition.dimensions
  // the static dimension is the minor one, so that the other may grow without moving any index
  const majorFirst = second.partitions._tag === "Static"
  const major = resolve(majorFirst ? first.partitions : second.partitions, resolution)
  const minor = resolve(majorFirst ? second.partitions : first.partitions, resolution)
  const n = minor.size
  return {
    definition,
    size: major.size * n,
    all: major.all.map(([s, e]): Ranges.Range => [s * n, e * n]),
    keyAt: (index) => {
      const a = major.keyAt(Math.floor(index / n))
      const b = minor.keyAt(index % n)
      return majorFirst ? `${a}|${b}` : `${b}|${a}`
    },
    indexOf: (key) => {
      const bar = key.indexOf("|")
      if (bar < 0) return `a key of two dimensions is written ${first.name}|${second.name}`
      const parts = [key.slice(0, bar), key.slice(bar + 1)]
      const [a, b] = majorFirst ? parts : [parts[1]!, parts[0]!]
      const i = major.indexOf(a!)
      if (typeof i === "string") return `${majorFirst ? first.name : second.name} ${a}: ${i}`
      const j = minor.indexOf(b!)
      if (typeof j === "string") return `${majorFirst ? second.name : first.name} ${b}: ${j}`
      return i * n + j
    }
  }
}

/**
 * A definition's space at an instant. Dynamic keys come from
 * `resolution.dynamic` (none when absent).
 *
 * @since 0.1.0
 */
export const resolve = (definition: PartitionsDefinition, resolution: Resolution): Space => {
  switch (definition._tag) {
    case "TimeWindow":
      return timeResolved(definition, resolution.now)
    case "Static":
      return listResolved(definition, definition.keys)
    case "Dynamic":
      return listResolved(definition, resolution.dynamic?.(definition.name) ?? [])
    case "Multi":
      return multiResolved(definition, resolution)
  }
}

/**
 * The two dimensions' spaces of a multi definition, the major (time or
 * dynamic) one first, and whether the definition lists it first.
 */
const multiParts = (space: Space, resolution: Resolution) => {
  const definition = space.definition as MultiPartitions
  const [first, second] = definition.dimensions
  const majorFirst = second.partitions._tag === "Static"
  return {
    major: resolve(majorFirst ? first.partitions : second.partitions, resolution),
    minor: resolve(majorFirst ? second.partitions : first.partitions, resolution),
    majorFirst
  }
}

/** At most this many characters and items in a partition selection (`A...B,C`). */
export const SELECTION_LIMITS = { characters: 100_000, items: 10_000 } as const

/**
 * A selection naming exactly `set` (no `…`, unlike {@link format}): what a
 * run is launched with. One item per range.
 *
 * @since 0.1.0
 */
export const selection = (space: Space, set: Ranges.Ranges): string =>
  set.map(([s, e]) => e - s === 1 ? space.keyAt(s) : `${space.keyAt(s)}...${space.keyAt(e - 1)}`).join(",")

/**
 * The partitions a selection names: keys and inclusive ranges `A...B`,
 * separated by `,`. On two dimensions, a key of the time (or dynamic)
 * dimension alone stands for all its keys of the other (`2024-01-01...2024-01-07`
 * is 7 days × every region), and `A|x...B|y` is the rectangle between them.
 * Returns an {@link InvalidPartitionKey} naming the asset, key and what was
 * expected when a key is not a partition.
 *
 * @since 0.1.0
 */
export const parseSelection = (
  space: Space,
  text: string,
  options?: { readonly asset?: string | undefined; readonly resolution?: Resolution | undefined }
): Ranges.Ranges | InvalidPartitionKey => {
  const asset = options?.asset
  const fail = (key: string, reason: string) =>
    new InvalidPartitionKey({ ...(asset === undefined ? {} : { asset }), key, reason, expected: describe(space.definition) })
  if (text.length > SELECTION_LIMITS.characters) {
    return fail(text.slice(0, 40) + "…", `the selection is ${text.length} characters long; at most ${SELECTION_LIMITS.characters}`)
  }
  const items = text.split(",")
  if (items.length > SELECTION_LIMITS.items) return fail(text.slice(0, 40) + "…", `over ${SELECTION_LIMITS.items} items`)
  const out: Array<Ranges.Range> = []
  for (const raw of items) {
    const item = raw.trim()
    const ends = item.split("...")
    if (ends.length > 2 || item.length === 0) return fail(item, "write a key, or a range A...B")
    const found = space.definition._tag === "Multi"
      ? multiItem(space, ends[0]!, ends[1] ?? ends[0]!, options?.resolution ?? { now: Date.now() })
      : plainItem(space, ends[0]!, ends[1] ?? ends[0]!)
    if (typeof found === "object" && "key" in found) return fail(found.key, found.reason)
    out.push(...found)
  }
  return Ranges.intersection(Ranges.normalize(out), space.all)
}

type ItemResult = Array<Ranges.Range> | { key: string; reason: string }

const plainItem = (space: Space, from: string, to: string): ItemResult => {
  const a = space.indexOf(from)
  if (typeof a === "string") return { key: from, reason: a }
  const b = space.indexOf(to)
  if (typeof b === "string") return { key: to, reason: b }
  if (b < a) return { key: `${from}...${to}`, reason: `${to} comes before ${from}` }
  return [[a, b + 1]]
}

const multiItem = (space: Space, from: string, to: string, resolution: Resolution): ItemResult => {
  const { major, majorFirst, minor } = multiParts(space, resolution)
  const n = minor.size
  const split = (key: string): [string, string | undefined] => {
    const bar = key.indexOf("|")
    if (bar < 0) return [key, undefined]
    const parts = [key.slice(0, bar), key.slice(bar + 1)] as const
    return majorFirst ? [parts[0], parts[1]] : [parts[1], parts[0]]
  }
  const [first, second] = (space.definition as MultiPartitions).dimensions
  const named = (result: ItemResult, name: string): ItemResult =>
    Array.isArray(result) ? result : { key: `${from}...${to}`, reason: `${name} ${result.key}: ${result.reason}` }
  const [fromMajor, fromMinor] = split(from)
  const [toMajor, toMinor] = split(to)
  const rows = named(plainItem(major, fromMajor, toMajor), majorFirst ? first.name : second.name)
  if (!Array.isArray(rows)) return rows
  if ((fromMinor === undefined) !== (toMinor === undefined)) {
    return { key: `${from}...${to}`, reason: "give both ends with two dimensions, or both with one" }
  }
  const [[r0, r1]] = rows as [Ranges.Range]
  if (fromMinor === undefined) return [[r0 * n, r1 * n]]
  const cols = named(plainItem(minor, fromMinor, toMinor!), majorFirst ? second.name : first.name)
  if (!Array.isArray(cols)) return cols
  const [[c0, c1]] = cols as [Ranges.Range]
  if (c0 === 0 && c1 === n) return [[r0 * n, r1 * n]]
  const out: Array<Ranges.Range> = []
  for (let r = r0; r < r1; r++) out.push([r * n + c0, r * n + c1])
  return out
}

/**
 * The keys of a set, in order (enumerates: for sets known to be small, such as one step's).
 *
 * @since 0.1.0
 */
export const keys = (space: Space, set: Ranges.Ranges): Array<string> => Array.from(Ranges.indexes(set), space.keyAt)

/**
 * A set written back as a selection (`2024-01-01...2024-01-07,2024-01-10`),
 * at most `limit` ranges (default 20), then `… (N more ranges)`.
 *
 * @since 0.1.0
 */
export const format = (space: Space, set: Ranges.Ranges, limit = 20): string => {
  const parts = set.slice(0, limit).map(([s, e]) => e - s === 1 ? space.keyAt(s) : `${space.keyAt(s)}...${space.keyAt(e - 1)}`)
  if (set.length > limit) parts.push(`… (${set.length - limit} more ranges)`)
  return parts.join(",")
}

/**
 * The partitions of `space` that are not in `set`.
 *
 * @since 0.1.0
 */
export const missing = (space: Space, set: Ranges.Ranges): Ranges.Ranges => Ranges.difference(space.all, set)
