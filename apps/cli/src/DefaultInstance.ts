/**
 * The instance used when the chosen environment provides none: a SQLite file
 * under `.strata/` next to the config file (`@strata/sqlite`), so runs,
 * history and staleness survive between commands.
 *
 * Each environment gets its own file. Run history and staleness describe the
 * data in an environment's storage; one file shared by `local` and `prod`
 * would say that local assets are fresh after a prod run although local
 * storage holds other data (or none). The default environment (the config's
 * `defaultEnvironment`, `local` unless set) keeps `.strata/instance.db`, the
 * path every project used before, so existing history stays where it is
 * without a migration; any other environment uses
 * `.strata/<environment>/instance.db`.
 *
 * @since 0.1.0
 */
import * as path from "node:path"
import type { Instance } from "@strata/core"
import { SqliteInstance } from "@strata/sqlite"
import type { Layer } from "effect"

/**
 * The default environment's instance file, relative to the config's folder.
 *
 * @since 0.1.0
 */
export const defaultInstancePath = path.join(".strata", "instance.db")

/**
 * An environment's name as one path segment: percent-encoded, and `.` / `..`
 * spelled out, so no name can reach outside `.strata/` or another environment's folder.
 */
const segment = (name: string): string => {
  const encoded = encodeURIComponent(name)
  return /^\.+$/.test(encoded) ? encoded.replaceAll(".", "%2E") : encoded
}

/**
 * The default instance file of an environment, relative to the config's
 * folder: {@link defaultInstancePath} for the default environment,
 * `.strata/<environment>/instance.db` for the others.
 *
 * @since 0.1.0
 */
export const instancePathFor = (environment: string | undefined, defaultEnvironment: string | undefined): string =>
  environment === undefined || environment === defaultEnvironment
    ? defaultInstancePath
    : path.join(".strata", segment(environment), "instance.db")

/**
 * The default instance of an environment of a project rooted at `root`
 * (without an environment: the default environment's).
 *
 * @since 0.1.0
 */
export const defaultInstanceLayer = (
  root: string,
  environment?: { readonly name: string; readonly defaultEnvironment: string } | undefined
): Layer.Layer<Instance.Instance, unknown> =>
  SqliteInstance.layer({ path: path.join(root, instancePathFor(environment?.name, environment?.defaultEnvironment)) })
