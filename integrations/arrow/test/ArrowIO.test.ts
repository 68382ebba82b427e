import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { AssetKey, IOManager } from "@strata/core"
import type { Table } from "apache-arrow"
import { Field, Float64, Int32, makeData, makeVector, SparseUnion, tableFromArrays, tableToIPC, Utf8 } from "apache-arrow"
import { Effect } from "effect"
import { ArrowError, ArrowIO, Tables } from "../src/index.ts"
import { bigTable, expectSameSchema, expectSameValues, fileVersion, tempFolder } from "./fixtures.ts"

const output = (key: string, extra?: Partial<IOManager.OutputContext>): IOManager.OutputContext => ({
  key: AssetKey.make(key),
  partition: undefined,
  runId: "run-1",
  definitionMetadata: {},
  ...extra
})

const input = (key: string, extra?: Partial<IOManager.InputContext>): IOManager.InputContext => ({
  key: AssetKey.make(key),
  partition: undefined,
  downstream: undefined,
  definitionMetadata: {},
  ...extra
})

const arrowCause = (error: IOManager.IOError): ArrowError.ArrowError => {
  expect(error).toBeInstanceOf(IOManager.IOError)
  expect(error.cause).toBeInstanceOf(ArrowError.ArrowError)
  return error.cause as ArrowError.ArrowError
}

const leftovers = (folder: string): Array<string> =>
  (fs.readdirSync(folder, { recursive: true }) as Array<string>).filter((name) => name.endsWith(".tmp"))

describe("ArrowIO round trips", () => {
  const million = bigTable(1_000_000)

  for (const format of ["parquet", "ipc"] as const) {
    it.effect(`1,000,000 rows x 6 columns through ${format}, exactly`, () =>
      Effect.gen(function*() {
        const base = tempFolder()
        const io = ArrowIO.make({ base, format })
        const stored = yield* io.store(output("bronze/events"), million)
        const file = path.join(base, "bronze", format === "parquet" ? "events.parquet" : "events.arrow")
        expect(fs.existsSync(file)).toBe(true)
        const loaded = yield* io.load(input("bronze/events"))
        expectSameSchema(loaded, million)
        expectSameValues(loaded, million)

        const metadata = stored.metadata!
        expect(metadata.row_count).toBe(1_000_000)
        expect(metadata.bytes).toBe(fs.statSync(file).size)
        expect(metadata.path).toBe(file)
        expect(metadata.uri).toBe(`file://${file}`)
        expect(metadata.format).toBe(format)
        expect(stored.dataVersion).toBe(yield* fileVersion(file))
        const columns = metadata.columns as Record<string, Record<string, unknown>>
        for (const field of million.schema.fields) {
          expect(columns[field.name]!.null_count).toBe(million.getChild(field.name)!.nullCount)
        }
        expect(leftovers(base)).toEqual([])
      }), 120_000)
  }
})

describe("ArrowIO off the main thread", () => {
  it.effect("Parquet encoding and decoding run in the worker: the event loop keeps turning", () =>
    Effect.gen(function*() {
      const io = ArrowIO.make({ base: tempFolder() })
      const table = bigTable(1_000_000, 4)
      yield* io.write("warm", bigTable(10))
      const lag = (run: Effect.Effect<unknown, unknown>) =>
        Effect.gen(function*() {
          let last = performance.now()
          let worst = 0
          const timer = setInterval(() => {
            const now = performance.now()
            worst = Math.max(worst, now - last)
            last = now
          }, 2)
          const start = performance.now()
          yield* run.pipe(Effect.ensuring(Effect.sync(() => clearInterval(timer))))
          return { worst, total: performance.now() - start }
        })
      const write = yield* lag(io.write("big", table))
      const read = yield* lag(io.read("big"))
      // the main thread only copies the table into IPC bytes, profiles it and renames the file: were
      // the encoding on the main thread, the longest pause would be (nearly) the whole operation.
      // The bound leaves room for a loaded CI machine descheduling the process.
      expect(write.worst).toBeLessThan(write.total * 0.75)
      expect(read.worst).toBeLessThan(read.total * 0.75)
    }), 60_000)
})

