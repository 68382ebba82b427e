/**
 * Where a file-based I/O manager keeps an asset's value: the one mapping
 * from (asset key, partition key) to a path under a base folder, shared by
 * `FileSystemIO`, `@strata/arrow`'s `ArrowIO` and any third-party manager
 * that stores files.
 *
 * For any input strings (`..`, `/`, `\`, NUL, quotes, any Unicode, unpaired
 * surrogates, thousands of characters) the path it returns:
 *
 * - stays under the base: every component is built from `[a-z0-9_-]`,
 *   `%XX` escapes, `~` and `@`, so none is `.`, `..` or holds a separator;
 * - differs from the path of every other (key, partition): names are escaped
 *   injectively, partition files start with `@` (which no key segment
 *   produces) and folders never contain `.` (files always do), so a file
 *   never sits where another value's file or folder goes. Upper-case letters
 *   and non-ASCII text are escaped too, so keys that differ only in case or
 *   Unicode normalisation stay apart on macOS and Windows file systems;
 * - fits the file system: a component longer than {@link MAX_COMPONENT}
 *   characters keeps a readable prefix and ends with `~` and the SHA-256 of
 *   the whole name; a key whose folders would exceed {@link MAX_KEY_PATH}
 *   characters becomes one hashed folder `~k<sha256>`. Room is left for an
 *   extension and a temporary-file suffix within 255 bytes.
 *
 * Layout: `<base>/<segment>/.../<segment>` for an unpartitioned asset and
 * `<base>/<segment>/.../<segment>/@<partition>` for a partition; the I/O
 * manager appends its extension (`.json`, `.parquet`). `bronze/raw_users`
 * is `bronze/raw_users`, its partition `2024-06-01` is
 * `bronze/raw_users/@2024-06-01`, `v1.2` is `v1%2E2` and `Users` is
 * `%55sers`.
 *
 * @since 0.1.0
 */
import { hash } from "node:crypto"
import * as path from "node:path"

/**
 * The longest component (folder or file name, before the extension) the
 * mapping produces, in characters (all ASCII).
 *
 * @since 0.1.0
 */
export const MAX_COMPONENT = 120

/**
 * The longest relative folder path of a key before it is replaced by one
 * hashed folder.
 *
 * @since 0.1.0
 */
export const MAX_KEY_PATH = 1024

const HASHED_PREFIX = 48
const hex = "0123456789ABCDEF"
// Windows opens a device for these names, whatever the extension
const devicePattern = /^(?:con|prn|aux|nul|com[0-9]|lpt[0-9])$/

const isLiteral = (code: number): boolean =>
  (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x5f || code === 0x2d

const escapeByte = (byte: number): string => `%${hex[byte >> 4]}${hex[byte & 15]}`

// UTF-8 of one code point; an unpaired surrogate is encoded as its own three
// bytes (WTF-8), which valid UTF-8 never contains, so the encoding stays injective
const escapeCodePoint = (code: number): string => {
  if (code < 0x80) return escapeByte(code)
  if (code < 0x800) return escapeByte(0xc0 | (code >> 6)) + escapeByte(0x80 | (code & 63))
  if (code < 0x10000) {
    return escapeByte(0xe0 | (code >> 12)) + escapeByte(0x80 | ((code >> 6) & 63)) + escapeByte(0x80 | (code & 63))
  }
  return escapeByte(0xf0 | (code >> 18)) + escapeByte(0x80 | ((code >> 12) & 63)) +
    escapeByte(0x80 | ((code >> 6) & 63)) + escapeByte(0x80 | (code & 63))
}

const sha256 = (text: string): string => hash("sha256", text, "hex")

/**
 * Escapes any string as one path component: `[a-z0-9_-]` stay, every other
 * character becomes the `%XX` escapes of its UTF-8 bytes (upper-case hex).
 * Injective, never empty, never `.` or `..`, never a Windows device name, at
 * most {@link MAX_COMPONENT} characters (longer escapes end with `~` and a
 * SHA-256 of `name`).
 *
 * @example
 * ```ts
 * import { StoragePath } from "@strata/core/spi"
 * StoragePath.encodeName("..") // "%2E%2E"
 * StoragePath.encodeName("2024-06-01") // "2024-06-01"
 * ```
 * @since 0.1.0
 */
export const encodeName = (name: string): string => {
  let out = ""
  for (let index = 0; index < name.length && out.length <= MAX_COMPONENT; index++) {
    const code = name.codePointAt(index)!
    if (code > 0xffff) index++
    out += isLiteral(code) ? name[index] : escapeCodePoint(code)
  }
  if (out.length > 0 && out.length <= MAX_COMPONENT) {
    return devicePattern.test(out) ? escapeCodePoint(out.charCodeAt(0)) + out.slice(1) : out
  }
  // too long (or empty): a readable prefix cut before an escape, then the hash of the whole name
  let cut = Math.min(HASHED_PREFIX, out.length)
  const escapeAt = out.lastIndexOf("%", cut - 1)
  if (escapeAt >= 0 && escapeAt > cut - 3) cut = escapeAt
  return `${out.slice(0, cut)}~${sha256(name)}`
}

/**
 * The name {@link encodeName} escaped, or `undefined` for a hashed name
 * (whose text is not kept) or a string `encodeName` never produces.
 *
 * @since 0.1.0
 */
export const decodeName = (component: string): string | undefined => {
  if (!/^(?:[a-z0-9_-]|%[0-9A-F]{2})+$/.test(component)) return undefined
  try {
    const name = decodeURIComponent(component)
    return encodeName(name) === component ? name : undefined
  } catch {
    return undefined
  }
}

/**
 * The folders of an asset key under the base: one escaped component per
 * `/`-separated segment, or a single `~k<sha256>` folder when they would be
 * longer than {@link MAX_KEY_PATH}.
 *
 * @since 0.1.0
 */
export const keyComponents = (key: string): ReadonlyArray<string> => {
  const components = key.split("/").map(encodeName)
  let length = 0
  for (const component of components) length += component.length + 1
  return length > MAX_KEY_PATH ? [`~k${sha256(key)}`] : components
}

/**
 * The file name (without extension) of a partition: `@` and the escaped key.
 *
 * @since 0.1.0
 */
export const partitionComponent = (partition: string): string => `@${encodeName(partition)}`

/**
 * The path, without extension, where an asset (and partition) is stored
 * under `base`. Append an extension that starts with `.`.
 *
 * @example
 * ```ts
 * import { StoragePath } from "@strata/core/spi"
 * StoragePath.stem("/data", "sales/daily", "2024-06-01") // "/data/sales/daily/@2024-06-01"
 * StoragePath.stem("/data", "sales/daily", "..")         // "/data/sales/daily/@%2E%2E"
 * ```
 * @since 0.1.0
 */
export const stem = (base: string, key: string, partition: string | undefined): string =>
  partition === undefined
    ? path.join(base, ...keyComponents(key))
    : path.join(base, ...keyComponents(key), partitionComponent(partition))

/**
 * `true` when `file` is `base` or inside it (after resolving both): the check
 * an I/O manager's tests, or a paranoid manager, can make on any path.
 *
 * @since 0.1.0
 */
export const isInside = (base: string, file: string): boolean => {
  const relative = path.relative(path.resolve(base), path.resolve(file))
  return relative === "" ||
    (relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
}
