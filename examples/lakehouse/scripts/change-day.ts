/**
 * Drops of the partitioned chain's `raw_events` (src/events.ts), one file per
 * day under data/events/, deterministically (the same day and seed always give
 * the same bytes):
 *
 *   node scripts/change-day.ts --add                      a new day's drop, seed 1: the day after the latest drop in
 *                                                         data/events/, or after the latest raw_events partition stored
 *                                                         in .strata/storage/raw_events/, or 2024-01-01
 *   node scripts/change-day.ts --rewrite 2024-01-03       rewrites a past day's drop with seed 2 (other events)
 *   node scripts/change-day.ts --rewrite 2024-01-03 --seed 5
 *
 * A day without a drop file is read as its seed-1 drop, so `--add` and the
 * generator agree. Strata sees a rewritten drop when it observes the
 * `event_drops` source (`strata status` does, and every run reading it):
 *
 *   strata materialize -f events.config.ts --select '+daily_active_users' --partition 2024-01-15   after --add
 *   strata status -f events.config.ts      after --rewrite: that day of raw_events and the partitions reading it
 *                                          are stale, with the reason
 *   strata materialize -f events.config.ts --select '*' --stale-only --partition 2024-01-03          rebuilds them
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { parseArgs } from "node:util"
import { dropBytes, dropFile, eventsOf } from "../src/events.ts"

const usage = (message: string): never => {
  process.stderr.write(`change-day: ${message}\nusage: change-day.ts --add [--seed N] | --rewrite YYYY-MM-DD [--seed N]\n`)
  process.exit(2)
}

const { values } = parseArgs({
  options: {
    add: { type: "boolean", default: false },
    rewrite: { type: "string" },
    seed: { type: "string" },
    root: { type: "string", default: path.join(import.meta.dirname, "..") }
  }
})

const validDay = (text: string): boolean => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false
  const time = Date.parse(`${text}T00:00:00Z`)
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === text && text >= "2024-01-01"
}

const nextDay = (day: string): string => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)

if (values.add === (values.rewrite !== undefined)) usage("give exactly one of --add and --rewrite DAY")
const seed = Number(values.seed ?? (values.add ? "1" : "2"))
if (!Number.isInteger(seed) || seed < 1) usage(`--seed must be a positive integer (got ${JSON.stringify(values.seed)})`)

/** The days named by the files of a folder (`2024-01-03.json`, or FileSystemIO's `@2024-01-03.json`), sorted. */
const daysIn = (folder: string): Array<string> =>
  fs.existsSync(folder) ? fs.readdirSync(folder).map((name) => name.replace(/^@/, "").replace(/\.json$/, "")).filter(validDay).sort() : []

const folder = path.dirname(dropFile("2024-01-01", values.root))
const existing = daysIn(folder)
const stored = daysIn(path.join(values.root, ".strata", "storage", "raw_events"))

let day: string
if (values.rewrite !== undefined) {
  if (!validDay(values.rewrite)) usage(`--rewrite: ${JSON.stringify(values.rewrite)} is not a day of raw_events (YYYY-MM-DD, from 2024-01-01)`)
  day = values.rewrite
} else {
  const latest = [existing.at(-1), stored.at(-1)].filter((d) => d !== undefined).sort().at(-1)
  day = latest === undefined ? "2024-01-01" : nextDay(latest)
}

const file = dropFile(day, values.root)
fs.mkdirSync(folder, { recursive: true })
const events = eventsOf(day, seed)
fs.writeFileSync(file, dropBytes(events))
process.stdout.write(
  `${values.add ? "added" : "rewrote"} ${path.relative(process.cwd(), file) || file}: ${events.length} events of ${day} (seed ${seed})\n` +
    (values.add
      ? `build it: strata materialize -f events.config.ts --select '+daily_active_users' --partition ${day}\n`
      : `see it: strata status -f events.config.ts (observes event_drops: that day of raw_events is stale), then ` +
        `strata materialize -f events.config.ts --select '*' --stale-only --partition ${day}\n`)
)