describe("ArrowIO concurrency", () => {
  it.effect("concurrent stores of different assets and formats share the worker and all land", () =>
    Effect.gen(function*() {
      const base = tempFolder()
      const parquet = ArrowIO.make({ base })
      const ipc = ArrowIO.make({ base: path.join(base, "ipc"), format: "ipc" })
      const tables = Array.from({ length: 8 }, (_, i) => bigTable(20_000 + i * 1000, i))
      yield* Effect.all(
        tables.map((table, i) => (i % 2 === 0 ? parquet : ipc).write(`asset_${i}`, table)),
        { concurrency: "unbounded" }
      )
      const loaded = yield* Effect.all(
        tables.map((_, i) => (i % 2 === 0 ? parquet : ipc).read(`asset_${i}`)),
        { concurrency: "unbounded" }
      )
      loaded.forEach((table, i) => expectSameValues(table, tables[i]!))
    }))
})

describe("ArrowIO files", () => {
  it.effect("lays out one file per asset and per partition", () =>
    Effect.gen(function*() {
      const base = tempFolder()
      const io = ArrowIO.make({ base })
      const table = Tables.fromRows([{ day: "2024-01-01", n: 1 }])
      yield* io.store(output("silver/daily"), table)
      yield* io.store(output("silver/daily", { partition: "2024-01-01" }), table)
      yield* io.store(output("silver/daily", { partition: "eu/west" }), table)
      expect(fs.existsSync(path.join(base, "silver", "daily.parquet"))).toBe(true)
      expect(fs.existsSync(path.join(base, "silver", "daily", "@2024-01-01.parquet"))).toBe(true)
      expect(fs.existsSync(path.join(base, "silver", "daily", "@eu%2Fwest.parquet"))).toBe(true)
      expect(io.path("silver/daily", "eu/west")).toBe(path.join(base, "silver", "daily", "@eu%2Fwest.parquet"))
      const loaded = yield* io.load(input("silver/daily", { partition: "eu/west" }))
      expect(Tables.toRows(loaded)).toEqual([{ day: "2024-01-01", n: 1 }])
    }))

  it.effect("removes temporary files of dead writers on this host, and only those", () =>
    Effect.gen(function*() {
      const base = tempFolder()
      const host = os.hostname()
      const dead = 2 ** 22 + 12_345 // above Linux's pid_max default of 2^22
      const names = {
        dead: `t.parquet.${host}.${dead}.1.tmp`,
        alive: `t.parquet.${host}.${process.ppid}.1.tmp`,
        otherHost: `t.parquet.elsewhere.example.${dead}.1.tmp`,
        unrelated: "notes.tmp",
        deadOld: `t.parquet.${host}.${dead}.2.old`,
        aliveOld: `t.parquet.${host}.${process.ppid}.2.old`
      }
      for (const name of Object.values(names)) fs.writeFileSync(path.join(base, name), "partial")
      yield* ArrowIO.make({ base }).write("t", Tables.fromColumns({ n: new Int32Array([1]) }))
      expect(fs.readdirSync(base).sort()).toEqual(
        [names.alive, names.aliveOld, names.otherHost, names.unrelated, "t.parquet"].sort()
      )
    }))

  it.effect("replacing a file: readers see the old or the new file, and the old one is unlinked after the store", () =>
    Effect.gen(function*() {
      for (const format of ["parquet", "ipc"] as const) {
        const io = ArrowIO.make({ base: tempFolder(), format })
        const first = bigTable(1000, 1)
        const second = bigTable(2000, 2)
        yield* io.write("t", first)
        const held = fs.openSync(io.path("t"), "r")
        const stored = yield* io.write("t", second)
        expect(stored.dataVersion).toBe(yield* fileVersion(io.path("t")))
        expectSameValues(yield* io.read("t"), second)
        // a reader that opened the old file still reads all of it
        const old = Buffer.alloc(fs.fstatSync(held).size)
        fs.readSync(held, old, 0, old.byteLength, 0)
        fs.closeSync(held)
        expect(old.subarray(0, 4).toString()).toBe(format === "parquet" ? "PAR1" : "ARRO")
        const folder = path.dirname(io.path("t"))
        for (let i = 0; i < 200 && fs.readdirSync(folder).length > 1; i++) {
          yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10)))
        }
        expect(fs.readdirSync(folder)).toEqual([path.basename(io.path("t"))])
      }
    }))

  it.effect("an IPC file is byte for byte what apache-arrow's tableToIPC makes", () =>
    Effect.gen(function*() {
      const io = ArrowIO.make({ base: tempFolder(), format: "ipc" })
      const table = bigTable(5000, 3)
      yield* io.write("t", table)
      expect(new Uint8Array(fs.readFileSync(io.path("t")))).toEqual(tableToIPC(table, "file"))
    }))

  it.effect("keeps an empty table's schema", () =>
    Effect.gen(function*() {
      for (const format of ["parquet", "ipc"] as const) {
        const io = ArrowIO.make({ base: tempFolder(), format })
        const empty = bigTable(0)
        const stored = yield* io.store(output("empty"), empty)
        expect(stored.metadata!.row_count).toBe(0)
        const loaded = yield* io.load(input("empty"))
        expect(loaded.numRows).toBe(0)
        expectSameSchema(loaded, empty)
      }
    }))

  it.effect("keeps dictionary-encoded columns and snappy compression works", () =>
    Effect.gen(function*() {
      const io = ArrowIO.make({ base: tempFolder(), compression: "snappy" })
      const table = tableFromArrays({ city: ["paris", "lyon", "paris", "nice"], n: new Int32Array([1, 2, 3, 4]) })
      const stored = yield* io.store(output("cities"), table)
      expect(stored.metadata!.compression).toBe("snappy")
      expect((stored.metadata!.columns as any).city.distinct_estimate).toBe(3)
      const loaded = yield* io.load(input("cities"))
      expectSameSchema(loaded, table)
      expectSameValues(loaded, table)
    }))

  it.effect("the data version is a hash of the content: same table, same version", () =>
    Effect.gen(function*() {
      const io = ArrowIO.make({ base: tempFolder() })
      const a = yield* io.store(output("v"), bigTable(1000, 1))
      const b = yield* io.store(output("v"), bigTable(1000, 1))
      const c = yield* io.store(output("v"), bigTable(1000, 2))
      expect(a.dataVersion).toBe(b.dataVersion)
      expect(c.dataVersion).not.toBe(a.dataVersion)
    }))

  it.effect("reads the file of the other format when the layer's format changed, then replaces it", () =>
    Effect.gen(function*() {
      const base = tempFolder()
      const table = bigTable(100)
      yield* ArrowIO.make({ base, format: "ipc" }).store(output("switch"), table)
      const parquet = ArrowIO.make({ base, format: "parquet" })
      expectSameValues(yield* parquet.load(input("switch")), table)
      // the schema check reads the other format's file too
      const narrower = yield* Effect.flip(parquet.write("switch", table.select(["id"])))
      expect(narrower.reason).toBe("schema-changed")
      yield* parquet.store(output("switch"), table)
      expect(fs.readdirSync(base).sort()).toEqual(["switch.parquet"])
    }))
})

