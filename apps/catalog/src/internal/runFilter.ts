/**
 * Filters of the runs list that the instance's `listRuns` does not take (an
 * asset in the plan, a tag, a creation time range): the catalog reads runs
 * newest first in batches and keeps the matching ones, reading at most
 * `maxScanned` runs per page so that a filter matching nothing in a long
 * history still answers quickly; `next` then continues where it stopped.
 */
import type { Instance } from "@strata/core"
import { Effect } from "effect"

export interface RunFilter {
  readonly asset?: string | undefined
  readonly tag?: string | undefined
  readonly from?: number | undefined
  readonly to?: number | undefined
}

/** Runs read per page at most while filtering. */
export const maxScanned = 5_000
const batch = 500

export const isEmpty = (filter: RunFilter) =>
  filter.asset === undefined && filter.tag === undefined && filter.from === undefined && filter.to === undefined

export const matches = (filter: RunFilter, run: Instance.RunRecord): boolean => {
  if (filter.from !== undefined && run.createdAt < filter.from) return false
  if (filter.to !== undefined && run.createdAt >= filter.to) return false
  if (filter.asset !== undefined && !run.assetKeys.includes(filter.asset)) return false
  if (filter.tag !== undefined) {
    const at = filter.tag.indexOf("=")
    const name = at === -1 ? filter.tag : filter.tag.slice(0, at)
    const value = run.tags[name]
    if (value === undefined || (at !== -1 && value !== filter.tag.slice(at + 1))) return false
  }
  return true
}

/**
 * Up to `limit` matching runs, newest first, and the cursor to continue from
 * (the last run read) when the history goes on.
 */
export const filtered = <E>(
  list: (query: Instance.RunQuery) => Effect.Effect<ReadonlyArray<Instance.RunRecord>, E>,
  query: { readonly status?: ReadonlyArray<Instance.RunStatus> | undefined; readonly before?: string | undefined; readonly limit: number },
  filter: RunFilter
): Effect.Effect<{ readonly runs: ReadonlyArray<Instance.RunRecord>; readonly next: string | undefined }, E> =>
  Effect.gen(function*() {
    const found: Array<Instance.RunRecord> = []
    let before = query.before
    let scanned = 0
    for (;;) {
      const page = yield* list({ status: query.status, limit: batch, before })
      for (const run of page) {
        scanned++
        before = run.runId
        if (matches(filter, run)) {
          found.push(run)
          if (found.length === query.limit) return { runs: found, next: run.runId }
        }
        // newest first: past the start of the range nothing older can match
        if (filter.from !== undefined && run.createdAt < filter.from) return { runs: found, next: undefined }
      }
      if (page.length < batch) return { runs: found, next: undefined }
      if (scanned >= maxScanned) return { runs: found, next: before }
    }
  })
