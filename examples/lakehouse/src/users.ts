/**
 * Pure transformations of the lakehouse example: CSV parsing, cleaning and
 * metrics. Kept apart from the asset definitions so they can be tested alone.
 */

/** A row of the raw CSV, as text. */
export interface RawUser {
  readonly id: string
  readonly email: string
  readonly country: string
  readonly signup_date: string
  readonly last_active_date: string
  readonly status: string
}

export const userStatuses = ["active", "inactive", "churned", "pending"] as const

/** A clean, typed user. Dates are calendar days (UTC midnight), stored as Arrow `Date32` / SQL `date`. */
export interface User {
  readonly id: number
  readonly email: string
  readonly country: string | null
  readonly signupDate: Date
  readonly lastActiveDate: Date
  readonly status: (typeof userStatuses)[number]
}

export interface UserMetrics {
  readonly signupsPerDay: ReadonlyArray<{ readonly date: string; readonly signups: number }>
  readonly activeRatio: number
  readonly byCountry: ReadonlyArray<{ readonly country: string; readonly users: number; readonly active: number; readonly activeRatio: number }>
}

const columns = ["id", "email", "country", "signup_date", "last_active_date", "status"] as const

/** Parses the raw CSV (no quoting: the export never contains commas in values). */
export const parseCsv = (text: string, file: string): Array<RawUser> => {
  const lines = text.split("\n")
  const header = lines[0]?.trim()
  if (header !== columns.join(",")) {
    throw new Error(`${file}: unexpected header ${JSON.stringify(header)}; expected ${columns.join(",")}`)
  }
  const rows: Array<RawUser> = []
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!
    if (line === "") continue
    const cells = line.split(",")
    rows.push({
      id: cells[0] ?? "",
      email: cells[1] ?? "",
      country: cells[2] ?? "",
      signup_date: cells[3] ?? "",
      last_active_date: cells[4] ?? "",
      status: cells[5] ?? ""
    })
  }
  return rows
}

const emailPattern = /^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$/
const datePattern = /^\d{4}-\d{2}-\d{2}$/

/** A `YYYY-MM-DD` text as a day (UTC midnight), or `undefined` when it is not a real calendar day (2024-02-30). */
export const parseDay = (text: string): Date | undefined => {
  if (!datePattern.test(text)) return undefined
  const day = new Date(`${text}T00:00:00Z`)
  return Number.isNaN(day.getTime()) || isoDay(day) !== text ? undefined : day
}

/** A day as `YYYY-MM-DD`. */
export const isoDay = (day: Date): string => day.toISOString().slice(0, 10)

/** What {@link clean} kept and dropped. */
export interface Cleaned {
  readonly users: Array<User>
  readonly droppedInvalid: number
  readonly droppedDuplicates: number
}

/**
 * Normalises emails (trim, lower case), drops rows with an invalid email, id,
 * date or status, and keeps the earliest signup of each email.
 */
export const clean = (rows: ReadonlyArray<RawUser>): Cleaned => {
  const valid: Array<User> = []
  let droppedInvalid = 0
  for (const row of rows) {
    const email = row.email.trim().toLowerCase()
    const id = Number(row.id)
    const status = row.status.trim() as User["status"]
    const signupDate = parseDay(row.signup_date)
    const lastActiveDate = parseDay(row.last_active_date)
    if (
      !emailPattern.test(email) || !Number.isInteger(id) || signupDate === undefined ||
      lastActiveDate === undefined || !userStatuses.includes(status)
    ) {
      droppedInvalid++
      continue
    }
    const country = row.country.trim()
    valid.push({
      id,
      email,
      country: country === "" ? null : country.toUpperCase(),
      signupDate,
      lastActiveDate,
      status
    })
  }
  valid.sort((a, b) => a.signupDate.getTime() - b.signupDate.getTime() || a.id - b.id)
  const seen = new Set<string>()
  const users: Array<User> = []
  for (const user of valid) {
    if (seen.has(user.email)) continue
    seen.add(user.email)
    users.push(user)
  }
  users.sort((a, b) => a.id - b.id)
  return { users, droppedInvalid, droppedDuplicates: valid.length - users.length }
}

const round = (n: number) => Math.round(n * 10_000) / 10_000

/** The share of rows whose `field` is null, to 4 decimals. */
export const nullRate = <A>(rows: ReadonlyArray<A>, field: keyof A): number =>
  rows.length === 0 ? 0 : round(rows.filter((row) => row[field] === null).length / rows.length)

/** Signups per day, the active ratio, and users by country (`unknown` for a missing country). */
export const metrics = (users: ReadonlyArray<User>): UserMetrics => {
  const perDay = new Map<string, number>()
  const perCountry = new Map<string, { users: number; active: number }>()
  let active = 0
  for (const user of users) {
    const day = isoDay(user.signupDate)
    perDay.set(day, (perDay.get(day) ?? 0) + 1)
    const country = user.country ?? "unknown"
    const entry = perCountry.get(country) ?? { users: 0, active: 0 }
    entry.users++
    if (user.status === "active") {
      entry.active++
      active++
    }
    perCountry.set(country, entry)
  }
  return {
    signupsPerDay: [...perDay].sort(([a], [b]) => a < b ? -1 : 1).map(([date, signups]) => ({ date, signups })),
    activeRatio: users.length === 0 ? 0 : round(active / users.length),
    byCountry: [...perCountry]
      .map(([country, e]) => ({ country, users: e.users, active: e.active, activeRatio: round(e.active / e.users) }))
      .sort((a, b) => b.users - a.users || (a.country < b.country ? -1 : 1))
  }
}
