/**
 * A small Iceberg REST catalog server (the REST catalog OpenAPI's config,
 * namespace, table and commit endpoints) backed by the filesystem catalog:
 * for tests and local development, where no Java or Docker catalog is at
 * hand. Commits check every requirement the REST spec defines and apply the
 * updates through the same code as the filesystem catalog, so concurrent
 * clients get `409 CommitFailedException` when their base is stale.
 *
 * Not implemented: namespace properties, table renames, staged creates,
 * multi-table transactions, OAuth; table locations are chosen by the server
 * (a requested `location` is refused).
 *
 * @example
 * ```ts
 * import { RestCatalogServer } from "@strata/iceberg/testing"
 *
 * const server = await RestCatalogServer.start({ warehouse: "/tmp/warehouse" })
 * // IcebergCatalog.layerRest({ uri: server.url }) ... then:
 * await server.close()
 * ```
 *
 * @since 0.1.0
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { Effect } from "effect"
import { makeFileSystem } from "./IcebergCatalog.ts"
import * as IcebergError from "./IcebergError.ts"
import * as IcebergSchema from "./IcebergSchema.ts"
import * as Json from "./internal/json.ts"
import * as PartitionSpec from "./PartitionSpec.ts"
import * as TableIdentifier from "./TableIdentifier.ts"
import * as TableMetadata from "./TableMetadata.ts"
import type * as TableUpdate from "./TableUpdate.ts"

/**
 * Options of {@link start}.
 *
 * @since 0.1.0
 */
export interface Options {
  /** The warehouse folder. */
  readonly warehouse: string
  /** Default 0 (any free port). */
  readonly port?: number | undefined
  /** Default `127.0.0.1`. */
  readonly host?: string | undefined
  /** The URI prefix written into metadata for the warehouse (see `IcebergCatalog.layerFileSystem`). */
  readonly location?: string | undefined
  /** Largest request body accepted, in bytes. Default 16 MiB. */
  readonly maxBodyBytes?: number | undefined
}

/**
 * A running server.
 *
 * @since 0.1.0
 */
export interface Server {
  /** `http://host:port`: the `uri` of `IcebergCatalog.layerRest`. */
  readonly url: string
  readonly port: number
  readonly close: () => Promise<void>
}

class HttpError extends Error {
  readonly status: number
  readonly type: string
  constructor(status: number, type: string, message: string) {
    super(message)
    this.status = status
    this.type = type
  }
}

const statusOf: Partial<Record<IcebergError.Reason, [number, string]>> = {
  "not-found": [404, "NoSuchTableException"],
  "already-exists": [409, "AlreadyExistsException"],
  "commit-conflict": [409, "CommitFailedException"],
  "commit-failed": [409, "CommitFailedException"],
  "invalid-argument": [400, "BadRequestException"],
  "invalid-metadata": [400, "BadRequestException"],
  "schema-incompatible": [400, "BadRequestException"],
  "unsupported-type": [400, "BadRequestException"]
}

const toHttpError = (error: unknown): HttpError => {
  if (error instanceof HttpError) return error
  if (IcebergError.isIcebergError(error)) {
    const [status, type] = statusOf[error.reason] ?? [500, "ServiceFailureException"]
    const notFoundType = /namespace/i.test(error.message) && !/table/i.test(error.message.split(":")[0] ?? "") ? "NoSuchNamespaceException" : type
    return new HttpError(status, error.reason === "not-found" ? notFoundType : type, error.message)
  }
  return new HttpError(500, "ServiceFailureException", String(error))
}

const readBody = (request: http.IncomingMessage, limit: number): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    request.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        reject(new HttpError(413, "BadRequestException", `request body over ${limit} bytes`))
        request.destroy()
      } else chunks.push(chunk)
    })
    request.on("end", () => {
      if (size === 0) return resolve(undefined)
      try {
        resolve(Json.parse(Buffer.concat(chunks).toString("utf8")))
      } catch (error) {
        reject(new HttpError(400, "BadRequestException", `malformed JSON: ${(error as Error).message}`))
      }
    })
    request.on("error", reject)
  })

const LONG_KEYS = new Set(["snapshot-id", "parent-snapshot-id", "sequence-number"])

