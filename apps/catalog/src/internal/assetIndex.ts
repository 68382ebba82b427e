/**
 * The asset catalog's search and paging over a snapshot of statuses: built
 * once per project generation (the text each asset is searched by, the key
 * and group orders) and once per statuses snapshot (the status and time
 * orders), so that a page request costs one pass over the assets at most and
 * an unfiltered page only a slice. It reads the assets through `Assets`
 * (definitions and statuses) and builds the protocol's nodes only for the
 * page it returns.
 */
import type { AssetPageQuery, Models } from "@strata/protocol"

/** An asset's definition, as the index searches and filters it. */
export interface Definition {
  readonly group: string
  readonly kinds: ReadonlyArray<string>
  readonly owners: ReadonlyArray<string>
  readonly tags: Readonly<Record<string, string>>
  readonly description?: string | undefined
}

/**
 * What the index reads of the assets, by index in graph order: definitions
 * (per generation), statuses and times (per snapshot), and the protocol's
 * node, built only for the assets a page returns.
 */
export interface Assets {
  readonly size: number
  readonly key: (i: number) => string
  readonly definition: (i: number) => Definition
  readonly status: (i: number) => Models.AssetStatus
  readonly time: (i: number) => number | undefined
  readonly node: (i: number) => Models.AssetNode
}

/** What is searched and sorted, per project generation. */
export interface SearchIndex {
  /** Lower-case `key \n description \n group \n owners \n tags` of each node. */
  readonly text: ReadonlyArray<string>
  /** Every `text` joined with `\u0000`: one `indexOf` scan finds a word's candidates. */
  readonly all: string
  /** Where each node's text starts in `all` (ascending). */
  readonly starts: Int32Array
  readonly keys: ReadonlyArray<string>
  /** Lower-case keys, for ranking typeahead hits without lower-casing per request. */
  readonly lowerKeys: ReadonlyArray<string>
  readonly byKey: Int32Array
  readonly byGroup: Int32Array
}

/** The orders that depend on statuses, per snapshot. */
export interface StatusOrders {
  readonly byStatus: Int32Array
  readonly byTime: Int32Array
}

/** A page request as the index reads it: the protocol's query with the statuses split and the window set. */
export interface PageQuery extends Omit<AssetPageQuery, "status" | "offset" | "limit"> {
  readonly status?: ReadonlyArray<string> | undefined
  readonly offset: number
  readonly limit: number
}

const order = (size: number, compare: (a: number, b: number) => number): Int32Array => {
  const list = new Int32Array(size)
  for (let i = 0; i < size; i++) list[i] = i
  return list.sort(compare)
}

const compareStrings = (a: string, b: string) => a < b ? -1 : a > b ? 1 : 0

export const makeSearchIndex = (assets: Assets): SearchIndex => {
  const keys = Array.from({ length: assets.size }, (_, i) => assets.key(i))
  const groups = Array.from({ length: assets.size }, (_, i) => assets.definition(i).group)
  const text = keys.map((key, i) => {
    const definition = assets.definition(i)
    return [
      key,
      definition.description ?? "",
      definition.group,
      definition.owners.join(" "),
      Object.entries(definition.tags).map(([k, v]) => `${k}=${v}`).join(" "),
      definition.kinds.join(" ")
    ].join("\n").toLowerCase()
  })
  const starts = new Int32Array(assets.size)
  let offset = 0
  for (let i = 0; i < text.length; i++) {
    starts[i] = offset
    offset += text[i]!.length + 1
  }
  return {
    text,
    all: text.join("\u0000"),
    starts,
    keys,
    lowerKeys: keys.map((key) => key.toLowerCase()),
    byKey: order(assets.size, (a, b) => compareStrings(keys[a]!, keys[b]!)),
    byGroup: order(assets.size, (a, b) => compareStrings(groups[a]!, groups[b]!) || compareStrings(keys[a]!, keys[b]!))
  }
}

const statusRank: Record<Models.AssetStatus, number> = { failed: 0, "check-failed": 1, running: 2, stale: 3, missing: 4, fresh: 5 }

export const makeStatusOrders = (index: SearchIndex, assets: Assets): StatusOrders => {
  const ranks = Int32Array.from({ length: assets.size }, (_, i) => statusRank[assets.status(i)])
  const times = Float64Array.from({ length: assets.size }, (_, i) => assets.time(i) ?? -1)
  return {
    byStatus: order(assets.size, (a, b) => ranks[a]! - ranks[b]! || compareStrings(index.keys[a]!, index.keys[b]!)),
    byTime: order(assets.size, (a, b) => times[a]! - times[b]! || compareStrings(index.keys[a]!, index.keys[b]!))
  }
}

