/**
 * The runtime's and core's values and errors as the protocol's: the
 * conversions every engine module shares.
 */
import type { Instance, Partitions, Selection } from "@strata/core"
import { Staleness } from "@strata/core"
import { Errors } from "@strata/protocol"
import type { Models } from "@strata/protocol"
import type { ProjectHost } from "@strata/runtime"

export const storageError = (error: Instance.InstanceError): Errors.StorageError =>
  new Errors.StorageError({ operation: error.operation, message: error.message })

export const badSelection = (
  error: Selection.SelectionParseError | Selection.SelectionResolveError | Partitions.InvalidPartitionKey
): Errors.BadSelection =>
  error._tag === "@strata/core/InvalidPartitionKey"
    ? new Errors.BadSelection({ selection: error.key, problem: error.reason, suggestions: [], message: error.message })
    : error._tag === "@strata/core/SelectionParseError"
    ? new Errors.BadSelection({
      selection: error.selection,
      position: error.position,
      problem: error.problem,
      suggestions: [],
      message: error.message
    })
    : new Errors.BadSelection({
      selection: error.selection,
      term: error.term,
      problem: error.problem,
      suggestions: error.suggestions,
      message: error.message
    })

export const reason = (r: Staleness.StaleReason): Models.StaleReason =>
  "upstream" in r ? { type: r.type, upstream: r.upstream, text: Staleness.describe(r) } : { type: r.type, text: Staleness.describe(r) }

/** Drops `undefined` fields (deeply in plain objects), so that JSON bodies omit them instead of carrying nulls. */
export const stripUndefined = <A extends object>(value: A): A => {
  const result: Record<string, unknown> = {}
  for (const key in value) {
    const field: unknown = value[key]
    if (field === undefined) continue
    result[key] = typeof field === "object" && field !== null && Object.getPrototypeOf(field) === Object.prototype
      ? stripUndefined(field)
      : field
  }
  return result as A
}

export const loadError = (error: ProjectHost.ProjectLoadError): Errors.ProjectLoadError =>
  new Errors.ProjectLoadError({ message: error.message })

/** The project a generation loaded, with the host's latest load error. */
export const projectInfo = (host: ProjectHost.ProjectHost, g: ProjectHost.Generation): Models.ProjectInfo =>
  stripUndefined({
    generation: g.number,
    loadedAt: g.loadedAt,
    assetCount: g.project.graph.nodes.length,
    instance: g.instance.describe,
    loadError: host.loadError
  })
