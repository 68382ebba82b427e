/**
 * The package `strata init --integration <name>` creates: a resource plugin ready to publish on its own.
 * Peers on `effect` and `@strata/core` (public entry points only), tsup, vitest, a `Context.Service`
 * resource with `layer`/`layerConfig` and a tagged error with `reason` and `isRetryable` (the shape of
 * `@strata/postgres`'s `PgClient`/`PgError`), an asset helper, a README skeleton and a changeset.
 *
 * The resource is a small client for an HTTP JSON API (`fetch`), so that its tests run against a real
 * server they start, and its errors have real causes to classify.
 *
 * @since 0.1.0
 */
import type { StrataRanges } from "../Versions.ts"
import { toolRanges } from "../Versions.ts"
import type { Sources, TemplateFile } from "../Template.ts"
import { compilerOptions, dedent, gitignore, jsonText, overrideFields } from "../Template.ts"

/**
 * What the integration template needs to know.
 *
 * @since 0.1.0
 */
export interface IntegrationOptions {
  /** The integration's short name: lowercase words separated by `-` (`acme`, `my-store`). */
  readonly name: string
  readonly ranges: StrataRanges
  readonly sources: Sources
}

/**
 * The names derived from the integration's short name.
 *
 * @since 0.1.0
 */
export interface Names {
  /** `strata-acme` */
  readonly packageName: string
  /** `Acme` */
  readonly pascal: string
  /** `ACME` (environment variables) */
  readonly env: string
}

/**
 * The names derived from the integration's short name.
 *
 * @since 0.1.0
 */
export const namesOf = (name: string): Names => ({
  packageName: `strata-${name}`,
  pascal: name.split("-").map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join(""),
  env: name.toUpperCase().replaceAll("-", "_")
})

/** Replaces `__Name__`, `__NAME__`, `__package__` in a template text. */
const fill = (names: Names, text: string): string =>
  dedent(text).replaceAll("__Name__", names.pascal).replaceAll("__NAME__", names.env).replaceAll("__package__", names.packageName)

const packageJson = (options: IntegrationOptions, names: Names): string => {
  const devDependencies = {
    "@changesets/cli": toolRanges["@changesets/cli"],
    "@strata/core": options.sources.spec("@strata/core"),
    "@types/node": toolRanges["@types/node"],
    effect: options.ranges.effect,
    tsup: toolRanges.tsup,
    typescript: toolRanges.typescript,
    vitest: options.ranges.vitest
  }
  return jsonText({
    name: names.packageName,
    version: "0.0.0",
    description: `${names.pascal} for Strata: the ${names.pascal}Client resource and assets that read ${names.pascal}'s API`,
    type: "module",
    license: "Apache-2.0",
    sideEffects: false,
    engines: { node: ">=22.19" },
    exports: {
      ".": { types: "./dist/index.d.ts", default: "./dist/index.js" },
      "./package.json": "./package.json"
    },
    files: ["dist", "README.md", "CHANGELOG.md"],
    scripts: {
      build: "tsup",
      typecheck: "tsc -p tsconfig.json",
      test: "vitest run",
      changeset: "changeset",
      prepublishOnly: "npm run build",
      release: "npm run build && changeset publish"
    },
    peerDependencies: { "@strata/core": options.sources.range("@strata/core"), effect: options.ranges.effect },
    devDependencies,
    ...overrideFields(options.sources, new Set(Object.keys(devDependencies)))
  })
}

const tsupConfig = dedent(`
  import { defineConfig } from "tsup"

  // ESM for Node 22+, with declarations and source maps; effect and @strata/core stay external (peers)
  export default defineConfig({
    entry: ["src/index.ts"],
    format: ["esm"],
    dts: true,
    clean: true,
    sourcemap: true,
    target: "node22",
    removeNodeProtocol: false
  })
`)

