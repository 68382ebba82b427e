import * as fs from "node:fs"
import { builtinModules } from "node:module"
import * as path from "node:path"
import ts from "typescript"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import * as Consumer from "../src/Consumer.ts"
import * as Resolution from "../src/Resolution.ts"

// Every published package, packed and installed with npm in a fresh project under os.tmpdir(), used there
// as a user would: the CLI on a real strata.config.ts, the catalog's server and UI, the .d.ts files under
// tsc, Postgres. One project for the whole file: the tests run in order and build on each other.
describe("the published packages, installed with npm in a project outside the repository", () => {
  let consumer: Consumer.Consumer
  beforeAll(() => {
    consumer = Consumer.create()
    const versions = consumer.resolved.map((entry) => `${entry.name}@${entry.installed ?? "-"} (workspace ${entry.workspace ?? "-"})`)
    console.log(`third-party packages installed (newest inside our ranges): ${versions.join(", ")}`)
  })
  afterAll(() => consumer?.remove())
  // a failing assertion names the upstream releases the workspace does not test, and the range that let each in
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      if (consumer?.drift) console.error(consumer.drift)
    })
  })

  const installed = (name: string) => path.join(consumer.directory, "node_modules", ...name.split("/"))
  const strata = (step: string, args: ReadonlyArray<string>, options?: Consumer.RunOptions) =>
    consumer.run(step, "npx", ["--no", "--", "strata", ...args], options)

  it("installs each package once, from its tarball, with real version ranges", () => {
    const lock = JSON.parse(fs.readFileSync(path.join(consumer.directory, "package-lock.json"), "utf8")) as {
      packages: Record<string, { version?: string; resolved?: string; link?: boolean }>
    }
    for (const pkg of consumer.packages) {
      const manifest = JSON.parse(fs.readFileSync(path.join(installed(pkg.name), "package.json"), "utf8")) as Record<string, unknown>
      expect(manifest["version"], `${pkg.name}: installed version`).toBe(pkg.version)
      const entry = lock.packages[`node_modules/${pkg.name}`]
      expect(entry?.resolved ?? "", `${pkg.name}: installed from its tarball, not from the registry`).toMatch(/^file:.*\.tgz$/)
      for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) {
        for (const [name, range] of Object.entries((manifest[field] ?? {}) as Record<string, string>)) {
          expect(range, `${pkg.name}: ${field}.${name}`).not.toMatch(/^(workspace|catalog|file|link):/)
        }
      }
    }
    // a second copy (nested node_modules/@strata/...) would come from the registry or split module identities
    const nested = Object.keys(lock.packages).filter((key) => /node_modules\/.+\/node_modules\/@strata\//.test(key))
    expect(nested, "no nested copy of a @strata package").toEqual([])
    // every range our packages declare is met by what npm installed where Node resolves it from them
    expect(Resolution.unmetRanges(consumer.declared, installed), "declared ranges the installed tree does not meet").toEqual([])
    // npm's own view: a missing or invalid (peer) dependency fails when it names a package we declare or one of
    // ours; an inconsistency between two third-party packages is printed, not failed on
    const ls = consumer.run("npm ls --all --json", "npm", ["ls", "--all", "--json"], { expectStatus: [0, 1] })
    const problems = (Consumer.parseJson<{ problems?: Array<string> }>("npm ls --all --json", ls).problems ?? [])
    const ours = new Set([...consumer.declared.map((entry) => entry.name), ...consumer.packages.map((pkg) => pkg.name)])
    const theirs = problems.filter((problem) => !Resolution.problemsOfOurs([problem], ours).length)
    if (theirs.length > 0) console.warn(`npm ls found problems between third-party packages (not failed on):\n${theirs.join("\n")}`)
    expect(Resolution.problemsOfOurs(problems, ours), `npm ls problems naming our packages or what they declare\n${consumer.drift}`).toEqual([])
  })

  it("links the strata bin, which reports the installed version", () => {
    const cli = consumer.packages.find((pkg) => pkg.name === "@strata/cli")
    expect(cli, "@strata/cli is published").toBeDefined()
    const ran = strata("npx strata --version", ["--version"])
    expect(ran.stdout.trim()).toBe(`strata v${cli!.version}`)
  })

  it("declares every package its built files import", () => {
    const undeclared: Array<string> = []
    for (const pkg of consumer.packages) {
      const root = installed(pkg.name)
      const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
        dependencies?: Record<string, string>
        peerDependencies?: Record<string, string>
      }
      const declared = new Set([pkg.name, ...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})])
      const dist = path.join(root, "dist")
      const files = (fs.readdirSync(dist, { recursive: true }) as Array<string>).filter((file) => /\.(js|d\.ts)$/.test(file))
      for (const file of files) {
        const { importedFiles } = ts.preProcessFile(fs.readFileSync(path.join(dist, file), "utf8"), true, true)
        for (const { fileName } of importedFiles) {
          if (fileName.startsWith(".") || fileName.startsWith("node:") || builtinModules.includes(fileName.split("/")[0]!)) continue
          const name = fileName.startsWith("@") ? fileName.split("/").slice(0, 2).join("/") : fileName.split("/")[0]!
          if (!declared.has(name)) undeclared.push(`${pkg.name}: dist/${file} imports "${fileName}", which is not in its dependencies or peerDependencies`)
        }
      }
    }
    expect([...new Set(undeclared)]).toEqual([])
  })

  it("imports every entry point with plain Node (no @strata/source condition)", () => {
    const ran = consumer.run("node imports.ts", process.execPath, ["imports.ts"])
    const counts = Consumer.parseJson<Record<string, number>>("node imports.ts", ran)
    for (const [entry, count] of Object.entries(counts)) expect(count, `${entry}: number of exports`).toBeGreaterThan(0)
    expect(ran.stderr, "node imports.ts printed on stderr").toBe("")
  })

  it("strata list --json locates each asset in strata.config.ts (stack frames through the installed dist/)", () => {
    const rows = Consumer.parseJson<Array<{ key: string; location?: string }>>("strata list", strata("npx strata list --json", ["list", "--json"]))
    const config = fs.readFileSync(path.join(consumer.directory, "strata.config.ts"), "utf8").split("\n")
    for (const key of ["orders", "silver/orders", "gold/revenue"]) {
      const line = config.findIndex((text) => text.includes(`Asset.make("${key}"`)) + 1
      expect(line, `strata.config.ts defines ${key}`).toBeGreaterThan(0)
      expect(rows.find((row) => row.key === key)?.location, `location of ${key}`).toMatch(new RegExp(`^strata\\.config\\.ts:${line}:\\d+$`))
    }
  })

  it("strata loads a config Node cannot strip (an enum, an import without extension) through jiti", () => {
    // the CLI's second loader, a dependency of the installed @strata/cli; written here, in a folder of its
    // own, not in consumer/: tsc (NodeNext) rejects the extensionless import
    fs.mkdirSync(path.join(consumer.directory, "legacy"))
    fs.writeFileSync(
      path.join(consumer.directory, "legacy", "strata.config.ts"),
      [
        `import { Asset, FileSystemIO, Project, StrataConfig } from "@strata/core"`,
        `import { Effect } from "effect"`,
        `import { orders } from "../strata.config"`,
        `enum Tier { Gold = "gold" }`,
        `const tiered = Asset.make("tiered", { group: Tier.Gold, deps: { orders } }, ({ orders }) => Effect.succeed(orders.length))`,
        `export default StrataConfig.define({`,
        `  project: Project.make({ assets: [orders, tiered] }),`,
        `  environments: { local: () => FileSystemIO.layer({ base: ".strata/jiti" }) }`,
        `})`,
        ``
      ].join("\n")
    )
    const rows = Consumer.parseJson<Array<{ key: string; group: string }>>(
      "strata list -f legacy/strata.config.ts",
      strata("npx strata list -f legacy/strata.config.ts --json", ["list", "-f", "legacy/strata.config.ts", "--json"])
    )
    expect(rows.map(({ key, group }) => [key, group]).sort()).toEqual([["orders", "bronze"], ["tiered", "gold"]])
  })

  it("strata materialize runs the project: Parquet through @strata/arrow's worker, JSON through FileSystemIO, runs in .strata/instance.db", () => {
    const ran = strata("npx strata materialize --json", ["materialize", "--json"])
    const result = Consumer.parseJson<{ status: string; materialized: Array<string>; failed: Array<unknown> }>("strata materialize", ran)
    expect(result.failed).toEqual([])
    expect(result.status).toBe("succeeded")
    expect([...result.materialized].sort()).toEqual(["gold/revenue", "orders", "silver/orders"])

    const parquet = path.join(consumer.directory, ".strata", "tables", "silver", "orders.parquet")
    expect(fs.existsSync(parquet), "ArrowIO wrote .strata/tables/silver/orders.parquet").toBe(true)
    const bytes = fs.readFileSync(parquet)
    expect(bytes.subarray(0, 4).toString("latin1"), "Parquet magic at the start").toBe("PAR1")
    expect(bytes.subarray(-4).toString("latin1"), "Parquet magic at the end").toBe("PAR1")
    expect(JSON.parse(fs.readFileSync(path.join(consumer.directory, ".strata", "storage", "gold", "revenue.json"), "utf8"))).toBe(49.5)
    // @strata/sqlite is the CLI's default instance
    expect(fs.existsSync(path.join(consumer.directory, ".strata", "instance.db")), ".strata/instance.db (@strata/sqlite)").toBe(true)
  })

  it("reads the Parquet file back with ArrowIO.read", () => {
    const ran = consumer.run("node read.ts", process.execPath, ["read.ts"])
    expect(Consumer.parseJson("node read.ts", ran)).toEqual({
      columns: ["id", "customer", "amount"],
      rows: [
        { id: 1, customer: "ada", amount: 30 },
        { id: 2, customer: "bob", amount: 12.5 },
        { id: 3, customer: "ada", amount: 7 }
      ]
    })
  })

  it("strata status --json reports every asset fresh", () => {
    const status = Consumer.parseJson<{ environment: string; assets: Array<{ key: string; status: string }> }>(
      "strata status",
      strata("npx strata status --json", ["status", "--json"])
    )
    expect(status.environment).toBe("local")
    expect(status.assets.map(({ key, status }) => [key, status]).sort()).toEqual([
      ["gold/revenue", "fresh"],
      ["orders", "fresh"],
      ["silver/orders", "fresh"]
    ])
  })

  it("strata runs show --json has the metadata ArrowIO profiled", () => {
    const runs = Consumer.parseJson<Array<{ runId: string; status: string }>>("strata runs", strata("npx strata runs --json", ["runs", "--json"]))
    expect(runs.map((run) => run.status)).toContain("succeeded")
    const runId = runs.find((run) => run.status === "succeeded")!.runId
    const shown = Consumer.parseJson<{ events: Array<{ type: string; assetKey?: string; metadata?: Record<string, unknown> }> }>(
      "strata runs show",
      strata(`npx strata runs show ${runId} --json`, ["runs", "show", runId, "--json"])
    )
    const materialized = shown.events.find((event) => event.type === "asset-materialized" && event.assetKey === "silver/orders")
    expect(materialized?.metadata).toMatchObject({
      row_count: 3,
      column_count: 3,
      null_count: 0,
      format: "parquet",
      compression: "zstd",
      schema: [
        { name: "id", type: "Float64" },
        { name: "customer", type: "Utf8" },
        { name: "amount", type: "Float64" }
      ]
    })
    expect(String(materialized?.metadata?.["path"])).toBe(path.join(consumer.directory, ".strata", "tables", "silver", "orders.parquet"))
  })

  it("strata dev serves the catalog's UI (ui-dist in the package) and its API", async () => {
    const child = consumer.start(path.join(consumer.directory, "node_modules", ".bin", "strata"), ["dev", "--port", "0"])
    let stdout = ""
    let stderr = ""
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`strata dev did not print its URL within 60 s\n${stdout}\n${stderr}`)), 60_000)
        const poll = setInterval(() => {
          const match = /http:\/\/127\.0\.0\.1:\d+/.exec(stdout)
          if (match !== null) {
            clearTimeout(timer)
            clearInterval(poll)
            resolve(match[0])
          }
        }, 50)
        void exited.then((code) => {
          clearTimeout(timer)
          clearInterval(poll)
          reject(new Error(`strata dev exited with ${code} before serving\n${stdout}\n${stderr}`))
        })
      })

      const page = await fetch(`${url}/`)
      expect(page.status, "GET / (the UI's index.html)").toBe(200)
      const html = await page.text()
      const script = /<script type="module"[^>]*src="([^"]+)"/.exec(html)?.[1]
      expect(script, "index.html loads the UI's script").toBeDefined()
      const asset = await fetch(new URL(script!, url))
      expect(asset.status, `GET ${script} (a built UI asset)`).toBe(200)
      expect(asset.headers.get("content-type") ?? "").toMatch(/javascript/)
      expect((await asset.text()).length).toBeGreaterThan(1000)

      const api = await fetch(`${url}/api/assets`)
      expect(api.status, "GET /api/assets").toBe(200)
      const body = (await api.json()) as { assets: Array<{ key: string; status: string }> }
      expect(body.assets.map(({ key, status }) => [key, status]).sort()).toEqual([
        ["gold/revenue", "fresh"],
        ["orders", "fresh"],
        ["silver/orders", "fresh"]
      ])
    } finally {
      child.kill("SIGINT")
      const stopped = await Promise.race([exited, new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 15_000))])
      if (stopped === "timeout") child.kill("SIGKILL")
      expect(stopped, `strata dev stops on SIGINT\n${stderr}`).not.toBe("timeout")
    }
  })

  it("type-checks the project with tsc (strict, NodeNext) against the installed .d.ts files", () => {
    const tsc = path.join("node_modules", "typescript", "bin", "tsc")
    consumer.run("tsc -p tsconfig.json", process.execPath, [tsc, "-p", "tsconfig.json"])
  })

  it("ships .d.ts files that compile without skipLibCheck", () => {
    // effect's own declarations need the DOM lib without skipLibCheck (CryptoKey): only errors in
    // @strata's files count here
    const tsc = path.join("node_modules", "typescript", "bin", "tsc")
    const ran = consumer.run("tsc -p tsconfig.json --skipLibCheck false", process.execPath, [tsc, "-p", "tsconfig.json", "--skipLibCheck", "false"], {
      expectStatus: [0, 1, 2]
    })
    const ours = ran.stdout.split("\n").filter((line) => /^node_modules\/@strata\//.test(line) || /^[^\s/]+\.ts\(/.test(line))
    expect(ours).toEqual([])
  })

  it("runs @strata/core/testing's Instance conformance suite on @strata/sqlite with vitest", () => {
    const step = "npx vitest run instance.test.ts"
    const ran = consumer.run(step, "npx", ["--no", "--", "vitest", "run", "instance.test.ts", "--reporter=json", "--outputFile=vitest.json"], {
      timeoutMs: 300_000
    })
    const reportFile = path.join(consumer.directory, "vitest.json")
    expect(fs.existsSync(reportFile), `${step} wrote vitest.json\n${ran.stdout}\n${ran.stderr}`).toBe(true)
    const report = JSON.parse(fs.readFileSync(reportFile, "utf8")) as { numPassedTests: number; numFailedTests: number; success: boolean }
    expect(report.success).toBe(true)
    expect(report.numFailedTests).toBe(0)
    expect(report.numPassedTests, "conformance tests that ran").toBeGreaterThanOrEqual(20)
  })

  it("stores a table in Postgres through @strata/postgres", () => {
    const schema = `strata_install_check_${process.pid}`
    // the server the Postgres integration's tests use (trust auth), its `postgres` database, a schema of our own
    const host = process.env["STRATA_TEST_PGHOST"] ?? "127.0.0.1"
    const port = process.env["STRATA_TEST_PGPORT"] ?? "5432"
    const user = process.env["STRATA_TEST_PGUSER"] ?? "postgres"
    const ran = consumer.run(`node postgres.ts (Postgres on ${host}:${port})`, process.execPath, ["postgres.ts", schema], {
      environment: { DATABASE_URL: `postgres://${user}@${host}:${port}/postgres` }
    })
    expect(Consumer.parseJson("node postgres.ts", ran)).toEqual({
      status: "succeeded",
      materialized: ["orders"],
      rows: [{ id: 1, amount: 30 }, { id: 2, amount: 12.5 }, { id: 3, amount: 7 }]
    })
  })

  it("runs steps on a `strata worker` process through @strata/graphile-worker", () => {
    const prefix = `strata_install_check_dist_${process.pid}`
    const host = process.env["STRATA_TEST_PGHOST"] ?? "127.0.0.1"
    const port = process.env["STRATA_TEST_PGPORT"] ?? "5432"
    const user = process.env["STRATA_TEST_PGUSER"] ?? "postgres"
    const ran = consumer.run(`node distributed.ts (Postgres on ${host}:${port})`, process.execPath, ["distributed.ts", prefix], {
      environment: { DATABASE_URL: `postgres://${user}@${host}:${port}/postgres` },
      timeoutMs: 180_000
    })
    expect(Consumer.parseJson("node distributed.ts", ran)).toEqual({
      status: "succeeded",
      materialized: ["numbers", "total"],
      // each step started on the worker process (its pid), not in the coordinator
      startedOnWorker: [["numbers", true], ["total", true]],
      total: 6,
      workerStopped: true,
      workerExit: 130
    })
  })
})
