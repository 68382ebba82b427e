/**
 * The filesystem catalog (the layout of the reference implementation's
 * HadoopCatalog): a warehouse folder, one folder per namespace level, one per
 * table, and in the table's `metadata/` folder `v<N>.metadata.json` files and a
 * `version-hint.text` naming the latest N.
 *
 * The commit point is creating `v<N+1>.metadata.json` with a hard link, which
 * fails if another writer created it first: exactly one writer wins each
 * version, and a writer that loses reloads the table, checks its requirements
 * again and tries the next version. The version hint is written after the
 * commit and is only a hint: loading a table follows it, then moves forward
 * while a next version exists, so a writer killed between the link and the
 * hint loses nothing.
 *
 * Plain async functions; `IcebergCatalog.layerFileSystem` wraps them.
 */
import { randomUUID } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import * as IcebergError from "../IcebergError.ts"
import type { CreateTableRequest } from "../IcebergCatalog.ts"
import * as PartitionSpec from "../PartitionSpec.ts"
import * as TableIdentifier from "../TableIdentifier.ts"
import * as TableMetadata from "../TableMetadata.ts"
import * as TableUpdate from "../TableUpdate.ts"
import * as FileIO from "./fileio.ts"

/** The options of a filesystem catalog. */
export interface Options {
  /** The warehouse folder. */
  readonly warehouse: string
  /** The URI prefix written into metadata for the warehouse (default its `file://` URI), e.g. when it is served over HTTP. */
  readonly location?: string | undefined
  /** fsync metadata and data files before a commit reports (default false). */
  readonly durable?: boolean | undefined
  /** Commit attempts against concurrent writers before `commit-failed` (default 100). */
  readonly maxAttempts?: number | undefined
}

/** A filesystem catalog's state: plain values. */
export interface Catalog {
  readonly warehouse: string
  readonly io: FileIO.FileIO
  readonly durable: boolean
  readonly maxAttempts: number
}

/** A loaded table: its metadata and where that metadata file is. */
export interface Loaded {
  readonly metadata: TableMetadata.TableMetadata
  readonly metadataLocation: string
  readonly version: number
}

export const make = (options: Options): Catalog => {
  const warehouse = path.resolve(options.warehouse)
  return {
    warehouse,
    io: FileIO.make(options.location === undefined ? [] : [{ location: options.location, path: warehouse }]),
    durable: options.durable ?? false,
    maxAttempts: options.maxAttempts ?? 100
  }
}

const tableFolder = (catalog: Catalog, id: TableIdentifier.TableIdentifier) =>
  path.join(catalog.warehouse, ...id.namespace, id.name)

const metadataFolder = (catalog: Catalog, id: TableIdentifier.TableIdentifier) => path.join(tableFolder(catalog, id), "metadata")

const versionFile = (catalog: Catalog, id: TableIdentifier.TableIdentifier, version: number) =>
  path.join(metadataFolder(catalog, id), `v${version}.metadata.json`)

const exists = (file: string) => fs.promises.access(file).then(() => true, () => false)

const notFound = (id: TableIdentifier.TableIdentifier) =>
  IcebergError.make({ reason: "not-found", table: TableIdentifier.format(id), detail: "the table does not exist; create it first" })

/** The latest version: the hint, then forward while newer versions exist; 0 when the table has none. */
const latestVersion = async (catalog: Catalog, id: TableIdentifier.TableIdentifier): Promise<number> => {
  let version = 0
  try {
    const hint = Number.parseInt(await fs.promises.readFile(path.join(metadataFolder(catalog, id), "version-hint.text"), "utf8"), 10)
    if (Number.isSafeInteger(hint) && hint > 0) version = hint
  } catch {
    // no hint: list the folder
    const names = await fs.promises.readdir(metadataFolder(catalog, id)).catch(() => [] as Array<string>)
    for (const name of names) {
      const match = /^v(\d+)\.metadata\.json$/.exec(name)
      if (match !== null) version = Math.max(version, Number(match[1]))
    }
  }
  if (version > 0 && !(await exists(versionFile(catalog, id, version)))) version = 0
  while (await exists(versionFile(catalog, id, version + 1))) version += 1
  return version
}

export const loadTable = async (catalog: Catalog, id: TableIdentifier.TableIdentifier): Promise<Loaded> => {
  const version = await latestVersion(catalog, id)
  if (version === 0) throw notFound(id)
  const file = versionFile(catalog, id, version)
  const location = FileIO.toLocation(catalog.io, file)
  let text: string
  try {
    text = await fs.promises.readFile(file, "utf8")
  } catch (cause) {
    throw IcebergError.fromSystemError(cause, location, TableIdentifier.format(id))
  }
  return { metadata: TableMetadata.decode(text, location, TableIdentifier.format(id)), metadataLocation: location, version }
}

const writeVersion = async (catalog: Catalog, id: TableIdentifier.TableIdentifier, version: number, metadata: TableMetadata.TableMetadata) => {
  const file = versionFile(catalog, id, version)
  const location = FileIO.toLocation(catalog.io, file)
  const written = await FileIO.writeIfAbsent(catalog.io, location, new TextEncoder().encode(TableMetadata.encode(metadata)), catalog.durable)
  if (written) {
    // best effort: readers move forward past a stale hint
    await FileIO.replace(catalog.io, FileIO.toLocation(catalog.io, path.join(metadataFolder(catalog, id), "version-hint.text")), new TextEncoder().encode(String(version)))
      .catch(() => undefined)
  }
  return { written, location }
}

