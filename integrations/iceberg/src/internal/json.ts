/**
 * JSON that keeps 64-bit integers exact. Iceberg ids (snapshot ids, sequence
 * numbers) are longs; engines such as Java draw snapshot ids from the whole
 * 63-bit range, which `JSON.parse` would round. Integers beyond 2^53 parse as
 * `bigint` (via the reviver's source text), and `bigint`s are written as raw
 * JSON numbers (`JSON.rawJSON`).
 */

type Reviver = (this: unknown, key: string, value: unknown, context: { readonly source?: string }) => unknown

const revive: Reviver = (_key, value, context) =>
  typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value) && context.source !== undefined
    ? BigInt(context.source)
    : value

/** Parses JSON text; integers that a double cannot hold exactly become `bigint`s. */
export const parse = (text: string): unknown => JSON.parse(text, revive as Parameters<typeof JSON.parse>[1])

const rawJSON = (JSON as unknown as { readonly rawJSON: (text: string) => unknown }).rawJSON

const replace = (_key: string, value: unknown): unknown => (typeof value === "bigint" ? rawJSON(value.toString()) : value)

/** Serialises a value, writing `bigint`s as plain JSON numbers. */
export const stringify = (value: unknown, indent?: number): string => JSON.stringify(value, replace, indent)

/**
 * Re-encodes JSON text so that integers beyond 2^53 become strings: for
 * clients (iceberg-js) that parse with plain `JSON.parse`. Our decoders accept
 * a long as a number, a bigint or a string of digits.
 */
export const quoteBigIntegers = (text: string): string =>
  JSON.stringify(parse(text), (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value))
