/**
 * Key formats of time-window partitions: `YYYY`, `MM`, `DD`, `HH` and `mm`
 * with literal characters between them (`YYYY-MM-DD`, `YYYY/MM`,
 * `YYYY-MM-DD-HH:mm`). Parsing is one anchored match of fixed-width digit
 * groups (linear in the key), and a key is accepted only when formatting its
 * fields gives the key back.
 */

export interface KeyFields {
  readonly year: number
  readonly month: number
  readonly day: number
  readonly hour: number
  readonly minute: number
}

export type Token = "YYYY" | "MM" | "DD" | "HH" | "mm"

export interface KeyFormat {
  readonly text: string
  readonly parts: ReadonlyArray<{ readonly token: Token } | { readonly literal: string }>
  readonly pattern: RegExp
}

const TOKENS: ReadonlyArray<Token> = ["YYYY", "MM", "DD", "HH", "mm"]
const WIDTH: Record<Token, number> = { YYYY: 4, MM: 2, DD: 2, HH: 2, mm: 2 }

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** Compiles a format; throws a message when it is unusable. */
export const compile = (text: string): KeyFormat => {
  const parts: Array<{ token: Token } | { literal: string }> = []
  let source = "^"
  let i = 0
  while (i < text.length) {
    const token = TOKENS.find((t) => text.startsWith(t, i))
    if (token !== undefined) {
      if (parts.some((p) => "token" in p && p.token === token)) throw new Error(`format ${text} has ${token} twice`)
      parts.push({ token })
      source += `(\\d{${WIDTH[token]}})`
      i += token.length
    } else {
      const ch = text[i]!
      if (/[A-Za-z0-9]/.test(ch)) throw new Error(`format ${text}: '${ch}' is neither YYYY, MM, DD, HH, mm nor a separator`)
      parts.push({ literal: ch })
      source += escape(ch)
      i++
    }
  }
  if (!parts.some((p) => "token" in p && p.token === "YYYY")) throw new Error(`format ${text} has no YYYY`)
  return { text, parts, pattern: new RegExp(source + "$") }
}

/** Whether a format writes this token. */
export const hasToken = (format: KeyFormat, token: Token): boolean =>
  format.parts.some((p) => "token" in p && p.token === token)

const pad = (n: number, width: number) => String(n).padStart(width, "0")

/** The key of these fields. */
export const format = (fmt: KeyFormat, fields: KeyFields): string => {
  let out = ""
  for (const part of fmt.parts) {
    if ("literal" in part) out += part.literal
    else {
      const t = part.token
      const value = t === "YYYY" ? fields.year : t === "MM" ? fields.month : t === "DD" ? fields.day : t === "HH" ? fields.hour : fields.minute
      out += pad(value, WIDTH[t])
    }
  }
  return out
}

/** The fields of a key, or a sentence saying why it is not one. */
export const parse = (fmt: KeyFormat, key: string): KeyFields | string => {
  if (key.length > 64) return `it is ${key.length} characters long`
  const match = fmt.pattern.exec(key)
  if (match === null) return `it does not match the format ${fmt.text}`
  const fields = { year: 0, month: 1, day: 1, hour: 0, minute: 0 }
  let group = 1
  for (const part of fmt.parts) {
    if ("literal" in part) continue
    const value = Number(match[group++])
    const t = part.token
    if (t === "YYYY") fields.year = value
    else if (t === "MM") fields.month = value
    else if (t === "DD") fields.day = value
    else if (t === "HH") fields.hour = value
    else fields.minute = value
  }
  if (fields.year < 1000) return `year ${fields.year} is before 1000`
  if (fields.month < 1 || fields.month > 12) return `month ${pad(fields.month, 2)} does not exist`
  const days = new Date(Date.UTC(fields.year, fields.month, 0)).getUTCDate()
  if (fields.day < 1 || fields.day > days) return `day ${pad(fields.day, 2)} does not exist in ${fields.year}-${pad(fields.month, 2)}`
  if (fields.hour > 23) return `hour ${fields.hour} does not exist`
  if (fields.minute > 59) return `minute ${fields.minute} does not exist`
  return fields
}
