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

/** A listed run, as far as the filters other than `asset` read it. */
type Listed = Pick<Instance.RunSummary, "runId" | "createdAt" | "tags">

/** Whether `run` passes the time range and tag filters (not `asset`: see {@link matchesWithAsset}). */
export const matches = (filter: RunFilter, run: Listed): boolean => {
  if (filter.from !== undefined && run.createdAt < filter.from) return false
  if (filter.to !== undefined && run.createdAt >= filter.to) return false
  if (filter.tag !== undefined) {
    const at = filter.tag.indexOf("=")
    const name = at === -1 ? filter.tag : filter.tag.slice(0, at)
    const value = run.tags[name]
    if (value === undefined || (at !== -1 && value !== filter.tag.slice(at + 1))) return false
  }
  return true
}

/** Whether `run` passes every filter, the asset of its plan included: this needs the run's keys. */
export const matchesWithAsset = (filter: RunFilter, run: Instance.RunRecord): boolean =>
  matches(filter, run) && (filter.asset === undefined || run.assetKeys.includes(filter.asset))

/**
 * Up to `limit` runs that `keep` accepts, newest first, and the cursor to
 * continue from (the last run read) when the history goes on. `list` reads
 * whole runs or summaries: only a filter by asset needs the runs' keys.
 */
export const filtered = <R extends Listed, E>(
  list: (query: Instance.RunQuery) => Effect.Effect<ReadonlyArray<R>, E>,
  query: { readonly status?: ReadonlyArray<Instance.RunStatus> | undefined; readonly before?: string | undefined; readonly limit: number },
  filter: RunFilter,
  keep: (run: R) => boolean
): Effect.Effect<{ readonly runs: ReadonlyArray<R>; readonly next: string | undefined }, E> =>
  Effect.gen(function*() {
    const found: Array<R> = []
    let before = query.before
    let scanned = 0
    for (;;) {
      const page = yield* list({ status: query.status, limit: batch, before })
      for (const run of page) {
        scanned++
        before = run.runId
        if (keep(run)) {
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
