/**
 * `mem:N`: materialize the workload with the in-memory I/O manager and instance.
 *
 * @since 0.1.0
 */
import { argumentN, main } from "../script.ts"
import { run } from "./materialize.ts"

main(() => run(argumentN(), "memory"))