describe("ArrowIO metadata", () => {
  it.effect("profiles columns: nulls, min/max, temporal ranges, distinct estimates", () =>
    Effect.gen(function*() {
      const io = ArrowIO.make({ base: tempFolder() })
      const n = 100_000
      const names = Array.from({ length: n }, (_, i) => i % 10 === 0 ? null : `user-${i % 40_000}`)
      const table = Tables.fromColumns({
        name: names,
        amount: Array.from({ length: n }, (_, i) => i % 4 === 0 ? null : i - 500.25),
        count: new Int32Array(n).map((_, i) => (i * 7919) % 1000 - 3),
        at: Array.from({ length: n }, (_, i) => new Date(Date.UTC(2024, 0, 1) + i * 60_000)),
        huge: Array.from({ length: n }, (_, i) => BigInt(i) * 10n ** 13n)
      })
      const { metadata } = yield* io.store(output("profile"), table)
      const columns = metadata!.columns as Record<string, Record<string, unknown>>
      expect(metadata!.row_count).toBe(n)
      expect(metadata!.column_count).toBe(5)
      expect(metadata!.null_count).toBe(n / 10 + n / 4)
      expect(metadata!.schema).toEqual([
        { name: "name", type: "Utf8", nullable: true },
        { name: "amount", type: "Float64", nullable: true },
        { name: "count", type: "Int32", nullable: false },
        { name: "at", type: "Timestamp<MILLISECOND, UTC>", nullable: true },
        { name: "huge", type: "Int64", nullable: true }
      ])
      expect(columns.name).toMatchObject({ null_count: n / 10, null_rate: 0.1 })
      const exact = new Set(names.filter((name) => name !== null)).size
      expect(Math.abs((columns.name!.distinct_estimate as number) - exact) / exact).toBeLessThan(0.05)
      expect(columns.amount).toMatchObject({ null_count: n / 4, null_rate: 0.25, min: 1 - 500.25, max: n - 1 - 500.25 })
      expect(columns.count).toMatchObject({ null_count: 0, min: -3, max: 996 })
      expect(columns.at).toMatchObject({ min: "2024-01-01T00:00:00.000Z", max: new Date(Date.UTC(2024, 0, 1) + (n - 1) * 60_000).toISOString() })
      // beyond 2^53: a string, so JSON keeps every digit
      expect(columns.huge).toMatchObject({ min: 0, max: (BigInt(n - 1) * 10n ** 13n).toString() })
      expect(metadata!.bytes).toBe(fs.statSync(io.path("profile")).size)
    }))

  it.effect("statistics 'basic' keeps counts and schema, skips ranges and distinct estimates", () =>
    Effect.gen(function*() {
      const io = ArrowIO.make({ base: tempFolder(), statistics: "basic" })
      const table = bigTable(1000)
      const { metadata } = yield* io.write("basic", table)
      const columns = metadata!.columns as Record<string, Record<string, unknown>>
      expect(metadata!.row_count).toBe(1000)
      expect(columns.score).toEqual({ type: "Float64", nullable: true, null_count: 143, null_rate: 0.143 })
      expect(columns.name).not.toHaveProperty("distinct_estimate")
    }))
})