const errorModule = (names: Names) =>
  fill(
    names,
    `
  /**
   * The one error type of __package__. \`reason\` says why an operation failed, so callers and Strata's
   * retry policy read \`reason\` and \`isRetryable\` instead of status codes.
   *
   * | reason | cause | retryable |
   * | --- | --- | --- |
   * | \`connection\` | ECONNREFUSED, ECONNRESET, ENOTFOUND, EAI_AGAIN, ... | yes |
   * | \`timeout\` | no answer within \`timeoutMs\`, HTTP 408, 504 | yes |
   * | \`rate-limited\` | HTTP 429 | yes |
   * | \`unavailable\` | HTTP 5xx (but 504) | yes |
   * | \`auth\` | HTTP 401, 403 | no |
   * | \`not-found\` | HTTP 404 | no |
   * | \`invalid-request\` | other HTTP 4xx, a path outside the API's URL | no |
   * | \`config\` | an invalid URL or setting | no |
   * | \`other\` | anything else (a body that is not JSON) | no |
   */
  import { Schema } from "effect"

  export const __Name__ErrorReason = Schema.Literals([
    "connection",
    "timeout",
    "rate-limited",
    "unavailable",
    "auth",
    "not-found",
    "invalid-request",
    "config",
    "other"
  ])

  export type __Name__ErrorReason = typeof __Name__ErrorReason.Type

  const retryable: ReadonlySet<__Name__ErrorReason> = new Set(["connection", "timeout", "rate-limited", "unavailable"])

  export class __Name__Error extends Schema.TaggedError<__Name__Error>()("__package__/__Name__Error", {
    reason: __Name__ErrorReason,
    /** What was being done: \`connect\`, \`GET items/1\`, ... */
    operation: Schema.String,
    message: Schema.String,
    /** The HTTP status, when the server answered. */
    status: Schema.optional(Schema.Number),
    cause: Schema.optional(Schema.Defect())
  }) {
    /** Connection drops, timeouts, rate limits and server errors may clear up on retry. */
    get isRetryable(): boolean {
      return retryable.has(this.reason)
    }
  }

  /** The reason for an HTTP status the server answered with. */
  export const reasonOfStatus = (status: number): __Name__ErrorReason => {
    if (status === 401 || status === 403) return "auth"
    if (status === 404) return "not-found"
    if (status === 408 || status === 504) return "timeout"
    if (status === 429) return "rate-limited"
    if (status >= 500) return "unavailable"
    if (status >= 400) return "invalid-request"
    return "other"
  }

  const connectionCodes = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"])

  /** The \`code\` of an error or of its cause (fetch fails with \`TypeError("fetch failed", { cause })\`). */
  const codeOf = (error: unknown): string | undefined => {
    for (let current = error, depth = 0; typeof current === "object" && current !== null && depth < 4; depth++) {
      const record = current as { readonly code?: unknown; readonly cause?: unknown; readonly errors?: unknown }
      if (typeof record.code === "string") return record.code
      current = record.cause ?? (Array.isArray(record.errors) ? record.errors[0] : undefined)
    }
    return undefined
  }

  /** Turns anything a request threw (a fetch failure, an abort, a parse error) into a {@link __Name__Error}. */
  export const fromUnknown = (operation: string, error: unknown): __Name__Error => {
    if (error instanceof __Name__Error) return error
    const name = typeof error === "object" && error !== null ? (error as { readonly name?: unknown }).name : undefined
    const message = error instanceof Error ? error.message : String(error)
    const code = codeOf(error)
    const reason: __Name__ErrorReason = name === "TimeoutError"
      ? "timeout"
      : code === "ETIMEDOUT" || code === "UND_ERR_CONNECT_TIMEOUT"
      ? "timeout"
      : code !== undefined && connectionCodes.has(code)
      ? "connection"
      : "other"
    return new __Name__Error({ reason, operation, message: code === undefined ? message : \`\${message} (\${code})\`, cause: error })
  }
`
  )