/** Request values with ids as bigints (clients send numbers, digit strings or big integers). */
const withLongs = (value: unknown, key = ""): unknown => {
  if (LONG_KEYS.has(key) && value !== null) return TableMetadata.toLong(value) ?? value
  if (key === "snapshot-ids" && Array.isArray(value)) return value.map((item) => TableMetadata.toLong(item) ?? item)
  if (Array.isArray(value)) return value.map((item) => withLongs(item))
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([inner, item]) => [inner, withLongs(item, inner)]))
  }
  return value
}

const bad = (message: string) => new HttpError(400, "BadRequestException", message)

const decodeNamespace = (segment: string): Array<string> => {
  const namespace = segment.split("\u001f")
  TableIdentifier.checkNamespace(namespace)
  return namespace
}

const objectBody = (body: unknown): Record<string, unknown> => {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw bad("the request body must be a JSON object")
  return body as Record<string, unknown>
}

type Catalog = ReturnType<typeof makeFileSystem>
const run = <A>(effect: Effect.Effect<A, IcebergError.IcebergError>) => Effect.runPromise(effect)

const loadResult = (loaded: { readonly metadata: TableMetadata.TableMetadata; readonly metadataLocation: string }) => ({
  "metadata-location": loaded.metadataLocation,
  metadata: loaded.metadata,
  config: {}
})

const createTable = async (catalog: Catalog, namespace: Array<string>, body: Record<string, unknown>) => {
  if (typeof body["name"] !== "string") throw bad("name is required")
  if (body["location"] !== undefined && body["location"] !== null) throw bad("this server chooses table locations: leave location out")
  if (body["stage-create"] === true) throw bad("staged creates are not supported")
  const id = TableIdentifier.make(namespace, body["name"])
  const probe = TableMetadata.validate({
    "format-version": 2, "table-uuid": "x", location: "x", "last-sequence-number": 0, "last-updated-ms": 0,
    "last-column-id": 2_147_483_447, schemas: [{ ...(body["schema"] as object), "schema-id": 0 }], "current-schema-id": 0,
    "partition-specs": [{ "spec-id": 0, fields: [] }], "default-spec-id": 0, "last-partition-id": 999,
    "sort-orders": [{ "order-id": 0, fields: [] }], "default-sort-order-id": 0
  })
  if (probe.metadata === undefined) throw bad(`invalid schema: ${probe.problems.join("; ")}`)
  const schema = probe.metadata.schemas[0]!
  const requested = (body["partition-spec"] ?? { fields: [] }) as { fields?: Array<Record<string, unknown>> }
  let fieldId = PartitionSpec.FIRST_FIELD_ID - 1
  const spec: PartitionSpec.PartitionSpec = {
    "spec-id": 0,
    fields: (requested.fields ?? []).map((field) => {
      fieldId = typeof field["field-id"] === "number" ? field["field-id"] : fieldId + 1
      if (IcebergSchema.fieldById(schema, Number(field["source-id"])) === undefined) throw bad(`partition field ${String(field["name"])}: no such source column`)
      return { "source-id": Number(field["source-id"]), "field-id": fieldId, name: String(field["name"]), transform: String(field["transform"]) }
    })
  }
  const order = body["write-order"] as TableMetadata.SortOrder | undefined
  return loadResult(await run(catalog.createTable(id, {
    schema,
    lastColumnId: IcebergSchema.highestFieldId(schema),
    spec,
    sortOrder: order,
    properties: (body["properties"] ?? {}) as Record<string, string>
  })))
}

const commit = async (catalog: Catalog, id: TableIdentifier.TableIdentifier, body: Record<string, unknown>) => {
  const requirements = body["requirements"] ?? []
  const updates = body["updates"]
  if (!Array.isArray(requirements) || !Array.isArray(updates)) throw bad("requirements and updates must be lists")
  for (const requirement of requirements) if (typeof (requirement as { type?: unknown })?.type !== "string") throw bad("a requirement has no type")
  for (const update of updates) {
    const action = (update as { action?: unknown })?.action
    if (typeof action !== "string") throw bad("an update has no action")
    // table locations are the server's: a client may not point a table at another folder
    if (action === "set-location") throw bad("this server chooses table locations: set-location is refused")
  }
  const change = withLongs({ requirements, updates }) as TableUpdate.Commit
  const loaded = await run(catalog.commitTable(id, change))
  return { "metadata-location": loaded.metadataLocation, metadata: loaded.metadata }
}

