/**
 * The errors of the catalog API. Each is a JSON body
 * `{ "_tag": "...", "message": "...", ...fields }` with its HTTP status, so a
 * client (the UI, the CLI, `curl`) can show the message as is and act on the
 * fields.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A selection that cannot be parsed (`position` is the 0-based offset of the
 * problem) or that names something the project lacks. HTTP 400.
 *
 * @since 0.1.0
 */
export class BadSelection extends Schema.TaggedError<BadSelection>()("@strata/protocol/BadSelection", {
  selection: Schema.String,
  /** 0-based offset of a parse error; absent when the selection parsed but names nothing. */
  position: Schema.optional(Schema.Number),
  /** The term that names nothing, for resolve errors. */
  term: Schema.optional(Schema.String),
  problem: Schema.String,
  suggestions: Schema.Array(Schema.String),
  message: Schema.String
}, { httpApiStatus: 400 }) {}

/**
 * No asset has this key. HTTP 404.
 *
 * @since 0.1.0
 */
export class AssetNotFound extends Schema.TaggedError<AssetNotFound>()("@strata/protocol/AssetNotFound", {
  key: Schema.String,
  suggestions: Schema.Array(Schema.String),
  message: Schema.String
}, { httpApiStatus: 404 }) {}

/**
 * No run has this id. HTTP 404.
 *
 * @since 0.1.0
 */
export class RunNotFound extends Schema.TaggedError<RunNotFound>()("@strata/protocol/RunNotFound", {
  runId: Schema.String,
  message: Schema.String
}, { httpApiStatus: 404 }) {}

/**
 * The run is not in a state that allows the request: canceling a finished
 * run, re-executing a running one. HTTP 409.
 *
 * @since 0.1.0
 */
export class RunConflict extends Schema.TaggedError<RunConflict>()("@strata/protocol/RunConflict", {
  runId: Schema.String,
  message: Schema.String
}, { httpApiStatus: 409 }) {}

/**
 * A request whose parameters or body do not match the API (a wrong type, a
 * missing field). HTTP 400.
 *
 * @since 0.1.0
 */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("@strata/protocol/InvalidRequest", {
  /** Which part was wrong: `Query`, `Params`, `Payload`, `Headers`. */
  part: Schema.String,
  message: Schema.String
}, { httpApiStatus: 400 }) {}

/**
 * Loading the project failed (a syntax error in `strata.config.ts`, an
 * invalid graph). The previous project, if any, is still served. HTTP 422.
 *
 * @since 0.1.0
 */
export class ProjectLoadError extends Schema.TaggedError<ProjectLoadError>()("@strata/protocol/ProjectLoadError", {
  message: Schema.String
}, { httpApiStatus: 422 }) {}

/**
 * The instance storage failed (a locked or corrupt database). HTTP 503.
 *
 * @since 0.1.0
 */
export class StorageError extends Schema.TaggedError<StorageError>()("@strata/protocol/StorageError", {
  operation: Schema.String,
  message: Schema.String
}, { httpApiStatus: 503 }) {}

/**
 * No backfill has this id.
 *
 * @since 0.2.0
 */
export class BackfillNotFound extends Schema.TaggedError<BackfillNotFound>()("@strata/protocol/BackfillNotFound", {
  backfillId: Schema.String,
  message: Schema.String
}, { httpApiStatus: 404 }) {}

/**
 * A backfill cannot do this now: resume one that is running, cancel one that ended.
 *
 * @since 0.2.0
 */
export class BackfillConflict extends Schema.TaggedError<BackfillConflict>()("@strata/protocol/BackfillConflict", {
  backfillId: Schema.String,
  message: Schema.String
}, { httpApiStatus: 409 }) {}

/**
 * Schema of any API error body, for clients decoding a non-2xx response.
 *
 * @since 0.1.0
 */
export const ApiError = Schema.Union([
  BadSelection,
  AssetNotFound,
  RunNotFound,
  RunConflict,
  InvalidRequest,
  ProjectLoadError,
  StorageError,
  BackfillNotFound,
  BackfillConflict
])

/**
 * @since 0.1.0
 */
export type ApiError = typeof ApiError.Type
