import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Asset, PartitionMapping, Partitions, Project } from "../src/index.ts"

const { Ranges } = Partitions
const H = 3_600_000
const at = (iso: string) => Date.parse(iso)
const hours = (space: Partitions.Space, i: number) => {
  const w = space.window!(i)
  return (w.end - w.start) / H
}
const parse = (space: Partitions.Space, text: string, asset?: string) => {
  const result = Partitions.parseSelection(space, text, { asset })
  if (result instanceof Partitions.InvalidPartitionKey) throw result
  return result
}

describe("Ranges", () => {
  // a deterministic generator: the brute-force comparison below must see the same sets on every run
  let seed = 42
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  const randomSet = (size: number) => {
    const members = new Set<number>()
    for (let i = 0; i < size; i++) if (random() < 0.4) members.add(i)
    return members
  }
  const toSet = (ranges: Partitions.Ranges.Ranges) => new Set(Ranges.indexes(ranges))

  it("union, difference, intersection and count agree with sets of indexes", () => {
    for (let round = 0; round < 200; round++) {
      const a = randomSet(60)
      const b = randomSet(60)
      const ra = Ranges.fromIndexes(a)
      const rb = Ranges.fromIndexes(b)
      expect(toSet(Ranges.union(ra, rb))).toEqual(new Set([...a, ...b]))
      expect(toSet(Ranges.difference(ra, rb))).toEqual(new Set([...a].filter((i) => !b.has(i))))
      expect(toSet(Ranges.intersection(ra, rb))).toEqual(new Set([...a].filter((i) => b.has(i))))
      expect(Ranges.count(ra)).toBe(a.size)
      for (let i = 0; i < 60; i++) expect(Ranges.has(ra, i)).toBe(a.has(i))
      // normalized: sorted, disjoint, not touching
      const u = Ranges.union(ra, rb)
      for (let k = 1; k < u.length; k++) expect(u[k]![0]).toBeGreaterThan(u[k - 1]![1])
    }
  })

  it("a million partitions in one stretch are one range; chunks cut in order", () => {
    const all = Ranges.range(0, 1_000_000)
    const done = Ranges.union(Ranges.range(0, 400_000), Ranges.range(400_001, 1_000_000))
    expect(Ranges.difference(all, done)).toEqual([[400_000, 400_001]])
    expect(Ranges.chunks([[0, 5], [7, 9]], 3)).toEqual([[[0, 3]], [[3, 5], [7, 8]], [[8, 9]]])
  })
})

