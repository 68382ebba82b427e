/**
 * Writes the raw users CSV the lakehouse example reads, deterministically:
 * the same seed always gives the same bytes.
 *
 *   node scripts/generate.ts                       100,000 rows, seed 1 -> data/raw_users.csv
 *   node scripts/generate.ts --if-missing          only when the file does not exist yet
 *   node scripts/generate.ts --seed 2              a different (but again deterministic) file
 *   node scripts/generate.ts --append 500          append 500 new users (ids continue), to simulate a new drop
 *   node scripts/generate.ts --rows 1000 --out /tmp/users.csv
 *
 * Columns: id, email, country, signup_date, last_active_date, status. Like real
 * exports, some emails are upper-case or padded with spaces, some are invalid,
 * some are duplicates of earlier users; some countries are empty.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { parseArgs } from "node:util"

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "100000" },
    seed: { type: "string", default: "1" },
    out: { type: "string", default: path.join(import.meta.dirname, "..", "data", "raw_users.csv") },
    append: { type: "string" },
    "if-missing": { type: "boolean", default: false }
  }
})

const out = path.resolve(values.out)
if (values["if-missing"] && fs.existsSync(out)) {
  process.stdout.write(`${path.relative(process.cwd(), out)} exists; not regenerated\n`)
  process.exit(0)
}

const positiveInt = (name: string, text: string): number => {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`generate: --${name} must be a non-negative integer (got ${JSON.stringify(text)})\n`)
    process.exit(2)
  }
  return n
}

// mulberry32: a small, well-known 32-bit PRNG; enough for test data and identical on every platform
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

const countries = ["US", "US", "US", "GB", "DE", "FR", "NL", "ES", "IT", "BR", "IN", "JP", "CA", "AU", "SE"]
const domains = ["example.com", "mail.test", "acme.io", "corp.example", "inbox.test"]
const statuses = ["active", "active", "active", "inactive", "churned", "pending"]
const day = 86_400_000
const start = Date.UTC(2024, 0, 1)
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10)

const generate = (rows: number, seed: number, firstId: number): string => {
  const next = random(seed * 7919 + firstId)
  const pick = <A>(items: ReadonlyArray<A>): A => items[Math.floor(next() * items.length)]!
  const emails: Array<string> = []
  let text = ""
  for (let i = 0; i < rows; i++) {
    const id = firstId + i
    let email = `user${id}.${Math.floor(next() * 1e6).toString(36)}@${pick(domains)}`
    const roll = next()
    if (roll < 0.03) email = pick(["", "n/a", `user${id}-at-${pick(domains)}`, `user${id}@`, "@example.com"])
    else if (roll < 0.05 && emails.length > 0) email = emails[Math.floor(next() * emails.length)]! // a duplicate signup
    else emails.push(email)
    const shape = next()
    if (shape < 0.08) email = email.toUpperCase()
    else if (shape < 0.13) email = ` ${email}  `
    const country = next() < 0.04 ? "" : pick(countries)
    const signup = start + Math.floor(next() * 365) * day
    const lastActive = signup + Math.floor(next() * 120) * day
    text += `${id},${email},${country},${isoDay(signup)},${isoDay(lastActive)},${pick(statuses)}\n`
  }
  return text
}

const header = "id,email,country,signup_date,last_active_date,status\n"
const seed = positiveInt("seed", values.seed)
fs.mkdirSync(path.dirname(out), { recursive: true })
if (values.append !== undefined) {
  const count = positiveInt("append", values.append)
  if (!fs.existsSync(out)) {
    process.stderr.write(`generate: ${out} does not exist; run generate without --append first\n`)
    process.exit(2)
  }
  const existing = fs.readFileSync(out, "utf8")
  const lastLine = existing.trimEnd().split("\n").at(-1) ?? ""
  const lastId = Number(lastLine.split(",")[0])
  const firstId = Number.isInteger(lastId) ? lastId + 1 : 1
  fs.appendFileSync(out, generate(count, seed, firstId))
  process.stdout.write(`appended ${count} users (ids ${firstId}..${firstId + count - 1}) to ${path.relative(process.cwd(), out)}\n`)
} else {
  const rows = positiveInt("rows", values.rows)
  // written to a temporary file and renamed, so the source is never observed half-written
  const temp = `${out}.${process.pid}.tmp`
  fs.writeFileSync(temp, header + generate(rows, seed, 1))
  fs.renameSync(temp, out)
  process.stdout.write(`wrote ${rows} users (seed ${seed}) to ${path.relative(process.cwd(), out)}\n`)
}