describe("ArrowIO column selection", () => {
  for (const format of ["parquet", "ipc"] as const) {
    it.effect(`reads some columns, in the order asked (${format})`, () =>
      Effect.gen(function*() {
        const io = ArrowIO.make({ base: tempFolder(), format })
        const table = bigTable(5000)
        yield* io.write("wide", table)
        const some = yield* io.read("wide", { columns: ["name", "id"] })
        expect(some.schema.fields.map((field) => field.name)).toEqual(["name", "id"])
        expectSameValues(some, table.select(["name", "id"]))
        const error = yield* Effect.flip(io.read("wide", { columns: ["id", "nope"] }))
        expect(error.reason).toBe("unknown-column")
        expect(error.column).toBe("nope")
        expect(error.message).toContain("its columns are id, score, name, active, at, big")
      }))
  }

  it.effect("ArrowIO.read takes the asset and needs the ArrowIO service", () =>
    Effect.gen(function*() {
      const base = tempFolder()
      const layer = ArrowIO.layer({ base })
      const table = bigTable(10)
      yield* ArrowIO.use((io) => io.write("orders", table)).pipe(Effect.provide(layer))
      const ids = yield* ArrowIO.read("orders", { columns: ["id"] }).pipe(Effect.provide(layer))
      expect(ids.numCols).toBe(1)
      expect(ids.numRows).toBe(10)
    }))
})

