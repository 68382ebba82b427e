/**
 * What every case script shares, per the runner's protocol: read N from
 * `argv[2]`, print one JSON object of figures as the last stdout line, exit
 * non-zero (with the reason on stderr) when a check fails.
 *
 * @since 0.1.0
 */

/**
 * A figure that must hold failed: the benchmark measured something wrong.
 *
 * @since 0.1.0
 */
export class CheckFailed extends Error {
  override readonly name = "CheckFailed"
}

/**
 * Throws {@link CheckFailed} unless `actual === expected`.
 *
 * @since 0.1.0
 */
export const expectEqual = <A>(what: string, actual: A, expected: A): void => {
  if (actual !== expected) throw new CheckFailed(`${what}: expected ${String(expected)}, got ${String(actual)}`)
}

/**
 * Seconds since an origin taken with `performance.now()`.
 *
 * @since 0.1.0
 */
export const since = (start: number): number => round((performance.now() - start) / 1000)

/**
 * Rounds to microseconds (seconds) so the JSON stays readable.
 *
 * @since 0.1.0
 */
export const round = (value: number, digits = 6): number => Number(value.toFixed(digits))

/**
 * CPU seconds (user + system) of this process since `start`, a
 * `process.cpuUsage()` reading: less sensitive than wall time to other
 * processes sharing the machine.
 *
 * @since 0.1.0
 */
export const cpuSince = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start)
  return round((used.user + used.system) / 1e6)
}

/**
 * CPU seconds (user + system) of the main thread since `start`, a
 * `process.threadCpuUsage()` reading: Strata's own work, without what V8
 * (optimizing compilers, concurrent GC) and Node (the TypeScript stripper's
 * WebAssembly validation) do on their background threads meanwhile.
 *
 * @since 0.1.0
 */
export const threadCpuSince = (start: NodeJS.CpuUsage): number => {
  const used = process.threadCpuUsage(start)
  return round((used.user + used.system) / 1e6)
}

/**
 * The process's peak resident set size so far, in MB.
 *
 * @since 0.1.0
 */
export const peakRssMb = (): number => round(process.resourceUsage().maxRSS / 1024, 1)

/**
 * N, the number of assets, from the command line.
 *
 * @since 0.1.0
 */
export const argumentN = (): number => {
  const text = process.argv[2]
  const n = Number(text)
  if (text === undefined || !Number.isInteger(n) || n <= 0) {
    process.stderr.write(`usage: node ${process.argv[1] ?? "<script>"} <N>  (N a positive integer, got ${text})\n`)
    process.exit(2)
  }
  return n
}

/**
 * Runs a case: prints its figures as one JSON line on stdout, or the error
 * on stderr with exit code 1.
 *
 * @since 0.1.0
 */
export const main = (run: () => Promise<Record<string, unknown>>): void => {
  run().then(
    (figures) => {
      process.stdout.write(`${JSON.stringify(figures)}\n`)
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
      process.exitCode = 1
    }
  )
}
