/**
 * How the file-system I/O manager turns a value into bytes: JSON when JSON
 * represents it exactly, else Node's structured serialisation (v8).
 */
import { serialize } from "node:v8"

/** See `exactJson` in `FileSystemIO.ts` (its public name). */
export const exactJson = (value: unknown): string | undefined => {
  let exact = true
  const text = JSON.stringify(value, function(this: unknown, key: string, replaced: unknown) {
    if (!exact) return undefined
    const original = (this as Record<string, unknown>)[key]
    switch (typeof original) {
      case "number":
        if (!Number.isFinite(original)) exact = false
        break
      case "bigint":
      case "function":
      case "symbol":
        exact = false
        break
      case "undefined":
        if (Array.isArray(this) || key === "") exact = false
        break
      case "object":
        if (original !== null && !Array.isArray(original)) {
          const proto = Object.getPrototypeOf(original)
          if (proto !== Object.prototype && proto !== null) exact = false
        }
    }
    // an inexact value is not handed on: JSON.stringify would throw on a BigInt
    return exact ? replaced : undefined
  })
  return exact && text !== undefined ? text : undefined
}

export type Encoded = { bytes: Uint8Array | string; ext: "json" | "v8" }

export const encode = (format: "auto" | "json" | "v8", value: unknown): Encoded => {
  if (format !== "v8") {
    const json = exactJson(value)
    if (json !== undefined) return { bytes: json, ext: "json" }
    if (format === "json") {
      throw new Error("the value has no exact JSON form (a Date, Map, BigInt, NaN, class instance...); use format 'auto' or 'v8'")
    }
  }
  return { bytes: serialize(value), ext: "v8" }
}
