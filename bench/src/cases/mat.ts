/**
 * `mat:N`: materialize the workload with the file-system I/O manager and the
 * SQLite instance in a fresh temp folder.
 *
 * @since 0.1.0
 */
import { argumentN, main } from "../script.ts"
import { run } from "./materialize.ts"

main(() => run(argumentN(), "files"))
