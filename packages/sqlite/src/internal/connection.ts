/**
 * One SQLite connection as the instance's domains use it: prepared statements
 * cached by text, immediate write transactions, errors mapped to
 * `InstanceError`, and run ids mapped to their `seq` (which never changes).
 */
import { Instance } from "@strata/core"
import { Effect } from "effect"
import { Abort } from "./codec.ts"
import type { Database, Statement } from "./database.ts"
import { rollback, toInstanceError } from "./database.ts"

export class Connection {
  readonly db: Database
  readonly path: string
  private readonly statements = new Map<string, Statement>()
  private readonly runSeqs = new Map<string, number>()
  private readonly selectRunSeq: Statement

  constructor(db: Database, path: string) {
    this.db = db
    this.path = path
    this.selectRunSeq = this.sql("SELECT seq FROM runs WHERE run_id = ?")
  }

  /** A prepared statement, prepared once per connection. */
  sql(text: string): Statement {
    let statement = this.statements.get(text)
    if (statement === undefined) {
      statement = this.db.prepare(text)
      this.statements.set(text, statement)
    }
    return statement
  }

  /** Runs `body` in an immediate transaction (the write lock is taken at BEGIN, not at the first write). */
  transaction<A>(body: () => A): A {
    this.db.exec("BEGIN IMMEDIATE")
    try {
      const result = body()
      this.db.exec("COMMIT")
      return result
    } catch (error) {
      rollback(this.db)
      throw error
    }
  }

  /** Runs synchronous SQL as an Effect; an `Abort` carries a typed error, anything else is mapped. */
  attempt<A>(operation: string, body: () => A): Effect.Effect<A, Instance.InstanceError> {
    return Effect.try({
      try: body,
      catch: (error) => error instanceof Abort ? error.error : toInstanceError(operation, this.path, error)
    })
  }

  runSeq(runId: string): number | undefined {
    let seq = this.runSeqs.get(runId)
    if (seq === undefined) {
      const row = this.selectRunSeq.get(runId) as { seq: number } | undefined
      if (row === undefined) return undefined
      seq = row.seq
      this.runSeqs.set(runId, seq)
    }
    return seq
  }

  /** Forgets cached run seqs (after runs were deleted). */
  forgetRuns(): void {
    this.runSeqs.clear()
  }

  corrupt(operation: string, message: string): Abort {
    return new Abort(new Instance.InstanceError({ operation, reason: "corrupt", path: this.path, message }))
  }
}
