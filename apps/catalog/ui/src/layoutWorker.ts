/**
 * The layout off the main thread: a module worker that runs `layout` for one
 * request at a time and hands back its typed arrays without copying them.
 */
/// <reference lib="webworker" />
import { layout } from "./layout.ts"
import type { LayoutInput } from "./layout.ts"

declare const self: DedicatedWorkerGlobalScope

self.onmessage = (message: MessageEvent<{ readonly id: number; readonly nodes: ReadonlyArray<LayoutInput> }>) => {
  const { id, nodes } = message.data
  const started = performance.now()
  const result = layout(nodes)
  const ms = performance.now() - started
  self.postMessage({ id, layout: result, ms }, [result.x.buffer, result.y.buffer, result.layer.buffer, result.edges.buffer])
}
