/**
 * Compile-time checks of `loaded` (run by `pnpm --filter @strata/catalog typecheck`): a layer
 * that does not provide a service the project needs is rejected.
 */
import { Asset, FileSystemIO, Instance, Project } from "@strata/core"
import { Effect, Layer } from "effect"
import { loaded } from "../src/index.ts"

const users = Asset.make("users", {}, () => Effect.succeed([{ id: 1 }]))
const project = Project.make({ assets: [users] })

export const ok = loaded(project, FileSystemIO.layer())
export const withMore = loaded(project, Layer.mergeAll(FileSystemIO.layer(), Instance.layerMemory))
// @ts-expect-error the layer must provide the project's I/O manager (DefaultIO)
export const missing = loaded(project, Instance.layerMemory)
