/**
 * Several writes sent as one statement (one round trip): each part becomes a
 * data-modifying CTE of a `with` query, its `$n` parameters renumbered after
 * the parts before it. The parts run on one snapshot and must not write the
 * same rows nor read each other's writes (each writes its own table).
 */

/** One statement's text and parameters. */
export interface Part {
  readonly sql: string
  readonly params: ReadonlyArray<unknown>
}

const renumber = (sql: string, offset: number): string =>
  offset === 0 ? sql : sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)

/**
 * The parts as one statement; its result is the rows of `final` (a `select`,
 * which may read nothing of the parts), or one row `{ done: 1 }`.
 */
export const combine = (parts: ReadonlyArray<Part>, final?: Part): Part => {
  const params: Array<unknown> = []
  const ctes: Array<string> = []
  for (const part of parts) {
    ctes.push(`w${ctes.length} as (${renumber(part.sql, params.length)})`)
    params.push(...part.params)
  }
  const last = final === undefined ? "select 1 as done" : renumber(final.sql, params.length)
  if (final !== undefined) params.push(...final.params)
  if (ctes.length === 0) return { sql: last, params }
  return { sql: `with ${ctes.join(",\n")}\n${last}`, params }
}
