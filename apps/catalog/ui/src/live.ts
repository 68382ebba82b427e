import { useEffect, useRef } from "react"
import { api } from "./api.ts"

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
          api.runs({ status: "queued,started", limit: 1 }),
          api.runs({ limit: 1 })
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
