/**
 * The catalog's pages and top-bar tabs, as data. Adding a page (a tab for
 * checks, automation...) is one entry here: a `match` on the path, the
 * component to render, and optionally a `tab` shown in the top bar.
 * `keepAlive` keeps a page mounted (hidden) while another one is shown, so
 * that coming back to it is instant: the graph keeps its layout and view.
 */
import type { ComponentChildren } from "preact"
import { AssetPage } from "./AssetPage.tsx"
import { AutomationPage } from "./AutomationPage.tsx"
import { BackfillPage, BackfillsPage } from "./BackfillsPage.tsx"
import { CatalogPage } from "./CatalogPage.tsx"
import { GraphPage } from "./GraphPage.tsx"
import { RunPage, RunsPage } from "./RunsPage.tsx"

export interface Route {
  /** Stable name, used as the React key of kept-alive pages. */
  readonly id: string
  /** The params of the page when `path` is one of its, otherwise `undefined`. */
  readonly match: (path: string) => Readonly<Record<string, string>> | undefined
  /** Kept-alive pages are rendered with `{ hidden: "1" }` while another page is shown. */
  readonly render: (params: Readonly<Record<string, string>>) => ComponentChildren
  /** A top-bar tab: its label, where it links, and which paths make it active. */
  readonly tab?: { readonly label: string; readonly href: string; readonly active: (path: string) => boolean }
  readonly keepAlive?: boolean
}

const prefix = (start: string) => (path: string) =>
  path.startsWith(start) && path.length > start.length ? { rest: decodeURIComponent(path.slice(start.length)) } : undefined

export const routes: ReadonlyArray<Route> = [
  {
    id: "graph",
    match: (path) => path === "/" ? {} : undefined,
    render: (params) => <GraphPage hidden={params["hidden"] === "1"} />,
    tab: { label: "Assets", href: "/", active: (path) => path === "/" },
    keepAlive: true
  },
  {
    id: "catalog",
    match: (path) => path === "/catalog" ? {} : undefined,
    render: () => <CatalogPage />,
    tab: { label: "Catalog", href: "/catalog", active: (path) => path === "/catalog" }
  },
  {
    id: "asset",
    match: prefix("/asset/"),
    render: (params) => <AssetPage assetKey={params["rest"]!} />
  },
  {
    id: "runs",
    match: (path) => path === "/runs" ? {} : undefined,
    render: () => <RunsPage />,
    tab: { label: "Runs", href: "/runs", active: (path) => path.startsWith("/runs") }
  },
  {
    id: "run",
    match: prefix("/runs/"),
    render: (params) => <RunPage runId={params["rest"]!} />
  },
  {
    id: "backfills",
    match: (path) => path === "/backfills" ? {} : undefined,
    render: () => <BackfillsPage />,
    tab: { label: "Backfills", href: "/backfills", active: (path) => path.startsWith("/backfills") }
  },
  { id: "backfill", match: prefix("/backfills/"), render: (params) => <BackfillPage backfillId={params["rest"]!} /> },
  {
    id: "automation",
    match: (path) => path === "/automation" ? {} : undefined,
    render: () => <AutomationPage />,
    tab: { label: "Automation", href: "/automation", active: (path) => path === "/automation" }
  }
]

/** The route of `path`; unknown paths show the graph. */
export const resolve = (path: string): { readonly route: Route; readonly params: Readonly<Record<string, string>> } => {
  for (const route of routes) {
    const params = route.match(path)
    if (params !== undefined) return { route, params }
  }
  return { route: routes[0]!, params: {} }
}
