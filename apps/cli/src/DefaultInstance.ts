/**
 * The instance used when the chosen environment provides none.
 *
 * @since 0.1.0
 */
import * as path from "node:path"
import { Instance } from "@strata/core"
import type { Layer } from "effect"

/**
 * The default instance file, relative to the config's folder.
 *
 * @since 0.1.0
 */
export const defaultInstancePath = path.join(".strata", "instance.db")

/**
 * The default instance for a project rooted at `root`.
 *
 * @since 0.1.0
 */
export const defaultInstanceLayer = (_root: string): Layer.Layer<Instance.Instance, unknown> => Instance.layerMemory