/** Applies a commit on the latest version; on a lost race, reloads and checks the requirements again. */
export const commitTable = async (
  catalog: Catalog,
  id: TableIdentifier.TableIdentifier,
  change: TableUpdate.Commit,
  nowMs: () => number
): Promise<Loaded> => {
  const name = TableIdentifier.format(id)
  for (let attempt = 0; attempt < catalog.maxAttempts; attempt++) {
    const current = await loadTable(catalog, id)
    const next = TableUpdate.commit(current.metadata, change, { nowMs: nowMs(), previousLocation: current.metadataLocation, table: name })
    const { written, location } = await writeVersion(catalog, id, current.version + 1, next)
    if (written) return { metadata: next, metadataLocation: location, version: current.version + 1 }
  }
  throw IcebergError.make({ reason: "commit-failed", table: name, detail: `lost the race for a new metadata version ${catalog.maxAttempts} times; try again` })
}

export const createTable = async (
  catalog: Catalog,
  id: TableIdentifier.TableIdentifier,
  request: CreateTableRequest,
  nowMs: number
): Promise<Loaded> => {
  const name = TableIdentifier.format(id)
  if (!(await namespaceExists(catalog, id.namespace))) {
    throw IcebergError.make({ reason: "not-found", table: name, detail: `namespace ${id.namespace.join(".")} does not exist; create it first` })
  }
  if ((await latestVersion(catalog, id)) > 0) throw IcebergError.make({ reason: "already-exists", table: name, detail: "the table exists" })
  const metadata = TableMetadata.initial({
    location: FileIO.toLocation(catalog.io, tableFolder(catalog, id)),
    schema: request.schema,
    spec: request.spec ?? PartitionSpec.unpartitioned,
    sortOrder: request.sortOrder,
    properties: request.properties,
    uuid: randomUUID(),
    nowMs,
    lastColumnId: request.lastColumnId
  })
  const { written, location } = await writeVersion(catalog, id, 1, metadata)
  if (!written) throw IcebergError.make({ reason: "already-exists", table: name, detail: "another writer created the table first" })
  return { metadata, metadataLocation: location, version: 1 }
}

export const dropTable = async (catalog: Catalog, id: TableIdentifier.TableIdentifier, purge: boolean): Promise<void> => {
  if ((await latestVersion(catalog, id)) === 0) throw notFound(id)
  await fs.promises.rm(purge ? tableFolder(catalog, id) : metadataFolder(catalog, id), { recursive: true, force: true })
}

const isTableFolder = async (folder: string) => exists(path.join(folder, "metadata"))

export const namespaceExists = async (catalog: Catalog, namespace: ReadonlyArray<string>): Promise<boolean> => {
  const folder = path.join(catalog.warehouse, ...namespace)
  const stat = await fs.promises.stat(folder).catch(() => undefined)
  return stat !== undefined && stat.isDirectory() && !(await isTableFolder(folder))
}

export const createNamespace = async (catalog: Catalog, namespace: ReadonlyArray<string>): Promise<void> => {
  TableIdentifier.checkNamespace(namespace)
  const folder = path.join(catalog.warehouse, ...namespace)
  if (await exists(folder)) {
    throw IcebergError.make({ reason: "already-exists", detail: `namespace ${namespace.join(".")} exists` })
  }
  await fs.promises.mkdir(folder, { recursive: true })
}

const subfolders = async (folder: string) =>
  (await fs.promises.readdir(folder, { withFileTypes: true }).catch(() => [] as Array<fs.Dirent>))
    .filter((entry) => entry.isDirectory() && TableIdentifier.checkSegment(entry.name) === undefined)
    .map((entry) => entry.name)
    .sort()

export const listNamespaces = async (catalog: Catalog, parent: ReadonlyArray<string>): Promise<Array<Array<string>>> => {
  const result: Array<Array<string>> = []
  for (const name of await subfolders(path.join(catalog.warehouse, ...parent))) {
    if (!(await isTableFolder(path.join(catalog.warehouse, ...parent, name)))) result.push([...parent, name])
  }
  return result
}

export const listTables = async (catalog: Catalog, namespace: ReadonlyArray<string>): Promise<Array<TableIdentifier.TableIdentifier>> => {
  if (!(await namespaceExists(catalog, namespace))) {
    throw IcebergError.make({ reason: "not-found", detail: `namespace ${namespace.join(".")} does not exist` })
  }
  const result: Array<TableIdentifier.TableIdentifier> = []
  for (const name of await subfolders(path.join(catalog.warehouse, ...namespace))) {
    const id = { namespace: [...namespace], name }
    if ((await latestVersion(catalog, id)) > 0) result.push(id)
  }
  return result
}

export const dropNamespace = async (catalog: Catalog, namespace: ReadonlyArray<string>): Promise<void> => {
  if (!(await namespaceExists(catalog, namespace))) {
    throw IcebergError.make({ reason: "not-found", detail: `namespace ${namespace.join(".")} does not exist` })
  }
  if ((await subfolders(path.join(catalog.warehouse, ...namespace))).length > 0) {
    throw IcebergError.make({ reason: "invalid-argument", detail: `namespace ${namespace.join(".")} is not empty` })
  }
  await fs.promises.rmdir(path.join(catalog.warehouse, ...namespace))
}
