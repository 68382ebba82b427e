/**
 * The binary send format of `numeric` (base-10000 digits, a weight, a sign and
 * a scale) to and from the unscaled two's-complement integer of an Arrow decimal.
 */
import { ColumnError } from "./format.ts"

/** The unscaled value of row `index` of a decimal column of `wordCount` 32-bit words a value. */
export const numericWords = (words: Uint32Array, index: number, wordCount: number): bigint => {
  let value = 0n
  for (let w = wordCount - 1; w >= 0; w--) value = (value << 32n) | BigInt(words[index * wordCount + w]!)
  const bits = BigInt(wordCount * 32)
  if (value >> (bits - 1n) === 1n) value -= 1n << bits
  return value
}

/** The binary send format of `numeric` for an unscaled integer and a scale. */
export const encodeNumeric = (unscaled: bigint, scale: number): Buffer => {
  const negative = unscaled < 0n
  let magnitude = negative ? -unscaled : unscaled
  const pad = (4 - (scale % 4)) % 4
  magnitude *= 10n ** BigInt(pad)
  const fractionGroups = (scale + pad) / 4
  const digits: Array<number> = []
  while (magnitude > 0n) {
    digits.push(Number(magnitude % 10000n))
    magnitude /= 10000n
  }
  digits.reverse()
  let weight = digits.length - 1 - fractionGroups
  while (digits.length > 0 && digits[0] === 0) {
    digits.shift()
    weight--
  }
  while (digits.length > 0 && digits[digits.length - 1] === 0) digits.pop()
  const out = Buffer.allocUnsafe(8 + digits.length * 2)
  out.writeInt16BE(digits.length, 0)
  out.writeInt16BE(digits.length === 0 ? 0 : weight, 2)
  out.writeUInt16BE(negative && digits.length > 0 ? 0x4000 : 0, 4)
  out.writeInt16BE(scale, 6)
  for (let i = 0; i < digits.length; i++) out.writeInt16BE(digits[i]!, 8 + i * 2)
  return out
}

/** The unscaled integer of a `numeric` at `position`, at `scale`; NaN and infinities are a `ColumnError`. */
export const decodeNumeric = (buffer: Buffer, position: number, scale: number, column: string): bigint => {
  const ndigits = buffer.readInt16BE(position)
  const weight = buffer.readInt16BE(position + 2)
  const sign = buffer.readUInt16BE(position + 4)
  if (sign !== 0 && sign !== 0x4000) {
    throw new ColumnError(column, `column ${JSON.stringify(column)} holds NaN or infinity, which an Arrow decimal cannot represent`)
  }
  let value = 0n
  for (let i = 0; i < ndigits; i++) value = value * 10000n + BigInt(buffer.readInt16BE(position + 8 + i * 2))
  // value * 10000^(weight - ndigits + 1) * 10^scale, as an integer
  const exponent = 4 * (weight - ndigits + 1) + scale
  value = exponent >= 0 ? value * 10n ** BigInt(exponent) : value / 10n ** BigInt(-exponent)
  return sign === 0x4000 ? -value : value
}
