/**
 * The REST catalog client: `iceberg-js` speaks the protocol; this module maps
 * its errors to `IcebergError`s and keeps 64-bit ids exact through it.
 * iceberg-js parses responses with `JSON.parse` and types ids as numbers, so it
 * is given a `fetch` that re-encodes response bodies with big integers quoted
 * (our decoders read a long from a number, bigint or digit string), and our
 * requests carry longs as raw JSON numbers.
 */
import { IcebergError as ClientError, IcebergRestCatalog } from "iceberg-js"
import type { CommitTableRequest, CreateTableRequest as ClientCreateTableRequest, TableIdentifier as ClientIdentifier } from "iceberg-js"
import * as IcebergError from "../IcebergError.ts"
import * as TableIdentifier from "../TableIdentifier.ts"
import * as TableMetadata from "../TableMetadata.ts"
import type * as TableUpdate from "../TableUpdate.ts"
import type { CreateTableRequest } from "../IcebergCatalog.ts"
import type { Loaded } from "./filesystemCatalog.ts"
import * as FileIO from "./fileio.ts"
import * as Json from "./json.ts"

/** Options of the REST catalog client. */
export interface Options {
  /** The catalog's base URL (`http://127.0.0.1:8181`); requests go to `<uri>/v1/...`. */
  readonly uri: string
  /** Sent as `?warehouse=` to `/v1/config`; the server's `prefix` override is then used. */
  readonly warehouse?: string | undefined
  /** A bearer token. */
  readonly token?: string | undefined
  /** URI prefixes of table locations and the local folders they map to (`file://` needs none). */
  readonly mounts?: ReadonlyArray<FileIO.Mount> | undefined
}

export interface Catalog {
  readonly client: IcebergRestCatalog
  readonly io: FileIO.FileIO
  readonly uri: string
}

/** fetch whose JSON responses have integers beyond 2^53 quoted, so `JSON.parse` keeps them. */
const losslessFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init)
  if (!(response.headers.get("content-type") ?? "").includes("application/json")) return response
  const text = await response.text()
  let body = text
  try {
    if (text !== "") body = Json.quoteBigIntegers(text)
  } catch {
    // not JSON after all: hand it over as is
  }
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers })
}

export const make = (options: Options): Catalog => ({
  client: new IcebergRestCatalog({
    baseUrl: options.uri,
    ...(options.warehouse !== undefined ? { warehouse: options.warehouse } : {}),
    auth: options.token === undefined ? { type: "none" } : { type: "bearer", token: options.token },
    fetch: losslessFetch
  }),
  io: FileIO.make(options.mounts ?? []),
  uri: options.uri
})

const rawJSON = (JSON as unknown as { readonly rawJSON: (text: string) => unknown }).rawJSON

/** A request body with `bigint`s as raw JSON numbers (iceberg-js stringifies it). */
const withRawLongs = (value: unknown): unknown => {
  if (typeof value === "bigint") return rawJSON(value.toString())
  if (Array.isArray(value)) return value.map(withRawLongs)
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, withRawLongs(inner)]))
  }
  return value
}

const reasonOf = (error: ClientError): IcebergError.Reason => {
  if (error.status === 404) return "not-found"
  if (error.status === 409) return error.icebergType === "AlreadyExistsException" ? "already-exists" : "commit-conflict"
  if (error.status === 0 || error.status >= 500 || error.isCommitStateUnknown) return "unavailable"
  if (error.status === 400) return "invalid-argument"
  return "catalog"
}

/** Maps whatever iceberg-js threw to an `IcebergError`. */
export const toError = (catalog: Catalog, table: string | undefined) => (cause: unknown): IcebergError.IcebergError => {
  if (IcebergError.isIcebergError(cause)) return cause
  if (cause instanceof ClientError) {
    return IcebergError.make({
      reason: reasonOf(cause),
      table,
      location: catalog.uri,
      detail: `${cause.icebergType ?? `HTTP ${cause.status}`}: ${cause.message}`,
      cause
    })
  }
  return IcebergError.make({ reason: "catalog", table, location: catalog.uri, detail: String(cause), cause })
}

const clientId = (id: TableIdentifier.TableIdentifier): ClientIdentifier => ({ namespace: [...id.namespace], name: id.name })

const loadedOf = (response: { readonly metadata: unknown; readonly "metadata-location"?: string | undefined }, table: string): Loaded => ({
  metadata: TableMetadata.fromJson(response.metadata, response["metadata-location"], table),
  metadataLocation: response["metadata-location"] ?? "",
  version: 0
})

export const loadTable = async (catalog: Catalog, id: TableIdentifier.TableIdentifier): Promise<Loaded> => {
  const response = await catalog.client.loadTableResult(clientId(id))
  if (response === null) throw IcebergError.make({ reason: "catalog", table: TableIdentifier.format(id), detail: "the server answered 304 to an unconditional load" })
  return loadedOf(response, TableIdentifier.format(id))
}

export const commitTable = async (catalog: Catalog, id: TableIdentifier.TableIdentifier, change: TableUpdate.Commit): Promise<Loaded> => {
  const response = await catalog.client.commitTable(clientId(id), withRawLongs({
    identifier: clientId(id),
    requirements: change.requirements,
    updates: change.updates
  }) as CommitTableRequest)
  return loadedOf(response, TableIdentifier.format(id))
}

export const createTable = async (catalog: Catalog, id: TableIdentifier.TableIdentifier, request: CreateTableRequest): Promise<Loaded> => {
  const response = await catalog.client.createTableResult({ namespace: [...id.namespace] }, withRawLongs({
    name: id.name,
    schema: request.schema,
    ...(request.spec !== undefined ? { "partition-spec": request.spec } : {}),
    ...(request.sortOrder !== undefined ? { "write-order": request.sortOrder } : {}),
    ...(request.properties !== undefined ? { properties: request.properties } : {})
  }) as ClientCreateTableRequest)
  return loadedOf(response, TableIdentifier.format(id))
}