const clientModule = (names: Names) =>
  fill(
    names,
    `
  /**
   * The __Name__ resource: a client for __Name__'s HTTP JSON API as an Effect service.
   *
   * Replace the body of \`make\` with your SDK's client; keep the service's shape small and its errors
   * typed (__Name__Error). Open connections in \`make\` with \`Effect.acquireRelease\` so the layer closes them.
   */
  import { Config, Context, Effect, Layer, Option, Redacted } from "effect"
  import { __Name__Error, fromUnknown, reasonOfStatus } from "./__Name__Error.ts"

  export interface __Name__ClientConfig {
    /** The API's base URL, e.g. \`https://api.example.com/v1/\`. Paths are resolved under it. */
    readonly url: string
    /** Sent as \`Authorization: Bearer <token>\` when set. */
    readonly token?: Redacted.Redacted<string> | undefined
    /** Give up on a request after this long. Default 10 s. */
    readonly timeoutMs?: number | undefined
  }

  export interface __Name__ClientShape {
    /** The base URL (no secrets). */
    readonly url: string
    /** GETs \`path\` (relative to the base URL, never outside it) and parses the JSON body. */
    readonly getJson: (path: string) => Effect.Effect<unknown, __Name__Error>
  }

  /** Reads a {@link __Name__ClientConfig} from the environment (see {@link __Name__Client.layerConfig}). */
  export const configFromEnv: Effect.Effect<__Name__ClientConfig, Config.ConfigError> = Effect.gen(function*() {
    const url = yield* Config.String("__NAME___URL")
    const token = yield* Config.option(Config.Redacted("__NAME___TOKEN"))
    const timeoutMs = yield* Config.Int("__NAME___TIMEOUT_MS").pipe(Config.withDefault(10_000))
    return { url, token: Option.getOrUndefined(token), timeoutMs }
  })

  const configError = (message: string) => new __Name__Error({ reason: "config", operation: "connect", message })

  const baseUrl = (config: __Name__ClientConfig): Effect.Effect<URL, __Name__Error> =>
    Effect.try({
      try: () => new URL(config.url.endsWith("/") ? config.url : \`\${config.url}/\`),
      catch: () => configError(\`invalid URL \${JSON.stringify(config.url)}\`)
    }).pipe(Effect.filterOrFail(
      (url) => url.protocol === "http:" || url.protocol === "https:",
      (url) => configError(\`the URL must be http: or https:, got \${url.protocol}\`)
    ))

  /** Builds the client (what the layers do). */
  const make = (config: __Name__ClientConfig): Effect.Effect<__Name__ClientShape, __Name__Error> =>
    Effect.gen(function*() {
      const base = yield* baseUrl(config)
      const timeoutMs = config.timeoutMs ?? 10_000
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) return yield* configError(\`timeoutMs must be a positive whole number, got \${timeoutMs}\`)
      const headers: Record<string, string> = { accept: "application/json" }
      if (config.token !== undefined) headers["authorization"] = \`Bearer \${Redacted.value(config.token)}\`

      const getJson = (path: string): Effect.Effect<unknown, __Name__Error> => {
        const operation = \`GET \${path}\`
        const target = new URL(path, base)
        if (target.origin !== base.origin || !target.pathname.startsWith(base.pathname)) {
          return Effect.fail(new __Name__Error({ reason: "invalid-request", operation, message: \`\${path} is outside \${base.href}\` }))
        }
        return Effect.tryPromise({
          try: async (signal) => {
            const response = await fetch(target, { headers, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) })
            if (!response.ok) {
              const body = (await response.text()).slice(0, 200)
              throw new __Name__Error({
                reason: reasonOfStatus(response.status),
                operation,
                status: response.status,
                message: \`\${target.href} answered \${response.status}\${body === "" ? "" : \`: \${body}\`}\`
              })
            }
            return (await response.json()) as unknown
          },
          catch: (error) => fromUnknown(operation, error)
        })
      }
      return { url: base.href, getJson }
    })

  export class __Name__Client extends Context.Service<__Name__Client, __Name__ClientShape>()("__package__/__Name__Client") {
    /** A client for the given configuration. */
    static readonly layer = (config: __Name__ClientConfig): Layer.Layer<__Name__Client, __Name__Error> =>
      Layer.effect(__Name__Client, make(config))

    /** A client configured from the environment: \`__NAME___URL\`, \`__NAME___TOKEN\`, \`__NAME___TIMEOUT_MS\`. */
    static readonly layerConfig: Layer.Layer<__Name__Client, __Name__Error | Config.ConfigError> = Layer.effect(
      __Name__Client,
      Effect.flatMap(configFromEnv, make)
    )

    /** Builds a client (what the layers do). */
    static readonly make = make

    /** Reads the configuration {@link __Name__Client.layerConfig} uses. */
    static readonly configFromEnv = configFromEnv
  }
`
  )

