/**
 * `GET /api/graph` with its ETag (`"strata-graph-<generation>-<hash>"`): the
 * hash names the graph's content, and so the layouts the browser keeps for
 * it. The decoded shape is kept in IndexedDB with its ETag; the next load
 * asks with `If-None-Match` and, on a `304`, uses it without decoding again.
 */
import { Models, paths } from "@strata/protocol"
import { Schema } from "effect"
import { ApiFailure } from "./api.ts"
import * as BigAnswers from "./bigAnswers.ts"
import { cachedShape, keepShape } from "./layoutClient.ts"
import { fetchFirst } from "./prefetch.ts"

const decode = Schema.decodeUnknownSync(BigAnswers.GraphStructure)

/**
 * The shape as the page uses it: the answer's flat lists (see
 * `Models.GraphStructure`) as one list per asset.
 */
export interface GraphShape {
  readonly generation: number
  readonly keys: ReadonlyArray<string>
  readonly kind: ReadonlyArray<Models.AssetKind>
  readonly group: ReadonlyArray<string>
  readonly kinds: ReadonlyArray<ReadonlyArray<string>>
  readonly upstream: ReadonlyArray<ReadonlyArray<number>>
}

/** The decoded answer with a list per asset (the kinds lists are shared, the upstream lists sliced). */
const expand = (wire: Models.GraphStructure): GraphShape => {
  const size = wire.keys.length
  const upstream: Array<ReadonlyArray<number>> = new Array(size)
  for (let i = 0; i < size; i++) upstream[i] = Models.upstreamOf(wire, i)
  return {
    generation: wire.generation,
    keys: wire.keys,
    kind: wire.kind,
    group: wire.group,
    kinds: wire.kinds.map((at) => wire.kindLists[at] ?? []),
    upstream
  }
}

/**
 * The shape as kept: a few strings and typed arrays instead of 50,000 small
 * arrays, which IndexedDB reads back in a fraction of the time.
 */
interface Packed {
  readonly generation: number
  /** Keys joined with `\n` (a key has no line break). */
  readonly keys: string
  /** Each asset's kind, group and kinds list as indexes into `names` (JSON of the kinds list). */
  readonly kind: Int32Array
  readonly group: Int32Array
  readonly kinds: Int32Array
  readonly names: ReadonlyArray<string>
  /** Upstream indexes of asset i: `upstream[starts[i]..starts[i + 1]]`. */
  readonly starts: Int32Array
  readonly upstream: Int32Array
}

const pack = (shape: GraphShape): Packed => {
  const names: Array<string> = []
  const table = new Map<string, number>()
  const name = (value: string) => {
    let at = table.get(value)
    if (at === undefined) table.set(value, at = names.push(value) - 1)
    return at
  }
  const size = shape.keys.length
  const starts = new Int32Array(size + 1)
  for (let i = 0; i < size; i++) starts[i + 1] = starts[i]! + shape.upstream[i]!.length
  const upstream = new Int32Array(starts[size]!)
  for (let i = 0; i < size; i++) upstream.set(shape.upstream[i]!, starts[i]!)
  return {
    generation: shape.generation,
    keys: shape.keys.join("\n"),
    kind: Int32Array.from(shape.kind, name),
    group: Int32Array.from(shape.group, name),
    kinds: Int32Array.from(shape.kinds, (list) => name(JSON.stringify(list))),
    names,
    starts,
    upstream
  }
}

const unpack = (packed: Packed): GraphShape | undefined => {
  const keys = packed.keys === "" ? [] : packed.keys.split("\n")
  const size = keys.length
  if (packed.kind.length !== size || packed.group.length !== size || packed.kinds.length !== size || packed.starts.length !== size + 1) {
    return undefined
  }
  const kindsOf = packed.names.map((value) => value.startsWith("[") ? JSON.parse(value) as Array<string> : [])
  const upstream: Array<Array<number>> = new Array(size)
  for (let i = 0; i < size; i++) upstream[i] = Array.from(packed.upstream.subarray(packed.starts[i]!, packed.starts[i + 1]!))
  return {
    generation: packed.generation,
    keys,
    kind: Array.from(packed.kind, (at) => packed.names[at] as Models.AssetKind),
    group: Array.from(packed.group, (at) => packed.names[at]!),
    kinds: Array.from(packed.kinds, (at) => kindsOf[at]!),
    upstream
  }
}

/** What IndexedDB gives back was written by `keepShape` from a decoded shape; checked for its form, not decoded again. */
const isPacked = (value: unknown): value is Packed =>
  typeof value === "object" && value !== null && typeof (value as Packed).generation === "number" &&
  typeof (value as Packed).keys === "string" && (value as Packed).upstream instanceof Int32Array &&
  (value as Packed).starts instanceof Int32Array && Array.isArray((value as Packed).names)

const hashOf = (etag: string, structure: GraphShape) =>
  /-([0-9a-f]+)"$/.exec(etag)?.[1] ?? `generation-${structure.generation}-${structure.keys.length}`

/** The ETag of the shape kept in IndexedDB, in localStorage so the request can start before IndexedDB answers. */
const etagKey = "strata-catalog-graph-etag"
const keptEtag = (): string | undefined => {
  try {
    return localStorage.getItem(etagKey) ?? undefined
  } catch {
    return undefined
  }
}

const keep = (etag: string, structure: GraphShape) =>
  void keepShape(etag, pack(structure)).then(() => {
    try {
      localStorage.setItem(etagKey, etag)
    } catch {
      // no storage: every load decodes
    }
  }, () => undefined)

declare const scheduler: { readonly yield?: () => Promise<void> } | undefined

/** Ends the current task (input and frames go first), then goes on: `scheduler.yield` where there is one. */
export const yieldToPage = (): Promise<void> =>
  typeof scheduler !== "undefined" && typeof scheduler.yield === "function"
    ? scheduler.yield()
    : new Promise((resolve) => setTimeout(resolve))

const whenIdle = (task: () => void) => {
  if (typeof requestIdleCallback === "function") requestIdleCallback(task, { timeout: 3000 })
  else setTimeout(task, 500)
}

export const fetchGraph = async (): Promise<{ readonly structure: GraphShape; readonly hash: string }> => {
  const known = keptEtag()
  const reading = known === undefined ? Promise.resolve(undefined) : cachedShape(isPacked)
  // no-store: the browser's own cache would hand back the body (to be decoded again) instead of the 304
  // index.html asks the same (with the same kept ETag) while the script loads
  const response = await fetchFirst(paths.graph, {
    cache: "no-store",
    ...(known === undefined ? {} : { headers: { "if-none-match": known } })
  })
  if (response.status === 304) {
    const kept = await reading
    const shape = kept === undefined || kept.etag !== known ? undefined : unpack(kept.shape)
    if (shape !== undefined) return { structure: shape, hash: hashOf(known!, shape) }
    // the kept shape is gone or damaged: ask for the body
    localStorage.removeItem(etagKey)
    return fetchGraph()
  }
  if (!response.ok) throw new ApiFailure(response.status, `${response.status} ${response.statusText}`, undefined)
  const etag = response.headers.get("etag") ?? ""
  const json: unknown = await response.json()
  // the parse was one long task: let a frame in before the check and the lists
  await yieldToPage()
  const structure = expand(decode(json))
  // kept once the page is idle: packing and storing 50,000 assets would otherwise delay the first drawing
  if (etag !== "") whenIdle(() => keep(etag, structure))

  return { structure, hash: hashOf(etag, structure) }
}
