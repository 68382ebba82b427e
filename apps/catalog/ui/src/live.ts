import { useEffect, useRef } from "react"
import { api } from "./api.ts"

/**
 * Calls `refresh` while runs are going (every second) and once when they end,
 * and after a project reload. Polls the cheap runs list, not the asset list.
 */
export const useLiveRefresh = (refresh: () => void) => {
  const refreshRef = useRef(refresh)
  refreshRef.current = refresh
  useEffect(() => {
    let active = false
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const tick = async () => {
      try {
        const running = await api.runs({ status: "queued,started", limit: 1 })
        const now = running.runs.length > 0
        if (now || active) refreshRef.current()
        active = now
      } catch {
        // the server may be restarting; try again at the next tick
      }
      if (!stopped) timer = setTimeout(tick, active ? 1000 : 3000)
    }
    timer = setTimeout(tick, 1000)
    const onReload = () => refreshRef.current()
    window.addEventListener("strata:reloaded", onReload)
    return () => {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
      window.removeEventListener("strata:reloaded", onReload)
    }
  }, [])
}
