/**
 * Avro object container files (Avro 1.11 spec, "Object Container Files") for
 * manifests and manifest lists. Records are encoded by `avsc`; the container
 * (header, blocks, deflate) is written here because avsc rewrites the schema
 * it puts in the header (`Type#getSchema`) without the `field-id`,
 * `element-id` and `logicalType: map` attributes Iceberg readers need: the
 * header carries the schema JSON exactly as given.
 *
 * Longs decode as `bigint` (avsc's own long type refuses values beyond 2^53;
 * snapshot ids use all 63 bits).
 */
import { randomBytes } from "node:crypto"
import * as zlib from "node:zlib"
import avro from "avsc"

/** Longs as `bigint` (numbers are accepted when writing). */
const bigIntLong = avro.types.LongType.__with({
  fromBuffer: (buffer: Buffer) => buffer.readBigInt64LE(),
  toBuffer: (value: bigint | number) => {
    const buffer = Buffer.alloc(8)
    buffer.writeBigInt64LE(BigInt(value))
    return buffer
  },
  fromJSON: (value: unknown) => BigInt(value as string),
  toJSON: (value: bigint) => Number(value),
  isValid: (value: unknown) => typeof value === "bigint" || (typeof value === "number" && Number.isInteger(value)),
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1)
})

const headerType = avro.Type.forSchema({
  type: "record",
  name: "org.apache.avro.file.Header",
  fields: [
    { name: "magic", type: { type: "fixed", name: "Magic", size: 4 } },
    { name: "meta", type: { type: "map", values: "bytes" } },
    { name: "sync", type: { type: "fixed", name: "Sync", size: 16 } }
  ]
})

const plainLong = avro.Type.forSchema("long")

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]) // "Obj" 1

/** An Avro type for a schema (JSON), with `bigint` longs. */
export const typeOf = (schema: unknown): avro.Type =>
  avro.Type.forSchema(schema as avro.Schema, { registry: { long: bigIntLong as unknown as avro.Type } })

/** Avro records, block size (records per block), for memory and reader friendliness. */
const BLOCK_RECORDS = 4096

/**
 * An Avro container file: the schema JSON verbatim in `avro.schema`, the given
 * key-value metadata, deflate-compressed blocks.
 */
export const write = (
  schema: unknown,
  records: ReadonlyArray<unknown>,
  metadata: Readonly<Record<string, string>>
): Uint8Array => {
  const type = typeOf(schema)
  const sync = randomBytes(16)
  const meta: Record<string, Buffer> = {
    "avro.schema": Buffer.from(JSON.stringify(schema)),
    "avro.codec": Buffer.from("deflate")
  }
  for (const [key, value] of Object.entries(metadata)) meta[key] = Buffer.from(value)
  const parts: Array<Buffer> = [headerType.toBuffer({ magic: MAGIC, meta, sync })]
  for (let start = 0; start < records.length; start += BLOCK_RECORDS) {
    const block = records.slice(start, start + BLOCK_RECORDS)
    const data = zlib.deflateRawSync(Buffer.concat(block.map((record) => type.toBuffer(record))))
    parts.push(plainLong.toBuffer(block.length), plainLong.toBuffer(data.length), data, sync)
  }
  return Buffer.concat(parts)
}

/** A decoded container file: its header metadata (strings) and its records. */
export interface Decoded {
  readonly metadata: Readonly<Record<string, string>>
  /** The writer's schema, parsed from `avro.schema` (with its Iceberg attributes). */
  readonly schema: unknown
  readonly records: ReadonlyArray<Record<string, unknown>>
}

/** Thrown for bytes that are not an Avro container file; the message says why. */
export class NotAvro extends Error {}

const decodeLong = (buffer: Buffer, offset: number): { value: number; offset: number } => {
  const result = plainLong.decode(buffer, offset)
  if (result.offset < 0) throw new NotAvro("the file was cut short inside a block header")
  return { value: result.value as number, offset: result.offset }
}

/** Reads a container file written by any Avro writer (codec `null` or `deflate`). */
export const read = (bytes: Uint8Array): Decoded => {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buffer.length < 4 || !buffer.subarray(0, 4).equals(MAGIC)) throw new NotAvro("the file does not start with the Avro magic bytes Obj\\x01")
  const header = headerType.decode(buffer, 0)
  if (header.offset < 0) throw new NotAvro("the file was cut short inside its header")
  const { meta, sync } = header.value as { meta: Record<string, Buffer>; sync: Buffer }
  const metadata = Object.fromEntries(Object.entries(meta).map(([key, value]) => [key, value.toString("utf8")]))
  const codec = metadata["avro.codec"] ?? "null"
  if (codec !== "null" && codec !== "deflate") throw new NotAvro(`unsupported Avro codec ${codec}`)
  const schemaText = metadata["avro.schema"]
  if (schemaText === undefined) throw new NotAvro("the header has no avro.schema")
  const schema: unknown = JSON.parse(schemaText)
  const type = typeOf(schema)
  const records: Array<Record<string, unknown>> = []
  let offset = header.offset
  while (offset < buffer.length) {
    const count = decodeLong(buffer, offset)
    const size = decodeLong(buffer, count.offset)
    const end = size.offset + size.value
    if (end + 16 > buffer.length) throw new NotAvro("the file was cut short inside a block")
    const raw = buffer.subarray(size.offset, end)
    const data = codec === "deflate" ? zlib.inflateRawSync(raw) : raw
    let position = 0
    for (let i = 0; i < count.value; i++) {
      const decoded = type.decode(data, position)
      if (decoded.offset < 0) throw new NotAvro("a block holds fewer bytes than its records need")
      records.push(decoded.value as Record<string, unknown>)
      position = decoded.offset
    }
    if (!buffer.subarray(end, end + 16).equals(sync)) throw new NotAvro("a block does not end with the file's sync marker")
    offset = end + 16
  }
  return { metadata, schema, records }
}
