import { fileURLToPath } from "node:url"
import type { SourceLocation } from "../AssetSpec.ts"

/**
 * Captures the call site of `boundary`'s caller cheaply: V8 records the
 * structured stack now and formats it only when `.stack` is read, which we do
 * lazily (the catalog and `strata list` ask; the executor never does).
 */
export interface CallSite {
  readonly stack?: string
}

export const captureCallSite = (boundary: Function): CallSite => {
  const holder: { stack?: string } = {}
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 1
  Error.captureStackTrace(holder, boundary)
  Error.stackTraceLimit = limit
  return holder
}

const framePattern = /\(?((?:file:\/\/)?[^()\s]+?):(\d+):(\d+)\)?\s*$/

export const resolveCallSite = (site: CallSite): SourceLocation | undefined => {
  const stack = site.stack
  if (stack === undefined) return undefined
  const line = stack.split("\n").find((text) => text.trimStart().startsWith("at "))
  if (line === undefined) return undefined
  const match = framePattern.exec(line)
  if (match === null) return undefined
  const raw = match[1]!
  let file = raw
  if (raw.startsWith("file://")) {
    try {
      file = fileURLToPath(raw)
    } catch {
      file = raw
    }
  }
  return { file, line: Number(match[2]), column: Number(match[3]) }
}
