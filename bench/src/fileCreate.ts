/**
 * What creating a file costs on the disk a case runs on: `count` files written
 * the way `FileSystemIO` writes a new asset's value (a temporary file, then a
 * rename), timed by the process's CPU (user + system) and wall clock.
 *
 * On an ext4 file system without a journal, the kernel skips every inode of
 * the folder's block group freed in the last 60 s (6 min while its inode
 * table block is not yet written back) when it allocates one (`recently_deleted` in
 * `fs/ext4/ialloc.c`), so a file's creation costs more the more files anybody
 * deleted there lately. This figure tells that cost apart from Strata's.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { round } from "./script.ts"

/**
 * Per-file costs of creating `count` files in a new folder under `parent`, in µs.
 *
 * @since 0.1.0
 */
export interface CreateCost {
  /** Process CPU (user + system) per file. */
  readonly cpu_us: number
  /** System (kernel) CPU per file. */
  readonly sys_us: number
  readonly wall_us: number
}

/**
 * Creates `count` files (temp + rename) in a new folder under `parent` and
 * returns the per-file cost; the folder is removed unless `keep`.
 *
 * @since 0.1.0
 */
export const createFiles = (parent: string, count: number, keep = false): CreateCost => {
  const folder = fs.mkdtempSync(path.join(parent, "create-"))
  const cpu = process.cpuUsage()
  const start = performance.now()
  for (let i = 0; i < count; i++) {
    const file = path.join(folder, `f_${i}.json`)
    fs.writeFileSync(`${file}.tmp`, "1")
    fs.renameSync(`${file}.tmp`, file)
  }
  const wall = performance.now() - start
  const used = process.cpuUsage(cpu)
  if (!keep) fs.rmSync(folder, { recursive: true, force: true })
  return {
    cpu_us: round((used.user + used.system) / count, 1),
    sys_us: round(used.system / count, 1),
    wall_us: round((wall * 1000) / count, 1)
  }
}
