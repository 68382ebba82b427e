/** What the Postgres instance's domains share: the client, the schema, and how errors become `InstanceError`s. */
import { Instance } from "@strata/core"
import { Effect } from "effect"
import type { PgClient, PgConnection } from "../../PgClient.ts"
import { quoteIdentifier, quoteLiteral } from "../../PgClient.ts"
import type { PgError } from "../../PgError.ts"

type InstanceError = Instance.InstanceError

const errorReason = (error: PgError): InstanceError["reason"] => {
  switch (error.reason) {
    case "connection":
    case "timeout":
    case "resources":
      return "unavailable"
    case "deadlock":
    case "serialization":
      return "locked"
    default:
      return "io"
  }
}

/** The channel appends NOTIFY (at commit) and a daemon LISTENs on: `strata_events:<schema>`. */
export const eventsChannelOf = (schemaName: string): string => `strata_events:${schemaName}`.slice(0, 63)

export class PgInstanceContext {
  readonly client: PgClient["Service"]
  readonly schemaName: string
  /** The quoted schema name, for SQL text. */
  readonly s: string
  readonly describe: string

  constructor(client: PgClient["Service"], schemaName: string) {
    this.client = client
    this.schemaName = schemaName
    this.s = quoteIdentifier(schemaName)
    this.describe = `postgres postgres://${client.info.host}:${client.info.port}/${client.info.database} (schema ${schemaName})`
  }

  /** Maps driver errors and unreadable rows to `InstanceError`s naming the operation and the database. */
  wrap(operation: string) {
    return <A, R>(effect: Effect.Effect<A, PgError | InstanceError, R>): Effect.Effect<A, InstanceError, R> =>
      effect.pipe(
        Effect.catch((error): Effect.Effect<never, InstanceError> =>
          error._tag === "@strata/core/InstanceError"
            ? Effect.fail(error)
            : Effect.fail(
              new Instance.InstanceError({
                operation,
                reason: errorReason(error),
                message: `${this.describe}: ${error.message}${error.sqlState ? ` (SQLSTATE ${error.sqlState})` : ""}`,
                cause: error
              })
            )
        ),
        Effect.catchDefect((defect) =>
          Effect.fail(
            new Instance.InstanceError({
              operation,
              reason: "corrupt",
              message: `${this.describe}: unreadable data: ${defect instanceof Error ? defect.message : String(defect)}`,
              cause: defect
            })
          )
        ),
        Effect.withSpan(`PostgresInstance.${operation}`)
      )
  }

  /**
   * Appends (and reaping, and pruning) take this transaction-level lock, so event ids are handed out in commit
   * order: a reader tailing the log with an `after` cursor never skips an event that commits later with a
   * smaller id.
   */
  /** The channel appends NOTIFY (at commit) and a daemon LISTENs on: `strata_events:<schema>`. */
  get eventsChannel(): string {
    return eventsChannelOf(this.schemaName)
  }

  /** The append lock as SQL without parameters (to share a message with `begin`). */
  get lockSql(): string {
    return `select pg_advisory_xact_lock(hashtext(${quoteLiteral(`strata-events:${this.schemaName}`)}))`
  }

  lockEvents(connection: PgConnection) {
    return connection.query("select pg_advisory_xact_lock(hashtext($1))", [`strata-events:${this.schemaName}`])
  }
}
