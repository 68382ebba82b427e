/**
 * `files:N`: what the disk charges for creating N files as `FileSystemIO`
 * does (temp + rename) in a fresh folder of `os.tmpdir()`, then, after those
 * N files are deleted, for N more in another fresh folder: on ext4 without a
 * journal the second costs more (see `fileCreate.ts`). No Strata code runs:
 * this is the floor under `mat:N`'s system time on the same disk.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { createFiles } from "../fileCreate.ts"
import { argumentN, main } from "../script.ts"

main(async () => {
  const n = argumentN()
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "strata-bench-files-"))
  try {
    const fresh = createFiles(parent, n)
    const afterDelete = createFiles(parent, n)
    return {
      n,
      create_cpu_us: fresh.cpu_us,
      create_sys_us: fresh.sys_us,
      create_wall_us: fresh.wall_us,
      create_after_delete_cpu_us: afterDelete.cpu_us,
      create_after_delete_sys_us: afterDelete.sys_us,
      create_after_delete_wall_us: afterDelete.wall_us
    }
  } finally {
    fs.rmSync(parent, { recursive: true, force: true })
  }
})