describe("time windows", () => {
  it("daily in Europe/Berlin: 23 hours on 2024-03-31, 25 on 2024-10-27, keys by calendar", () => {
    const days = Partitions.daily({ start: "2024-01-01", timezone: "Europe/Berlin" })
    const space = Partitions.resolve(days, { now: at("2025-01-01T12:00:00Z") })
    expect(space.size).toBe(366) // 2024 is a leap year; 2025-01-01 is not over
    const march31 = parse(space, "2024-03-31")[0]![0]
    expect(space.keyAt(march31)).toBe("2024-03-31")
    expect(hours(space, march31)).toBe(23)
    expect(hours(space, march31 - 1)).toBe(24)
    expect(hours(space, parse(space, "2024-10-27")[0]![0])).toBe(25)
    // the window starts at local midnight
    expect(space.window!(0).start).toBe(at("2023-12-31T23:00:00Z"))
    expect(space.window!(march31 + 1).start).toBe(at("2024-03-31T22:00:00Z"))
    // the day holding an instant is the local day
    expect(space.indexAt!(at("2024-03-31T22:30:00Z"))).toBe(march31 + 1)
  })

  it("daily in America/New_York: 23 hours on 2024-03-10, 25 on 2024-11-03", () => {
    const space = Partitions.resolve(Partitions.daily({ start: "2024-03-01", timezone: "America/New_York" }), {
      now: at("2024-12-01T00:00:00Z")
    })
    expect(hours(space, parse(space, "2024-03-10")[0]![0])).toBe(23)
    expect(hours(space, parse(space, "2024-11-03")[0]![0])).toBe(25)
    // 2024-12-01T00:00Z is still 2024-11-30 in New York: that day is not over, so the last is 2024-11-29
    expect(space.keyAt(space.size - 1)).toBe("2024-11-29")
  })

  it("hourly in Europe/Berlin: the skipped hour has no key, the repeated one has two", () => {
    const space = Partitions.resolve(Partitions.hourly({ start: "2024-03-30-00:00", timezone: "Europe/Berlin" }), {
      now: at("2024-11-01T00:00:00Z")
    })
    const [[s, e]] = parse(space, "2024-03-31-00:00...2024-03-31-23:00") as [Partitions.Ranges.Range]
    expect(e - s).toBe(23)
    expect(space.keyAt(s + 2)).toBe("2024-03-31-03:00")
    expect(() => parse(space, "2024-03-31-02:00", "clicks")).toThrow(/clicks.*does not exist in Europe\/Berlin/)
    expect(() => parse(space, "2024-10-27-02:00")).toThrow(/happens twice.*2024-10-27-02:00\+02:00 or 2024-10-27-02:00\+01:00/)
    const [[first]] = parse(space, "2024-10-27-02:00+02:00") as [Partitions.Ranges.Range]
    const [[second]] = parse(space, "2024-10-27-02:00+01:00") as [Partitions.Ranges.Range]
    expect(second).toBe(first + 1)
    expect(space.keyAt(first)).toBe("2024-10-27-02:00+02:00")
    expect(space.keyAt(first + 2)).toBe("2024-10-27-03:00")
    const day = parse(space, "2024-10-27-00:00...2024-10-27-23:00")
    expect(Ranges.count(day)).toBe(25)
  })

  it("hourly in America/New_York across the fall transition", () => {
    const space = Partitions.resolve(Partitions.hourly({ start: "2024-11-03-00:00", timezone: "America/New_York" }), {
      now: at("2024-11-04T12:00:00Z")
    })
    expect(space.keyAt(1)).toBe("2024-11-03-01:00-04:00")
    expect(space.keyAt(2)).toBe("2024-11-03-01:00-05:00")
    expect(space.keyAt(3)).toBe("2024-11-03-02:00")
  })

  it("weekly (Monday weeks) and monthly keys and alignment", () => {
    const weeks = Partitions.resolve(Partitions.weekly({ start: "2024-01-01" }), { now: at("2024-03-01T00:00:00Z") })
    expect(weeks.keyAt(1)).toBe("2024-01-08")
    expect(() => parse(weeks, "2024-01-03", "weekly_retention")).toThrow(/weekly_retention.*starts on a Monday/)
    expect(() => Partitions.weekly({ start: "2024-01-02" })).toThrow(Partitions.PartitionDefinitionError)
    const sundays = Partitions.resolve(Partitions.weekly({ start: "2023-12-31", weekStartsOn: 0 }), { now: at("2024-02-01T00:00:00Z") })
    expect(sundays.keyAt(1)).toBe("2024-01-07")
    const months = Partitions.resolve(Partitions.monthly({ start: "2023-11", format: "YYYY-MM", timezone: "Europe/Berlin" }), {
      now: at("2024-03-15T00:00:00Z")
    })
    expect(Partitions.keys(months, months.all)).toEqual(["2023-11", "2023-12", "2024-01", "2024-02"])
    expect(hours(months, 4)).toBe(31 * 24 - 1) // March 2024 in Berlin loses an hour
  })

  it("end offsets and ends", () => {
    const now = at("2024-01-10T12:00:00Z")
    const size = (options: Partial<Partitions.TimeWindowOptions>) =>
      Partitions.resolve(Partitions.daily({ start: "2024-01-01", ...options }), { now }).size
    expect(size({})).toBe(9) // 2024-01-01 … 2024-01-09
    expect(size({ endOffset: 1 })).toBe(10) // with today
    expect(size({ endOffset: -1 })).toBe(8)
    expect(size({ end: "2024-01-05" })).toBe(4)
    const space = Partitions.resolve(Partitions.daily({ start: "2024-01-01" }), { now })
    expect(() => parse(space, "2024-01-10", "dau")).toThrow(/after the last partition 2024-01-09 that exists now/)
    expect(() => parse(space, "2023-12-31")).toThrow(/before the first partition 2024-01-01/)
  })

  it("malformed keys and definitions say what was expected", () => {
    const space = Partitions.resolve(Partitions.daily({ start: "2024-01-01", timezone: "Europe/Berlin" }), { now: at("2025-01-01T00:00:00Z") })
    const error = Partitions.parseSelection(space, "2024-13-01", { asset: "daily_active_users" })
    expect(error).toBeInstanceOf(Partitions.InvalidPartitionKey)
    expect((error as Partitions.InvalidPartitionKey).message).toBe(
      `partition "2024-13-01" of asset daily_active_users is invalid: month 13 does not exist ` +
        `(expected a daily key YYYY-MM-DD from 2024-01-01 in Europe/Berlin)`
    )
    expect(() => parse(space, "2024-02-30")).toThrow(/day 30 does not exist in 2024-02/)
    expect(() => parse(space, "20240101")).toThrow(/does not match the format YYYY-MM-DD/)
    expect(() => parse(space, "2024-01-07...2024-01-01")).toThrow(/comes before/)
    expect(() => Partitions.daily({ start: "2024-01-01", timezone: "Mars/Olympus" })).toThrow(/not an IANA time zone/)
    expect(() => Partitions.hourly({ start: "2024-01-01", format: "YYYY-MM-DD" })).toThrow(/no HH/)
  })

  it("any cron schedule, DST-correct through croner", () => {
    // 06:00 every weekday in New York
    const definition = Partitions.cron({ schedule: "0 6 * * 1-5", start: "2024-03-08-06:00", timezone: "America/New_York" })
    const space = Partitions.resolve(definition, { now: at("2024-03-20T00:00:00Z") })
    expect(space.keyAt(1)).toBe("2024-03-11-06:00") // Friday → Monday
    // Friday 06:00 EST → Monday 06:00 EDT: 72 hours minus the lost hour
    expect(hours(space, 0)).toBe(71)
    expect(parse(space, "2024-03-12-06:00")).toEqual([[2, 3]])
    expect(() => parse(space, "2024-03-12-07:00")).toThrow(/not a tick of the schedule/)
    expect(space.keyAt(space.size - 1)).toBe("2024-03-18-06:00") // the window from 03-19 06:00 is not over
  })
})

