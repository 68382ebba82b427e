/**
 * The runner's logic, apart from its command line: which cases exist, how a
 * case's script is run (a fresh `node` process per repeat) and how repeats
 * are summarised (medians).
 *
 * Protocol for case scripts, internal or provided by other packages: the
 * runner spawns `node [--conditions=@strata/source] <script> <N>`; the script
 * prints one JSON object of figures on its last stdout line and exits 0, or
 * exits non-zero when it fails or a check does not hold. The runner adds
 * `process_wall_s` (spawn to exit) and `load_avg_1m` (the machine's 1-minute
 * load average when the process started: the figures are only as good as
 * the machine was quiet) to the figures.
 *
 * @since 0.1.0
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/**
 * The repository's root folder.
 *
 * @since 0.1.0
 */
export const repositoryRoot: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..")

/**
 * A kind of case: its script and the N it runs with by default.
 *
 * @since 0.1.0
 */
export interface CaseKind {
  readonly name: string
  /** The script, relative to the repository root. */
  readonly script: string
  /** The N of the default set; empty for cases that run only when named. */
  readonly defaults: ReadonlyArray<number>
  /** The workspace package the script belongs to (built before a dist run). */
  readonly packageDir: string
  /** Provided by another package: skipped from the default set, an error when named and absent. */
  readonly external: boolean
}

/**
 * Every case kind the runner knows.
 *
 * @since 0.1.0
 */
export const kinds: ReadonlyArray<CaseKind> = [
  { name: "defs", script: "bench/src/cases/defs.ts", defaults: [100, 1000, 10000, 100000], packageDir: "bench", external: false },
  { name: "mat", script: "bench/src/cases/mat.ts", defaults: [100, 1000, 10000], packageDir: "bench", external: false },
  { name: "mem", script: "bench/src/cases/mem.ts", defaults: [100, 1000, 10000], packageDir: "bench", external: false },
  { name: "stale", script: "bench/src/cases/stale.ts", defaults: [1000, 10000], packageDir: "bench", external: false },
  { name: "part", script: "bench/src/cases/part.ts", defaults: [], packageDir: "bench", external: false },
  // the automation daemon: evaluation cost and reaction time (only when named: auto:1000, auto:10000)
  { name: "auto", script: "bench/src/cases/auto.ts", defaults: [], packageDir: "bench", external: false },
  // per-partition automation: staleness and evaluation of partitioned eager assets (only when named: autopart:100)
  { name: "autopart", script: "bench/src/cases/autopart.ts", defaults: [], packageDir: "bench", external: false },
  // the disk's price of creating files as FileSystemIO does, with no Strata code (only when named: files:1000)
  { name: "files", script: "bench/src/cases/files.ts", defaults: [], packageDir: "bench", external: false },
  {
    name: "arrow",
    script: "integrations/arrow/bench/arrow.bench.ts",
    defaults: [],
    packageDir: "integrations/arrow",
    external: true
  },
  {
    name: "iceberg",
    script: "integrations/iceberg/bench/iceberg.bench.ts",
    defaults: [],
    packageDir: "integrations/iceberg",
    external: true
  },
  {
    name: "dist",
    script: "integrations/graphile-worker/bench/dist.bench.ts",
    defaults: [],
    packageDir: "integrations/graphile-worker",
    external: true
  },
  {
    name: "pgcopy",
    script: "integrations/postgres/bench/copy.bench.ts",
    defaults: [],
    packageDir: "integrations/postgres",
    external: true
  },
  {
    name: "sfio",
    script: "integrations/snowflake/bench/io.bench.ts",
    defaults: [],
    packageDir: "integrations/snowflake",
    external: true
  }
]

/**
 * One case to run: a kind and its N.
 *
 * @since 0.1.0
 */
export interface Case {
  readonly kind: CaseKind
  readonly n: number
  /** `kind:n`, as on the command line. */
  readonly name: string
}

/**
 * A command-line mistake.
 *
 * @since 0.1.0
 */
export class UsageError extends Error {
  override readonly name = "UsageError"
}

const byName = new Map(kinds.map((kind) => [kind.name, kind]))

/**
 * The default set: every N of every internal kind, in table order.
 *
 * @since 0.1.0
 */
export const defaultCases = (): Array<Case> =>
  kinds.flatMap((kind) => kind.defaults.map((n) => ({ kind, n, name: `${kind.name}:${n}` })))

/**
 * Parses `mat:1000,stale:10000`. A kind without `:N` stands for its default Ns.
 *
 * @since 0.1.0
 */
