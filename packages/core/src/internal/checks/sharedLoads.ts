/**
 * The values the checks of a run load, shared: the checks of one asset run as
 * separate steps (some blocking, some not), and each used to load the asset's
 * value through its I/O manager on its own (two row checks on a Parquet file
 * read it twice). A run keeps one {@link SharedLoads}; the first check of an
 * asset (partition, data version) loads, the others wait for that load and
 * use its value. An entry is dropped once the asset's checks that may load
 * have all taken it, and every entry when the run ends, so a value is not
 * held longer than its checks need it.
 */
import { Deferred, Effect } from "effect"
import type { IOError } from "../../IOManager.ts"

interface Entry {
  readonly deferred: Deferred.Deferred<unknown, IOError>
  remaining: number
}

/** One run's shared check loads. */
export class SharedLoads {
  private readonly entries = new Map<string, Entry>()

  /** Values held now (for tests and diagnostics). */
  get size(): number {
    return this.entries.size
  }

  /**
   * The value under `key`, loading it with `load` when no check has yet;
   * `users` is how many checks may ask for it (the entry is dropped after the last).
   */
  get(key: string, users: number, load: Effect.Effect<unknown, IOError>): Effect.Effect<unknown, IOError> {
    return Effect.suspend(() => {
      const existing = this.entries.get(key)
      if (existing !== undefined) return Effect.ensuring(Deferred.await(existing.deferred), this.taken(key, existing))
      const entry: Entry = { deferred: Deferred.makeUnsafe<unknown, IOError>(), remaining: users }
      this.entries.set(key, entry)
      return load.pipe(
        Effect.onExit((exit) => Deferred.done(entry.deferred, exit)),
        Effect.ensuring(this.taken(key, entry))
      )
    })
  }

  /** Forgets every value (the run ended). */
  clear(): void {
    this.entries.clear()
  }

  private taken(key: string, entry: Entry): Effect.Effect<void> {
    return Effect.sync(() => {
      entry.remaining--
      if (entry.remaining <= 0 && this.entries.get(key) === entry) this.entries.delete(key)
    })
  }
}
