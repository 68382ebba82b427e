#!/usr/bin/env node
import { ServerProcess } from "@strata/catalog/process"

/**
 * Whether `args` run a command that serves the catalog (`strata dev`): its first word that is not a flag (nor
 * the value of a global flag that takes one) is `dev`.
 */
const servesCatalog = (args: ReadonlyArray<string>): boolean => {
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!
    if (arg === "--log-level" || arg === "--completions") index++
    else if (!arg.startsWith("-")) return arg === "dev"
  }
  return false
}

// The catalog server runs in a process with a bounded young generation (see @strata/catalog/process): `strata
// dev` starts itself again that way, and this process only forwards signals and the exit code. Decided before
// the CLI loads, so that the other commands run as they are and this one loads it once.
if (!(servesCatalog(process.argv.slice(2)) && ServerProcess.relaunched())) {
  // node:sqlite (the default instance) is stable enough for us but Node 22 still flags it as experimental on
  // every run; hide only that warning. Warnings are emitted on a later tick, so this runs in time.
  const [printWarning] = process.listeners("warning")
  if (printWarning !== undefined) {
    process.removeAllListeners("warning")
    process.on("warning", (warning) => {
      if (warning.name === "ExperimentalWarning" && /SQLite/i.test(warning.message)) return
      printWarning(warning)
    })
  }
  const { main } = await import("./Main.ts")
  main()
}
