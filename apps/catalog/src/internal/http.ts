/**
 * The HTTP side: handlers of the protocol's `CatalogApi` over the engine,
 * JSON bodies for malformed requests, the built UI's static files, and the
 * bounds on what a request may be: its `Host` (DNS rebinding), its headers
 * and URL, and its body.
 */
import { existsSync } from "node:fs"
import { createServer } from "node:http"
import type { Server } from "node:http"
import { CatalogApi, Errors } from "@strata/protocol"
import { ByteSize, Cause, Effect, Layer } from "effect"
import {
  HttpIncomingMessage,
  HttpRouter,
  HttpServer,
  HttpServerError,
  HttpServerRequest,
  HttpServerResponse,
  HttpStaticServer
} from "effect/http"
import { HttpApiBuilder, HttpApiError } from "effect/http-api"
import * as AssetList from "./assetList.ts"
import * as Automation from "./automation.ts"
import * as Backfills from "./backfills.ts"
import type { Engine } from "./engine.ts"
import * as HostCheck from "./hostCheck.ts"
import * as PageCache from "./pageCache.ts"
import * as PartitionStaleness from "./partitionStaleness.ts"
import * as Partitions from "./partitions.ts"

/**
 * Request size limits. Every body the API takes is a small JSON object; the
 * largest is a launch with its selection, which core caps at 100,000
 * characters (`Selection.limits.maxLength`, up to ~400 KB in UTF-8).
 */
export const requestLimits = {
  /** Bytes of a request body; beyond it the request gets a 413 with a JSON body. */
  maxBodyBytes: 1024 * 1024,
  /**
   * Bytes of the request line and headers together, so of a URL with its
   * query (Node's default, written out so that it is documented and tested):
   * beyond it Node answers 431, with a body saying so.
   */
  maxHeaderBytes: 16 * 1024
} as const

const partitionHandlers = (engine: Engine) => {
  const memo = PartitionStaleness.makeMemo()
  const runner = Backfills.makeRunner(engine.host, engine.scope, memo)
  const on = <A, E>(f: (generation: Effect.Success<Engine["generation"]>) => Effect.Effect<A, E>) => Effect.flatMap(engine.generation, f)
  return HttpApiBuilder.group(CatalogApi, "partitions", (handlers) =>
    handlers
      .handle("asset", ({ query }) => on((g) => Partitions.asset(g, memo, query.key, query.buckets)))
      .handle("ranges", ({ query }) => on((g) => Partitions.ranges(g, memo, query)))
      .handle("backfills", ({ query }) => on((g) => Backfills.list(g, runner, query.limit)))
      .handle("backfill", ({ params, query }) => on((g) => Backfills.detail(g, runner, params.backfillId, query)))
      .handle("launchBackfill", ({ payload }) => on((g) => Backfills.launch(g, runner, payload)))
      .handle("cancelBackfill", ({ params }) => on((g) => Backfills.cancel(g, runner, params.backfillId)))
      .handle("resumeBackfill", ({ params }) => on((g) => Backfills.resume(g, runner, params.backfillId))))
}

const handlersLayer = (engine: Engine, pages = PageCache.make()) =>
  Layer.mergeAll(
    partitionHandlers(engine),
    HttpApiBuilder.group(CatalogApi, "assets", (handlers) =>
      handlers
        .handle("list", ({ query }) => AssetList.answer(engine, query.selection))
        .handle("page", ({ query }) => PageCache.answer(pages, engine, query))
        .handle("overview", () =>
          Effect.map(engine.overviewBody(), (body) => HttpServerResponse.uint8Array(body, { contentType: "application/json" })))
        .handle("statuses", () =>
          Effect.map(engine.statusBody(), (body) => HttpServerResponse.uint8Array(body, { contentType: "application/json" })))
        .handle("statusStream", () => engine.statusStream())
        .handle("get", ({ query }) => engine.getAsset(query.key, query.refs))
        .handle("history", ({ query }) => engine.history(query.key, query.limit, query.before))
        .handle("checks", ({ query }) => engine.checks(query.key, query.limit))
        .handle("checkSummary", () => engine.checkSummary())
        .handle("select", ({ query }) => engine.select(query.selection))),
    HttpApiBuilder.group(CatalogApi, "runs", (handlers) =>
      handlers
        .handle("list", ({ query }) => engine.listRuns(query))
        .handle("get", ({ params }) => engine.getRun(params.runId))
        .handle("launch", ({ payload }) => engine.launch(payload))
        .handle("cancel", ({ params }) => engine.cancel(params.runId))
        .handle("reexecute", ({ params, payload }) => engine.reexecute(params.runId, payload.from))
        .handle("events", ({ params, query }) => engine.followRun(params.runId, query.after))),
    HttpApiBuilder.group(CatalogApi, "project", (handlers) =>
      handlers
        .handle("info", () => engine.info)
        .handle("reload", () => engine.reload)),
    HttpApiBuilder.group(CatalogApi, "automation", (handlers) =>
      handlers
        .handle("overview", () => Effect.flatMap(engine.generation, Automation.overview))
        .handle("ticks", ({ query }) => Effect.flatMap(engine.generation, (generation) => Automation.ticks(generation, query)))
        .handle("asset", ({ query }) => Effect.flatMap(engine.generation, (generation) => Automation.asset(generation, query.key, query.limit)))
        .handle("toggle", ({ payload }) => Effect.flatMap(engine.generation, (generation) => Automation.toggle(generation, payload.target, payload.enabled))))
  )

