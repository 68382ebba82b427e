/**
 * The values exchanged by the catalog server, its web UI and the CLI: assets
 * with their status, materializations, runs and events. Every value that
 * crosses HTTP is described by a Schema here, so each side decodes instead of
 * casting. This module depends on `effect` only (no Node built-ins, no
 * `@strata/core`), so a browser bundle can import it.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * JSON metadata: row counts, URIs, schemas, anything JSON.
 *
 * @since 0.1.0
 */
export const Metadata = Schema.Record(Schema.String, Schema.Json)

/**
 * @since 0.1.0
 */
export type Metadata = typeof Metadata.Type

/**
 * What a node of the graph is: computed by Strata, a source it observes, or an
 * external consumer (a dashboard) that it only shows.
 *
 * @since 0.1.0
 */
export const AssetKind = Schema.Literals(["asset", "source", "external"])

/**
 * @since 0.1.0
 */
export type AssetKind = typeof AssetKind.Type

/**
 * The catalog's status of an asset. `fresh`, `stale` and `missing` come from
 * staleness; `failed` when its latest step failed after its latest
 * materialization; `check-failed` when the latest result of one of its
 * blocking checks failed on the data it holds (see `AssetNode.failedChecks`);
 * `running` while a run plans or runs it.
 *
 * @since 0.1.0
 */
export const AssetStatus = Schema.Literals(["fresh", "stale", "missing", "failed", "check-failed", "running"])

/**
 * @since 0.1.0
 */
export type AssetStatus = typeof AssetStatus.Type

/**
 * Why an asset is stale (mirrors `Staleness.StaleReason` of `@strata/core`),
 * with `text`, the reason as a sentence.
 *
 * @since 0.1.0
 */
export const StaleReason = Schema.Struct({
  type: Schema.Literals([
    "never-materialized",
    "never-observed",
    "code-changed",
    "deps-changed",
    "upstream-updated",
    "upstream-stale",
    "upstream-missing"
  ]),
  /** The upstream concerned, for the `upstream-*` reasons. */
  upstream: Schema.optional(Schema.String),
  text: Schema.String
})

/**
 * @since 0.1.0
 */
export type StaleReason = typeof StaleReason.Type

/**
 * An error as recorded in the event log.
 *
 * @since 0.1.0
 */
export const ErrorInfo = Schema.Struct({
  tag: Schema.String,
  message: Schema.String,
  stack: Schema.optional(Schema.UndefinedOr(Schema.String)),
  retryable: Schema.optional(Schema.UndefinedOr(Schema.Boolean))
})

/**
 * @since 0.1.0
 */
export type ErrorInfo = typeof ErrorInfo.Type

/**
 * A blocking check whose latest result failed (mirrors `AssetState.FailedCheck` of `@strata/core`).
 *
 * @since 0.2.0
 */
export const FailedCheck = Schema.Struct({
  check: Schema.String,
  partition: Schema.optional(Schema.String),
  message: Schema.String,
  runId: Schema.String,
  timestamp: Schema.Number
})

/**
 * @since 0.2.0
 */
export type FailedCheck = typeof FailedCheck.Type

/**
 * One node of the asset graph, as listed by `GET /api/assets`: what the graph
 * view needs to draw and filter it.
 *
 * @since 0.1.0
 */
