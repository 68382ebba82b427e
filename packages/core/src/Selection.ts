/**
 * The asset selection syntax, shared by the CLI, the HTTP API and schedules.
 *
 * | syntax | selects |
 * | --- | --- |
 * | `key` | one asset (`silver/users`) |
 * | `key:pre_*` | keys matching a wildcard pattern |
 * | `+key`, `2+key`, `++key` | the asset and its upstreams, 1 or 2 levels up |
 * | `*key` | the asset and all its upstreams |
 * | `key+`, `key+2`, `key*` | the asset and its downstreams |
 * | `group:silver`, `kind:parquet`, `owner:team:data`, `tag:tier=gold`, `tag:pii` | by attribute |
 * | `a, b` or `a or b` | union |
 * | `a and b` | intersection |
 * | `not a` | complement |
 * | `roots(sel)`, `sinks(sel)` | the members of `sel` with no upstream / downstream inside `sel` |
 * | `*` | everything |
 * | `( ... )` | grouping |
 *
 * Parse errors carry the position of the problem; resolving fails on a key
 * the project does not have, with the nearest existing keys as suggestions.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import * as AssetGraph from "./AssetGraph.ts"
import type { Project } from "./Project.ts"

/**
 * A parsed selection.
 *
 * @since 0.1.0
 */
export type Selection =
  | { readonly _tag: "All" }
  | { readonly _tag: "Key"; readonly key: string; readonly position: number }
  | { readonly _tag: "KeyPattern"; readonly pattern: string; readonly position: number }
  | {
    readonly _tag: "Attribute"
    readonly name: "group" | "kind" | "owner" | "tag"
    readonly value: string
    readonly tagValue: string | undefined
    readonly position: number
  }
  | { readonly _tag: "Upstream"; readonly depth: number; readonly selection: Selection }
  | { readonly _tag: "Downstream"; readonly depth: number; readonly selection: Selection }
  | { readonly _tag: "Union"; readonly selections: ReadonlyArray<Selection> }
  | { readonly _tag: "Intersection"; readonly selections: ReadonlyArray<Selection> }
  | { readonly _tag: "Not"; readonly selection: Selection }
  | { readonly _tag: "Function"; readonly name: "roots" | "sinks"; readonly selection: Selection }

/**
 * A selection that cannot be parsed; `position` is the 0-based offset of the
 * problem in `selection`.
 *
 * @since 0.1.0
 */
export class SelectionParseError extends Schema.TaggedError<SelectionParseError>()("@strata/core/SelectionParseError", {
  selection: Schema.String,
  position: Schema.Number,
  problem: Schema.String
}) {
  override get message(): string {
    return `cannot parse selection at column ${this.position + 1}: ${this.problem}\n  ${this.selection}\n  ${
      " ".repeat(this.position)
    }^`
  }
}

/**
 * A selection naming something the project does not have.
 *
 * @since 0.1.0
 */
export class SelectionResolveError extends Schema.TaggedError<SelectionResolveError>()(
  "@strata/core/SelectionResolveError",
  {
    selection: Schema.String,
    term: Schema.String,
    problem: Schema.String,
    suggestions: Schema.Array(Schema.String)
  }
) {
  override get message(): string {
    const hint = this.suggestions.length > 0 ? `; did you mean ${this.suggestions.join(", ")}?` : ""
    return `selection ${JSON.stringify(this.selection)}: ${this.problem}${hint}`
  }
}

type Token =
  | { readonly type: "word"; readonly text: string; readonly position: number }
  | { readonly type: "string"; readonly text: string; readonly position: number }
  | { readonly type: "(" | ")" | "," | "+" | "*" | ":" | "=" | "end"; readonly position: number }

const wordChar = /[\p{L}\p{N}_.\-/@]/u

const tokenize = (text: string): Array<Token> => {
  const tokens: Array<Token> = []
  let i = 0
  while (i < text.length) {
    const char = text[i]!
    if (/\s/.test(char)) {
      i++
    } else if ("(),+*:=".includes(char)) {
      tokens.push({ type: char as "(", position: i })
      i++
    } else if (char === "\"") {
      const start = i
      i++
      let value = ""
      while (i < text.length && text[i] !== "\"") {
        if (text[i] === "\\" && i + 1 < text.length) i++
        value += text[i]
        i++
      }
      if (i >= text.length) {
        throw new SelectionParseError({ selection: text, position: start, problem: "unterminated string" })
      }
      i++
      tokens.push({ type: "string", text: value, position: start })
    } else if (wordChar.test(char)) {
      const start = i
      while (i < text.length && wordChar.test(text[i]!)) i++
      tokens.push({ type: "word", text: text.slice(start, i), position: start })
    } else {
      throw new SelectionParseError({ selection: text, position: i, problem: `unexpected character ${JSON.stringify(char)}` })
    }
  }
  tokens.push({ type: "end", position: text.length })
  return tokens
}

