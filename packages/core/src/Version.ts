/**
 * Code and data versions.
 *
 * - A code version is given in an asset's definition (`codeVersion`) or,
 *   by default, is a hash of its compute function's source with comments and
 *   white space removed, so reformatting or commenting code does not make
 *   anything stale, while any real change does.
 * - A data version identifies a stored value: the I/O manager's (a content
 *   hash, a snapshot id) or one given by the compute function.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"

/**
 * A short content hash (the first 16 hex digits of SHA-256).
 *
 * @since 0.1.0
 */
export const hash = (data: string | Uint8Array): string =>
  createHash("sha256").update(data).digest("hex").slice(0, 16)

/**
 * Removes comments and collapses white space outside string literals.
 *
 * @since 0.1.0
 */
export const normalizeSource = (source: string): string => {
  let out = ""
  let i = 0
  let space = false
  const length = source.length
  while (i < length) {
    const char = source[i]!
    const next = source[i + 1]
    if (char === "/" && next === "/") {
      while (i < length && source[i] !== "\n") i++
      space = true
    } else if (char === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2)
      i = end === -1 ? length : end + 2
      space = true
    } else if (char === "\"" || char === "'" || char === "`") {
      const start = i
      i++
      while (i < length && source[i] !== char) i += source[i] === "\\" ? 2 : 1
      i++
      space = false
      out += source.slice(start, i)
    } else if (char === " " || char === "\n" || char === "\t" || char === "\r") {
      space = true
      i++
    } else {
      if (space && out.length > 0 && /[\w$]/.test(char) && /[\w$]/.test(out[out.length - 1]!)) out += " "
      space = false
      out += char
      i++
    }
  }
  return out
}

const codeVersions = new WeakMap<Function, string>()

/**
 * The default code version of a compute function: a hash of its normalised
 * source. Cached per function.
 *
 * @since 0.1.0
 */
export const ofFunction = (fn: Function): string => {
  let version = codeVersions.get(fn)
  if (version === undefined) {
    version = hash(normalizeSource(Function.prototype.toString.call(fn)))
    codeVersions.set(fn, version)
  }
  return version
}

const sourceVersions = new Map<string, string>()
const nodeVersions = new WeakMap<object, string>()

/**
 * The code version of an asset: its explicit `codeVersion`, or a hash of its
 * compute function's normalised source. Cached per asset and per source text
 * (assets built in a loop share one function source).
 *
 * @since 0.1.0
 */
export const ofAsset = (asset: { readonly spec: { readonly codeVersion: string | undefined }; readonly compute?: Function }): string => {
  const explicit = asset.spec.codeVersion
  if (explicit !== undefined) return explicit
  let version = nodeVersions.get(asset)
  if (version === undefined) {
    if (asset.compute === undefined) return ""
    const source = Function.prototype.toString.call(asset.compute)
    version = sourceVersions.get(source)
    if (version === undefined) {
      version = hash(normalizeSource(source))
      sourceVersions.set(source, version)
    }
    nodeVersions.set(asset, version)
  }
  return version
}
