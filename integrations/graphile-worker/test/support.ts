/**
 * What the worker tests share: a fresh database per test file on the local
 * server (127.0.0.1:5432), `strata` commands run as child processes (the CLI
 * from source, on the fixture project), and workers started and stopped.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as path from "node:path"
import * as readline from "node:readline"
import { fileURLToPath } from "node:url"
import pg from "pg"

const here = path.dirname(fileURLToPath(import.meta.url))
export const cliBin = path.resolve(here, "../../../apps/cli/src/bin.ts")
export const configFile = path.join(here, "fixtures", "project", "strata.config.ts")

const server = {
  host: process.env.STRATA_TEST_PGHOST ?? "127.0.0.1",
  port: Number(process.env.STRATA_TEST_PGPORT ?? 5432),
  user: process.env.STRATA_TEST_PGUSER ?? "postgres"
}

export interface TestDatabase {
  readonly url: string
  readonly query: <R extends Record<string, unknown>>(text: string, params?: Array<unknown>) => Promise<Array<R>>
  readonly drop: () => Promise<void>
}

const admin = async (text: string) => {
  const client = new pg.Client({ ...server, database: "postgres" })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

export const createTestDatabase = async (): Promise<TestDatabase> => {
  const name = `strata_test_${process.pid}_${randomBytes(4).toString("hex")}`
  await admin(`create database "${name}"`)
  return {
    url: `postgres://${server.user}@${server.host}:${server.port}/${name}`,
    query: async (text, params) => {
      const client = new pg.Client({ ...server, database: name })
      await client.connect()
      try {
        return (await client.query(text, params)).rows
      } finally {
        await client.end()
      }
    },
    drop: () => admin(`drop database if exists "${name}" with (force)`)
  }
}

/** Runs `strata <args>` to its end. */
export const strata = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["--conditions=@strata/source", cliBin, ...args, "-f", configFile], {
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

export interface WorkerProcess {
  readonly child: ChildProcess
  readonly pid: number
  /** Its JSON log lines so far. */
  readonly lines: Array<Record<string, unknown>>
  readonly started: Promise<Record<string, unknown>>
  readonly exited: Promise<number | null>
  readonly stderr: () => string
}

/** Starts `strata worker --json`; `started` resolves with its `worker-started` line. */
export const startWorker = (args: ReadonlyArray<string>, env: Record<string, string>): WorkerProcess => {
  const child = spawn(process.execPath, ["--conditions=@strata/source", cliBin, "worker", "--json", ...args, "-f", configFile], {
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  const lines: Array<Record<string, unknown>> = []
  let stderr = ""
  child.stderr!.on("data", (chunk) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  const started = new Promise<Record<string, unknown>>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on("line", (text) => {
      const line = JSON.parse(text) as Record<string, unknown>
      lines.push(line)
      if (line.event === "worker-started") resolve(line)
    })
    void exited.then((code) => reject(new Error(`worker exited with ${code} before starting: ${stderr}`)))
  })
  started.catch(() => {})
  return { child, pid: child.pid!, lines, started, exited, stderr: () => stderr }
}

export const stopWorkers = async (workers: ReadonlyArray<WorkerProcess>) => {
  for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGTERM")
  await Promise.all(workers.map((worker) => worker.exited))
}
