/**
 * Watches the files that a project's sources read (`SourceAsset.file`) and
 * reports, debounced, which sources' files changed. The engine observes them.
 *
 * Folders are watched, not files: writers often replace a file by writing a
 * new one and renaming it over the old one, which ends a watch on the old
 * inode; and a file that does not exist yet has no inode to watch, but its
 * creation is a change.
 */
import { watch } from "node:fs"
import type { FSWatcher } from "node:fs"
import { basename, dirname } from "node:path"
import { SourceAsset } from "@strata/core"
import type { Asset } from "@strata/core"

type AnyNode = Asset.AnyNode

/** A source and the absolute paths of the files it reads. */
export interface WatchedSource {
  readonly key: string
  readonly files: ReadonlyArray<string>
}

/** Stops watching. */
export interface SourceWatcher {
  /** Folders being watched. */
  readonly folders: ReadonlyArray<string>
  readonly close: () => void
}

/** The sources of a loaded graph that read local files. */
export const watchedSources = (nodes: ReadonlyArray<AnyNode>): Array<WatchedSource> => {
  const result: Array<WatchedSource> = []
  for (const node of nodes) {
    if (SourceAsset.isSourceAsset(node) && node.files.length > 0) result.push({ key: node.key, files: node.files })
  }
  return result
}

/**
 * Starts watching. `onChange` receives the keys of the sources whose files
 * changed, once the writes have settled for `debounceMs`; `onError` a
 * message for each folder that cannot be watched (the watch goes on for the
 * others).
 */
export const watchSourceFiles = (
  sources: ReadonlyArray<WatchedSource>,
  onChange: (keys: ReadonlyArray<string>) => void,
  onError: (message: string) => void,
  debounceMs = 250
): SourceWatcher => {
  // folder -> file name -> keys of the sources reading it
  const byFolder = new Map<string, Map<string, Set<string>>>()
  for (const source of sources) {
    for (const file of source.files) {
      const folder = dirname(file)
      let names = byFolder.get(folder)
      if (names === undefined) byFolder.set(folder, names = new Map())
      let keys = names.get(basename(file))
      if (keys === undefined) names.set(basename(file), keys = new Set())
      keys.add(source.key)
    }
  }
  const pending = new Set<string>()
  let timer: ReturnType<typeof setTimeout> | undefined
  let closed = false
  const flush = () => {
    timer = undefined
    if (closed || pending.size === 0) return
    const keys = [...pending]
    pending.clear()
    onChange(keys)
  }
  const changed = (keys: Iterable<string>) => {
    for (const key of keys) pending.add(key)
    if (timer !== undefined) clearTimeout(timer)
    timer = setTimeout(flush, debounceMs)
  }
  const watchers: Array<FSWatcher> = []
  const folders: Array<string> = []
  for (const [folder, names] of byFolder) {
    try {
      const watcher = watch(folder, { persistent: false }, (_event, name) => {
        if (closed) return
        if (name === null) {
          // the platform did not say which file: any of the folder's may have changed
          for (const keys of names.values()) changed(keys)
          return
        }
        const keys = names.get(String(name))
        if (keys !== undefined) changed(keys)
      })
      watcher.on("error", (error) => {
        onError(`stopped watching ${folder} for source changes: ${error.message}`)
        watcher.close()
      })
      watchers.push(watcher)
      folders.push(folder)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      onError(
        code === "ENOENT"
          ? `cannot watch ${folder} for source changes: the folder does not exist; create it and reload the project`
          : `cannot watch ${folder} for source changes: ${(error as Error).message}`
      )
    }
  }
  return {
    folders,
    close: () => {
      closed = true
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      for (const watcher of watchers) watcher.close()
    }
  }
}