export const parseCases = (text: string): Array<Case> => {
  const cases: Array<Case> = []
  for (const item of text.split(",").map((part) => part.trim()).filter((part) => part.length > 0)) {
    const [name, count, ...rest] = item.split(":")
    const kind = byName.get(name!)
    if (kind === undefined) {
      throw new UsageError(`unknown case '${item}'; known kinds: ${kinds.map((k) => k.name).join(", ")} (write kind:N)`)
    }
    if (rest.length > 0) throw new UsageError(`bad case '${item}'; write kind:N, for example mat:1000`)
    if (count === undefined) {
      if (kind.defaults.length === 0) throw new UsageError(`case kind '${name}' has no default N; write ${name}:N`)
      for (const n of kind.defaults) cases.push({ kind, n, name: `${name}:${n}` })
      continue
    }
    const n = Number(count)
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`bad N in '${item}': expected a positive integer`)
    cases.push({ kind, n, name: `${name}:${n}` })
  }
  if (cases.length === 0) throw new UsageError("--cases is empty")
  return cases
}

/**
 * The median of a non-empty list (mean of the middle two for an even count).
 *
 * @since 0.1.0
 */
export const median = (values: ReadonlyArray<number>): number => {
  if (values.length === 0) throw new RangeError("median of an empty list")
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/**
 * Figures of one run of a case script.
 *
 * @since 0.1.0
 */
export type Figures = Record<string, unknown>

/**
 * The summary of a case: the median of every numeric figure over its runs.
 *
 * @since 0.1.0
 */
export interface CaseSummary {
  readonly case: string
  readonly n: number
  readonly median: Record<string, number>
  readonly runs: ReadonlyArray<Figures>
}

/**
 * Medians of the numeric figures present in every run.
 *
 * @since 0.1.0
 */
export const summarize = (name: string, n: number, runs: ReadonlyArray<Figures>): CaseSummary => {
  const medians: Record<string, number> = {}
  const first = runs[0] ?? {}
  for (const figure of Object.keys(first)) {
    if (figure === "n") continue
    const values = runs.map((run) => run[figure])
    if (values.every((value): value is number => typeof value === "number")) {
      medians[figure] = Number(median(values).toPrecision(6))
    }
  }
  return { case: name, n, median: medians, runs }
}

/**
 * A case script failed: non-zero exit, a signal, a timeout, or no JSON line.
 *
 * @since 0.1.0
 */
export class CaseFailed extends Error {
  override readonly name = "CaseFailed"
}

/**
 * Options of {@link runScript}.
 *
 * @since 0.1.0
 */
export interface RunOptions {
  /** Run against the packages' TypeScript sources instead of their built dist. */
  readonly source: boolean
  /** Kill the process after this many milliseconds. */
  readonly timeoutMs: number
  /** Arguments after N (the protocol passes none; tests use them). */
  readonly extraArgs?: ReadonlyArray<string> | undefined
  /** Where the script's stderr goes (progress and errors). */
  readonly stderr?: ((chunk: string) => void) | undefined
}

/**
 * Runs a case script once in a fresh `node` process and returns its figures
 * plus `process_wall_s` and `load_avg_1m`.
 *
 * @since 0.1.0
 */
export const runScript = (script: string, n: number, options: RunOptions): Promise<Figures> =>
  new Promise((resolve, reject) => {
    const args = [...(options.source ? ["--conditions=@strata/source"] : []), script, String(n), ...(options.extraArgs ?? [])]
    const load = os.loadavg()[0]!
    const start = performance.now()
    const child = spawn(process.execPath, args, { cwd: repositoryRoot, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk
      options.stderr?.(chunk)
    })
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill("SIGKILL")
    }, options.timeoutMs)
    child.on("error", (error) => {
      clearTimeout(timer)
      reject(new CaseFailed(`could not start node ${args.join(" ")}: ${error.message}`))
    })
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      const wall = (performance.now() - start) / 1000
      const tail = stderr.trim().split("\n").slice(-15).join("\n")
      if (timedOut) return reject(new CaseFailed(`${script} ${n} took longer than ${options.timeoutMs / 1000} s and was killed`))
      if (code !== 0) {
        // the caller already saw stderr when it asked for it
        const detail = options.stderr === undefined && tail.length > 0 ? `:\n${tail}` : "; its stderr is above"
        return reject(new CaseFailed(`${script} ${n} exited with ${signal ?? `code ${code}`}${detail}`))
      }
      const last = stdout.trim().split("\n").at(-1) ?? ""
      let figures: unknown
      try {
        figures = JSON.parse(last)
      } catch {
        return reject(new CaseFailed(`${script} ${n} did not print a JSON object on its last stdout line (got '${last.slice(0, 200)}')`))
      }
      if (typeof figures !== "object" || figures === null || Array.isArray(figures)) {
        return reject(new CaseFailed(`${script} ${n} printed ${last.slice(0, 200)}, not a JSON object`))
      }
      resolve({ ...(figures as Figures), process_wall_s: Number(wall.toFixed(6)), load_avg_1m: Number(load.toFixed(2)) })
    })
  })

/**
 * `true` when a case's script exists in this checkout.
 *
 * @since 0.1.0
 */
export const scriptExists = (kind: CaseKind): boolean => fs.existsSync(path.join(repositoryRoot, kind.script))
