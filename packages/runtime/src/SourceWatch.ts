/**
 * Watches the files that a project's sources read (`SourceAsset.file`) and
 * reports, debounced, which sources' files changed; {@link SourceWatching}
 * observes them through the run coordinator (`Observe.sources`), so that a new
 * raw file turns its downstream stale without a click, and follows reloads.
 *
 * A source's `folder/*` stands for any file of that folder.
 *
 * Folders are watched, not files: writers often replace a file by writing a
 * new one and renaming it over the old one, which ends a watch on the old
 * inode; and a file that does not exist yet has no inode to watch, but its
 * creation is a change.
 */
import { watch } from "node:fs"
import type { FSWatcher } from "node:fs"
import { basename, dirname } from "node:path"
import type { Asset, Instance } from "@strata/core"
import { Observe, SourceAsset } from "@strata/core"
import { Cause, Context, Effect, Queue, type Scope } from "effect"
import type { Generation, ProjectHost } from "./ProjectHost.ts"

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
        // `folder/*`: any file of the folder (a partitioned source's drops)
        const any = names.get("*")
        if (any !== undefined) changed(any)
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

/**
 * Observes the sources whose files change, on the generation that was current
 * when they changed, one batch at a time in the order the changes came; a
 * reload watches the new generation's files instead.
 *
 * @since 0.1.0
 */
export class SourceWatching {
  private watcher: SourceWatcher | undefined
  private readonly changes: Queue.Queue<{ readonly generation: Generation; readonly keys: ReadonlyArray<string> }>
  private readonly host: ProjectHost
  private readonly services: Context.Context<never>

  private constructor(host: ProjectHost, changes: SourceWatching["changes"], services: Context.Context<never>) {
    this.host = host
    this.changes = changes
    this.services = services
  }

  /** Starts watching the current generation, and every later one; stops when the scope closes. */
  static start = (host: ProjectHost): Effect.Effect<SourceWatching, never, Scope.Scope> =>
    Effect.gen(function*() {
      const changes = yield* Queue.unbounded<{ readonly generation: Generation; readonly keys: ReadonlyArray<string> }>()
      const watching = new SourceWatching(host, changes, yield* Effect.context<never>())
      yield* watching.watch(host.current)
      host.onReload((generation) => watching.watch(generation))
      yield* Effect.addFinalizer(() => Effect.sync(() => watching.close()))
      yield* Effect.forkScoped(Effect.forever(Effect.flatMap(Queue.take(watching.changes), (batch) => watching.observe(batch.generation, batch.keys))))
      return watching
    })

  /** Folders being watched now. */
  get folders(): ReadonlyArray<string> {
    return this.watcher?.folders ?? []
  }

  private close(): void {
    this.watcher?.close()
    this.watcher = undefined
  }

  private watch(generation: Generation): Effect.Effect<void> {
    return Effect.sync(() => {
      this.close()
      const sources = watchedSources(generation.project.graph.nodes)
      if (sources.length === 0) return
      this.watcher = watchSourceFiles(
        sources,
        (keys) => Queue.offerUnsafe(this.changes, { generation, keys }),
        (text) => Effect.runForkWith(this.services)(Effect.logWarning(text))
      )
    })
  }

  /**
   * Records new data versions, failures (a deleted file) and recoveries of the
   * changed sources, in one observation run; nothing when nothing changed.
   */
  private observe(generation: Generation, changed: ReadonlyArray<string>): Effect.Effect<void> {
    // a reload since: the new generation's watcher reports its own changes
    if (generation !== this.host.current) return Effect.void
    const keys = changed.filter((key) => generation.project.graph.index.has(key))
    if (keys.length === 0) return Effect.void
    const observe = Observe.sources(generation.project, { selection: keys.join(", "), recordFailures: true }).pipe(
      Effect.provideContext(generation.context as Context.Context<unknown>)
    ) as Effect.Effect<Observe.ObserveResult, Instance.InstanceError | { readonly message: string }>
    return this.host.hold(generation, observe).pipe(
      Effect.asVoid,
      Effect.catchCause((cause) =>
        Cause.hasInterruptsOnly(cause)
          ? Effect.interrupt
          : Effect.logWarning(`cannot observe the changed sources ${changed.join(", ")}: ${String(Cause.squash(cause))}`)
      )
    )
  }
}
