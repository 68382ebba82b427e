/**
 * `strata dev` serves the catalog from a child process with a bounded young generation
 * (@strata/catalog/process), read from /proc: which process listens on the port, its command line, and that
 * none is left after the command ends.
 */
import type { ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import { TestProcess } from "@strata/core/testing"
import { describe, expect, it } from "vitest"
import { basicConfig, childrenOf, projectsOfThisFile, strata } from "./helpers.ts"

const project = projectsOfThisFile()

/** The id of the process, among `pids`, that holds the socket listening on `port`. */
const listeningPid = (port: number, pids: ReadonlyArray<number>): number | undefined => {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, "0")}`
  const inodes = new Set(["tcp", "tcp6"].flatMap((file) =>
    fs.readFileSync(`/proc/net/${file}`, "utf8").split("\n").slice(1).map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[1]?.endsWith(hexPort) && fields[3] === "0A")
      .map((fields) => `socket:[${fields[9]}]`)
  ))
  return pids.find((pid) =>
    fs.readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return inodes.has(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))
      } catch {
        return false
      }
    })
  )
}

const commandLine = (pid: number): Array<string> => fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")

/** Whether a process runs (a zombie, ended but not yet reaped, does not). */
const running = (pid: number): boolean => {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ").at(-1)!.split(" ")[0] !== "Z"
  } catch {
    return false
  }
}

interface Served {
  readonly strataPid: number
  readonly serverPid: number | undefined
  readonly children: Array<number>
  readonly serverCommandLine: Array<string>
  readonly assetCount: unknown
}

/** Runs `strata dev` with `env`; once it serves, reads what serves it, then ends it with `stop`. */
const serve = async (env: Record<string, string | undefined>, stop: (child: ChildProcess, served: Served) => void) => {
  const dir = project({ "strata.config.ts": basicConfig })
  let served: Served | undefined
  let failure: unknown
  const result = await strata(["dev", "--port", "0", "--no-daemon"], {
    cwd: dir,
    env,
    onSpawn: (child) => {
      let stdout = ""
      child.stdout!.on("data", async (chunk: Buffer) => {
        stdout += chunk.toString()
        const match = /Strata catalog on (http:\/\/[\d.]+:(\d+))/.exec(stdout)
        if (match === null || served !== undefined) return
        try {
          const pid = child.pid!
          const serverPid = listeningPid(Number(match[2]), [pid, ...childrenOf(pid)])
          served = {
            strataPid: pid,
            serverPid,
            children: childrenOf(pid),
            serverCommandLine: serverPid === undefined ? [] : commandLine(serverPid),
            assetCount: ((await fetch(`${match[1]}/api/project`).then((r) => r.json())) as { assetCount: unknown }).assetCount
          }
          stop(child, served)
        } catch (error) {
          failure = error
          child.kill("SIGKILL")
        }
      })
    }
  })
  if (failure !== undefined) throw failure
  return { result, served: served! }
}

describe("strata dev's server process", () => {
  it("serves from a child with a bounded young generation, and SIGTERM leaves no process behind", async () => {
    const { result, served } = await serve({ NODE_OPTIONS: undefined }, (child) => child.kill("SIGTERM"))
    expect(served.assetCount).toBe(3)
    expect(served.serverPid).toBeDefined()
    expect(served.children).toEqual([served.serverPid])
    expect(served.serverCommandLine).toContain("--max-semi-space-size=4")
    // the same command, the same arguments
    expect(served.serverCommandLine.join(" ")).toContain("bin.ts dev --port 0 --no-daemon")
    expect(result.code).toBe(130)
    expect(result.stdout).toContain("Strata catalog on http://127.0.0.1:")
    expect(running(served.serverPid!)).toBe(false)
  })

  it("does not leave the server behind when strata dev is killed (SIGKILL)", async () => {
    const { served } = await serve({ NODE_OPTIONS: undefined }, (child) => child.kill("SIGKILL"))
    expect(served.children).toEqual([served.serverPid])
    // the output pipes close while the server exits, a moment before the kernel marks it ended: wait for that
    // (a server left behind would never end, and the wait gives up)
    await TestProcess.until("the server process to end", async () => running(served.serverPid!) ? undefined : true, {
      timeoutMs: 10_000,
      intervalMs: 20
    })
  })

  it("keeps a user's own --max-semi-space-size: one process, as started", async () => {
    const { result, served } = await serve({ NODE_OPTIONS: "--max-semi-space-size=16" }, (child) => child.kill("SIGINT"))
    expect(served.assetCount).toBe(3)
    expect(served.serverPid).toBe(served.strataPid)
    expect(served.children).toEqual([])
    expect(result.code).toBe(130)
  })
})
