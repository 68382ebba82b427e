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

/**
 * Creates a progress display for a run of `total` steps.
 *
 * @since 0.1.0
 */
export const make = (term: Terminal, total: number, now: () => number = Date.now): Progress => {
  const started = now()
  const running = new Map<string, number>()
  const observedKeys = new Set<string>()
  let done = 0
  let failed = 0
  let frame = 0
  let statusShown = false

  const clearStatus = () => {
    if (statusShown) {
      term.out.write("\r\x1b[2K")
      statusShown = false
    }
  }
  const drawStatus = () => {
    if (!term.tty) return
    clearStatus()
    const current = [...running.keys()].slice(0, 3).join(", ") + (running.size > 3 ? ` +${running.size - 3}` : "")
    const text = `${spinner[frame++ % spinner.length]} ${done}/${total} steps · ${running.size} running · ` +
      `${failed} failed · ${duration(now() - started)}${current === "" ? "" : ` · ${current}`}`
    const width = (term.out as { columns?: number }).columns ?? 100
    term.out.write(text.length > width - 1 ? text.slice(0, width - 2) + "…" : text)
    statusShown = true
  }
  const print = (text: string) => {
    clearStatus()
    term.out.write(`${text}\n`)
    drawStatus()
  }

  const timer = term.tty ? setInterval(drawStatus, 100) : undefined
  timer?.unref()

  const onEvent = (event: Event.StrataEvent) => {
    switch (event.type) {
      case "step-started":
        running.set(event.assetKey, event.timestamp)
        if (!term.tty && event.attempt > 1) print(`  retrying ${event.assetKey} (attempt ${event.attempt})`)
        break
      case "asset-observed":
        observedKeys.add(event.assetKey)
        break
      case "step-succeeded": {
        running.delete(event.assetKey)
        done++
        const verb = observedKeys.has(event.assetKey) ? "observed    " : "materialized"
        print(`  ${green(term, "✓")} ${verb} ${event.assetKey} ${dim(term, duration(event.durationMs))}`)
        break
      }
      case "step-failed":
        running.delete(event.assetKey)
        if (event.willRetry) {
          print(`  ${yellow(term, "!")} ${event.assetKey} failed, retrying: ${firstLine(event.error.message)}`)
        } else {
          done++
          failed++
          print(`  ${red(term, "✗")} failed       ${event.assetKey}: ${firstLine(event.error.message)}`)
        }
        break
      case "step-skipped":
        done++
        print(`  ${dim(term, "-")} skipped      ${event.assetKey} ${dim(term, `(${event.reason})`)}`)
        break
      case "check-evaluated": {
        done++
        const mark = event.passed ? green(term, "✓") : event.severity === "error" ? red(term, "✗") : yellow(term, "!")
        const verdict = event.passed ? "passed" : `${event.severity === "error" ? "failed" : "warned"}: ${firstLine(event.message ?? "")}`
        print(`  ${mark} check        ${event.assetKey}:${event.check} ${verdict}`)
        break
      }
      case "log":
        print(`    ${dim(term, `${event.level} ${event.assetKey ?? "-"}:`)} ${firstLine(event.message)}`)
        break
      default:
        break
    }
    if (term.tty) drawStatus()
  }

  return {
    onEvent,
    stop: () => {
      if (timer !== undefined) clearInterval(timer)
      clearStatus()
    }
  }
}

const firstLine = (text: string): string => text.split("\n")[0] ?? text