export const AssetNode = Schema.Struct({
  key: Schema.String,
  kind: AssetKind,
  group: Schema.String,
  kinds: Schema.Array(Schema.String),
  tags: Schema.Record(Schema.String, Schema.String),
  owners: Schema.Array(Schema.String),
  description: Schema.optional(Schema.String),
  /** Upstream keys: data dependencies, then `after` dependencies. */
  upstream: Schema.Array(Schema.String),
  status: AssetStatus,
  reasons: Schema.Array(StaleReason),
  /** Its blocking checks whose latest result failed (why it is `check-failed`); absent when none. */
  failedChecks: Schema.optional(Schema.Array(FailedCheck)),
  /** Milliseconds since the epoch of the latest materialization (or observation, for sources). */
  lastMaterializedAt: Schema.optional(Schema.Number),
  lastRunId: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 */
export type AssetNode = typeof AssetNode.Type

/**
 * The loaded project, as the server sees it.
 *
 * @since 0.1.0
 */
export const ProjectInfo = Schema.Struct({
  /** Increases by one at every successful (re)load. */
  generation: Schema.Number,
  loadedAt: Schema.Number,
  assetCount: Schema.Number,
  /** The instance storage, e.g. `sqlite .strata/instance.db` or `memory`. */
  instance: Schema.String,
  /** Set when the last reload failed: the previous project is still served. */
  loadError: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 */
export type ProjectInfo = typeof ProjectInfo.Type

/**
 * The whole graph with statuses.
 *
 * @since 0.1.0
 */
export const AssetList = Schema.Struct({
  project: ProjectInfo,
  /** In topological order: every node after its upstreams. */
  assets: Schema.Array(AssetNode)
})

/**
 * @since 0.1.0
 */
export type AssetList = typeof AssetList.Type

/**
 * How `GET /api/assets/page` sorts: by key, group, status or time of the
 * latest materialization. Without `sort` and with a search `q`, the best
 * matches come first (exact key, key prefix, key contains, other fields).
 *
 * @since 0.2.0
 */
export const AssetSort = Schema.Literals(["key", "group", "status", "lastMaterializedAt"])

/**
 * @since 0.2.0
 */
export type AssetSort = typeof AssetSort.Type

/**
 * One page of the asset catalog (`GET /api/assets/page`): the assets matching
 * the search and filters, sorted, from `offset`.
 *
 * @since 0.2.0
 */
export const AssetPage = Schema.Struct({
  project: ProjectInfo,
  /** How many assets match (all pages). */
  total: Schema.Number,
  offset: Schema.Number,
  assets: Schema.Array(AssetNode),
  /** Matching assets by status, over all pages. */
  counts: Schema.Record(Schema.String, Schema.Number)
})

/**
 * @since 0.2.0
 */
export type AssetPage = typeof AssetPage.Type

/**
 * The shape of the asset graph, without statuses (`GET /api/graph`): what the
 * graph view lays out. It changes only when the project is (re)loaded, so
 * the server serves it with an `ETag` of its generation and answers `304`
 * to a client that has it; statuses come apart (`GET /api/statuses`).
 * `keys`, `kind`, `group` and `kinds` are parallel, one entry per asset in
 * topological order. Lists per asset are flat (a few long arrays rather than
 * one small array per asset, which at 50,000 assets takes a client several
 * times longer to decode): asset `i`'s kinds are `kindLists[kinds[i]]`, its
 * upstream assets `upstream[upstreamStarts[i] .. upstreamStarts[i + 1] - 1]`.
 * {@link upstreamOf} reads them.
 *
 * @since 0.2.0
 */
export const GraphStructure = Schema.Struct({
  generation: Schema.Number,
  keys: Schema.Array(Schema.String),
  kind: Schema.Array(AssetKind),
  group: Schema.Array(Schema.String),
  /** The distinct lists of kinds. */
  kindLists: Schema.Array(Schema.Array(Schema.String)),
  /** Per asset, an index into `kindLists`. */
  kinds: Schema.Array(Schema.Number),
  /** Where each asset's upstream indexes start in `upstream`; one more entry than `keys` (the end). */
  upstreamStarts: Schema.Array(Schema.Number),
  /** Indexes (into `keys`) of every asset's upstream assets, asset after asset. */
  upstream: Schema.Array(Schema.Number)
})

/**
 * @since 0.2.0
 */
export type GraphStructure = typeof GraphStructure.Type

/**
 * The upstream indexes of asset `i` of a {@link GraphStructure}.
 *
 * @since 0.3.0
 */
export const upstreamOf = (structure: GraphStructure, i: number): ReadonlyArray<number> =>
  structure.upstream.slice(structure.upstreamStarts[i], structure.upstreamStarts[i + 1])

/**
 * One group of the graph as the graph page's first screen draws it: a box
 * with its name, its size, its assets by status and how many of them have a
 * failing check (a latest result of severity `error` that did not pass).
 *
 * @since 0.3.0
 */
export const GroupOverview = Schema.Struct({
  name: Schema.String,
  assets: Schema.Number,
  /** Assets by status (statuses with none left out). */
  counts: Schema.Record(Schema.String, Schema.Number),
  failingChecks: Schema.Number
})

/**
 * @since 0.3.0
 */
export type GroupOverview = typeof GroupOverview.Type

/**
 * The graph summed up by group (`GET /api/graph/overview`, a few KB at
 * 50,000 assets): what a big graph's first screen shows (collapsed group
 * boxes, the edges between them, the status totals) without the shape or
 * the statuses of every asset. `hash` is the content hash of the shape of
 * the same `generation` (as in the `ETag` of `GET /api/graph`), so a client
 * matches the two. Groups are in the order their boxes are placed: by the
 * mean depth of their assets, then by name. `edges` holds pairs of group
 * indexes (upstream group, downstream group), each pair with at least one
 * edge between two of their assets once; `edgeCounts[e]` counts the edges
 * of pair `e`.
 *
 * @since 0.3.0
 */
export const GraphOverview = Schema.Struct({
  generation: Schema.Number,
  hash: Schema.String,
  assets: Schema.Number,
  groups: Schema.Array(GroupOverview),
  edges: Schema.Array(Schema.Number),
  edgeCounts: Schema.Array(Schema.Number)
})

/**
 * @since 0.3.0
 */
export type GraphOverview = typeof GraphOverview.Type

/**
 * Statuses of every asset of a {@link GraphStructure} (same order), compact:
 * `GET /api/statuses`.
 *
 * @since 0.2.0
 */
export const StatusSnapshot = Schema.Struct({
  generation: Schema.Number,
  status: Schema.Array(AssetStatus),
  /** Milliseconds since the epoch of the latest materialization or observation; `null` when none. */
  lastMaterializedAt: Schema.Array(Schema.NullOr(Schema.Number))
})

/**
 * @since 0.2.0
 */
export type StatusSnapshot = typeof StatusSnapshot.Type

/**
 * A change of statuses, pushed by `GET /api/statuses/stream` (Server-Sent
 * Events): the first message, and the first after a reload, is `full` (every
 * asset, `index` 0..n-1); later ones carry only the assets whose status or
 * materialization time changed.
 *
 * @since 0.2.0
 */
export const StatusDelta = Schema.Struct({
  generation: Schema.Number,
  full: Schema.Boolean,
  /** Indexes into the {@link GraphStructure} of the same generation. */
  index: Schema.Array(Schema.Number),
  status: Schema.Array(AssetStatus),
  lastMaterializedAt: Schema.Array(Schema.NullOr(Schema.Number))
})

/**
 * @since 0.2.0
 */
export type StatusDelta = typeof StatusDelta.Type

/**
 * A materialization of an asset.
 *
 * @since 0.1.0
 */
export const Materialization = Schema.Struct({
  eventId: Schema.Number,
  runId: Schema.String,
  assetKey: Schema.String,
  partition: Schema.optional(Schema.String),
  timestamp: Schema.Number,
  metadata: Metadata,
  dataVersion: Schema.String,
  codeVersion: Schema.String,
  inputVersions: Schema.Record(Schema.String, Schema.String)
})

/**
 * @since 0.1.0
 */
export type Materialization = typeof Materialization.Type

/**
 * An observation of a source asset.
 *
 * @since 0.1.0
 */
export const Observation = Schema.Struct({
  eventId: Schema.Number,
  runId: Schema.String,
  assetKey: Schema.String,
  partition: Schema.optional(Schema.String),
  timestamp: Schema.Number,
  metadata: Metadata,
  dataVersion: Schema.String
})

/**
 * @since 0.1.0
 */
export type Observation = typeof Observation.Type

/**
 * The latest failure of an asset's step, newer than its latest materialization.
 *
 * @since 0.1.0
 */
export const Failure = Schema.Struct({
  eventId: Schema.Number,
  runId: Schema.String,
  timestamp: Schema.Number,
  error: ErrorInfo
})

/**
 * @since 0.1.0
 */
export type Failure = typeof Failure.Type

/**
 * The code defining an asset: the lines around its `Asset.make` call.
 *
 * @since 0.1.0
 */
export const SourceCode = Schema.Struct({
  file: Schema.String,
  /** The 1-based line of the definition. */
  line: Schema.Number,
  column: Schema.Number,
  /** The 1-based line of the first line of `text`. */
  startLine: Schema.Number,
  text: Schema.String
})

/**
 * @since 0.1.0
 */
export type SourceCode = typeof SourceCode.Type

/**
 * A neighbour in the graph.
 *
 * @since 0.1.0
 */
export const AssetRef = Schema.Struct({
  key: Schema.String,
  kind: AssetKind,
  status: AssetStatus
})

/**
 * @since 0.1.0
 */
export type AssetRef = typeof AssetRef.Type

/**
 * Everything the asset page shows.
 *
 * @since 0.1.0
 */
export const AssetDetail = Schema.Struct({
  node: AssetNode,
  codeVersion: Schema.optional(Schema.String),
  /** The code version the current code would record (given, or a hash of the compute function). */
  currentCodeVersion: Schema.optional(Schema.String),
  /** The I/O manager's service key. */
  io: Schema.String,
  /** The name of the implementation the project's layer provides for that key (`filesystem`, `parquet`, `postgres`…). */
  ioName: Schema.optional(Schema.String),
  /** Static metadata from the definition. */
  metadata: Metadata,
  retry: Schema.optional(Schema.Struct({ maxRetries: Schema.Number, delayMs: Schema.Number, backoff: Schema.String })),
  location: Schema.optional(Schema.Struct({ file: Schema.String, line: Schema.Number, column: Schema.Number })),
  /** The definition's source; absent when the file cannot be read. */
  source: Schema.optional(SourceCode),
  /** Why the source is absent. */
  sourceError: Schema.optional(Schema.String),
  latest: Schema.optional(Materialization),
  observation: Schema.optional(Observation),
  failure: Schema.optional(Failure),
  /** Materialized partitions: how many, and the newest 50. Absent for assets never materialized by partition. */
  partitions: Schema.optional(Schema.Struct({
    count: Schema.Number,
    latest: Schema.Array(Schema.Struct({
      partition: Schema.String,
      timestamp: Schema.Number,
      runId: Schema.String,
      dataVersion: Schema.String
    }))
  })),
  /** The assets this one reads, in graph order: the first `refs` of them (100 unless the request asks for more). */
  upstream: Schema.Array(AssetRef),
  /** How many assets this one reads (`upstream` may hold fewer). */
  upstreamCount: Schema.Number,
  /** The assets that read this one: the first `refs`. */
  downstream: Schema.Array(AssetRef),
  /** How many assets read this one. */
  downstreamCount: Schema.Number,
  /** The assets downstream of this one, transitively (what breaks if it fails): the first `refs`. */
  affected: Schema.Array(AssetRef),
  /** How many assets are downstream, transitively. */
  affectedCount: Schema.Number
})

/**
 * @since 0.1.0
 */
export type AssetDetail = typeof AssetDetail.Type

/**
 * Materializations of an asset, newest first.
 *
 * @since 0.1.0
 */
export const AssetHistory = Schema.Struct({
  key: Schema.String,
  materializations: Schema.Array(Materialization)
})

/**
 * @since 0.1.0
 */
export type AssetHistory = typeof AssetHistory.Type

/**
 * A selection resolved against the project.
 *
 * @since 0.1.0
 */
export const SelectionResult = Schema.Struct({
  selection: Schema.String,
  keys: Schema.Array(Schema.String)
})

/**
 * @since 0.1.0
 */
export type SelectionResult = typeof SelectionResult.Type

/**
 * Run statuses.
 *
 * @since 0.1.0
 */
export const RunStatus = Schema.Literals(["queued", "started", "succeeded", "failed", "canceled"])

/**
 * @since 0.1.0
 */
export type RunStatus = typeof RunStatus.Type

/** What a {@link Run} and a {@link RunSummary} both carry, after their selection and keys. */
const runFields = {
  partition: Schema.optional(Schema.String),
  staleOnly: Schema.Boolean,
  parentRunId: Schema.optional(Schema.String),
  tags: Schema.Record(Schema.String, Schema.String),
  createdAt: Schema.Number,
  status: RunStatus,
  startedAt: Schema.optional(Schema.Number),
  endedAt: Schema.optional(Schema.Number),
  reason: Schema.optional(Schema.String),
  /**
   * `true` while the run is `queued` or `started`: this server cancels it,
   * by interrupting it when it runs it itself, otherwise by recording a
   * cancel request that the process executing it acts on.
   */
  cancelable: Schema.Boolean,
  /** When a cancel request was recorded (ms since epoch); the run ends `canceled` once its process sees it. */
  cancelRequestedAt: Schema.optional(Schema.Number),
  /** Who asked for the cancel (`canceled from the catalog (pid 4242 on host-a)`). */
  cancelReason: Schema.optional(Schema.String)
}

/**
 * A run.
 *
 * @since 0.1.0
 */
export const Run = Schema.Struct({
  runId: Schema.String,
  selection: Schema.String,
  assetKeys: Schema.Array(Schema.String),
  ...runFields
})

/**
 * @since 0.1.0
 */
export type Run = typeof Run.Type

/**
 * A run as the runs list carries it: a {@link Run} without its asset keys (a
 * run of a big selection has tens of thousands; `GET /api/runs/:runId` has
 * them), with their count, and with its selection text cut at 200 characters
 * (a hand-picked selection is the comma-joined key list).
 *
 * @since 0.1.0
 */
export const RunSummary = Schema.Struct({
  runId: Schema.String,
  /** The selection text, cut at 200 characters when longer. */
  selection: Schema.String,
  /** The whole selection's length in characters: more than `selection` has when it was cut. */
  selectionLength: Schema.Number,
  /** How many assets the run's plan has (its steps' keys, `assetKeys.length` of the {@link Run}). */
  assetCount: Schema.Number,
  ...runFields
})

/**
 * @since 0.1.0
 */
export type RunSummary = typeof RunSummary.Type

/**
 * A page of runs, newest first, as summaries: the run page (`GET
 * /api/runs/:runId`) has a run's asset keys.
 *
 * @since 0.1.0
 */
export const RunList = Schema.Struct({
  runs: Schema.Array(RunSummary),
  /** Pass as `before` for the next page; absent on the last page. */
  next: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 */
export type RunList = typeof RunList.Type

const base = { id: Schema.Number, runId: Schema.String, timestamp: Schema.Number }
const step = { ...base, assetKey: Schema.String, partition: Schema.optional(Schema.UndefinedOr(Schema.String)) }

/**
 * An event of the instance's log, with its id (a cursor).
 *
 * @since 0.1.0
 */
export const Event = Schema.Union([
  Schema.Struct({ type: Schema.Literal("run-started"), ...base }),
  Schema.Struct({ type: Schema.Literal("run-succeeded"), ...base }),
  Schema.Struct({ type: Schema.Literal("run-failed"), ...base, reason: Schema.String }),
  Schema.Struct({ type: Schema.Literal("run-canceled"), ...base, reason: Schema.String }),
  Schema.Struct({
    type: Schema.Literal("step-started"),
    ...step,
    attempt: Schema.Number,
    // the worker process that ran the step (steps on a queue of workers)
    worker: Schema.optional(Schema.UndefinedOr(Schema.Struct({ id: Schema.String, host: Schema.String, pid: Schema.Number })))
  }),
  Schema.Struct({ type: Schema.Literal("step-succeeded"), ...step, attempt: Schema.Number, durationMs: Schema.Number }),
  Schema.Struct({
    type: Schema.Literal("step-failed"),
    ...step,
    attempt: Schema.Number,
    durationMs: Schema.Number,
    error: ErrorInfo,
    willRetry: Schema.Boolean
  }),
  Schema.Struct({
    type: Schema.Literal("step-skipped"),
    ...step,
    kind: Schema.Literals(["upstream-failed", "not-stale", "canceled"]),
    reason: Schema.String
  }),
  Schema.Struct({
    type: Schema.Literal("asset-materialized"),
    ...step,
    metadata: Metadata,
    dataVersion: Schema.String,
    codeVersion: Schema.String,
    inputVersions: Schema.Record(Schema.String, Schema.String)
  }),
  Schema.Struct({ type: Schema.Literal("asset-observed"), ...step, metadata: Metadata, dataVersion: Schema.String }),
  Schema.Struct({
    type: Schema.Literal("check-evaluated"),
    ...step,
    check: Schema.String,
    passed: Schema.Boolean,
    severity: Schema.Literals(["warn", "error"]),
    message: Schema.optional(Schema.UndefinedOr(Schema.String)),
    metadata: Metadata,
    dataVersion: Schema.optional(Schema.UndefinedOr(Schema.String)),
    error: Schema.optional(Schema.UndefinedOr(ErrorInfo))
  }),
  Schema.Struct({
    type: Schema.Literal("log"),
    ...base,
    assetKey: Schema.optional(Schema.UndefinedOr(Schema.String)),
    partition: Schema.optional(Schema.UndefinedOr(Schema.String)),
    level: Schema.Literals(["trace", "debug", "info", "warn", "error", "fatal"]),
    message: Schema.String
  })
])

/**
 * @since 0.1.0
 */
export type Event = typeof Event.Type

/**
 * One run with its events so far.
 *
 * @since 0.1.0
 */
export const RunDetail = Schema.Struct({
  run: Run,
  events: Schema.Array(Event)
})

/**
 * @since 0.1.0
 */
export type RunDetail = typeof RunDetail.Type

/**
 * Body of `POST /api/runs`.
 *
 * @since 0.1.0
 */
export const LaunchRequest = Schema.Struct({
  /** The selection syntax: `gold_user_metrics`, `+gold_user_metrics`, `group:silver, a`. */
  selection: Schema.String,
  /** Only materialize stale or missing assets. */
  staleOnly: Schema.optional(Schema.Boolean),
  /**
   * The partition to materialize. An invalid key (empty, `.`, `..`, control
   * characters, more than 128 characters...) is refused with `InvalidRequest` (400).
   */
  partition: Schema.optional(Schema.String),
  tags: Schema.optional(Schema.Record(Schema.String, Schema.String))
})

/**
 * @since 0.1.0
 */
export type LaunchRequest = typeof LaunchRequest.Type

/**
 * Body of `POST /api/runs/:runId/reexecute`.
 *
 * @since 0.1.0
 */
export const ReexecuteRequest = Schema.Struct({
  /** `failure` (default): only steps that did not succeed; `all`: the whole run again. */
  from: Schema.optional(Schema.Literals(["failure", "all"]))
})

/**
 * @since 0.1.0
 */
export type ReexecuteRequest = typeof ReexecuteRequest.Type

/**
 * A run just launched: it goes on in the server.
 *
 * @since 0.1.0
 */
export const Launched = Schema.Struct({
  runId: Schema.String,
  assetKeys: Schema.Array(Schema.String)
})

/**
 * @since 0.1.0
 */
export type Launched = typeof Launched.Type

/**
 * The result of a cancel request (HTTP 200): canceled here, or requested
 * from the process executing the run (`requested: true`).
 *
 * @since 0.1.0
 */
export const Canceled = Schema.Struct({
  runId: Schema.String,
  /** `canceled` when this server ran it; still `started` (or `queued`) when another process does. */
  status: RunStatus,
  /**
   * `true` when another process executes the run: the request is recorded
   * and that process cancels the run within about a second (follow the run's
   * events to see it end). `false` when this server canceled it directly.
   */
  requested: Schema.Boolean,
  /** The run after the request. */
  run: Run
})

/**
 * @since 0.1.0
 */
export type Canceled = typeof Canceled.Type

/**
 * `true` for run statuses that never change again.
 *
 * @since 0.1.0
 */
export const isTerminal = (status: RunStatus): boolean =>
  status === "succeeded" || status === "failed" || status === "canceled"

/**
 * One operand's or condition's outcome in an automation evaluation.
 *
 * @since 0.1.0
 */
export interface ConditionResult {
  readonly label: string
  readonly value: boolean
  readonly matched?: ReadonlyArray<string> | undefined
  readonly unmatched?: ReadonlyArray<string> | undefined
  readonly children?: ReadonlyArray<ConditionResult> | undefined
  /** A partitioned asset: how many of its partitions the operand holds for, of how many, and which (at most 20 ranges). */
  readonly partitions?: { readonly count: number; readonly total: number; readonly text: string } | undefined
}

/** @since 0.1.0 */
export const ConditionResult: Schema.Codec<ConditionResult> = Schema.Struct({
  label: Schema.String,
  value: Schema.Boolean,
  matched: Schema.optional(Schema.Array(Schema.String)),
  unmatched: Schema.optional(Schema.Array(Schema.String)),
  children: Schema.optional(Schema.Array(Schema.suspend((): Schema.Codec<ConditionResult> => ConditionResult))),
  partitions: Schema.optional(Schema.Struct({ count: Schema.Number, total: Schema.Number, text: Schema.String }))
})

/**
 * A daemon tick: what produced it, what it did, the runs it launched.
 *
 * @since 0.1.0
 */
export const AutomationTick = Schema.Struct({
  tickId: Schema.String,
  origin: Schema.Literals(["conditions", "schedule", "sensor"]),
  name: Schema.String,
  at: Schema.Number,
  scheduledAt: Schema.optional(Schema.Number),
  status: Schema.Literals(["requested", "launched", "skipped", "failed"]),
  reason: Schema.optional(Schema.String),
  runs: Schema.Array(Schema.Struct({
    runId: Schema.String,
    selection: Schema.String,
    assetKeys: Schema.Array(Schema.String),
    tags: Schema.Record(Schema.String, Schema.String),
    runKey: Schema.optional(Schema.String),
    partition: Schema.optional(Schema.String)
  })),
  evaluated: Schema.Number,
  requested: Schema.Number
})

/** @since 0.1.0 */
export const AutomationTicks = Schema.Struct({ ticks: Schema.Array(AutomationTick) })

/**
 * An asset's recent evaluations: requested or not, and why (the Automation tab).
 *
 * @since 0.1.0
 */
export const AssetAutomation = Schema.Struct({
  key: Schema.String,
  hasCondition: Schema.Boolean,
  enabled: Schema.Boolean,
  evaluations: Schema.Array(Schema.Struct({
    tickId: Schema.String,
    at: Schema.Number,
    requested: Schema.Boolean,
    result: ConditionResult
  }))
})

/**
 * What automation acts on (conditions, assets, schedules with their next ticks, sensors), on or off,
 * and which daemon holds the lease.
 *
 * @since 0.1.0
 */
export const AutomationOverview = Schema.Struct({
  targets: Schema.Array(Schema.Struct({ target: Schema.String, enabled: Schema.Boolean })),
  schedules: Schema.Array(Schema.Struct({
    name: Schema.String,
    cron: Schema.String,
    timezone: Schema.String,
    selection: Schema.String,
    nextTicks: Schema.Array(Schema.Number)
  })),
  daemon: Schema.optional(Schema.Struct({ holder: Schema.String, expiresAt: Schema.Number })),
  /** Sensors (`sensor`, with its minimum interval) and run-status sensors (`run-status`, with the statuses they react to). */
  sensors: Schema.optional(Schema.Array(Schema.Struct({
    name: Schema.String,
    kind: Schema.Literals(["sensor", "run-status"]),
    minimumIntervalMs: Schema.optional(Schema.Number),
    statuses: Schema.optional(Schema.Array(Schema.String))
  }))),
  /** The assets with a declarative condition: the condition's label (`eager`, `on cron 0 6 * * *`, `any of`). */
  conditions: Schema.optional(Schema.Array(Schema.Struct({ key: Schema.String, label: Schema.String }))),
  /** Concurrency pools: the limit and the steps holding a slot now (run, step, partition, lease expiry). */
  pools: Schema.optional(Schema.Array(Schema.Struct({
    pool: Schema.String,
    limit: Schema.Number,
    holders: Schema.Array(Schema.Struct({
      slot: Schema.Number,
      runId: Schema.String,
      step: Schema.String,
      partition: Schema.optional(Schema.String),
      expiresAt: Schema.Number
    }))
  })))
})

/** @since 0.1.0 */
export type AutomationTick = typeof AutomationTick.Type
/** @since 0.1.0 */
export type AutomationTicks = typeof AutomationTicks.Type
/** @since 0.1.0 */
export type AssetAutomation = typeof AssetAutomation.Type
/** @since 0.1.0 */
export type AutomationOverview = typeof AutomationOverview.Type
