/**
 * A downstream asset reading a range of an upstream's partitions through a
 * time-window mapping, on the real Postgres: the weekly asset gets the 7 days
 * as one table, in day order, read with one query (counted on the real
 * client's COPY ... TO STDOUT statements).
 */
import { describe, expect, layer } from "@effect/vitest"
import { Asset, Instance, IOManager, Materialize, PartitionMapping, Partitions, Project } from "@strata/core"
import * as Arrow from "apache-arrow"
import { Effect, Layer } from "effect"
import { PgClient, PostgresIOManager } from "../src/index.ts"
import { clientLayer } from "./support.ts"

class DaysIO extends IOManager.Tag<DaysIO, Arrow.Table>()("test/DaysIO") {}

const reads: Array<string> = []

// the real client, with its COPY ... TO STDOUT statements (loads) written down
const countingClient = Layer.effect(
  PgClient,
  Effect.map(PgClient, (client): PgClient["Service"] => ({
    ...client,
    withConnection: (use) =>
      client.withConnection((connection) =>
        use({
          ...connection,
          copyTo: (sql, onChunk) => {
            reads.push(sql)
            return connection.copyTo(sql, onChunk)
          }
        })
      )
  }))
)

const days = Partitions.daily({ start: "2024-01-01" })
const daily = Asset.make("events/daily", { io: DaysIO, partitions: days }, (_, context) =>
  Effect.sync(() => {
    const day = context.partitions.keys[0]!
    return Arrow.tableFromArrays({ day: [day, day, day], n: Int32Array.from([1, 2, 3]) })
  }))
const seen: Array<ReadonlyArray<string>> = []
const weekly = Asset.make("events/weekly", {
  io: DaysIO,
  deps: { daily },
  partitions: Partitions.weekly({ start: "2024-01-01" }),
  partitionMappings: { daily: PartitionMapping.timeWindow() }
}, ({ daily }) =>
  Effect.sync(() => {
    seen.push(daily.toArray().map((row) => `${row.day}#${row.n}`))
    return Arrow.tableFromArrays({ rows: Int32Array.from([daily.numRows]) })
  }))
const project = Project.make({ assets: [daily, weekly] })

const environment = Layer.mergeAll(PostgresIOManager.layerFor(DaysIO, { schema: "lake" }), Instance.layerMemory).pipe(
  Layer.provideMerge(countingClient),
  Layer.provideMerge(clientLayer)
)

describe("a range of partitions loaded from Postgres", () => {
  layer(environment, { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("a weekly asset reads its 7 daily partitions as one table, in day order, with one query", () =>
      Effect.gen(function*() {
        // the days stored out of order, one run each
        for (const day of ["2024-01-05", "2024-01-02", "2024-01-07", "2024-01-01", "2024-01-03", "2024-01-06", "2024-01-04", "2024-01-08"]) {
          const result = yield* Materialize.materialize(project, { selection: "events/daily", partition: day })
          expect(result.status).toBe("succeeded")
        }
        reads.length = 0
        const week = yield* Materialize.materialize(project, { selection: "events/weekly", partition: "2024-01-01" })
        expect(week.status).toBe("succeeded")
        const expected = Array.from({ length: 7 }, (_, i) => `2024-01-0${i + 1}`).flatMap((day) => [1, 2, 3].map((n) => `${day}#${n}`))
        expect(seen).toEqual([expected])
        // one load of events/daily: the range's seven keys in one statement (the eighth day is not read)
        const loads = reads.filter((sql) => sql.includes("events") && sql.includes("daily"))
        expect(loads).toHaveLength(1)
        expect(loads[0]).toContain("any(array['2024-01-01', ")
        expect(loads[0]).not.toContain("2024-01-08")
      }))
  })
})
