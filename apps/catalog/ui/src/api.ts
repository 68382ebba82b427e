/**
 * The UI's client: `fetch` on the protocol's paths, every body decoded with
 * the protocol's Schemas (never cast), errors turned into `ApiFailure` with
 * the server's message.
 */
import { CheckModels, Errors, Models, paths } from "@strata/protocol"
import type { AssetPageQuery } from "@strata/protocol"
import { Schema } from "effect"
import * as BigAnswers from "./bigAnswers.ts"
import { fetchFirst } from "./prefetch.ts"

export class ApiFailure extends Error {
  readonly status: number
  readonly body: Errors.ApiError | undefined
  constructor(status: number, message: string, body: Errors.ApiError | undefined) {
    super(message)
    this.status = status
    this.body = body
  }
}

const decodeError = Schema.decodeUnknownOption(Errors.ApiError)

export const request = async <S extends Schema.Top>(
  schema: S,
  path: string,
  init?: { readonly method?: string; readonly body?: unknown }
): Promise<S["Type"]> => {
  const options: RequestInit = {
    method: init?.method ?? "GET",
    ...(init?.body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(init.body) })
  }
  // a GET the page's HTML may have started already (the graph page's first answers)
  const response = await (init === undefined ? fetchFirst(path, options) : fetch(path, options))
  const text = await response.text()
  const json: unknown = text === "" ? undefined : JSON.parse(text)
  if (!response.ok) {
    const error = decodeError(json)
    const message = error._tag === "Some" ? error.value.message : `${response.status} ${response.statusText}`
    throw new ApiFailure(response.status, message, error._tag === "Some" ? error.value : undefined)
  }
  return Schema.decodeUnknownSync(schema as unknown as Schema.Decoder<S["Type"]>)(json)
}

export const api = {
  assets: (selection?: string) => request(Models.AssetList, paths.assets(selection)),
  statuses: () => request(BigAnswers.StatusSnapshot, paths.statuses),
  overview: () => request(Models.GraphOverview, paths.graphOverview),
  project: () => request(Models.ProjectInfo, paths.project),
  assetPage: (query: AssetPageQuery) => request(Models.AssetPage, paths.assetPage(query)),
  /** `refs`: how many of the upstream, downstream and affected assets to list (100 unless given). */
  asset: (key: string, refs?: number) => request(Models.AssetDetail, paths.asset(key, refs)),
  history: (key: string) => request(Models.AssetHistory, paths.history(key, 200)),
  select: (selection: string) => request(Models.SelectionResult, paths.selection(selection)),
  checks: (key: string) => request(CheckModels.AssetChecks, paths.checks(key)),
  runs: (options?: Parameters<typeof paths.runs>[0]) => request(Models.RunList, paths.runs(options)),
  run: (runId: string) => request(Models.RunDetail, paths.run(runId)),
  launch: (selection: string, staleOnly = false) =>
    request(Models.Launched, paths.launch, { method: "POST", body: { selection, staleOnly } }),
  cancel: (runId: string) => request(Models.Canceled, paths.cancel(runId), { method: "POST" }),
  reexecute: (runId: string, from: "failure" | "all") =>
    request(Models.Launched, paths.reexecute(runId), { method: "POST", body: { from } }),
  reload: () => request(Models.ProjectInfo, paths.reload, { method: "POST" })
}

const decodeEvent = Schema.decodeUnknownSync(Models.Event)

/** Follows a run's events over SSE; returns a function that stops following. */
export const followRun = (
  runId: string,
  after: number | undefined,
  onEvent: (event: Models.Event) => void,
  onEnd: () => void
): (() => void) => {
  const source = new EventSource(paths.runEvents(runId, after))
  source.onmessage = (message) => onEvent(decodeEvent(JSON.parse(message.data)))
  // the server closes the stream when the run is over; EventSource would reconnect, so stop here
  source.onerror = () => {
    source.close()
    onEnd()
  }
  return () => source.close()
}

export type { CheckModels, Models }