const keywords = new Set(["and", "or", "not"])
const attributes = new Set(["group", "kind", "owner", "tag", "key"])
const functions = new Set(["roots", "sinks"])

class Parser {
  private index = 0
  private readonly text: string
  private readonly tokens: Array<Token>
  constructor(text: string, tokens: Array<Token>) {
    this.text = text
    this.tokens = tokens
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!
  }
  private next(): Token {
    return this.tokens[this.index++]!
  }
  private fail(position: number, problem: string): never {
    throw new SelectionParseError({ selection: this.text, position, problem })
  }
  private isKeyword(token: Token, word: string): boolean {
    return token.type === "word" && token.text === word
  }
  private adjacent(a: Token, b: Token, aLength: number): boolean {
    return a.position + aLength === b.position
  }

  parse(): Selection {
    if (this.peek().type === "end") this.fail(0, "the selection is empty")
    const selection = this.parseOr()
    const token = this.peek()
    if (token.type !== "end") {
      this.fail(token.position, `unexpected ${describeToken(token)}; join terms with ',' , 'or' or 'and'`)
    }
    return selection
  }

  private parseOr(): Selection {
    const selections = [this.parseAnd()]
    while (this.peek().type === "," || this.isKeyword(this.peek(), "or")) {
      this.next()
      selections.push(this.parseAnd())
    }
    return selections.length === 1 ? selections[0]! : { _tag: "Union", selections }
  }

  private parseAnd(): Selection {
    const selections = [this.parseNot()]
    while (this.isKeyword(this.peek(), "and")) {
      this.next()
      selections.push(this.parseNot())
    }
    return selections.length === 1 ? selections[0]! : { _tag: "Intersection", selections }
  }

  private parseNot(): Selection {
    if (this.isKeyword(this.peek(), "not")) {
      this.next()
      return { _tag: "Not", selection: this.parseNot() }
    }
    return this.parseTraversal()
  }

  private parseTraversal(): Selection {
    let up = 0
    // prefix: "*", "+", "++", "2+"
    const first = this.peek()
    if (first.type === "*" && !this.startsTerm(this.peek(1))) {
      this.next()
      return { _tag: "All" }
    }
    if (first.type === "*") {
      this.next()
      up = Number.POSITIVE_INFINITY
    } else if (first.type === "word" && /^\d+$/.test(first.text) && this.peek(1).type === "+") {
      this.next()
      this.next()
      up = Number(first.text)
    } else {
      while (this.peek().type === "+") {
        this.next()
        up++
      }
    }
    let selection = this.parsePrimary()
    let down = 0
    const after = this.peek()
    if (after.type === "*") {
      this.next()
      down = Number.POSITIVE_INFINITY
    } else if (after.type === "+") {
      this.next()
      const depth = this.peek()
      if (depth.type === "word" && /^\d+$/.test(depth.text) && this.adjacent(after, depth, 1)) {
        this.next()
        down = Number(depth.text)
      } else {
        down = 1
        while (this.peek().type === "+") {
          this.next()
          down++
        }
      }
    }
    // `+key+` is the key with its upstreams and its downstreams, not the downstreams of its upstreams
    if (up > 0 && down > 0) {
      return {
        _tag: "Union",
        selections: [{ _tag: "Upstream", depth: up, selection }, { _tag: "Downstream", depth: down, selection }]
      }
    }
    if (up > 0) selection = { _tag: "Upstream", depth: up, selection }
    if (down > 0) selection = { _tag: "Downstream", depth: down, selection }
    return selection
  }

  private startsTerm(token: Token): boolean {
    return token.type === "word" || token.type === "string" || token.type === "(" || token.type === "+"
  }