const assetModule = (names: Names) =>
  fill(
    names,
    `
  /**
   * Assets that read __Name__'s API: what users of this package put in their strata.config.ts.
   */
  import { Asset } from "@strata/core"
  import type { IOManager } from "@strata/core"
  import { Effect } from "effect"
  import { __Name__Client } from "./__Name__Client.ts"
  import type { __Name__Error } from "./__Name__Error.ts"

  /**
   * An asset whose value is the JSON document at \`path\` in __Name__'s API. It requires {@link __Name__Client}
   * (the project's environments provide \`__Name__Client.layer(...)\` or \`__Name__Client.layerConfig\`) and the
   * default I/O manager that stores it. Exported functions spell out their return types: the declaration
   * build (tsup's dts) needs them.
   */
  export const jsonAsset = (
    key: string,
    options: { readonly path: string; readonly group?: string }
  ): Asset.Asset<unknown, __Name__Error, __Name__Client | IOManager.DefaultIO> =>
    Asset.make(key, { group: options.group ?? "__package__", kinds: ["__package__"] }, () =>
      Effect.gen(function*() {
        const client = yield* __Name__Client
        return yield* client.getJson(options.path)
      }))
`
  )

const indexModule = (names: Names) =>
  fill(
    names,
    `
  /**
   * __package__: __Name__ for Strata.
   */
  export { __Name__Client, configFromEnv } from "./__Name__Client.ts"
  export type { __Name__ClientConfig, __Name__ClientShape } from "./__Name__Client.ts"
  export { __Name__Error, __Name__ErrorReason, fromUnknown, reasonOfStatus } from "./__Name__Error.ts"
  export { jsonAsset } from "./assets.ts"
`
  )

