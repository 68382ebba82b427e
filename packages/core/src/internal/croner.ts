/**
 * croner, loaded when a cron is first parsed: importing core does not parse
 * its 33 KB, and a project without cron schedules or cron partitions never
 * loads it.
 */
import { createRequire } from "node:module"
import type { Cron } from "croner"

let loaded: typeof Cron | undefined

/** croner's `Cron` class (loaded once, synchronously, on the first call). */
export const cronerClass = (): typeof Cron => loaded ??= (createRequire(import.meta.url)("croner") as typeof import("croner")).Cron
