/**
 * Terminal output helpers: colours (only on a TTY, never with NO_COLOR),
 * aligned tables, durations.
 *
 * @since 0.1.0
 */
import { Console } from "node:console"

/**
 * Where and how to print.
 *
 * @since 0.1.0
 */
export interface Terminal {
  readonly out: NodeJS.WritableStream
  readonly err: NodeJS.WritableStream
  /** stdout is an interactive terminal: live progress and colours. */
  readonly tty: boolean
  readonly color: boolean
}

/**
 * Console methods that write to stdout.
 */
const stdoutMethods = [
  "log",
  "info",
  "debug",
  "dir",
  "dirxml",
  "table",
  "group",
  "groupCollapsed",
  "count",
  "timeLog",
  "timeEnd"
] as const

/**
 * Keeps stdout for the JSON document (`--json`): what the process's console
 * would print on stdout (asset code calling `console.log`, a logger of a
 * library) goes to stderr from now on. Writes to `process.stdout` itself are
 * left alone: {@link json} uses it.
 *
 * @since 0.1.0
 */
export const reserveStdoutForJson = (): void => {
  const toStderr = new Console({ stdout: process.stderr, stderr: process.stderr })
  const target = globalThis.console as unknown as Record<string, unknown>
  for (const method of stdoutMethods) target[method] = (toStderr[method] as Function).bind(toStderr)
}

/**
 * Keeps a closed stdout or stderr from crashing the process: `strata
 * materialize | head -1` closes the pipe after one line, and the next write
 * fails with EPIPE, which Node raises as an unhandled `error` event. The run
 * must go on and be recorded: output to a closed stream is dropped. Another
 * write error (a full disk under a redirect) is reported once on the other
 * stream, and output to that stream is dropped too.
 *
 * @since 0.1.0
 */
export const tolerateClosedOutput = (): void => {
  const guard = (stream: NodeJS.WriteStream, other: NodeJS.WriteStream, name: string) => {
    let reported = false
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED" || reported) return
      reported = true
      try {
        other.write(`strata: cannot write to ${name} (${error.code ?? error.message}); its output is dropped\n`)
      } catch {
        // both streams are gone
      }
    })
  }
  guard(process.stdout, process.stderr, "stdout")
  guard(process.stderr, process.stdout, "stderr")
}

/**
 * The process's terminal.
 *
 * @since 0.1.0
 */
export const processTerminal = (): Terminal => {
  const tty = process.stdout.isTTY === true
  return {
    out: process.stdout,
    err: process.stderr,
    tty,
    color: tty && process.env.NO_COLOR === undefined && process.env.TERM !== "dumb"
  }
}

const paint = (code: number) => (term: Terminal, text: string): string =>
  term.color ? `\x1b[${code}m${text}\x1b[0m` : text

/**
 * Green text (success), when colours are on.
 *
 * @since 0.1.0
 */
export const green = paint(32)
/**
 * Red text (failure), when colours are on.
 *
 * @since 0.1.0
 */
export const red = paint(31)
/**
 * Yellow text (stale, warnings), when colours are on.
 *
 * @since 0.1.0
 */
export const yellow = paint(33)
/**
 * Dim text (durations, details), when colours are on.
 *
 * @since 0.1.0
 */
export const dim = paint(2)
/**
 * Bold text (headings), when colours are on.
 *
 * @since 0.1.0
 */
export const bold = paint(1)

/**
 * Writes a line to stdout.
 *
 * @since 0.1.0
 */
export const line = (term: Terminal, text = ""): void => {
  term.out.write(`${text}\n`)
}

/**
 * Writes a warning line to stderr (never to stdout, which `--json` keeps for the document).
 *
 * @since 0.1.0
 */
export const warn = (term: Terminal, text: string): void => {
  term.err.write(`${text}\n`)
}

/**
 * Writes JSON to stdout (for `--json`).
 *
 * @since 0.1.0
 */
export const json = (term: Terminal, value: unknown): void => {
  term.out.write(`${JSON.stringify(value, null, 2)}\n`)
}

// eslint-disable-next-line no-control-regex
const ansi = /\x1b\[[0-9;]*m/g

/**
 * Formats rows as left-aligned columns separated by two spaces.
 *
 * @since 0.1.0
 */
export const table = (rows: ReadonlyArray<ReadonlyArray<string>>): Array<string> => {
  const widths: Array<number> = []
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.replace(ansi, "").length)
    })
  }
  return rows.map((row) =>
    row.map((cell, i) => i === row.length - 1 ? cell : cell + " ".repeat(widths[i]! - cell.replace(ansi, "").length))
      .join("  ").trimEnd()
  )
}

/**
 * `850ms`, `1.2s`, `3m 04s`.
 *
 * @since 0.1.0
 */
export const duration = (ms: number): string => {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const minutes = Math.floor(ms / 60_000)
  return `${minutes}m ${String(Math.round((ms % 60_000) / 1000)).padStart(2, "0")}s`
}

/**
 * A timestamp as local `YYYY-MM-DD HH:MM:SS`.
 *
 * @since 0.1.0
 */
export const timestamp = (ms: number | undefined): string => {
  if (ms === undefined) return "-"
  const date = new Date(ms)
  const pad = (n: number) => String(n).padStart(2, "0")
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${
    pad(date.getMinutes())
  }:${pad(date.getSeconds())}`
}
