/**
 * `--from-checkout`: packs the checkout's packages a project needs (and theirs, transitively) with
 * `pnpm pack` and copies the tarballs into the project's `vendor/` folder, where package.json references
 * them as `file:vendor/<tarball>`.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { gunzipSync } from "node:zlib"
import { Effect } from "effect"
import { writeNew } from "./Files.ts"
import { InitError } from "./InitError.ts"
import type { Manifest } from "./Versions.ts"
import * as Workspace from "./Workspace.ts"

/**
 * What vendoring did.
 *
 * @since 0.1.0
 */
export interface Vendored {
  /** `file:vendor/<tarball>` of each packed package. */
  readonly specs: Readonly<Record<string, string>>
  /** The package.json of each packed package, as packed (real ranges in place of `workspace:`/`catalog:`). */
  readonly manifests: ReadonlyMap<string, Manifest>
  /** Tarballs written to `vendor/`, and tarballs that were there already (left as they were). */
  readonly created: ReadonlyArray<string>
  readonly skipped: ReadonlyArray<string>
}

/**
 * A file inside a gzipped tar archive (ustar, as `pnpm pack` writes), or `undefined`.
 *
 * @since 0.1.0
 */
export const readFromTarball = (tarball: string, name: string): string | undefined => {
  const tar = gunzipSync(fs.readFileSync(tarball))
  const text = (start: number, length: number) => tar.subarray(start, start + length).toString("utf8").replace(/\0.*$/s, "")
  for (let offset = 0; offset + 512 <= tar.length;) {
    const entry = text(offset, 100)
    if (entry === "") return undefined
    const prefix = text(offset + 345, 155)
    const size = Number.parseInt(text(offset + 124, 12).trim() || "0", 8)
    const body = offset + 512
    if ((prefix === "" ? entry : `${prefix}/${entry}`) === name) return tar.subarray(body, body + size).toString("utf8")
    offset = body + Math.ceil(size / 512) * 512
  }
  return undefined
}

const packError = (message: string, where: string) => new InitError({ reason: "pack", path: where, message })

/**
 * The root of the checkout this CLI runs from; fails with `no-checkout` when it was installed from a registry.
 *
 * @since 0.1.0
 */
export const checkoutRoot: Effect.Effect<string, InitError> = Effect.suspend(() => {
  const root = Workspace.findCheckout(new URL(".", import.meta.url))
  return root === undefined
    ? Effect.fail(
      new InitError({
        reason: "no-checkout",
        path: path.dirname(new URL(import.meta.url).pathname),
        message: "--from-checkout packs the packages of the Strata checkout this CLI runs from, but it runs from " +
          `${new URL(".", import.meta.url).pathname}, which is not inside one: run the CLI of a checkout ` +
          "(bash scripts/dev.sh init <dir> in the repository), or leave out --from-checkout to use the registry"
      })
    )
    : Effect.succeed(root)
})

const packAll = (packages: ReadonlyArray<Workspace.PublishedPackage>, staging: string) => {
  const packed: Array<{ readonly pkg: Workspace.PublishedPackage; readonly tarball: string; readonly manifest: Manifest }> = []
  for (const pkg of packages) {
    Workspace.assertBuilt(pkg)
    const { tarball } = Workspace.packPackage(pkg.directory, staging)
    const manifest = readFromTarball(tarball, "package/package.json")
    if (manifest === undefined) throw new Workspace.WorkspaceError(`${tarball} has no package/package.json`)
    packed.push({ pkg, tarball, manifest: JSON.parse(manifest) as Manifest })
  }
  return packed
}

/**
 * Packs `names` and what they need from the checkout at `root` into `<directory>/vendor/`.
 *
 * @since 0.1.0
 */
export const vendor = (root: string, names: ReadonlyArray<string>, directory: string): Effect.Effect<Vendored, InitError> =>
  Effect.acquireUseRelease(
    Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "strata-init-pack-"))),
    (staging) =>
      Effect.try({
        try: () => packAll(Workspace.closure(Workspace.publishedPackages(root), names), staging),
        catch: (error) => packError((error as Error).message, root)
      }).pipe(Effect.flatMap((packed) =>
        Effect.try({
          try: (): Vendored => {
            const specs: Record<string, string> = {}
            const manifests = new Map<string, Manifest>()
            const created: Array<string> = []
            const skipped: Array<string> = []
            for (const { pkg, tarball, manifest } of packed) {
              const file = `vendor/${path.basename(tarball)}`
              const wrote = writeNew(path.join(directory, "vendor", path.basename(tarball)), fs.readFileSync(tarball))
              ;(wrote ? created : skipped).push(file)
              specs[pkg.name] = `file:${file}`
              manifests.set(pkg.name, manifest)
            }
            return { specs, manifests, created, skipped }
          },
          catch: (error) =>
            new InitError({ reason: "write", path: path.join(directory, "vendor"), message: `cannot write vendor/: ${(error as Error).message}` })
        })
      )),
    (staging) => Effect.sync(() => fs.rmSync(staging, { recursive: true, force: true }))
  )