describe("ArrowIO bad input", () => {
  it.effect("a table whose buffers are inconsistent is an encode-failed error; nothing is written", () =>
    Effect.gen(function*() {
      const broken = makeVector(makeData({
        type: new Utf8(),
        length: 2,
        nullCount: 0,
        valueOffsets: new Int32Array([0, 5, 100]),
        data: new Uint8Array(5)
      }))
      const io = ArrowIO.make({ base: tempFolder() })
      const error = arrowCause(yield* Effect.flip(io.store(output("broken"), Tables.fromColumns({ s: broken }))))
      expect(error.reason).toBe("encode-failed")
      expect(error.message).toContain("Last offset 100 of Utf8 is larger than values length")
      expect(fs.readdirSync(io.base)).toEqual([])
    }))

  it.effect("a value that is not a Table is an invalid-value error naming the asset", () =>
    Effect.gen(function*() {
      const base = tempFolder()
      const io = ArrowIO.make({ base })
      const error = yield* Effect.flip(io.store(output("bad"), [{ a: 1 }] as unknown as Table))
      const cause = arrowCause(error)
      expect(cause.reason).toBe("invalid-value")
      expect(cause.key).toBe("bad")
      expect(error.message).toContain("asset bad")
      expect(error.message).toContain("Tables.fromRows")
      expect(error.isRetryable).toBe(false)
      expect(fs.readdirSync(base)).toEqual([])
    }))

  it.effect("a missing file says to materialize first", () =>
    Effect.gen(function*() {
      const io = ArrowIO.make({ base: tempFolder() })
      const error = yield* Effect.flip(io.load(input("never/stored")))
      expect(arrowCause(error).reason).toBe("missing")
      expect(error.operation).toBe("load")
      expect(error.uri).toBe(io.path("never/stored"))
      expect(error.message).toContain("materialize the asset first")
    }))

  it.effect("a truncated Parquet file is a corrupt-file error naming asset and file", () =>
    Effect.gen(function*() {
      const io = ArrowIO.make({ base: tempFolder() })
      yield* io.write("cut", bigTable(20_000))
      const file = io.path("cut")
      const bytes = fs.readFileSync(file)
      fs.writeFileSync(file, bytes.subarray(0, bytes.byteLength - 100))
      const error = yield* Effect.flip(io.load(input("cut")))
      const cause = arrowCause(error)
      expect(cause.reason).toBe("corrupt-file")
      expect(cause.file).toBe(file)
      expect(error.message).toContain("asset cut")
      expect(error.message).toContain(file)
      expect(error.message).toContain("re-materialize")
    }))

  it.effect("a foreign file (CSV named .parquet, damaged pages inside valid magic) is a corrupt-file error", () =>
    Effect.gen(function*() {
      const io = ArrowIO.make({ base: tempFolder() })
      fs.mkdirSync(path.dirname(io.path("csv")), { recursive: true })
      fs.writeFileSync(io.path("csv"), "id,name\n1,ada\n2,bob\n")
      const foreign = arrowCause(yield* Effect.flip(io.load(input("csv"))))
      expect(foreign.reason).toBe("corrupt-file")
      expect(foreign.message).toContain("PAR1")

      yield* io.write("damaged", bigTable(20_000))
      const bytes = fs.readFileSync(io.path("damaged"))
      bytes.fill(0x55, 4, 5_000)
      fs.writeFileSync(io.path("damaged"), bytes)
      const damaged = arrowCause(yield* Effect.flip(io.load(input("damaged"))))
      expect(damaged.reason).toBe("corrupt-file")
    }))

  it.effect("a damaged Arrow IPC file is a corrupt-file error", () =>
    Effect.gen(function*() {
      const io = ArrowIO.make({ base: tempFolder(), format: "ipc" })
      fs.mkdirSync(io.base, { recursive: true })
      fs.writeFileSync(io.path("junk"), "ARROW1 but not really")
      expect(arrowCause(yield* Effect.flip(io.load(input("junk")))).reason).toBe("corrupt-file")
    }))

  for (const format of ["parquet", "ipc"] as const) {
    it.effect(`an incompatible schema change is refused with the column diff; the old file stays (${format})`, () =>
      Effect.gen(function*() {
        const io = ArrowIO.make({ base: tempFolder(), format })
        const before = Tables.fromColumns({ id: [1, 2], name: ["a", "b"], score: [1, 2] })
        yield* io.store(output("users"), before)
        const file = io.path("users")
        const original = fs.readFileSync(file)

        const after = Tables.fromColumns({ id: ["1", "2"], score: [1, 2], email: ["a@x", "b@x"] })
        const error = yield* Effect.flip(io.store(output("users"), after))
        const cause = arrowCause(error)
        expect(cause.reason).toBe("schema-changed")
        expect(cause.file).toBe(file)
        expect(cause.changes).toEqual([
          { column: "id", change: "type-changed", before: "Float64", after: "Utf8" },
          { column: "name", change: "removed", before: "Utf8" },
          { column: "email", change: "added", after: "Utf8" }
        ])
        expect(error.message).toContain("id Float64 -> Utf8")
        expect(error.message).toContain("name removed")
        expect(error.message).toContain("schemaChange: 'allow'")
        expect(fs.readFileSync(file).equals(original)).toBe(true)
        expect(leftovers(io.base)).toEqual([])

        // compatible: a column added, nullability changed
        const wider = Tables.fromColumns({
          id: [1, 2],
          name: ["a", "b"],
          score: new Float64Array([1, 2]),
          extra: [true, false]
        })
        yield* io.store(output("users"), wider)
        expectSameValues(yield* io.load(input("users")), wider)

        // allowed for one asset by its metadata, or for the whole layer
        yield* io.store(output("users", { definitionMetadata: { schema_change: "allow" } }), after)
        expectSameValues(yield* io.load(input("users")), after)
        const relaxed = ArrowIO.make({ base: io.base, format, schemaChange: "allow" })
        yield* relaxed.store(output("users"), before)
        expectSameValues(yield* io.load(input("users")), before)
      }))
  }

  it.effect("a column of nulls only may get a type later", () =>
    Effect.gen(function*() {
      const io = ArrowIO.make({ base: tempFolder() })
      yield* io.write("late", Tables.fromRows([{ id: 1, note: null }]))
      const typed = Tables.fromRows([{ id: 2, note: "now" }])
      yield* io.write("late", typed)
      expectSameValues(yield* io.read("late"), typed)
    }))

  it.effect("a dictionary column and a plain one of the same values are the same type", () =>
    Effect.gen(function*() {
      const io = ArrowIO.make({ base: tempFolder() })
      yield* io.write("cities", tableFromArrays({ city: ["paris", "lyon"] }))
      yield* io.write("cities", Tables.fromColumns({ city: ["paris", "nice"] }))
      const loaded = yield* io.read("cities")
      expect(loaded.schema.fields[0]!.type).toBeInstanceOf(Utf8)
    }))

  it.effect("a replaced file that cannot be read is overwritten (with a warning), not an error", () =>
    Effect.gen(function*() {
      const io = ArrowIO.make({ base: tempFolder() })
      fs.mkdirSync(io.base, { recursive: true })
      fs.writeFileSync(io.path("garbage"), "not parquet")
      const table = Tables.fromColumns({ n: new Int32Array([1, 2, 3]) })
      yield* io.write("garbage", table)
      expectSameValues(yield* io.read("garbage"), table)
    }))

  it.effect("a file-system failure is an io error and leaves no temporary file", () =>
    Effect.gen(function*() {
      const folder = tempFolder()
      const blocker = path.join(folder, "blocker")
      fs.writeFileSync(blocker, "a file where a folder should be")
      const io = ArrowIO.make({ base: blocker })
      const error = yield* Effect.flip(io.store(output("x/y"), Tables.fromColumns({ n: new Float64Array([1]) })))
      const cause = arrowCause(error)
      expect(cause.reason).toBe("io")
      expect(error.message).toContain("asset x/y")
      expect(leftovers(folder)).toEqual([])
    }))

  it.effect("an invalid key is refused before touching the disk", () =>
    Effect.gen(function*() {
      const io = ArrowIO.make({ base: tempFolder() })
      const error = yield* Effect.flip(io.read("../etc/passwd"))
      expect(error.reason).toBe("invalid-value")
    }))

  it.effect("a column type Parquet cannot hold is an unsupported-type error naming the column; IPC takes it", () =>
    Effect.gen(function*() {
      const type = new SparseUnion([0, 1], [new Field("n", new Float64(), true), new Field("i", new Int32(), true)])
      const union = makeVector(makeData({
        type,
        length: 2,
        nullCount: 0,
        typeIds: new Int8Array([0, 1]),
        children: [
          makeData({ type: new Float64(), length: 2, data: new Float64Array([1.5, 2]) }),
          makeData({ type: new Int32(), length: 2, data: new Int32Array([3, 4]) })
        ]
      }))
      const table = Tables.fromColumns({ id: [1, 2], either: union })
      const parquet = ArrowIO.make({ base: tempFolder() })
      const error = yield* Effect.flip(parquet.write("mixed", table))
      expect(error.reason).toBe("unsupported-type")
      expect(error.column).toBe("either")
      expect(error.message).toContain("format 'ipc'")
      expect(fs.existsSync(parquet.path("mixed"))).toBe(false)
      const ipc = ArrowIO.make({ base: tempFolder(), format: "ipc" })
      yield* ipc.write("mixed", table)
      expect((yield* ipc.read("mixed")).getChild("either")!.get(0)).toBe(1.5)
      expect((yield* ipc.read("mixed")).getChild("either")!.get(1)).toBe(4)
    }))
})
