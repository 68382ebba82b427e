import { Models, paths } from "@strata/protocol"
import { Schema } from "effect"
import { useEffect, useRef } from "preact/hooks"
import { request } from "./api.ts"

/**
 * What a tick reads of a runs page: each run's id and status; the summary's
 * other fields are dropped undecoded. (The list carries summaries, a few
 * hundred bytes a run whatever its size, not the runs' asset keys.)
 */
const RunTicks = Schema.Struct({ runs: Schema.Array(Schema.Struct({ runId: Schema.String, status: Models.RunStatus })) })
const runTicks = (options: Parameters<typeof paths.runs>[0]) => request(RunTicks, paths.runs(options))

/**
 * Calls `refresh` while runs are going (every second) and once when they end,
 * when a new run appears (a short one launched elsewhere, such as the
 * observation `strata status` records, can start and end between two ticks),
 * and after a project reload. Polls the cheap runs list, not the asset list.
 */
export const useLiveRefresh = (refresh: () => void) => {
  const refreshRef = useRef(refresh)
  refreshRef.current = refresh
  useEffect(() => {
    let active = false
    /** The newest run at the previous tick; `undefined` before the first. */
    let newest: string | null | undefined = undefined
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const tick = async () => {
      try {
        const [running, latest] = await Promise.all([
          runTicks({ status: "queued,started", limit: 1 }),
          runTicks({ limit: 1 })
        ])
        const now = running.runs.length > 0
        const newestNow = latest.runs[0]?.runId ?? null
        // the first tick, at mount, only takes the baseline: the page has just loaded its data
        if (newest !== undefined && (now || active || newestNow !== newest)) refreshRef.current()
        active = now
        newest = newestNow
      } catch {
        // the server may be restarting; try again at the next tick
      }
      if (!stopped) timer = setTimeout(tick, active ? 1000 : 3000)
    }
    void tick()
    const onReload = () => refreshRef.current()
    window.addEventListener("strata:reloaded", onReload)
    return () => {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
      window.removeEventListener("strata:reloaded", onReload)
    }
  }, [])
}
