/**
 * The binary COPY format, as both directions use it: an 11-byte signature,
 * int32 flags, int32 header extension length; then per row int16 field count
 * and per field int32 length (-1 for NULL) and the value in the type's binary
 * send format; an int16 -1 ends the stream. All integers are big-endian.
 */

/** The 11 bytes a binary COPY stream starts with. */
export const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1")
/** Days from 1970-01-01 to 2000-01-01, Postgres' epoch. */
export const EPOCH_DAYS = 10_957
/** Microseconds from 1970-01-01 to 2000-01-01. */
export const EPOCH_MICROS = 946_684_800_000_000
/** 2^32: a 64-bit integer is two 32-bit words, high * TWO_32 + low. */
export const TWO_32 = 4_294_967_296
/** The largest integer a JS number holds exactly; beyond it values go through a bigint. */
export const SAFE = Number.MAX_SAFE_INTEGER
/** The size of a chunk of an encoded stream, about 1 MiB. */
export const CHUNK = 1 << 20

/** Field metadata recording the Postgres type a column was read from or should be stored as. */
export const PG_TYPE = "strata:pg_type"

/** A column whose values cannot be encoded: the caller turns it into an error naming the asset. */
export class ColumnError extends Error {
  readonly column: string
  constructor(column: string, message: string) {
    super(message)
    this.column = column
  }
}
