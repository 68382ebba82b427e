/**
 * What the pages leave on `window` for the benchmark (`scripts/catalog-bench.ts`) and the end-to-end tests to
 * read: declared once here, set by the pages that measure them.
 */
declare global {
  interface Window {
    /**
     * The graph page (Graph.tsx): drawn assets and group boxes at the first render; `layoutMs`: its layout on the
     * main thread (0 when laid out elsewhere); `fullGraphMs`: when every asset's shape and status had been read and
     * drawn (a big graph's first render is drawn from the overview before that, see GraphPage.tsx).
     */
    __strataGraph?: {
      firstRenderMs: number
      nodes: number
      boxes?: number
      frames: number
      lastFrameMs: number
      layoutMs?: number
      fullGraphMs?: number
    }
    /** Per group opened (GroupedGraph.tsx): where its layout came from and how long it took. */
    __strataGroupLayouts?: Array<{ group: string; source: "cache" | "worker"; ms: number; layoutMs?: number }>
    /** The catalog page (CatalogPage.tsx): when the rows of the latest search were rendered, and the search's time. */
    __strataCatalog?: { query: string; startedAt: number; renderedAt: number; total: number }
  }
}

export {}