describe("static, dynamic, two dimensions", () => {
  it("static keys keep their order; bad lists are refused", () => {
    const space = Partitions.resolve(Partitions.staticKeys(["eu", "us", "apac"]), { now: 0 })
    expect(parse(space, "us...apac")).toEqual([[1, 3]])
    expect(parse(space, "apac,eu")).toEqual([[0, 1], [2, 3]])
    expect(() => parse(space, "mars", "sales")).toThrow(/sales.*no such key.*one of eu, us, apac/)
    expect(() => Partitions.staticKeys(["a", "a"])).toThrow(/listed twice/)
    expect(() => Partitions.staticKeys(["a|b"])).toThrow(/separates the dimensions/)
  })

  it("dynamic keys come from the instance, deleted ones leave a hole", () => {
    const definition = Partitions.dynamic("customers")
    const space = Partitions.resolve(definition, { now: 0, dynamic: (name) => name === "customers" ? ["acme", null, "globex"] : undefined })
    expect(space.all).toEqual([[0, 1], [2, 3]])
    expect(parse(space, "globex")).toEqual([[2, 3]])
    expect(Partitions.missing(space, [[0, 1]])).toEqual([[2, 3]])
    expect(Partitions.resolve(definition, { now: 0 }).size).toBe(0)
  })

  it("date × region: ranges over days cover every region; rectangles too", () => {
    const definition = Partitions.multi({
      date: Partitions.daily({ start: "2024-01-01" }),
      region: Partitions.staticKeys(["eu", "us", "apac"])
    })
    const resolution = { now: at("2024-02-01T00:00:00Z") }
    const space = Partitions.resolve(definition, resolution)
    expect(space.size).toBe(31 * 3)
    expect(space.keyAt(4)).toBe("2024-01-02|us")
    expect(parse(space, "2024-01-02|us")).toEqual([[4, 5]])
    expect(Partitions.parseSelection(space, "2024-01-01...2024-01-07", { resolution })).toEqual([[0, 21]])
    expect(Partitions.parseSelection(space, "2024-01-01|us...2024-01-03|apac", { resolution })).toEqual([[1, 3], [4, 6], [7, 9]])
    expect(() => parse(space, "2024-01-02|mars", "sales")).toThrow(/sales.*region mars: there is no such key/)
    // the static dimension may come first: indexes still grow with the days
    const flipped = Partitions.resolve(
      Partitions.multi({ region: Partitions.staticKeys(["eu", "us"]), date: Partitions.daily({ start: "2024-01-01" }) }),
      resolution
    )
    expect(flipped.keyAt(3)).toBe("us|2024-01-02")
    expect(() => Partitions.multi({ a: Partitions.daily({ start: "2024-01-01" }), b: Partitions.dynamic("x") })).toThrow(
      /must be static/
    )
  })
})

