/**
 * A generated project of `size` assets in 20 layers, for the 10,000-asset
 * graph test and benchmark: deterministic, each asset reading 1-3 assets of
 * the previous two layers. Keys look like `layer07/asset_3512`.
 */
import { Asset, Output, Project } from "@strata/core"
import { Effect } from "effect"

export const makeBigProject = (size: number) => {
  const layers = 20
  const perLayer = Math.ceil(size / layers)
  let seed = 42
  const random = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0
    return seed / 2 ** 32
  }
  const nodes: Array<Asset.AnyNode> = []
  for (let i = 0; i < size; i++) {
    const layer = Math.floor(i / perLayer)
    const deps: Record<string, Asset.AnyNode> = {}
    if (layer > 0) {
      const count = 1 + Math.floor(random() * 3)
      for (let d = 0; d < count; d++) {
        const from = Math.max(0, (layer - 1 - Math.floor(random() * 2)) * perLayer)
        const j = from + Math.floor(random() * perLayer)
        if (j < i) deps[`in${d}`] = nodes[j]!
      }
    }
    nodes.push(Asset.make(`layer${String(layer).padStart(2, "0")}/asset_${i}`, {
      deps,
      group: `group_${layer % 5}`,
      kinds: [layer % 2 === 0 ? "parquet" : "postgres"]
    }, () => Effect.succeed(Output.make(i, { metadata: { row_count: i } }))))
  }
  return { project: Project.make({ assets: nodes }), edges: nodes.reduce((sum, node) => sum + node.spec.deps.length, 0) }
}
