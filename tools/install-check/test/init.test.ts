import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Consumer from "../src/Consumer.ts"

// What a new user does, in an empty folder outside the repository: `strata init --from-checkout` with the
// checkout's built CLI, then npm install (pnpm install for the integration package; the registry for
// everything but the vendored tarballs), then the commands the generated README gives. The CLI runs with the consumer's environment (no @strata/source, no
// repository folder on PATH), as after `bash scripts/dev.sh init <dir>`.
describe("strata init, outside the repository", () => {
  let root: string
  // how long each step took, printed at the end (DEVELOPERS.md quotes them; nothing asserts on them)
  const timings: Array<string> = []
  const timed = <A>(step: string, f: () => A): A => {
    const started = Date.now()
    try {
      return f()
    } finally {
      timings.push(`${step} ${((Date.now() - started) / 1000).toFixed(1)} s`)
    }
  }
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "strata-init-check-"))
  })
  afterAll(() => {
    console.log(`strata init check, seconds per step: ${timings.join(", ")}`)
    if (process.env["STRATA_INSTALL_CHECK_KEEP"] === "1") console.log(`STRATA_INSTALL_CHECK_KEEP=1: kept ${root}`)
    else fs.rmSync(root, { recursive: true, force: true })
  })

  const cli = path.join(Consumer.repositoryRoot, "apps", "cli", "bin", "strata.js")
  const install = (what: string, run: ReturnType<typeof Consumer.runIn>) =>
    timed(`${what}: npm install`, () =>
      run("npm install", "npm", ["install", "--no-audit", "--no-fund", "--no-update-notifier", "--loglevel=error"], { timeoutMs: 300_000 }))

  /** Every copy of `name` npm installed (package-lock paths), and whether `npm ls` finds the tree valid. */
  const copies = (project: string, run: ReturnType<typeof Consumer.runIn>, name: string) => {
    const lock = JSON.parse(fs.readFileSync(path.join(project, "package-lock.json"), "utf8")) as {
      packages: Record<string, { version?: string }>
    }
    run(`npm ls ${name}`, "npm", ["ls", name, "--all"])
    return Object.entries(lock.packages)
      .filter(([key]) => key === `node_modules/${name}` || key.endsWith(`/node_modules/${name}`))
      .map(([key, entry]) => `${key}@${entry.version}`)
  }

  it("creates a project that installs with npm, materializes and passes its test, with one copy of effect", () => {
    const init = timed("project: strata init --from-checkout", () =>
      Consumer.runIn(root)("strata init --from-checkout", process.execPath, [cli, "init", "app", "--from-checkout", "--json"], {
        timeoutMs: 300_000
      }))
    const result = Consumer.parseJson<{ created: Array<string>; skipped: Array<string>; vendored: Record<string, string> }>("strata init", init)
    expect(result.skipped).toEqual([])
    for (const file of ["package.json", "tsconfig.json", "strata.config.ts", "src/shop.ts", "src/assets.ts", "test/assets.test.ts", ".gitignore"]) {
      expect(result.created, `strata init created ${file}`).toContain(file)
    }
    expect(Object.keys(result.vendored).sort()).toEqual(expect.arrayContaining(["@strata/cli", "@strata/core", "@strata/sqlite"]))

    const project = path.join(root, "app")
    const run = Consumer.runIn(project)
    install("project", run)
    expect(copies(project, run, "effect"), "one copy of effect").toEqual([expect.stringMatching(/^node_modules\/effect@4\./)])
    expect(copies(project, run, "@strata/core"), "one copy of @strata/core").toHaveLength(1)

    const materialized = Consumer.parseJson<{ status: string; materialized: Array<string> }>(
      "strata materialize",
      timed("project: strata materialize", () => run("npx strata materialize", "npx", ["--no", "--", "strata", "materialize", "--json"]))
    )
    expect(materialized.status).toBe("succeeded")
    expect([...materialized.materialized].sort()).toEqual(["orders", "revenue_by_customer"])
    const stored = JSON.parse(fs.readFileSync(path.join(project, ".strata", "storage", "revenue_by_customer.json"), "utf8")) as unknown
    expect(stored).toEqual({ acme: 38, globex: 12 })

    const tested = timed("project: vitest run", () => run("npx vitest run", "npx", ["--no", "--", "vitest", "run"]))
    expect(tested.stdout).toMatch(/Tests\s+1 passed/)
    timed("project: tsc", () => run("npx tsc (the generated project type-checks)", "npx", ["--no", "--", "tsc", "-p", "tsconfig.json"]))
  })

  it("creates an integration package that installs with pnpm, passes its tests, type-checks and builds", () => {
    timed("integration: strata init --integration acme --from-checkout", () =>
      Consumer.runIn(root)("strata init --integration acme", process.execPath, [cli, "init", "--integration", "acme", "--from-checkout"], {
        timeoutMs: 300_000
      }))
    const project = path.join(root, "strata-acme")
    const run = Consumer.runIn(project)
    // pnpm this time (the project above covers npm): the `pnpm.overrides` pin the vendored tarball
    timed("integration: pnpm install", () =>
      run("pnpm install", "pnpm", ["install", "--no-frozen-lockfile", "--reporter=append-only"], { timeoutMs: 300_000 }))
    const store = fs.readdirSync(path.join(project, "node_modules", ".pnpm"))
    expect(store.filter((entry) => entry.startsWith("effect@")), "one copy of effect").toHaveLength(1)
    expect(store.filter((entry) => entry.startsWith("@strata+core@")), "one copy of @strata/core, the vendored tarball").toEqual([
      expect.stringMatching(/^@strata\+core@file\+vendor\+strata-core-/)
    ])
    const tested = timed("integration: npm test", () => run("npm test", "npm", ["test"]))
    expect(tested.stdout).toMatch(/Tests\s+6 passed/)
    timed("integration: typecheck", () => run("npm run typecheck", "npm", ["run", "typecheck"]))
    timed("integration: build (tsup, with .d.ts)", () => run("npm run build", "npm", ["run", "build"], { timeoutMs: 300_000 }))
    const declarations = fs.readFileSync(path.join(project, "dist", "index.d.ts"), "utf8")
    expect(declarations).toContain("AcmeClient")
    expect(declarations).toContain("isRetryable")
  })
})