/** Relevance of a search hit: 0 exact key, 1 key prefix, 2 key contains the first word, 3 elsewhere. */
const relevance = (lower: string, first: string): number => {
  if (lower === first) return 0
  if (lower.startsWith(first) || lower.includes(`/${first}`)) return 1
  return lower.includes(first) ? 2 : 3
}

const matcher = (query: PageQuery, index: SearchIndex, assets: Assets) => {
  const words = (query.q ?? "").toLowerCase().split(/\s+/).filter((word) => word !== "").slice(0, 20)
  const statuses = query.status === undefined || query.status.length === 0 ? undefined : new Set(query.status)
  const [tagName, tagValue] = query.tag === undefined ? [undefined, undefined] : splitTag(query.tag)
  if (words.length === 0 && statuses === undefined && query.group === undefined && query.kind === undefined &&
    query.owner === undefined && tagName === undefined) return undefined
  return (i: number): boolean => {
    if (statuses !== undefined && !statuses.has(assets.status(i))) return false
    const node = assets.definition(i)
    if (query.group !== undefined && node.group !== query.group) return false
    if (query.kind !== undefined && !node.kinds.includes(query.kind)) return false
    if (query.owner !== undefined && !node.owners.includes(query.owner)) return false
    if (tagName !== undefined && (node.tags[tagName] === undefined || (tagValue !== undefined && node.tags[tagName] !== tagValue))) {
      return false
    }
    const text = index.text[i]!
    for (const word of words) if (!text.includes(word)) return false
    return true
  }
}

const splitTag = (tag: string): readonly [string, string | undefined] => {
  const at = tag.indexOf("=")
  return at === -1 ? [tag, undefined] : [tag.slice(0, at), tag.slice(at + 1)]
}

/** The nodes whose text contains `word` (a flag per node): one scan of the joined text. */
const candidates = (index: SearchIndex, word: string): Uint8Array => {
  const found = new Uint8Array(index.starts.length)
  const { all, starts } = index
  let at = all.indexOf(word)
  let node = 0
  while (at !== -1) {
    // the node holding position `at`: starts are ascending and so are the hits
    while (node + 1 < starts.length && starts[node + 1]! <= at) node++
    found[node] = 1
    // the next hit in a later node
    at = node + 1 < starts.length ? all.indexOf(word, starts[node + 1]!) : -1
  }
  return found
}

/** The page of `query`: matching nodes in order, from `offset`, with the total and counts by status. */
export const page = (
  query: PageQuery,
  index: SearchIndex,
  orders: StatusOrders,
  assets: Assets,
  /** Where the counts of all nodes are kept between requests on the same snapshot. */
  memo: { counts?: Record<string, number> } = {}
): { readonly total: number; readonly assets: ReadonlyArray<Models.AssetNode>; readonly counts: Record<string, number> } => {
  const base = query.sort === "group"
    ? index.byGroup
    : query.sort === "status"
    ? orders.byStatus
    : query.sort === "lastMaterializedAt"
    ? orders.byTime
    : index.byKey
  const descending = query.order === "desc"
  const at = (p: number) => base[descending ? base.length - 1 - p : p]!
  const matches = matcher(query, index, assets)
  const counts: Record<string, number> = {}
  if (matches === undefined) {
    if (memo.counts === undefined) {
      const all: Record<string, number> = {}
      for (let i = 0; i < assets.size; i++) all[assets.status(i)] = (all[assets.status(i)] ?? 0) + 1
      memo.counts = all
    }
    const shown: Array<Models.AssetNode> = []
    for (let p = query.offset; p < Math.min(base.length, query.offset + query.limit); p++) shown.push(assets.node(at(p)))
    return { total: assets.size, assets: shown, counts: memo.counts }
  }
  // one pass in the page's order; typeahead (a search without a sort) puts hits in four buckets by
  // relevance, which keeps the order within each: no comparison sort per request
  const first = (query.q ?? "").toLowerCase().trim().split(/\s+/)[0] ?? ""
  const ranked = query.sort === undefined && first !== ""
  const buckets: Array<Array<number>> = ranked ? [[], [], [], []] : [[]]
  // a word narrows the candidates with one scan of the joined text
  const flags = first !== "" && !first.includes("\u0000") ? candidates(index, first) : undefined
  for (let p = 0; p < base.length; p++) {
    const i = at(p)
    if (flags !== undefined && flags[i] === 0) continue
    if (!matches(i)) continue
    buckets[ranked ? relevance(index.lowerKeys[i]!, first) : 0]!.push(i)
    const status = assets.status(i)
    counts[status] = (counts[status] ?? 0) + 1
  }
  const hits = buckets.length === 1 ? buckets[0]! : buckets.flat()
  return { total: hits.length, assets: hits.slice(query.offset, query.offset + query.limit).map((i) => assets.node(i)), counts }
}
