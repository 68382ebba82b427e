/**
 * A `LISTEN` connection: one client of the pool kept for notifications, and
 * opened again when it breaks (with `onReconnect`, so that the owner reads
 * what it may have missed meanwhile).
 */
import type pg from "pg"
import { Effect } from "effect"
import type { Scope } from "effect"

export interface ListenOptions {
  readonly pool: pg.Pool
  readonly channels: ReadonlyArray<string>
  readonly onNotification: (channel: string, payload: string) => void
  readonly onReconnect: () => void
  readonly onError: (error: unknown) => void
}

const quote = (name: string) => `"${name.replaceAll("\"", "\"\"")}"`

class Listener {
  private client: pg.PoolClient | undefined
  private closed = false
  private readonly options: ListenOptions

  constructor(options: ListenOptions) {
    this.options = options
  }

  async open(): Promise<void> {
    const client = await this.options.pool.connect()
    try {
      for (const channel of this.options.channels) await client.query(`listen ${quote(channel)}`)
    } catch (error) {
      client.release(true)
      throw error
    }
    client.on("notification", (message) => this.options.onNotification(message.channel, message.payload ?? ""))
    client.on("error", (error) => this.broken(client, error))
    this.client = client
  }

  private broken(client: pg.PoolClient, error: unknown): void {
    if (this.client !== client) return
    this.client = undefined
    client.release(true)
    if (this.closed) return
    this.options.onError(error)
    void this.reopen(250)
  }

  private async reopen(delayMs: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, delayMs).unref())
    if (this.closed) return
    try {
      await this.open()
      this.options.onReconnect()
    } catch (error) {
      this.options.onError(error)
      void this.reopen(Math.min(delayMs * 2, 5_000))
    }
  }

  close(): void {
    this.closed = true
    const client = this.client
    this.client = undefined
    client?.release(true)
  }
}

/** Listens on the channels for as long as the scope is open. */
export const listen = (options: ListenOptions): Effect.Effect<void, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const listener = new Listener(options)
        await listener.open()
        return listener
      },
      catch: (error) => new Error(`cannot listen for notifications: ${error instanceof Error ? error.message : String(error)}`)
    }),
    (listener) => Effect.sync(() => listener.close())
  ).pipe(Effect.asVoid)

/**
 * graphile-worker asks that a pool it is given handles errors of idle
 * connections (else it warns on every start): `PgClient`'s pool has an
 * `error` handler; a connection's own error while idle is reported by the
 * pool too, and while in use it fails the statement, so here it is only
 * kept from crashing the process.
 */
export const ensurePoolHandlers = (pool: pg.Pool): void => {
  if (pool.listeners("error").length === 0) pool.on("error", () => {})
  if (pool.listeners("connect").length === 0) pool.on("connect", (client) => client.on("error", () => {}))
}