/** Routes one request; returns the status and JSON body. */
const route = async (catalog: Catalog, method: string, url: URL, body: () => Promise<unknown>): Promise<[number, unknown]> => {
  let parts: Array<string>
  try {
    parts = url.pathname.split("/").filter((part) => part !== "").map(decodeURIComponent)
  } catch {
    throw bad(`malformed path ${url.pathname}`)
  }
  if (parts[0] !== "v1") throw new HttpError(404, "NoSuchEndpointException", `no endpoint ${url.pathname}`)
  if (parts[1] === "config" && method === "GET") return [200, { defaults: {}, overrides: {} }]
  const rest = parts[1] === "namespaces" || parts[1] === "tables" ? parts.slice(1) : parts.slice(2) // optional prefix
  if (rest[0] === "namespaces" && rest.length === 1) {
    if (method === "GET") {
      const parent = url.searchParams.get("parent")
      const namespaces = await run(catalog.listNamespaces(parent === null || parent === "" ? [] : decodeNamespace(parent)))
      return [200, { namespaces }]
    }
    if (method === "POST") {
      const request = objectBody(await body())
      const namespace = request["namespace"]
      if (!Array.isArray(namespace) || !namespace.every((part) => typeof part === "string")) throw bad("namespace must be a list of strings")
      await run(catalog.createNamespace(namespace))
      return [200, { namespace, properties: {} }]
    }
  }
  if (rest[0] === "namespaces" && rest.length === 2) {
    const namespace = decodeNamespace(rest[1]!)
    const tables = await run(catalog.listTables(namespace)) // fails with not-found for a missing namespace
    if (method === "GET") return [200, { namespace, properties: {} }]
    if (method === "HEAD") return [204, undefined]
    if (method === "DELETE") {
      if (tables.length > 0) throw new HttpError(409, "NamespaceNotEmptyException", `namespace ${namespace.join(".")} has tables`)
      await run(catalog.dropNamespace(namespace))
      return [204, undefined]
    }
  }
  if (rest[0] === "namespaces" && rest[2] === "tables" && rest.length === 3) {
    const namespace = decodeNamespace(rest[1]!)
    if (method === "GET") return [200, { identifiers: await run(catalog.listTables(namespace)) }]
    if (method === "POST") return [200, await createTable(catalog, namespace, objectBody(await body()))]
  }
  if (rest[0] === "namespaces" && rest[2] === "tables" && rest.length === 4) {
    const id = TableIdentifier.make(decodeNamespace(rest[1]!), rest[3]!)
    if (method === "GET") return [200, loadResult(await run(catalog.loadTable(id)))]
    if (method === "HEAD") {
      await run(catalog.loadTable(id))
      return [204, undefined]
    }
    if (method === "POST") return [200, await commit(catalog, id, objectBody(await body()))]
    if (method === "DELETE") {
      await run(catalog.dropTable(id, { purge: url.searchParams.get("purgeRequested") === "true" }))
      return [204, undefined]
    }
  }
  throw new HttpError(404, "NoSuchEndpointException", `no endpoint ${method} ${url.pathname}`)
}

const send = (response: http.ServerResponse, status: number, body: unknown) => {
  if (body === undefined) {
    response.writeHead(status).end()
    return
  }
  const text = Json.stringify(body)
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text)
}

/**
 * Starts a server on a loopback port.
 *
 * @since 0.1.0
 */
export const start = (options: Options): Promise<Server> => {
  const catalog = makeFileSystem({ warehouse: options.warehouse, location: options.location })
  const limit = options.maxBodyBytes ?? 16 * 1024 * 1024
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost")
    route(catalog, request.method ?? "GET", url, () => readBody(request, limit)).then(
      ([status, body]) => send(response, status, body),
      (error: unknown) => {
        const failure = toHttpError(error)
        send(response, failure.status, { error: { message: failure.message, type: failure.type, code: failure.status } })
      }
    )
  })
  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://${options.host ?? "127.0.0.1"}:${port}`,
        port,
        close: () => new Promise((done) => {
          server.closeAllConnections()
          server.close(() => done())
        })
      })
    })
  })
}
