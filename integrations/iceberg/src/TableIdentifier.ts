/**
 * Table and namespace names. A table is named by its namespace (one or more
 * levels) and its name: `analytics.events` is table `events` in namespace
 * `analytics`. Names become folders of the filesystem catalog and URL path
 * segments of the REST catalog, so they are checked: not empty, at most 255
 * characters, no `/`, `\`, control characters, and not `.` or `..`.
 *
 * @since 0.1.0
 */
import * as IcebergError from "./IcebergError.ts"

/**
 * A table's name.
 *
 * @since 0.1.0
 */
export interface TableIdentifier {
  readonly namespace: ReadonlyArray<string>
  readonly name: string
}

const MAX_LEVELS = 16

/**
 * Why a name segment is invalid, or `undefined` when it is fine.
 *
 * @since 0.1.0
 */
export const checkSegment = (segment: string): string | undefined => {
  if (segment.length === 0) return "a name part is empty"
  if (segment.length > 255) return "a name part is longer than 255 characters"
  if (segment === "." || segment === "..") return `"${segment}" is not a name`
  // eslint-disable-next-line no-control-regex
  if (/[/\\\u0000-\u001f\u007f]/.test(segment)) return `"${segment}" contains "/", "\\" or a control character`
  return undefined
}

const invalid = (text: string, detail: string) =>
  IcebergError.make({ reason: "invalid-argument", table: text, detail: `invalid table name: ${detail}` })

/**
 * Checks a namespace (throws `invalid-argument`).
 *
 * @since 0.1.0
 */
export const checkNamespace = (namespace: ReadonlyArray<string>): void => {
  if (namespace.length === 0 || namespace.length > MAX_LEVELS) {
    throw invalid(namespace.join("."), `a namespace has 1 to ${MAX_LEVELS} levels`)
  }
  for (const segment of namespace) {
    const problem = checkSegment(segment)
    if (problem !== undefined) throw invalid(namespace.join("."), problem)
  }
}

/**
 * Builds an identifier, checking every part (throws `invalid-argument`).
 *
 * @since 0.1.0
 */
export const make = (namespace: ReadonlyArray<string>, name: string): TableIdentifier => {
  checkNamespace(namespace)
  const problem = checkSegment(name)
  if (problem !== undefined) throw invalid([...namespace, name].join("."), problem)
  return { namespace: [...namespace], name }
}

/**
 * Parses `namespace.table` (the last part is the table; namespaces may have
 * several levels: `a.b.table`).
 *
 * @since 0.1.0
 */
export const parse = (text: string): TableIdentifier => {
  const parts = text.split(".")
  if (parts.length < 2) throw invalid(text, "write it as namespace.table")
  return make(parts.slice(0, -1), parts[parts.length - 1]!)
}

/**
 * An identifier from a string (`namespace.table`) or an identifier.
 *
 * @since 0.1.0
 */
export const from = (value: string | TableIdentifier): TableIdentifier =>
  typeof value === "string" ? parse(value) : make(value.namespace, value.name)

/**
 * `namespace.table`.
 *
 * @since 0.1.0
 */
export const format = (identifier: TableIdentifier): string => [...identifier.namespace, identifier.name].join(".")
