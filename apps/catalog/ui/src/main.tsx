import { options, render } from "preact"
import { useEffect, useRef, useState } from "preact/hooks"
import { navigate, usePath } from "./router.ts"
import { resolve, routes } from "./routes.tsx"
import "./styles.css"

/**
 * Effects (`useEffect`) run in the task after the render that scheduled them, as React runs them, not after
 * the next frame (Preact's default): a page that reads its data in an effect (the graph's overview, an asset
 * page) starts a frame earlier, and each render that follows an answer is drawn in the frame it arrives in.
 */
const effectTasks = new MessageChannel()
let pendingEffects: Array<() => void> = []
effectTasks.port1.onmessage = () => {
  const run = pendingEffects
  pendingEffects = []
  for (const flush of run) flush()
}
options.requestAnimationFrame = (flush) => {
  pendingEffects.push(flush)
  if (pendingEffects.length === 1) effectTasks.port2.postMessage(null)
}

const App = () => {
  const path = usePath()
  const [reloading, setReloading] = useState(false)
  const { route, params } = resolve(path)
  // pages marked keepAlive stay mounted (hidden) once visited: the graph keeps its layout and view
  const visited = useRef(new Set<string>())
  if (route.keepAlive === true) visited.current.add(route.id)
  useEffect(() => {
    document.title = path === "/" ? "Strata catalog" : `${decodeURIComponent(path.split("/").pop() ?? "")} · Strata`
  }, [path])
  return (
    <div className="app">
      <header className="top">
        <a className="brand" href="/" onClick={(event) => navigate("/", event)}>Strata</a>
        <nav>
          {routes.filter((r) => r.tab !== undefined).map((r) => (
            <a
              key={r.id}
              href={r.tab!.href}
              className={r.tab!.active(path) ? "active" : ""}
              onClick={(event) => navigate(r.tab!.href, event)}
            >
              {r.tab!.label}
            </a>
          ))}
        </nav>
        <button
          className="ghost"
          disabled={reloading}
          onClick={() => {
            setReloading(true)
            fetch("/api/project/reload", { method: "POST" }).finally(() => {
              setReloading(false)
              window.dispatchEvent(new Event("strata:reloaded"))
            })
          }}
        >
          {reloading ? "Reloading…" : "Reload project"}
        </button>
      </header>
      {routes.filter((r) => r.keepAlive === true && visited.current.has(r.id)).map((r) => (
        <main key={r.id} hidden={r !== route} data-page={r.id}>{r.render(r === route ? params : { hidden: "1" })}</main>
      ))}
      {route.keepAlive === true ? null : <main key={route.id} data-page={route.id}>{route.render(params)}</main>}
    </div>
  )
}

render(<App />, document.getElementById("root")!)
