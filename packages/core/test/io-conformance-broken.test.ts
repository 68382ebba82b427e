import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

interface Assertion {
  readonly fullName: string
  readonly status: string
  readonly failureMessages: ReadonlyArray<string>
}

const packageRoot = fileURLToPath(new URL("..", import.meta.url))

/** Runs the conformance suite over the broken managers of test/broken in a child vitest; returns each test's result. */
const runBrokenSuite = (): Array<Assertion> => {
  const vitest = path.join(path.dirname(createRequire(import.meta.url).resolve("vitest/package.json")), "vitest.mjs")
  const output = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "strata-broken-io-")), "report.json")
  const child = spawnSync(
    process.execPath,
    [vitest, "run", "--config", "test/broken/vitest.config.ts", "--reporter=json", `--outputFile=${output}`],
    { cwd: packageRoot, encoding: "utf8", env: { ...process.env, CI: "true" } }
  )
  expect(child.status, `the broken managers must fail the suite:\n${child.stderr.slice(-2000)}`).toBe(1)
  const report = JSON.parse(fs.readFileSync(output, "utf8")) as { testResults: Array<{ assertionResults: Array<Assertion> }> }
  return report.testResults.flatMap((file) => file.assertionResults)
}

describe("the I/O manager conformance suite fails broken managers, saying what is wrong", () => {
  const results = runBrokenSuite()
  const of = (manager: string, title: string) => {
    const found = results.find((result) => result.fullName.includes(`conformance: ${manager}`) && result.fullName.includes(title))
    expect(found, `no result for ${manager}: ${title}`).toBeDefined()
    return found!
  }

  it("a manager that writes in place fails the atomic overwrite test: a reader saw a partial or missing value", () => {
    const overwrite = of("in-place", "a load during an overwrite")
    expect(overwrite.status).toBe("failed")
    expect(overwrite.failureMessages.join("\n")).toMatch(/in-place: a load during an overwrite (failed|returned a value that is neither the old nor the new one)/)
    // and only where it is wrong: its round trips pass
    expect(of("in-place", "round-trips json values").status).toBe("passed")
  })

  it("a manager that joins raw keys into paths fails the hostile key and partition tests: escapes and collisions", () => {
    const keys = of("raw-paths", "asset keys with '..'")
    expect(keys.status).toBe("failed")
    const keyMessage = keys.failureMessages.join("\n")
    expect(keyMessage).toContain("a file was written outside the storage folder: escape.json (a key or partition escaped)")
    expect(keyMessage).toContain(`asset "../escape" loads another key's value: two keys collide`)
    const partitions = of("raw-paths", "partition keys with '.'")
    expect(partitions.status).toBe("failed")
    const message = partitions.failureMessages.join("\n")
    expect(message).toContain("a file was written outside the storage folder")
    expect(message).toContain("the sentinel parted/b, stored first, was overwritten by a hostile key (it loads another value)")
    expect(of("raw-paths", "round-trips json values").status).toBe("passed")
  })

  it("a manager that declares partitionRanges but loads a range as one key fails the range test, naming the range", () => {
    const range = of("range-as-key", "partition ranges: a range loads as one value")
    expect(range.status).toBe("failed")
    expect(range.failureMessages.join("\n")).toContain("range-as-key declares partitionRanges: loading 2024-06-01...2024-06-03 failed")
    expect(of("range-as-key", "each partition round-trips apart").status).toBe("passed")
  })
})