/**
 * Failures that `HttpApiBuilder` and the server answer with an empty body (a
 * request that does not decode: 400; a body over the limit: 413; a defect:
 * 500) get a JSON body naming the problem instead: the protocol's
 * `InvalidRequest`, or for a defect (a bug) an `InternalError` whose details
 * go to the server's log.
 */
const errorsAsJson = HttpRouter.middleware((httpEffect) =>
  Effect.catchCause(httpEffect, (cause) => {
    const error = Cause.squash(cause)
    if (HttpApiError.HttpApiSchemaError.is(error) && error.kind !== "Body" && error.kind !== "ResponseHeaders") {
      return Effect.succeed(invalidRequest(error.kind, `invalid ${error.kind.toLowerCase()}: ${error.cause.message}`, 400))
    }
    if (
      HttpServerError.isHttpServerError(error) && error.reason._tag === "RequestParseError" &&
      error.reason.reason === "BodyTooLarge"
    ) {
      const message = `the request body is larger than ${requestLimits.maxBodyBytes} bytes, the catalog's limit ` +
        "(a launch's selection is at most 100,000 characters)"
      return Effect.succeed(invalidRequest("Body", message, 413))
    }
    if (!Cause.hasFails(cause) && Cause.hasDies(cause)) {
      const message = `internal error: ${error instanceof Error ? error.message : String(error)}; ` +
        "this is a bug in Strata or in a component of the project (its Instance, a resource); the server's log has the details"
      return Effect.logError("request failed with a defect", cause).pipe(
        Effect.as(HttpServerResponse.jsonUnsafe({ _tag: "@strata/catalog/InternalError", message }, { status: 500 }))
      )
    }
    return Effect.failCause(cause)
  }), { global: true })

const invalidRequest = (part: string, message: string, status: number) => {
  const error = new Errors.InvalidRequest({ part, message })
  return HttpServerResponse.jsonUnsafe({ ...error, _tag: error._tag, message: error.message }, { status })
}

/** Answers only requests whose `Host` names this server (see {@link HostCheck}); others get a 421. */
const hostGuard = (bindHost: string, allowedHosts: ReadonlyArray<string>) =>
  HttpRouter.middleware(
    Effect.gen(function*() {
      const address = (yield* HttpServer.HttpServer).address
      const rule = HostCheck.makeRule(bindHost, "port" in address ? address.port : 0, allowedHosts)
      return (httpEffect) =>
        Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
          const host = request.headers["host"]
          return HostCheck.allows(rule, host)
            ? httpEffect
            : Effect.succeed(HttpServerResponse.text(HostCheck.refusal(rule, host), { status: 421 }))
        })
    }),
    { global: true }
  )

/** Caps request bodies at {@link requestLimits}.maxBodyBytes (Effect reads bodies without a limit by default). */
const bodyLimit = HttpRouter.middleware(
  (httpEffect) =>
    Effect.provideService(httpEffect, HttpIncomingMessage.MaxBodySize, ByteSize.bytes(requestLimits.maxBodyBytes)),
  { global: true }
)

/**
 * The Node server under the catalog, with the header limit of
 * {@link requestLimits} and a body on the errors Node answers by itself
 * (its own are empty, which leaves a client guessing).
 */
export const makeNodeServer = (): Server => {
  const server = createServer({ maxHeaderSize: requestLimits.maxHeaderBytes })
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    // as Node's own handler: no answer on a closed socket or over a response already under way
    const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true
    if (!socket.writable || inFlight) return socket.destroy()
    const tooLarge = error.code === "HPE_HEADER_OVERFLOW"
    const body = tooLarge
      ? `Request Header Fields Too Large: the URL and headers are limited to ${requestLimits.maxHeaderBytes} bytes; ` +
        "send a long selection in the body of POST /api/runs, or shorten it.\n"
      : `Bad Request: ${error.message}\n`
    socket.end(
      `HTTP/1.1 ${tooLarge ? "431 Request Header Fields Too Large" : "400 Bad Request"}\r\n` +
        `content-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
    )
  })
  return server
}

/**
 * `GET /api/graph`: the graph's shape, serialized once per project
 * generation, with an `ETag` naming the generation; a client that sends it
 * back (`If-None-Match`) gets an empty `304`.
 */
const graphRoute = (engine: Engine) =>
  HttpRouter.add(
    "GET",
    "/api/graph",
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const { generation, body, hash } = yield* engine.graphStructure
      const etag = `"strata-graph-${generation}-${hash}"`
      const headers = { etag, "cache-control": "no-cache" }
      if (request.headers["if-none-match"] === etag) return HttpServerResponse.empty({ status: 304, headers })
      return HttpServerResponse.text(body, { contentType: "application/json", headers })
    })
  )

/** Where the server listens, and the extra names it answers to. */
export interface ServeOptions {
  readonly host: string
  readonly allowedHosts: ReadonlyArray<string>
}

/** The routes: the API under `/api`, the UI everywhere else. */
export const routes = (engine: Engine, uiDir: string | undefined, serve: ServeOptions) => {
  const api = HttpApiBuilder.layer(CatalogApi, { openapiPath: "/api/openapi.json" }).pipe(
    Layer.provide(handlersLayer(engine))
  )
  const ui = uiDir !== undefined && existsSync(uiDir)
    ? HttpStaticServer.layer({ root: uiDir, spa: true })
    : HttpRouter.add(
      "GET",
      "/*",
      HttpServerResponse.text(
        "The catalog UI is not built. Run `pnpm --filter @strata/catalog build:ui`; the API is under /api.",
        { status: 503 }
      )
    )
  return Layer.mergeAll(api, graphRoute(engine), ui, errorsAsJson, bodyLimit, hostGuard(serve.host, serve.allowedHosts))
}
