import { StrictMode, useEffect, useState } from "react"
import { createRoot } from "react-dom/client"
import { AssetPage } from "./AssetPage.tsx"
import { GraphPage } from "./GraphPage.tsx"
import { navigate, usePath } from "./router.ts"
import { RunPage, RunsPage } from "./RunsPage.tsx"
import "./styles.css"

const App = () => {
  const path = usePath()
  const [reloading, setReloading] = useState(false)
  let page: React.ReactNode
  if (path.startsWith("/asset/")) {
    page = <AssetPage assetKey={decodeURIComponent(path.slice("/asset/".length))} />
  } else if (path === "/runs") {
    page = <RunsPage />
  } else if (path.startsWith("/runs/")) {
    page = <RunPage runId={decodeURIComponent(path.slice("/runs/".length))} />
  } else {
    page = <GraphPage />
  }
  useEffect(() => {
    document.title = path === "/" ? "Strata catalog" : `${decodeURIComponent(path.split("/").pop() ?? "")} · Strata`
  }, [path])
  return (
    <div className="app">
      <header className="top">
        <a className="brand" href="/" onClick={(event) => navigate("/", event)}>Strata</a>
        <nav>
          <a href="/" className={path === "/" ? "active" : ""} onClick={(event) => navigate("/", event)}>Assets</a>
          <a href="/runs" className={path.startsWith("/runs") ? "active" : ""} onClick={(event) => navigate("/runs", event)}>
            Runs
          </a>
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
      <main>{page}</main>
    </div>
  )
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>
)
