import { readFile } from "node:fs/promises"
import type { Models } from "@strata/protocol"
import { Effect } from "effect"

const maxLines = 120

/**
 * The lines of an asset's definition: the comments just above the call at
 * `line`, and the call itself up to its closing parenthesis (found by
 * counting brackets outside strings and comments, capped at {@link maxLines}).
 */
export const extractDefinition = (
  text: string,
  line: number,
  column: number
): { readonly startLine: number; readonly text: string } => {
  const lines = text.split(/\r?\n/)
  const index = Math.min(Math.max(line - 1, 0), lines.length - 1)
  let start = index
  while (start > 0) {
    const previous = lines[start - 1]!.trim()
    if (previous.startsWith("//") || previous.startsWith("/*") || previous.startsWith("*")) start--
    else break
  }
  // count brackets from the call's column; stop when they balance after opening
  let depth = 0
  let opened = false
  let end = index
  let quote: string | undefined
  let blockComment = false
  scan: for (let i = index; i < lines.length && i < index + maxLines; i++) {
    const current = lines[i]!
    end = i
    for (let c = i === index ? Math.max(column - 1, 0) : 0; c < current.length; c++) {
      const char = current[c]!
      if (blockComment) {
        if (char === "*" && current[c + 1] === "/") {
          blockComment = false
          c++
        }
        continue
      }
      if (quote !== undefined) {
        if (char === "\\") c++
        else if (char === quote) quote = undefined
        continue
      }
      if (char === "/" && current[c + 1] === "/") break
      if (char === "/" && current[c + 1] === "*") {
        blockComment = true
        c++
        continue
      }
      if (char === "\"" || char === "'" || char === "`") quote = char
      else if (char === "(" || char === "{" || char === "[") {
        depth++
        opened = true
      } else if (char === ")" || char === "}" || char === "]") {
        depth--
        if (opened && depth <= 0) break scan
      }
    }
    // a template literal may span lines; single quotes may not
    if (quote === "\"" || quote === "'") quote = undefined
  }
  return { startLine: start + 1, text: lines.slice(start, end + 1).join("\n") }
}

/** Reads the definition of an asset from its source file. */
export const readDefinition = (
  location: { readonly file: string; readonly line: number; readonly column: number }
): Effect.Effect<Models.SourceCode, string> =>
  Effect.tryPromise({
    try: () => readFile(location.file, "utf8"),
    catch: (error) =>
      `cannot read ${location.file}: ${
        typeof error === "object" && error !== null && "code" in error ? String(error.code) : String(error)
      }`
  }).pipe(
    Effect.map((text) => {
      const definition = extractDefinition(text, location.line, location.column)
      return { ...location, ...definition }
    })
  )
