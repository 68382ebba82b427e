// Checks the package in the current folder as it would be published: packs it with `pnpm pack` (which
// rewrites `workspace:` and `catalog:` ranges, as `pnpm publish` does), then lints the tarball with
// publint (--strict) and @arethetypeswrong/cli (profile esm-only), after checks of our own that neither
// tool makes: every `exports`/`bin` target is in the tarball (publint does not look at the custom
// `@strata/source` condition), every "files" entry brings files (ui-dist, bin), and no `workspace:` or
// `catalog:` range is left in the packed package.json.
// The packing itself is scripts/pack.ts (tools/install-check packs with it too).
// Run by the turbo task `check:package` (after `build`); see DEVELOPERS.md.
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { packPackage } from "./pack.ts"

const root = fileURLToPath(new URL("..", import.meta.url))
const bin = (name: string) => join(root, "node_modules", ".bin", name)
const cwd = process.cwd()
const manifest = JSON.parse(readFileSync(join(cwd, "package.json"), "utf8")) as { name: string }
const problems: Array<string> = []

const run = (command: string, args: ReadonlyArray<string>, options: { capture?: boolean } = {}) => {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", stdio: options.capture ? "pipe" : "inherit" })
  if (result.error) throw result.error
  return { ok: result.status === 0, stdout: result.stdout ?? "", stderr: result.stderr ?? "" }
}

const destination = mkdtempSync(join(tmpdir(), "strata-pack-"))
try {
  const { tarball, files } = packPackage(cwd, destination)
  const shipped = new Set(files)

  const unpacked = run("tar", ["-xzf", tarball, "-C", destination, "package/package.json"], { capture: true })
  if (!unpacked.ok) throw new Error(`cannot read package.json from ${tarball}:\n${unpacked.stderr}`)
  const published = JSON.parse(readFileSync(join(destination, "package", "package.json"), "utf8")) as {
    exports?: unknown
    bin?: string | Record<string, string>
    files?: Array<string>
    [field: string]: unknown
  }

  // every file the exports map or bin points at, under any condition, must be shipped
  const targets: Array<[where: string, target: string]> = []
  const walk = (value: unknown, where: string): void => {
    if (typeof value === "string") targets.push([where, value])
    else if (value !== null && typeof value === "object") {
      for (const [key, inner] of Object.entries(value)) walk(inner, `${where} > ${key}`)
    }
  }
  walk(published.exports, "exports")
  walk(published.bin, "bin")
  for (const [where, target] of targets) {
    if (target.includes("*")) continue
    const path = target.replace(/^\.\//, "")
    if (!shipped.has(path)) {
      problems.push(`${where} points at ${target}, which is not in the tarball: add its folder to "files"`)
    }
    if (where.endsWith("> @strata/source") && !/^src\/.+\.ts$/.test(path)) {
      problems.push(`${where} should point at a TypeScript source under ./src, not ${target}`)
    }
  }

  // every "files" entry must bring something (ui-dist, bin, dist: a build that did not run);
  // CHANGELOG.md is written by `changeset version`, before the first release it does not exist yet
  for (const entry of (published.files ?? []) as Array<string>) {
    const prefix = entry.replace(/^\.\//, "").replace(/\/$/, "")
    if (prefix === "CHANGELOG.md" || prefix.includes("*")) continue
    if (![...shipped].some((file) => file === prefix || file.startsWith(`${prefix}/`))) {
      problems.push(`"files" lists ${entry}, but the tarball has nothing from it: build the package first`)
    }
  }

  for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) {
    const ranges = (published[field] ?? {}) as Record<string, string>
    for (const [name, range] of Object.entries(ranges)) {
      if (/^(workspace|catalog):/.test(range)) {
        problems.push(`${field}.${name} is still "${range}" in the packed package.json: publish with pnpm`)
      }
    }
  }

  // their reports are printed only when they fail, to keep CI logs short
  const lint = (tool: string, command: string, args: ReadonlyArray<string>) => {
    const result = run(bin(command), args, { capture: true })
    if (!result.ok) {
      process.stderr.write(`${result.stdout}${result.stderr}\n`)
      problems.push(`${tool} reported problems (above)`)
    }
  }
  lint("publint", "publint", ["run", tarball, "--strict"])
  // esm-only: the packages are ESM only and need Node >= 22.19, so `require` from CommonJS
  // (node16-cjs) and the pre-exports node10 resolution are not supported targets (DEVELOPERS.md)
  lint("@arethetypeswrong/cli", "attw", [tarball, "--profile", "esm-only", "--format", "table-flipped", "--no-emoji"])
} finally {
  rmSync(destination, { recursive: true, force: true })
}

if (problems.length > 0) {
  console.error(`\n${manifest.name}: packaging check failed\n${problems.map((p) => `  - ${p}`).join("\n")}`)
  process.exit(1)
}
console.log(`${manifest.name}: packaging OK (pnpm pack, exports/bin targets, publint --strict, attw esm-only)`)
