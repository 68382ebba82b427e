import { describe, expect, it } from "vitest"
import { clean, metrics, nullRate, parseCsv, parseDay } from "../src/users.ts"

const csv = `id,email,country,signup_date,last_active_date,status
1,Ann@Example.com ,US,2024-01-02,2024-02-01,active
2, ann@example.com,GB,2024-01-01,2024-02-01,inactive
3,not-an-email,US,2024-01-03,2024-02-01,active
4,bob@example.com,,2024-01-03,2024-01-04,churned
5,carl@example.com,DE,2024-02-30,2024-01-04,active
6,dina@example.com,de,2024-01-03,2024-01-05,unknown
7,eve@example.com,de,2024-01-03,2024-01-05,active
`

const day = (text: string) => new Date(`${text}T00:00:00Z`)

describe("parseDay", () => {
  it("takes real calendar days only", () => {
    expect(parseDay("2024-02-29")).toEqual(day("2024-02-29"))
    expect(parseDay("2023-02-29")).toBeUndefined()
    expect(parseDay("2024-13-01")).toBeUndefined()
    expect(parseDay("2024-1-01")).toBeUndefined()
    expect(parseDay("")).toBeUndefined()
  })
})

describe("clean", () => {
  it("normalises emails, drops invalid rows and keeps the earliest signup per email", () => {
    const rows = parseCsv(csv, "users.csv")
    expect(rows.length).toBe(7)
    const { droppedDuplicates, droppedInvalid, users } = clean(rows)
    expect(droppedInvalid).toBe(3)
    expect(droppedDuplicates).toBe(1)
    expect(users).toEqual([
      { id: 2, email: "ann@example.com", country: "GB", signupDate: day("2024-01-01"), lastActiveDate: day("2024-02-01"), status: "inactive" },
      { id: 4, email: "bob@example.com", country: null, signupDate: day("2024-01-03"), lastActiveDate: day("2024-01-04"), status: "churned" },
      { id: 7, email: "eve@example.com", country: "DE", signupDate: day("2024-01-03"), lastActiveDate: day("2024-01-05"), status: "active" }
    ])
    expect(nullRate(users, "country")).toBe(0.3333)
  })

  it("rejects a file with another header, naming the file", () => {
    expect(() => parseCsv("user_id,mail\n1,a@b.co\n", "/data/users.csv")).toThrow("/data/users.csv: unexpected header")
  })
})

describe("metrics", () => {
  it("counts signups per day, the active ratio and users by country", () => {
    const { users } = clean(parseCsv(csv, "users.csv"))
    expect(metrics(users)).toEqual({
      signupsPerDay: [{ date: "2024-01-01", signups: 1 }, { date: "2024-01-03", signups: 2 }],
      activeRatio: 0.3333,
      byCountry: [
        { country: "DE", users: 1, active: 1, activeRatio: 1 },
        { country: "GB", users: 1, active: 0, activeRatio: 0 },
        { country: "unknown", users: 1, active: 0, activeRatio: 0 }
      ]
    })
  })
})
