import type { Models } from "./api.ts"

export const statusColor = (status: Models.AssetStatus | Models.RunStatus): string => {
  switch (status) {
    case "fresh":
    case "succeeded":
      return "#2e9d5b"
    case "stale":
      return "#d99a1c"
    case "missing":
    case "queued":
      return "#8a93a6"
    case "failed":
    case "check-failed":
      return "#d64545"
    case "running":
    case "started":
      return "#2f6fed"
    case "canceled":
      return "#6b5ca5"
  }
}

export const relativeTime = (timestamp: number, now: number): string => {
  const seconds = Math.round((now - timestamp) / 1000)
  if (seconds < 5) return "just now"
  if (seconds < 60) return `${seconds}s ago`
  const minutes = Math.round(seconds / 60)
  if (minutes < 60) return `${minutes} min ago`
  const hours = Math.round(minutes / 60)
  if (hours < 48) return `${hours} h ago`
  return `${Math.round(hours / 24)} days ago`
}

export const dateTime = (timestamp: number): string => new Date(timestamp).toLocaleString()

export const duration = (ms: number): string =>
  ms < 1000 ? `${Math.round(ms)} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`

export const shortId = (runId: string): string => runId.slice(0, 8)