const testModule = (names: Names) =>
  fill(
    names,
    `
  import * as http from "node:http"
  import type { AddressInfo } from "node:net"
  import { Materialize, Project } from "@strata/core"
  import { ConfigProvider, Effect, Layer, Redacted } from "effect"
  import { afterAll, beforeAll, describe, expect, it } from "vitest"
  import { __Name__Client, __Name__Error, jsonAsset } from "../src/index.ts"

  // A real HTTP server standing in for __Name__'s API.
  const server = http.createServer((request, response) => {
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" })
      response.end(JSON.stringify(body))
    }
    if (request.url === "/v1/items/1") return send(200, { id: 1, name: "anvil" })
    if (request.url === "/v1/private") {
      return request.headers.authorization === "Bearer s3cret" ? send(200, { secret: true }) : send(401, { error: "no token" })
    }
    if (request.url === "/v1/busy") return send(503, { error: "try later" })
    return send(404, { error: "not found" })
  })
  let url = ""
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    url = \`http://127.0.0.1:\${(server.address() as AddressInfo).port}/v1/\`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  const getJson = (path: string) =>
    Effect.gen(function*() {
      const client = yield* __Name__Client
      return yield* client.getJson(path)
    })

  // the JSON document at \`path\`, with the client the layer builds
  const read = <E>(layer: Layer.Layer<__Name__Client, E>, path: string) => Effect.runPromise(getJson(path).pipe(Effect.provide(layer)))

  // the error reading \`path\` fails with (building the layer included)
  const failure = <E>(layer: Layer.Layer<__Name__Client, E>, path: string) =>
    Effect.runPromise(Effect.flip(getJson(path).pipe(Effect.provide(layer))))

  describe("__Name__Client", () => {
    it("reads a JSON document under the base URL", async () => {
      expect(await read(__Name__Client.layer({ url }), "items/1")).toEqual({ id: 1, name: "anvil" })
    })

    it("sends the token, from the environment with layerConfig", async () => {
      const env = ConfigProvider.layer(ConfigProvider.fromUnknown({ __NAME___URL: url, __NAME___TOKEN: "s3cret" }))
      const layer = __Name__Client.layerConfig.pipe(Layer.provide(env))
      expect(await read(layer, "private")).toEqual({ secret: true })
      const anonymous = await failure(__Name__Client.layer({ url }), "private")
      expect(anonymous).toMatchObject({ reason: "auth", status: 401, isRetryable: false })
    })

    it("fails with a typed, classified error", async () => {
      const layer = __Name__Client.layer({ url, token: Redacted.make("s3cret") })
      const missing = await failure(layer, "items/2")
      expect(missing).toBeInstanceOf(__Name__Error)
      expect(missing).toMatchObject({ reason: "not-found", status: 404, operation: "GET items/2", isRetryable: false })
      expect(await failure(layer, "busy")).toMatchObject({ reason: "unavailable", status: 503, isRetryable: true })
      expect(await failure(layer, "../elsewhere")).toMatchObject({ reason: "invalid-request", isRetryable: false })
    })

    it("classifies a refused connection as retryable", async () => {
      const closed = http.createServer()
      await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve))
      const port = (closed.address() as AddressInfo).port
      await new Promise<void>((resolve) => closed.close(() => resolve()))
      const error = await failure(__Name__Client.layer({ url: \`http://127.0.0.1:\${port}/\` }), "items/1")
      expect(error).toMatchObject({ reason: "connection", isRetryable: true })
    })

    it("refuses a bad configuration when the layer is built", async () => {
      expect(await failure(__Name__Client.layer({ url: "not a url" }), "items/1")).toMatchObject({ reason: "config" })
      expect(await failure(__Name__Client.layer({ url: "ftp://example.com/" }), "items/1")).toMatchObject({ reason: "config" })
    })
  })

  describe("jsonAsset", () => {
    it("materializes with the client's layer", async () => {
      const item = jsonAsset("item", { path: "items/1" })
      const result = await Effect.runPromise(
        Materialize.materializeInMemory(Project.make({ assets: [item] })).pipe(Effect.provide(__Name__Client.layer({ url })))
      )
      expect(result.status).toBe("succeeded")
      expect(result.value(item)).toEqual({ id: 1, name: "anvil" })
    })
  })

  // ---------------------------------------------------------------------------------------------------------
  // I/O manager conformance. If this package adds an I/O manager, run @strata/core/testing's
  // ioManagerConformance suite on it here (one call, with the capabilities it declares: partitions,
  // concurrent readers, typed tables). The suite is not in the @strata/core release this package was
  // generated against yet; see the README's "Testing" section.
  // ---------------------------------------------------------------------------------------------------------
`
  )

