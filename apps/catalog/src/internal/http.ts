/**
 * The HTTP side: handlers of the protocol's `CatalogApi` over the engine,
 * JSON bodies for malformed requests, and the built UI's static files.
 */
import { existsSync } from "node:fs"
import { CatalogApi, Errors } from "@strata/protocol"
import { Cause, Effect, Layer } from "effect"
import { HttpRouter, HttpServerResponse, HttpStaticServer } from "effect/http"
import { HttpApiBuilder, HttpApiError } from "effect/http-api"
import type { Engine } from "./engine.ts"

const handlersLayer = (engine: Engine) =>
  Layer.mergeAll(
    HttpApiBuilder.group(CatalogApi, "assets", (handlers) =>
      handlers
        .handle("list", ({ query }) => engine.listAssets(query.selection))
        .handle("get", ({ query }) => engine.getAsset(query.key))
        .handle("history", ({ query }) => engine.history(query.key, query.limit, query.before))
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
        .handle("reload", () => engine.reload))
  )

/**
 * Request decoding failures become an empty 400 in `HttpApiBuilder`; this
 * turns them into the protocol's `InvalidRequest` JSON naming the problem.
 */
const invalidRequestAsJson = HttpRouter.middleware((httpEffect) =>
  Effect.catchCause(httpEffect, (cause) => {
    const defect = Cause.squash(cause)
    if (HttpApiError.HttpApiSchemaError.is(defect) && defect.kind !== "Body" && defect.kind !== "ResponseHeaders") {
      const error = new Errors.InvalidRequest({ part: defect.kind, message: `invalid ${defect.kind.toLowerCase()}: ${defect.cause.message}` })
      return Effect.succeed(HttpServerResponse.jsonUnsafe({ ...error, _tag: error._tag, message: error.message }, { status: 400 }))
    }
    return Effect.failCause(cause)
  }), { global: true })

/** The routes: the API under `/api`, the UI everywhere else. */
export const routes = (engine: Engine, uiDir: string | undefined) => {
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
  return Layer.mergeAll(api, ui, invalidRequestAsJson)
}