  private parsePrimary(): Selection {
    const token = this.next()
    if (token.type === "(") {
      const inner = this.parseOr()
      const close = this.next()
      if (close.type !== ")") this.fail(close.position, `expected ')' to close the '(' at column ${token.position + 1}`)
      return inner
    }
    if (token.type === "string") return this.keyTerm(token.text, token.position)
    if (token.type !== "word") {
      this.fail(token.position, token.type === "end" ? "the selection ends too early" : `unexpected ${describeToken(token)}`)
    }
    if (keywords.has(token.text)) {
      this.fail(token.position, `'${token.text}' needs a term on both sides (write key:${token.text} for an asset named so)`)
    }
    if (functions.has(token.text) && this.peek().type === "(") {
      this.next()
      const inner = this.parseOr()
      const close = this.next()
      if (close.type !== ")") this.fail(close.position, `expected ')' to close ${token.text}(`)
      return { _tag: "Function", name: token.text as "roots" | "sinks", selection: inner }
    }
    if (this.peek().type === ":" && this.adjacent(token, this.peek(), token.text.length)) {
      if (!attributes.has(token.text)) {
        this.fail(token.position, `unknown attribute '${token.text}'; use key:, group:, kind:, owner: or tag:`)
      }
      this.next()
      const value = this.attributeValue()
      if (token.text === "key") return this.keyTerm(value.text, value.position)
      if (token.text === "tag" && this.peek().type === "=") {
        this.next()
        const tagValue = this.attributeValue()
        return { _tag: "Attribute", name: "tag", value: value.text, tagValue: tagValue.text, position: token.position }
      }
      return {
        _tag: "Attribute",
        name: token.text as "group" | "kind" | "owner" | "tag",
        value: value.text,
        tagValue: undefined,
        position: token.position
      }
    }
    return { _tag: "Key", key: token.text, position: token.position }
  }

  private attributeValue(): { text: string; position: number } {
    const token = this.next()
    if (token.type === "word" || token.type === "string") {
      let text = token.text
      // owner:team:data and wildcard patterns continue across ':' and '*'
      while (
        (this.peek().type === ":" || this.peek().type === "*" || this.peek().type === "word") &&
        this.adjacent(this.tokens[this.index - 1]!, this.peek(), tokenLength(this.tokens[this.index - 1]!))
      ) {
        const piece = this.next()
        text += piece.type === "word" ? piece.text : piece.type
      }
      return { text, position: token.position }
    }
    if (token.type === "*") {
      let text = "*"
      while (
        (this.peek().type === "word" || this.peek().type === "*") &&
        this.adjacent(this.tokens[this.index - 1]!, this.peek(), tokenLength(this.tokens[this.index - 1]!))
      ) {
        const piece = this.next()
        text += piece.type === "word" ? piece.text : "*"
      }
      return { text, position: token.position }
    }
    return this.fail(token.position, "expected a value after ':'")
  }

  private keyTerm(text: string, position: number): Selection {
    return text.includes("*") ? { _tag: "KeyPattern", pattern: text, position } : { _tag: "Key", key: text, position }
  }
}

const tokenLength = (token: Token): number =>
  token.type === "word" ? token.text.length : token.type === "string" ? token.text.length + 2 : 1

const describeToken = (token: Token): string =>
  token.type === "end"
    ? "end of selection"
    : token.type === "word" || token.type === "string"
    ? `'${token.text}'`
    : `'${token.type}'`

/**
 * Parses a selection, failing with a positioned {@link SelectionParseError}.
 *
 * @since 0.1.0
 */
export const parse = (text: string): Effect.Effect<Selection, SelectionParseError> =>
  Effect.try({
    try: () => parseSync(text),
    catch: (error) => error as SelectionParseError
  })

/**
 * Parses a selection, throwing {@link SelectionParseError}.
 *
 * @since 0.1.0
 */
export const parseSync = (text: string): Selection => new Parser(text, tokenize(text)).parse()