describe("mappings", () => {
  const now = at("2024-03-01T00:00:00Z")
  const days = Partitions.resolve(Partitions.daily({ start: "2024-01-01" }), { now })
  const weeks = Partitions.resolve(Partitions.weekly({ start: "2024-01-01" }), { now })

  it("a weekly asset reads its 7 days; yesterday's through offsets", () => {
    const week2 = parse(weeks, "2024-01-08")
    const read = PartitionMapping.upstreamOf(PartitionMapping.timeWindow(), weeks, days, week2)
    expect(Partitions.format(days, read)).toBe("2024-01-08...2024-01-14")
    const yesterday = PartitionMapping.timeWindow({ startOffset: -1, endOffset: -1 })
    expect(Partitions.format(days, PartitionMapping.upstreamOf(yesterday, days, days, parse(days, "2024-01-05...2024-01-06"))))
      .toBe("2024-01-04...2024-01-05")
    // before the first day there is nothing to read
    expect(PartitionMapping.upstreamOf(yesterday, days, days, parse(days, "2024-01-01"))).toEqual([])
    // a day reads the week holding it
    expect(Partitions.format(weeks, PartitionMapping.upstreamOf(PartitionMapping.timeWindow(), days, weeks, parse(days, "2024-01-10"))))
      .toBe("2024-01-08")
  })

  it("daily in Berlin reading hourly in UTC: the 23 hours of the short day", () => {
    const berlin = Partitions.resolve(Partitions.daily({ start: "2024-03-01", timezone: "Europe/Berlin" }), { now: at("2024-05-01T00:00:00Z") })
    const utcHours = Partitions.resolve(Partitions.hourly({ start: "2024-01-01-00:00" }), { now: at("2024-05-01T00:00:00Z") })
    const read = PartitionMapping.upstreamOf(PartitionMapping.timeWindow(), berlin, utcHours, parse(berlin, "2024-03-31"))
    expect(Ranges.count(read)).toBe(23)
    expect(utcHours.keyAt(read[0]![0])).toBe("2024-03-30-23:00")
  })

  it("identity, all, last and static", () => {
    const sel = parse(days, "2024-01-03...2024-01-04")
    expect(PartitionMapping.upstreamOf(PartitionMapping.identity, days, days, sel)).toEqual(sel)
    expect(PartitionMapping.upstreamOf(PartitionMapping.allPartitions, undefined, days, [])).toEqual(days.all)
    expect(Partitions.format(days, PartitionMapping.upstreamOf(PartitionMapping.lastPartition, undefined, days, []))).toBe("2024-02-29")
    const countries = Partitions.resolve(Partitions.staticKeys(["de", "fr", "us"]), { now })
    const regions = Partitions.resolve(Partitions.staticKeys(["eu", "na"]), { now })
    const mapping = PartitionMapping.staticMapping({ de: "eu", fr: "eu", us: "na" })
    expect(Partitions.keys(countries, PartitionMapping.upstreamOf(mapping, regions, countries, parse(regions, "eu")))).toEqual(["de", "fr"])
  })

  it("defaults and problems", () => {
    const d = Partitions.daily({ start: "2024-01-01" })
    const w = Partitions.weekly({ start: "2024-01-01" })
    const s = Partitions.staticKeys(["a"])
    expect(PartitionMapping.defaultFor(d, Partitions.daily({ start: "2024-01-01" }))).toEqual(PartitionMapping.identity)
    expect(PartitionMapping.defaultFor(w, d)).toEqual(PartitionMapping.timeWindow())
    expect(PartitionMapping.defaultFor(undefined, d)).toEqual(PartitionMapping.allPartitions)
    expect(PartitionMapping.defaultFor(d, undefined)).toBeUndefined()
    expect(PartitionMapping.defaultFor(s, d)).toMatch(/definitions differ/)
    expect(PartitionMapping.problem(PartitionMapping.timeWindow(), s, d)).toMatch(/two time-window definitions/)
    expect(PartitionMapping.problem(PartitionMapping.staticMapping({ b: "a" }), s, s)).toMatch(/upstream key b/)
    expect(PartitionMapping.problem(PartitionMapping.identity, d, w)).toMatch(/different definitions/)
  })
})

describe("project validation", () => {
  it("an edge between definitions no mapping joins fails at Project.make, naming both assets", () => {
    const regions = Asset.make("regions", { partitions: Partitions.staticKeys(["eu", "us"]) }, () => Effect.succeed(1))
    const days = Asset.make("days", { deps: { regions }, partitions: Partitions.daily({ start: "2024-01-01" }) }, () =>
      Effect.succeed(2))
    expect(() => Project.make({ assets: [regions, days] })).toThrow(
      /asset days cannot read the partitions of regions: their definitions differ/
    )
    const fixed = Asset.make("days", {
      deps: { regions },
      partitions: Partitions.daily({ start: "2024-01-01" }),
      partitionMappings: { regions: PartitionMapping.allPartitions }
    }, (_, context) => Effect.succeed(context.partitions.count))
    expect(Project.make({ assets: [regions, fixed] }).graph.nodes.length).toBe(2)
    const wrong = Asset.make("weeks", {
      deps: { regions },
      partitions: Partitions.weekly({ start: "2024-01-01" }),
      partitionMappings: { regions: PartitionMapping.timeWindow() }
    }, () => Effect.succeed(3))
    expect(() => Project.make({ assets: [regions, wrong] })).toThrow(/weeks cannot read the partitions of regions: a time-window mapping/)
  })
})
