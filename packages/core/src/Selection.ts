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
 * Selections often come from outside (a URL's query, a `--select` flag), so
 * the work one can cause is bounded ({@link limits}): wildcards are matched
 * in linear time, never through a RegExp built from the pattern; nesting,
 * length and the number of terms that each scan the graph are capped; and
 * errors echo at most a window of the selection around the problem.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import * as AssetGraph from "./AssetGraph.ts"
import * as Glob from "./internal/glob.ts"
import type { Project } from "./Project.ts"

/**
 * The bounds every selection is parsed under. A selection beyond them fails
 * with a {@link SelectionParseError} at the position where it crosses one.
 *
 * @since 0.1.0
 */
export const limits = {
  /**
   * Characters. Written selections are a few dozen; the catalog launches a
   * set of picked assets as their keys joined by `, `, which for 4,000
   * assets with 20-character keys is 88,000. Parsing is linear in the length.
   */
  maxLength: 100_000,
  /**
   * Levels of `(`, `roots(`, `sinks(` and `not` inside each other. The parser
   * and the resolver recurse once per level, so this keeps them far from the
   * stack's limit (about 10,000 frames); no written selection needs a tenth.
   */
  maxDepth: 100,
  /**
   * Operators and terms other than plain keys (`*`, `key:` patterns,
   * attributes, `+`/`*` traversals, `not`, `and`, `( )`, functions). Each
   * reads the whole graph once while resolving, so this bounds resolving to
   * 1,000 passes over the graph (a 10,000-asset graph: well under a second)
   * however the selection is written. Plain keys joined by `,` or `or` cost
   * a lookup each and are not counted.
   */
  maxGraphPasses: 1_000
} as const

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
 * A selection that cannot be parsed. `position` is the 0-based offset of the
 * problem in the selection as given; `selection` is that selection, or, when
 * it is longer than about 120 characters, the part of it around `position`
 * (a cut is marked with `…`), which starts at `excerptStart`.
 *
 * @since 0.1.0
 */
export class SelectionParseError extends Schema.TaggedError<SelectionParseError>()("@strata/core/SelectionParseError", {
  selection: Schema.String,
  position: Schema.Number,
  problem: Schema.String,
  /** Where `selection` starts in the selection as given, when it is an excerpt cut at the start (absent: 0). */
  excerptStart: Schema.optional(Schema.Number)
}) {
  override get message(): string {
    const start = this.excerptStart ?? 0
    const caret = this.position - start + (start > 0 ? 1 : 0)
    return `cannot parse selection at column ${this.position + 1}: ${this.problem}\n  ${this.selection}\n  ${
      " ".repeat(Math.max(0, caret))
    }^`
  }
}

/** Characters shown on each side of an error's position. */
const excerptRadius = 60

/**
 * The part of `text` around `position` that errors echo: a 20 MB selection
 * must not come back as a 20 MB error (the catalog sends errors as JSON).
 */
const excerpt = (text: string, position: number): { readonly text: string; readonly start: number } => {
  if (text.length <= 2 * excerptRadius) return { text, start: 0 }
  const start = Math.max(0, Math.min(position - excerptRadius, text.length - 2 * excerptRadius))
  const end = Math.min(text.length, start + 2 * excerptRadius)
  return { text: `${start > 0 ? "…" : ""}${text.slice(start, end)}${end < text.length ? "…" : ""}`, start }
}

const parseError = (text: string, position: number, problem: string): SelectionParseError => {
  const shown = excerpt(text, position)
  return new SelectionParseError({
    selection: shown.text,
    position,
    problem,
    ...(shown.start > 0 ? { excerptStart: shown.start } : {})
  })
}

/**
 * A selection naming something the project does not have. `term` is the
 * term at fault (cut to 60 characters); `selection` is the selection, or,
 * when it is longer than about 120 characters, the part around that term.
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
        throw parseError(text, start, "unterminated string")
      }
      i++
      tokens.push({ type: "string", text: value, position: start })
    } else if (wordChar.test(char)) {
      const start = i
      while (i < text.length && wordChar.test(text[i]!)) i++
      tokens.push({ type: "word", text: text.slice(start, i), position: start })
    } else {
      throw parseError(text, i, `unexpected character ${JSON.stringify(char)}`)
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
  /** Open `(`, functions and `not`s around the current token: see {@link limits.maxDepth}. */
  private depth = 0
  /** Terms and operators that each read the graph once: see {@link limits.maxGraphPasses}. */
  private passes = 0
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
    throw parseError(this.text, position, problem)
  }
  /** Enters a nesting level at `position`: a `(`, `roots(`, `sinks(` or `not`. */
  private enter(position: number): void {
    if (++this.depth > limits.maxDepth) {
      this.fail(position, `the selection nests deeper than ${limits.maxDepth} levels of '(' and 'not'; flatten it`)
    }
  }
  /** Counts a term or operator that reads the whole graph when resolved. */
  private pass(position: number): void {
    if (++this.passes > limits.maxGraphPasses) {
      this.fail(
        position,
        `the selection has more than ${limits.maxGraphPasses} operators and terms other than plain keys; ` +
          "select by group:, tag: or a key: pattern instead of listing them"
      )
    }
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
      this.pass(this.next().position)
      selections.push(this.parseNot())
    }
    return selections.length === 1 ? selections[0]! : { _tag: "Intersection", selections }
  }

  private parseNot(): Selection {
    if (this.isKeyword(this.peek(), "not")) {
      const not = this.next()
      this.enter(not.position)
      this.pass(not.position)
      const selection: Selection = { _tag: "Not", selection: this.parseNot() }
      this.depth--
      return selection
    }
    return this.parseTraversal()
  }

  private parseTraversal(): Selection {
    let up = 0
    // prefix: "*", "+", "++", "2+"
    const first = this.peek()
    if (first.type === "*" && !this.startsTerm(this.peek(1))) {
      this.pass(this.next().position)
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
    if (up > 0) this.pass(first.position)
    if (down > 0) this.pass(after.position)
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
      this.enter(token.position)
      this.pass(token.position)
      const inner = this.parseOr()
      const close = this.next()
      if (close.type !== ")") this.fail(close.position, `expected ')' to close the '(' at column ${token.position + 1}`)
      this.depth--
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
      this.enter(token.position)
      this.pass(token.position)
      const inner = this.parseOr()
      const close = this.next()
      if (close.type !== ")") this.fail(close.position, `expected ')' to close ${token.text}(`)
      this.depth--
      return { _tag: "Function", name: token.text as "roots" | "sinks", selection: inner }
    }
    if (this.peek().type === ":" && this.adjacent(token, this.peek(), token.text.length)) {
      if (!attributes.has(token.text)) {
        this.fail(token.position, `unknown attribute ${quote(token.text)}; use key:, group:, kind:, owner: or tag:`)
      }
      this.next()
      const value = this.attributeValue()
      if (token.text === "key") return this.keyTerm(value.text, value.position)
      this.pass(token.position)
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
    if (!text.includes("*")) return { _tag: "Key", key: text, position }
    this.pass(position)
    return { _tag: "KeyPattern", pattern: text, position }
  }
}

