#!/usr/bin/env node
import { main } from "./Main.ts"

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

main()