const readme = (names: Names) =>
  fill(
    names,
    `
  # __package__

  __Name__ for [Strata](https://www.npmjs.com/package/@strata/core): the \`__Name__Client\` resource (an Effect
  service) and \`jsonAsset\`, an asset that reads a JSON document from __Name__'s API.

  ## Install

  \`\`\`sh
  npm install __package__ @strata/core effect
  \`\`\`

  ## Usage

  \`\`\`ts
  // strata.config.ts
  import { FileSystemIO, Project, StrataConfig } from "@strata/core"
  import { Layer } from "effect"
  import { __Name__Client, jsonAsset } from "__package__"

  const item = jsonAsset("item", { path: "items/1" })

  export default StrataConfig.define({
    project: Project.make({ assets: [item] }),
    environments: {
      local: ({ root }) => Layer.mergeAll(FileSystemIO.layer({ base: \`\${root}/.strata/storage\` }), __Name__Client.layerConfig)
    }
  })
  \`\`\`

  ## Configuration

  \`__Name__Client.layer({ url, token?, timeoutMs? })\`, or \`__Name__Client.layerConfig\` from the environment:

  | variable | meaning | default |
  | --- | --- | --- |
  | \`__NAME___URL\` | the API's base URL | required |
  | \`__NAME___TOKEN\` | bearer token (redacted in logs) | none |
  | \`__NAME___TIMEOUT_MS\` | per-request timeout | 10000 |

  ## Errors

  Every failure is a \`__Name__Error\` with a \`reason\` (\`connection\`, \`timeout\`, \`rate-limited\`, \`unavailable\`,
  \`auth\`, \`not-found\`, \`invalid-request\`, \`config\`, \`other\`), the \`operation\`, the HTTP \`status\` when the
  server answered, and \`isRetryable\` (true for the first four), which Strata's retry policy reads.

  ## Testing

  \`\`\`sh
  npm test            # vitest: the client against a real local HTTP server, and jsonAsset materialized in memory
  npm run typecheck
  npm run build       # tsup: dist/index.js and dist/index.d.ts
  \`\`\`

  I/O managers: once \`@strata/core/testing\` exports \`ioManagerConformance\`, run it from
  \`test/__Name__Client.test.ts\` (the marked place at the end of the file) for any I/O manager this package adds.

  ## Public API

  Everything \`src/index.ts\` exports. This package uses only \`@strata/core\`'s and \`effect\`'s public entry
  points, which it declares as peer dependencies: the user's project holds one copy of each.

  ## Publishing

  \`\`\`sh
  npx changeset          # describe each change (.changeset/*.md)
  npx changeset version  # bump the version, write CHANGELOG.md
  npm run release        # build, then publish what changed
  \`\`\`
`
  )

const changesetConfig = jsonText({
  $schema: "https://unpkg.com/@changesets/config@3.0.0/schema.json",
  changelog: "@changesets/cli/changelog",
  commit: false,
  access: "public",
  baseBranch: "main",
  updateInternalDependencies: "patch",
  ignore: []
})

/**
 * The files of a new integration package.
 *
 * @since 0.1.0
 */
export const files = (options: IntegrationOptions): Array<TemplateFile> => {
  const names = namesOf(options.name)
  return [
    { path: "package.json", content: packageJson(options, names) },
    { path: "tsconfig.json", content: jsonText({ compilerOptions, include: ["src", "test"] }) },
    { path: "tsup.config.ts", content: tsupConfig },
    { path: `src/${names.pascal}Error.ts`, content: errorModule(names) },
    { path: `src/${names.pascal}Client.ts`, content: clientModule(names) },
    { path: "src/assets.ts", content: assetModule(names) },
    { path: "src/index.ts", content: indexModule(names) },
    { path: `test/${names.pascal}Client.test.ts`, content: testModule(names) },
    { path: "README.md", content: readme(names) },
    { path: ".changeset/config.json", content: changesetConfig },
    { path: ".changeset/initial-release.md", content: `---\n"${names.packageName}": minor\n---\n\nFirst release: ${names.pascal}Client, ${names.pascal}Error, jsonAsset.\n` },
    { path: ".gitignore", content: gitignore }
  ]
}