const tokenLength = (token: Token): number =>
  token.type === "word" ? token.text.length : token.type === "string" ? token.text.length + 2 : 1

const describeToken = (token: Token): string =>
  token.type === "end"
    ? "end of selection"
    : token.type === "word" || token.type === "string"
    ? quote(token.text)
    : `'${token.type}'`

/** A word of the selection in a message, cut to 60 characters. */
const shorten = (text: string): string => text.length > 60 ? `${text.slice(0, 59)}…` : text

const quote = (text: string): string => `'${shorten(text)}'`

/**
 * Whether `error` is one of this module's errors: a {@link SelectionParseError}
 * or a {@link SelectionResolveError}.
 *
 * @since 0.1.0
 */
export const isSelectionError = (error: unknown): error is SelectionParseError | SelectionResolveError =>
  error instanceof SelectionParseError || error instanceof SelectionResolveError

/**
 * Runs a throwing parse or resolve as an Effect. Only this module's errors
 * become failures; anything else thrown is a bug and stays a defect, so that
 * it is never reported as a bad selection (or, further up, as something else).
 */
const attempt = <A, E>(run: () => A, isExpected: (error: unknown) => error is E): Effect.Effect<A, E> =>
  Effect.try({ try: run, catch: (error) => error }).pipe(
    Effect.catch((error) => isExpected(error) ? Effect.fail(error) : Effect.die(error))
  )

/**
 * Parses a selection, failing with a positioned {@link SelectionParseError}.
 *
 * @since 0.1.0
 */
export const parse = (text: string): Effect.Effect<Selection, SelectionParseError> =>
  attempt(() => parseSync(text), (error) => error instanceof SelectionParseError)

/**
 * Parses a selection, throwing {@link SelectionParseError}; a selection
 * beyond {@link limits} fails at the position where it crosses one.
 *
 * @since 0.1.0
 */
export const parseSync = (text: string): Selection => {
  if (text.length > limits.maxLength) {
    throw parseError(
      text,
      limits.maxLength,
      `the selection is ${text.length} characters long; at most ${limits.maxLength} are accepted`
    )
  }
  return new Parser(text, tokenize(text)).parse()
}

/** What resolving one selection needs at hand. */
interface Resolving {
  readonly text: string
  readonly graph: AssetGraph.AssetGraph
  readonly size: number
}

