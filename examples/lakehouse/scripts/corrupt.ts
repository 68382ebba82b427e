/**
 * Corrupts the raw drop the way a broken export would: the '@' of most emails
 * becomes '#' (an encoding bug upstream), so silver_users drops those rows as
 * invalid. silver's blocking check `row_count_not_dropping` then fails and
 * gold_user_metrics is skipped in that run, naming the check.
 *
 *   node scripts/corrupt.ts                     corrupt 70% of the rows of data/raw_users.csv
 *   node scripts/corrupt.ts --percent 90 --file /tmp/users.csv
 *
 * Deterministic: row i (counting from 0 after the header) is corrupted when
 * i % 100 < percent.
 */
import * as fs from "node:fs"
import * as path from "node:path"

const args = process.argv.slice(2)
const option = (name: string): string | undefined => {
  const at = args.indexOf(`--${name}`)
  return at === -1 ? undefined : args[at + 1]
}
const percent = Number(option("percent") ?? "70")
if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
  process.stderr.write(`corrupt: --percent must be an integer from 0 to 100 (got ${option("percent")})\n`)
  process.exit(2)
}
const file = path.resolve(option("file") ?? path.join(import.meta.dirname, "..", "data", "raw_users.csv"))
if (!fs.existsSync(file)) {
  process.stderr.write(`corrupt: ${file} does not exist; run 'pnpm --filter lakehouse generate' first\n`)
  process.exit(2)
}
const [header, ...rows] = fs.readFileSync(file, "utf8").split("\n")
let corrupted = 0
const out = rows.map((row, i) => {
  if (row === "" || i % 100 >= percent) return row
  corrupted++
  return row.replace("@", "#")
})
const temp = `${file}.corrupt-${process.pid}`
fs.writeFileSync(temp, [header, ...out].join("\n"))
fs.renameSync(temp, file)
process.stdout.write(`corrupted the emails of ${corrupted} of ${rows.filter((r) => r !== "").length} rows in ${file}\n`)
