/**
 * Prints the headline figures of `pnpm bench --json FILE` summaries as a
 * Markdown table: `node bench/src/table.ts results.json [more.json ...]`.
 * A file name containing `shm` is labelled as run with TMPDIR=/dev/shm.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { CaseSummary } from "./runner.ts"

const headline: Record<string, ReadonlyArray<string>> = {
  defs: ["import_s", "build_total_s", "peak_rss_mb"],
  mat: ["materialize_s", "per_asset_ms", "materialize_cpu_s", "peak_rss_mb"],
  mem: ["materialize_s", "per_asset_ms", "materialize_cpu_s", "peak_rss_mb"],
  stale: ["materialize_all_s", "stale_after_full_s", "stale_after_full_count", "stale_after_root_s", "stale_after_root_count"]
}

const format = (value: number): string =>
  Number.isInteger(value) ? String(value) : value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toPrecision(2)

const files = process.argv.slice(2)
if (files.length === 0) {
  process.stderr.write("usage: node bench/src/table.ts results.json [more.json ...]\n")
  process.exit(2)
}
const rows: Array<string> = ["| case | storage | figures (medians) | load avg |", "| --- | --- | --- | --- |"]
for (const file of files) {
  const summaries = JSON.parse(fs.readFileSync(file, "utf8")) as ReadonlyArray<CaseSummary>
  const storage = path.basename(file).includes("shm") ? "tmpfs" : "disk"
  for (const summary of summaries) {
    const kind = summary.case.split(":")[0]!
    const names = headline[kind] ?? Object.keys(summary.median).filter((name) => name !== "load_avg_1m")
    const figures = names
      .filter((name) => summary.median[name] !== undefined)
      .map((name) => `${name} ${format(summary.median[name]!)}`)
      .join(", ")
    const where = kind === "mat" || kind === "stale" ? storage : kind === "mem" ? "memory" : "-"
    rows.push(`| \`${summary.case}\` | ${where} | ${figures} | ${format(summary.median.load_avg_1m ?? Number.NaN)} |`)
  }
}
process.stdout.write(`${rows.join("\n")}\n`)
