/**
 * Writing a template into a folder without ever replacing a file that is there.
 *
 * The target must be missing or empty (a `.git` folder aside) unless `force`; even with `force`, a file
 * that exists is left as it is and reported as skipped. Each file is written to a temporary name in its
 * folder and then hard-linked to its final name: the link fails if the name exists (no check-then-write
 * race), and a file appears complete or not at all.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { InitError } from "./InitError.ts"
import type { TemplateFile } from "./Template.ts"

/**
 * What writing a template did: paths relative to the project folder.
 *
 * @since 0.1.0
 */
export interface Written {
  readonly created: ReadonlyArray<string>
  /** Files that were already there and were left untouched. */
  readonly skipped: ReadonlyArray<string>
}

/** Entries that do not make a folder "not empty" for `strata init`. */
const ignoredEntries = new Set([".git"])

/**
 * Fails unless `directory` is missing, or an empty folder, or `force` is set (then any folder will do).
 * Creates it when missing.
 *
 * @since 0.1.0
 */
export const prepareTarget = (directory: string, force: boolean): Effect.Effect<void, InitError> =>
  Effect.try({
    try: () => {
      const stat = fs.statSync(directory, { throwIfNoEntry: false })
      if (stat === undefined) {
        fs.mkdirSync(directory, { recursive: true })
        return undefined
      }
      if (!stat.isDirectory()) {
        return new InitError({ reason: "not-a-folder", path: directory, message: `${directory} exists and is not a folder` })
      }
      const entries = fs.readdirSync(directory).filter((entry) => !ignoredEntries.has(entry)).sort()
      if (entries.length === 0 || force) return undefined
      const shown = entries.slice(0, 5).join(", ") + (entries.length > 5 ? `, ... (${entries.length} entries)` : "")
      return new InitError({
        reason: "not-empty",
        path: directory,
        message: `${directory} is not empty (${shown}). Pick an empty or new folder, or pass --force to add the ` +
          "template's files that are missing (existing files are never overwritten)"
      })
    },
    catch: (error) => new InitError({ reason: "write", path: directory, message: `cannot create ${directory}: ${(error as Error).message}` })
  }).pipe(Effect.flatMap((failure) => failure === undefined ? Effect.void : Effect.fail(failure)))

/**
 * Writes `content` to `file` unless `file` exists. `true` when written, `false` when it was there.
 *
 * @since 0.1.0
 */
export const writeNew = (file: string, content: string | Uint8Array): boolean => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  if (fs.existsSync(file)) return false
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.strata-init-${process.pid}-${Date.now()}`)
  fs.writeFileSync(temporary, content, { flag: "wx" })
  try {
    fs.linkSync(temporary, file)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false
    throw error
  } finally {
    fs.rmSync(temporary, { force: true })
  }
}

/**
 * Writes the files into `directory`, each only if it does not exist yet.
 *
 * @since 0.1.0
 */
export const writeFiles = (directory: string, files: ReadonlyArray<TemplateFile>): Effect.Effect<Written, InitError> =>
  Effect.gen(function*() {
    const created: Array<string> = []
    const skipped: Array<string> = []
    for (const file of files) {
      const target = path.join(directory, ...file.path.split("/"))
      const wrote = yield* Effect.try({
        try: () => writeNew(target, file.content),
        catch: (error) => new InitError({ reason: "write", path: target, message: `cannot write ${target}: ${(error as Error).message}` })
      })
      ;(wrote ? created : skipped).push(file.path)
    }
    return { created, skipped }
  })
