/**
 * `pnpm bench`: runs the benchmark cases, each repeat in a fresh `node`
 * process, and prints one JSON object per case on stdout (progress on
 * stderr). Exits 1 when a case fails or a figure it asserts is wrong.
 *
 *   pnpm bench [--cases mat:1000,stale:10000] [--repeat 3] [--json FILE]
 *              [--source] [--no-build] [--timeout 300]
 *
 * By default the cases run against the built dist of the packages (what
 * users run), which this command first builds with turbo; `--source` runs
 * the TypeScript sources instead (no build, for iterating on core).
 *
 * @since 0.1.0
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { parseArgs } from "node:util"
import type { Case, CaseSummary, Figures } from "./runner.ts"
import { CaseFailed, defaultCases, parseCases, repositoryRoot, runScript, scriptExists, summarize, UsageError } from "./runner.ts"

const usage = `usage: pnpm bench [--cases kind:N,...] [--repeat K] [--json FILE] [--source] [--no-build] [--timeout SECONDS]
  kinds: defs, mat, mem, stale (default set: all of them), arrow, iceberg, pgcopy, sfio, dist (only when named, with N)`

const log = (line: string) => process.stderr.write(`${line}\n`)

const fail = (message: string, code: number): never => {
  log(message)
  process.exit(code)
}

const parse = () => {
  try {
    const { values } = parseArgs({
      args: process.argv.slice(2).filter((arg) => arg !== "--"),
      options: {
        cases: { type: "string" },
        repeat: { type: "string", default: "3" },
        json: { type: "string" },
        source: { type: "boolean", default: false },
        "no-build": { type: "boolean", default: false },
        timeout: { type: "string", default: "300" },
        help: { type: "boolean", short: "h", default: false }
      },
      strict: true
    })
    if (values.help) fail(usage, 0)
    const repeat = Number(values.repeat)
    if (!Number.isInteger(repeat) || repeat < 1) throw new UsageError(`--repeat must be a positive integer, got ${values.repeat}`)
    const timeout = Number(values.timeout)
    if (!(timeout > 0)) throw new UsageError(`--timeout must be a positive number of seconds, got ${values.timeout}`)
    const cases = values.cases === undefined ? defaultCases() : parseCases(values.cases)
    return { cases, repeat, json: values.json, source: values.source, build: !values["no-build"], timeoutMs: timeout * 1000 }
  } catch (error) {
    return fail(`${error instanceof Error ? error.message : String(error)}\n${usage}`, 2)
  }
}

const build = (cases: ReadonlyArray<Case>) => {
  const filters = [...new Set(cases.map((c) => c.kind.packageDir))].map((dir) =>
    dir === "bench" ? "--filter=@strata/bench..." : `--filter=./${dir}...`
  )
  log(`building dist: turbo run build ${filters.join(" ")}`)
  const result = spawnSync("pnpm", ["exec", "turbo", "run", "build", ...filters, "--output-logs=errors-only"], {
    cwd: repositoryRoot,
    stdio: ["ignore", process.stderr, process.stderr],
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" }
  })
  if (result.status !== 0) fail("the build failed; fix it, or run against sources with --source", 1)
}

const main = async () => {
  const options = parse()
  for (const c of options.cases) {
    if (c.kind.external && !scriptExists(c.kind)) {
      fail(`case ${c.name} needs ${c.kind.script}, which is not in this checkout (it comes with ${c.kind.packageDir})`, 2)
    }
  }
  const started = performance.now()
  if (options.build && !options.source) build(options.cases)
  log(`running ${options.cases.length} cases x ${options.repeat} against ${options.source ? "sources" : "dist"}`)
  const summaries: Array<CaseSummary> = []
  const failures: Array<string> = []
  for (const c of options.cases) {
    const runs: Array<Figures> = []
    try {
      for (let r = 1; r <= options.repeat; r++) {
        const figures = await runScript(c.kind.script, c.n, {
          source: options.source,
          timeoutMs: options.timeoutMs,
          stderr: (chunk) => process.stderr.write(chunk)
        })
        runs.push(figures)
        log(`${c.name} run ${r}/${options.repeat}: ${figures.process_wall_s} s wall`)
      }
    } catch (error) {
      if (!(error instanceof CaseFailed)) throw error
      failures.push(c.name)
      log(`${c.name} FAILED: ${error.message}`)
      continue
    }
    const summary = summarize(c.name, c.n, runs)
    summaries.push(summary)
    process.stdout.write(`${JSON.stringify(summary)}\n`)
  }
  if (options.json !== undefined) {
    const file = path.resolve(process.env.INIT_CWD ?? process.cwd(), options.json)
    const temporary = `${file}.${process.pid}.tmp`
    fs.writeFileSync(temporary, `${JSON.stringify(summaries, null, 2)}\n`)
    fs.renameSync(temporary, file)
    log(`wrote ${file}`)
  }
  log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s${failures.length > 0 ? `; FAILED: ${failures.join(", ")}` : ""}`)
  if (failures.length > 0) process.exitCode = 1
}

await main()
