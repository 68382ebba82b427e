import { useEffect, useState } from "preact/hooks"

/** Client-side navigation: plain paths, history API. Modified clicks keep the browser's behaviour. */
export const navigate = (path: string, event?: { preventDefault(): void; metaKey?: boolean; ctrlKey?: boolean }) => {
  if (event !== undefined) {
    if (event.metaKey === true || event.ctrlKey === true) return
    event.preventDefault()
  }
  if (path === window.location.pathname + window.location.search) return
  window.history.pushState(null, "", path)
  window.dispatchEvent(new PopStateEvent("popstate"))
}

export const usePath = (): string => {
  const [path, setPath] = useState(window.location.pathname)
  useEffect(() => {
    const onChange = () => setPath(window.location.pathname)
    window.addEventListener("popstate", onChange)
    return () => window.removeEventListener("popstate", onChange)
  }, [])
  return path
}

export const assetPath = (key: string): string => `/asset/${key.split("/").map(encodeURIComponent).join("/")}`
export const runPath = (runId: string): string => `/runs/${encodeURIComponent(runId)}`