const wildcard = (pattern: string): RegExp =>
  new RegExp("^" + pattern.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*") + "$", "u")

/**
 * Resolves a selection against a project: a mask over the project's graph
 * nodes (1 = selected). Fails when a term names nothing in the project.
 *
 * @since 0.1.0
 */
export const resolveMask = (
  project: Project<unknown>,
  text: string,
  selection: Selection
): Uint8Array => {
  const graph = project.graph
  const size = graph.nodes.length
  const fail = (term: string, problem: string, suggestions: ReadonlyArray<string> = []): never => {
    throw new SelectionResolveError({ selection: text, term, problem, suggestions })
  }
  const filter = (predicate: (i: number) => boolean): Uint8Array => {
    const mask = new Uint8Array(size)
    for (let i = 0; i < size; i++) if (predicate(i)) mask[i] = 1
    return mask
  }
  const any = (mask: Uint8Array) => mask.includes(1)
  const go = (node: Selection): Uint8Array => {
    switch (node._tag) {
      case "All":
        return new Uint8Array(size).fill(1)
      case "Key": {
        const i = graph.index.get(node.key)
        if (i === undefined) return fail(node.key, `no asset has the key '${node.key}'`, suggest(node.key, graph))
        const mask = new Uint8Array(size)
        mask[i] = 1
        return mask
      }
      case "KeyPattern": {
        const pattern = wildcard(node.pattern)
        const mask = filter((i) => pattern.test(graph.nodes[i]!.key))
        return any(mask) ? mask : fail(node.pattern, `no asset key matches '${node.pattern}'`)
      }
      case "Attribute": {
        const mask = filter((i) => {
          const spec = graph.nodes[i]!.spec
          switch (node.name) {
            case "group":
              return spec.group === node.value
            case "kind":
              return spec.kinds.includes(node.value)
            case "owner":
              return spec.owners.includes(node.value)
            case "tag":
              return Object.hasOwn(spec.tags, node.value) &&
                (node.tagValue === undefined || spec.tags[node.value] === node.tagValue)
          }
        })
        if (!any(mask)) {
          const term = `${node.name}:${node.value}${node.tagValue === undefined ? "" : `=${node.tagValue}`}`
          const known = new Set<string>()
          for (const n of graph.nodes) {
            if (node.name === "group") known.add(n.spec.group)
            else if (node.name === "kind") n.spec.kinds.forEach((k) => known.add(k))
            else if (node.name === "owner") n.spec.owners.forEach((k) => known.add(k))
            else Object.entries(n.spec.tags).forEach(([k, v]) => known.add(`${k}=${v}`))
          }
          const list = [...known].sort().slice(0, 10)
          return fail(term, `no asset matches ${term}${list.length > 0 ? ` (known: ${list.join(", ")})` : ""}`)
        }
        return mask
      }
      case "Upstream":
        return AssetGraph.upstreamClosure(graph, members(go(node.selection)), node.depth)
      case "Downstream":
        return AssetGraph.downstreamClosure(graph, members(go(node.selection)), node.depth)
      case "Union": {
        const mask = new Uint8Array(size)
        for (const part of node.selections) {
          const m = go(part)
          for (let i = 0; i < size; i++) mask[i] = mask[i]! | m[i]!
        }
        return mask
      }
      case "Intersection": {
        const mask = new Uint8Array(size).fill(1)
        for (const part of node.selections) {
          const m = go(part)
          for (let i = 0; i < size; i++) mask[i] = mask[i]! & m[i]!
        }
        return mask
      }
      case "Not": {
        const m = go(node.selection)
        return filter((i) => m[i] === 0)
      }
      case "Function": {
        const m = go(node.selection)
        const edges = node.name === "roots" ? graph.upstream : graph.downstream
        return filter((i) => m[i] === 1 && !edges[i]!.some((j) => m[j] === 1))
      }
    }
  }
  return go(selection)
}

function* members(mask: Uint8Array): Iterable<number> {
  for (let i = 0; i < mask.length; i++) if (mask[i] === 1) yield i
}

/**
 * Parses and resolves a selection to the selected keys, in topological order.
 *
 * @example
 * ```ts
 * import { Selection } from "@strata/core"
 * declare const project: import("@strata/core").Project.Project<never>
 * const keys = Selection.resolve(project, "+gold_user_metrics")
 * ```
 * @since 0.1.0
 */
export const resolve = (
  project: Project<unknown>,
  text: string
): Effect.Effect<ReadonlyArray<string>, SelectionParseError | SelectionResolveError> =>
  Effect.try({
    try: () => resolveSync(project, text),
    catch: (error) => error as SelectionParseError | SelectionResolveError
  })

/**
 * Like {@link resolve}, throwing on error.
 *
 * @since 0.1.0
 */
export const resolveSync = (project: Project<unknown>, text: string): ReadonlyArray<string> => {
  const mask = resolveMask(project, text, parseSync(text))
  const keys: Array<string> = []
  for (let i = 0; i < mask.length; i++) if (mask[i] === 1) keys.push(project.graph.nodes[i]!.key)
  return keys
}

const suggest = (key: string, graph: AssetGraph.AssetGraph): ReadonlyArray<string> => {
  const scored: Array<[number, string]> = []
  const limit = Math.max(2, Math.floor(key.length / 3))
  for (const node of graph.nodes) {
    const candidate = node.key
    if (candidate.endsWith(`/${key}`)) {
      scored.push([0, candidate])
      continue
    }
    if (Math.abs(candidate.length - key.length) > limit) continue
    const distance = levenshtein(key, candidate, limit)
    if (distance <= limit) scored.push([distance, candidate])
  }
  return scored.sort((a, b) => a[0] - b[0]).slice(0, 3).map(([, candidate]) => candidate)
}

const levenshtein = (a: string, b: string, limit: number): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    let best = i
    for (let j = 1; j <= b.length; j++) {
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
      current.push(value)
      if (value < best) best = value
    }
    if (best > limit) return best
    previous = current
  }
  return previous[b.length]!
}
