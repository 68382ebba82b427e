/**
 * Live progress of a run, fed by core's `onEvent` hook. On a TTY a status
 * line (steps done / running / failed, elapsed time, current assets) is
 * redrawn in place and finished steps scroll above it; elsewhere each
 * finished step is one plain line, so logs and CI output stay readable.
 *
 * @since 0.1.0
 */
import type { Event } from "@strata/core"
import type { Terminal } from "./Output.ts"
import { dim, duration, green, red, yellow } from "./Output.ts"

/**
 * A progress display.
 *
 * @since 0.1.0
 */
export interface Progress {
  readonly onEvent: (event: Event.StrataEvent) => void
  /** Stops redrawing and clears the status line. */
  readonly stop: () => void
}

const spinner = ["-", "\\", "|", "/"]

/** What the display shows and has shown: the steps running and counted, and whether the status line is on screen. */
interface Display {
  readonly term: Terminal
  readonly total: number
  readonly now: () => number
  readonly started: number
  /** Running steps' asset keys, with when they started. */
  readonly running: Map<string, number>
  /** Assets observed in this run (their step ends as "observed", not "materialized"). */
  readonly observedKeys: Set<string>
  done: number
  failed: number
  frame: number
  statusShown: boolean
}

/**
 * Creates a progress display for a run of `total` steps.
 *
 * @since 0.1.0
 */
export const make = (term: Terminal, total: number, now: () => number = Date.now): Progress => {
  const display: Display = {
    term,
    total,
    now,
    started: now(),
    running: new Map(),
    observedKeys: new Set(),
    done: 0,
    failed: 0,
    frame: 0,
    statusShown: false
  }
  const timer = term.tty ? setInterval(() => drawStatus(display), 100) : undefined
  timer?.unref()
  return {
    onEvent: (event) => {
      record(display, event)
      if (term.tty) drawStatus(display)
    },
    stop: () => {
      if (timer !== undefined) clearInterval(timer)
      clearStatus(display)
    }
  }
}

/** Counts an event and prints its line, if it has one. */
const record = (display: Display, event: Event.StrataEvent): void => {
  const term = display.term
  switch (event.type) {
    case "step-started":
      display.running.set(event.assetKey, event.timestamp)
      if (!term.tty && event.attempt > 1) print(display, `  retrying ${event.assetKey} (attempt ${event.attempt})`)
      return
    case "asset-observed":
      display.observedKeys.add(event.assetKey)
      return
    case "step-succeeded": {
      display.running.delete(event.assetKey)
      display.done++
      const verb = display.observedKeys.has(event.assetKey) ? "observed    " : "materialized"
      return print(display, `  ${green(term, "✓")} ${verb} ${event.assetKey} ${dim(term, duration(event.durationMs))}`)
    }
    case "step-failed":
      display.running.delete(event.assetKey)
      if (event.willRetry) {
        return print(display, `  ${yellow(term, "!")} ${event.assetKey} failed, retrying: ${firstLine(event.error.message)}`)
      }
      display.done++
      display.failed++
      return print(display, `  ${red(term, "✗")} failed       ${event.assetKey}: ${firstLine(event.error.message)}`)
    case "step-skipped":
      display.done++
      return print(display, `  ${dim(term, "-")} skipped      ${event.assetKey} ${dim(term, `(${event.reason})`)}`)
    case "check-evaluated": {
      display.done++
      const mark = event.passed ? green(term, "✓") : event.severity === "error" ? red(term, "✗") : yellow(term, "!")
      const verdict = event.passed ? "passed" : `${event.severity === "error" ? "failed" : "warned"}: ${firstLine(event.message ?? "")}`
      return print(display, `  ${mark} check        ${event.assetKey}:${event.check} ${verdict}`)
    }
    case "log":
      return print(display, `    ${dim(term, `${event.level} ${event.assetKey ?? "-"}:`)} ${firstLine(event.message)}`)
  }
}

/** A line above the status line (which is redrawn below it). */
const print = (display: Display, text: string): void => {
  clearStatus(display)
  display.term.out.write(`${text}\n`)
  drawStatus(display)
}

const clearStatus = (display: Display): void => {
  if (display.statusShown) {
    display.term.out.write("\r\x1b[2K")
    display.statusShown = false
  }
}

/** The status line, on a TTY: steps done, running and failed, elapsed time and the first running assets. */
const drawStatus = (display: Display): void => {
  const { running, term } = display
  if (!term.tty) return
  clearStatus(display)
  const current = [...running.keys()].slice(0, 3).join(", ") + (running.size > 3 ? ` +${running.size - 3}` : "")
  const text = `${spinner[display.frame++ % spinner.length]} ${display.done}/${display.total} steps · ${running.size} running · ` +
    `${display.failed} failed · ${duration(display.now() - display.started)}${current === "" ? "" : ` · ${current}`}`
  const width = (term.out as { columns?: number }).columns ?? 100
  term.out.write(text.length > width - 1 ? text.slice(0, width - 2) + "…" : text)
  display.statusShown = true
}

const firstLine = (text: string): string => text.split("\n")[0] ?? text
