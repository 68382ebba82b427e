// Packs one workspace package as it would be published: `pnpm pack` rewrites `workspace:` and `catalog:`
// ranges into real versions, as `pnpm publish` does. Shared by scripts/check-package.ts (publint, attw) and
// tools/install-check (installs the tarballs with npm into a project outside the repository).
import { spawnSync } from "node:child_process"
import { isAbsolute, join } from "node:path"

/** What `pnpm pack` made: the tarball's absolute path and the files it holds (paths inside `package/`). */
export interface Packed {
  readonly tarball: string
  readonly files: ReadonlyArray<string>
}

/** Packs the package in `directory` into `destination`; throws with pnpm's output when the pack fails. */
export const packPackage = (directory: string, destination: string): Packed => {
  const result = spawnSync("pnpm", ["pack", "--pack-destination", destination, "--json"], {
    cwd: directory,
    encoding: "utf8",
    stdio: "pipe"
  })
  if (result.error) throw result.error
  if (result.status !== 0) throw new Error(`pnpm pack failed in ${directory}:\n${result.stdout}${result.stderr}`)
  const { filename, files } = JSON.parse(result.stdout) as { filename: string; files: Array<{ path: string }> }
  return {
    tarball: isAbsolute(filename) ? filename : join(destination, filename),
    files: files.map((file) => file.path)
  }
}