const resolveFailure = (
  resolving: Resolving,
  position: number,
  term: string,
  problem: string,
  suggestions: ReadonlyArray<string> = []
): never => {
  throw new SelectionResolveError({
    selection: excerpt(resolving.text, position).text,
    term: shorten(term),
    problem,
    suggestions
  })
}

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
): Uint8Array => maskOf({ text, graph: project.graph, size: project.graph.nodes.length }, selection)

const maskOf = (resolving: Resolving, node: Selection): Uint8Array => {
  const { graph, size } = resolving
  switch (node._tag) {
    case "All":
      return new Uint8Array(size).fill(1)
    case "Key": {
      const mask = new Uint8Array(size)
      mask[keyIndex(resolving, node)] = 1
      return mask
    }
    case "KeyPattern":
      return patternMask(resolving, node)
    case "Attribute":
      return attributeMask(resolving, node)
    case "Upstream":
      return AssetGraph.upstreamClosure(graph, members(maskOf(resolving, node.selection)), node.depth)
    case "Downstream":
      return AssetGraph.downstreamClosure(graph, members(maskOf(resolving, node.selection)), node.depth)
    case "Union":
      return unionMask(resolving, node.selections)
    case "Intersection": {
      const mask = new Uint8Array(size).fill(1)
      for (const part of node.selections) {
        const m = maskOf(resolving, part)
        for (let i = 0; i < size; i++) mask[i] = mask[i]! & m[i]!
      }
      return mask
    }
    case "Not": {
      const m = maskOf(resolving, node.selection)
      return filter(size, (i) => m[i] === 0)
    }
    case "Function": {
      const m = maskOf(resolving, node.selection)
      const edges = node.name === "roots" ? graph.upstream : graph.downstream
      return filter(size, (i) => m[i] === 1 && !edges[i]!.some((j) => m[j] === 1))
    }
  }
}

const filter = (size: number, predicate: (i: number) => boolean): Uint8Array => {
  const mask = new Uint8Array(size)
  for (let i = 0; i < size; i++) if (predicate(i)) mask[i] = 1
  return mask
}

const keyIndex = (resolving: Resolving, node: { readonly key: string; readonly position: number }): number => {
  const i = resolving.graph.index.get(node.key)
  if (i !== undefined) return i
  return resolveFailure(
    resolving,
    node.position,
    node.key,
    `no asset has the key ${quote(node.key)}`,
    suggest(node.key, resolving.graph)
  )
}

/**
 * Plain keys set their bit in place: a union of thousands of keys (the
 * catalog launching picked assets) costs a lookup each, not a mask each.
 */
const unionMask = (resolving: Resolving, parts: ReadonlyArray<Selection>): Uint8Array => {
  const size = resolving.size
  const mask = new Uint8Array(size)
  for (const part of parts) {
    if (part._tag === "Key") {
      mask[keyIndex(resolving, part)] = 1
      continue
    }
    const m = maskOf(resolving, part)
    for (let i = 0; i < size; i++) mask[i] = mask[i]! | m[i]!
  }
  return mask
}

const patternMask = (
  resolving: Resolving,
  node: { readonly pattern: string; readonly position: number }
): Uint8Array => {
  const glob = Glob.compile(node.pattern)
  const nodes = resolving.graph.nodes
  const mask = filter(resolving.size, (i) => Glob.matches(glob, nodes[i]!.key))
  if (mask.includes(1)) return mask
  return resolveFailure(resolving, node.position, node.pattern, `no asset key matches ${quote(node.pattern)}`)
}

const attributeMask = (resolving: Resolving, node: Extract<Selection, { readonly _tag: "Attribute" }>): Uint8Array => {
  const nodes = resolving.graph.nodes
  const mask = filter(resolving.size, (i) => {
    const spec = nodes[i]!.spec
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
  if (mask.includes(1)) return mask
  const term = `${node.name}:${node.value}${node.tagValue === undefined ? "" : `=${node.tagValue}`}`
  const known = new Set<string>()
  for (const n of nodes) {
    if (node.name === "group") known.add(n.spec.group)
    else if (node.name === "kind") n.spec.kinds.forEach((k) => known.add(k))
    else if (node.name === "owner") n.spec.owners.forEach((k) => known.add(k))
    else Object.entries(n.spec.tags).forEach(([k, v]) => known.add(`${k}=${v}`))
  }
  const list = [...known].sort().slice(0, 10)
  return resolveFailure(
    resolving,
    node.position,
    term,
    `no asset matches ${shorten(term)}${list.length > 0 ? ` (known: ${list.join(", ")})` : ""}`
  )
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
  attempt(() => resolveSync(project, text), isSelectionError)

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
