/** What workers and the queue executor say about themselves: one object per line. */
import { Logger } from "graphile-worker"

/**
 * A line of the worker's log. `event` names what happened; the rest are its
 * fields (printed as JSON with `--json`, else as text).
 */
export interface LogLine {
  readonly event: string
  readonly level?: "debug" | "info" | "warn" | "error" | undefined
  readonly message?: string | undefined
  readonly [field: string]: unknown
}

/** graphile-worker's own messages, warnings and errors only, as log lines. */
export const graphileLogger = (log: (line: LogLine) => void): Logger =>
  new Logger(() => (level, message) => {
    if (level === "warning" || level === "error") {
      log({ event: "graphile-worker", level: level === "warning" ? "warn" : "error", message })
    }
  })
