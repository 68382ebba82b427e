// Packs one workspace package as it would be published: `pnpm pack` rewrites `workspace:` and `catalog:`
// ranges into real versions, as `pnpm publish` does. Shared by scripts/check-package.ts (publint, attw),
// tools/install-check (installs the tarballs with npm into a project outside the repository) and
// `strata init --from-checkout` (vendors them into a new project): the code lives with the CLI, which
// ships it, in apps/cli/src/init/Workspace.ts.
export { packPackage } from "../apps/cli/src/init/Workspace.ts"
export type { Packed } from "../apps/cli/src/init/Workspace.ts"
