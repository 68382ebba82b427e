/**
 * The instance used when the chosen environment provides none: the SQLite
 * file `.strata/instance.db` next to the config file (`@strata/sqlite`), so
 * runs, history and staleness survive between commands.
 *
 * @since 0.1.0
 */
import * as path from "node:path"
import type { Instance } from "@strata/core"
import { SqliteInstance } from "@strata/sqlite"
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
export const defaultInstanceLayer = (root: string): Layer.Layer<Instance.Instance, unknown> =>
  SqliteInstance.layer({ path: path.join(root, defaultInstancePath) })
