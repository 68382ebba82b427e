// Shared fixtures: temporary warehouses, tables of known content, a static
// HTTP server over a folder (icebird reads over http(s) only), and a runner.
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import type { Table } from "apache-arrow"
import { Effect, Layer } from "effect"
import { IcebergCatalog } from "../src/index.ts"

export { eventsTable, tableOf } from "./tables.ts"

export const tempDir = (label: string): string => fs.mkdtempSync(path.join(os.tmpdir(), `strata-iceberg-${label}-`))

export const fileSystemLayer = (warehouse: string, location?: string): Layer.Layer<IcebergCatalog.IcebergCatalog> =>
  IcebergCatalog.layerFileSystem({ warehouse, location })

export const run = <A, E>(effect: Effect.Effect<A, E, IcebergCatalog.IcebergCatalog>, layer: Layer.Layer<IcebergCatalog.IcebergCatalog>) =>
  Effect.runPromise(effect.pipe(Effect.provide(layer)))

export const runExit = <A, E>(effect: Effect.Effect<A, E, IcebergCatalog.IcebergCatalog>, layer: Layer.Layer<IcebergCatalog.IcebergCatalog>) =>
  Effect.runPromiseExit(effect.pipe(Effect.provide(layer)))

/** Rows of a table as plain objects. */
export const rowsOf = (table: Table): Array<Record<string, unknown>> => table.toArray().map((row) => ({ ...(row.toJSON() as object) }))

/** Serves a folder over HTTP on loopback (GET only, paths cannot leave the folder). */
export const serveFolder = async (root: string): Promise<{ url: string; close: () => Promise<void> }> => {
  const server = http.createServer((request, response) => {
    const target = path.resolve(root, "." + decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname))
    if (!target.startsWith(path.resolve(root) + path.sep)) return response.writeHead(403).end()
    fs.readFile(target, (error, data) => {
      if (error) return response.writeHead(404).end()
      const type = target.endsWith(".json") ? "application/json" : "application/octet-stream"
      response.writeHead(200, { "content-type": type, "content-length": data.length }).end(data)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  }
}

/** The files of a folder, recursively (absolute paths). */
export const filesUnder = (folder: string): Array<string> => {
  if (!fs.existsSync(folder)) return []
  return fs.readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(path.join(folder, entry.name)) : [path.join(folder, entry.name)]
  )
}

/** Reads every record of an Avro container file with avro-js (Apache Avro's own JS implementation). */
export const avroRecords = async (file: string): Promise<Array<Record<string, unknown>>> => {
  const avro = (await import("avro-js/lib/files.js")).default as unknown as {
    createFileDecoder: (file: string) => NodeJS.ReadableStream
  }
  return new Promise((resolve, reject) => {
    const records: Array<Record<string, unknown>> = []
    avro.createFileDecoder(file).on("data", (record: Record<string, unknown>) => records.push(record)).on("end", () => resolve(records)).on("error", reject)
  })
}

/** The header of an Avro container file (schema JSON as written, key-value metadata) per avro-js. */
export const avroHeader = async (file: string): Promise<{ schema: unknown; meta: Record<string, string> }> => {
  const avro = (await import("avro-js/lib/files.js")).default as unknown as {
    extractFileHeader: (file: string) => { meta: Record<string, unknown> }
  }
  const header = avro.extractFileHeader(file)
  const meta: Record<string, string> = {}
  for (const [key, value] of Object.entries(header.meta)) if (key !== "avro.schema") meta[key] = String(value)
  return { schema: header.meta["avro.schema"], meta }
}

/** Reads a table with icebird over HTTP (rows as plain objects). */
export const icebirdRows = async (tableUrl: string): Promise<Array<Record<string, unknown>>> => {
  const { icebergRead } = await import("icebird")
  return icebergRead({ tableUrl })
}
