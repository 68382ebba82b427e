/**
 * Internal stages on the local disk. Snowflake's drivers know a test-only
 * stage location type, `LOCAL_FS`: for a `PUT` the server answers with the
 * stage's directory and the driver itself copies the file there (no cloud
 * storage, no encryption). That only works when the driver and the server
 * share a file system, which is the case for a local test server.
 *
 * Stage names: `@name` (a stage created with `CREATE STAGE`), `@~` (the
 * user's stage), `@%table` (a table's stage), each optionally followed by a
 * `/path/prefix`. Paths are resolved inside the stage's directory; one that
 * would leave it is refused.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { serverError } from "./errors.ts"

/** A stage reference: which stage and the path inside it. */
export interface StageLocation {
  /** The stage's directory. */
  readonly directory: string
  /** The path inside the stage (no leading `/`), possibly empty. */
  readonly prefix: string
  /** How the stage is named in results (`stage/path/`). */
  readonly display: string
}

const SAFE = /[^A-Za-z0-9_.$-]/g

/** The stage registry of one server: names to directories. */
export class Stages {
  private readonly named = new Map<string, string>()
  readonly root: string
  constructor(root: string) {
    this.root = root
  }

  create(name: string, replace: boolean, ifNotExists: boolean): void {
    const key = name.toUpperCase()
    const directory = path.join(this.root, "named", key.replace(SAFE, "_"))
    if (this.named.has(key)) {
      if (ifNotExists) return
      if (!replace) throw serverError("alreadyExists", `SQL compilation error:\nObject '${key}' already exists.`)
      fs.rmSync(directory, { recursive: true, force: true })
    }
    fs.mkdirSync(directory, { recursive: true })
    this.named.set(key, directory)
  }

  drop(name: string, ifExists: boolean): void {
    const key = name.toUpperCase()
    const directory = this.named.get(key)
    if (directory === undefined) {
      if (ifExists) return
      throw serverError("objectNotFound", `SQL compilation error:\nStage '${key}' does not exist or not authorized.`)
    }
    fs.rmSync(directory, { recursive: true, force: true })
    this.named.delete(key)
  }

  /** Resolves `@stage/prefix` for a user. */
  resolve(reference: string, user: string): StageLocation {
    const text = reference.replace(/^'|'$/g, "")
    if (!text.startsWith("@")) throw serverError("syntax", `SQL compilation error:\nsyntax error: expected a stage, got '${text}'`)
    const slash = text.indexOf("/")
    const name = slash === -1 ? text.slice(1) : text.slice(1, slash)
    const rawPrefix = slash === -1 ? "" : text.slice(slash + 1)
    let directory: string
    if (name === "~") directory = path.join(this.root, "users", user.replace(SAFE, "_"))
    else if (name.startsWith("%")) directory = path.join(this.root, "tables", name.slice(1).toUpperCase().replace(SAFE, "_"))
    else {
      // `db.schema.stage` and `stage` both name the stage by its last part
      const key = name.split(".").pop()!.replace(/^"|"$/g, "").toUpperCase()
      const found = this.named.get(key)
      if (found === undefined) {
        throw serverError("objectNotFound", `SQL compilation error:\nStage '${key}' does not exist or not authorized.`)
      }
      directory = found
    }
    const prefix = path.posix.normalize(rawPrefix === "" ? "." : rawPrefix)
    if (prefix.startsWith("..") || path.posix.isAbsolute(prefix)) {
      throw serverError("execution", `The stage path '${rawPrefix}' leaves the stage.`)
    }
    fs.mkdirSync(directory, { recursive: true })
    const clean = prefix === "." ? "" : prefix.replace(/\/$/, "")
    return { directory, prefix: clean, display: `${name.toLowerCase()}${clean === "" ? "" : `/${clean}`}` }
  }
}

/** A staged file. */
export interface StagedFile {
  readonly absolute: string
  /** Relative to the stage directory, with `/`. */
  readonly relative: string
  readonly size: number
  readonly modified: Date
}

/**
 * Files under a stage location: everything below the prefix when it names a
 * directory, else the files whose relative path starts with it (Snowflake
 * treats the prefix as a string prefix).
 */
export const listFiles = (location: StageLocation): Array<StagedFile> => {
  const files: Array<StagedFile> = []
  const walk = (directory: string) => {
    if (!fs.existsSync(directory)) return
    for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
      const absolute = path.join(directory, entry.name)
      if (entry.isDirectory()) walk(absolute)
      else if (entry.isFile()) {
        const relative = path.relative(location.directory, absolute).split(path.sep).join("/")
        if (location.prefix === "" || relative.startsWith(location.prefix)) {
          const stat = fs.statSync(absolute)
          files.push({ absolute, relative, size: stat.size, modified: stat.mtime })
        }
      }
    }
  }
  walk(location.directory)
  return files.sort((a, b) => a.relative.localeCompare(b.relative))
}

/** The directory a `PUT` writes into: the prefix is a directory for PUT. */
export const putDirectory = (location: StageLocation): string => {
  const directory = location.prefix === "" ? location.directory : path.join(location.directory, ...location.prefix.split("/"))
  fs.mkdirSync(directory, { recursive: true })
  return directory
}
