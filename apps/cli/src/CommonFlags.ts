/**
 * The flags most `strata` commands share: `--file` (the project config),
 * `--json` (machine-readable output) and `--select` (the assets to act on).
 *
 * @since 0.1.0
 */
import { Flag } from "effect/cli"

/** `--file`, `-f`: the project config file. @since 0.1.0 */
export const fileFlag = Flag.String("file").pipe(
  Flag.withAlias("f"),
  Flag.withDescription("The project config file (default: strata.config.ts in the current folder)"),
  Flag.optional
)

/** `--json`: one JSON document on stdout instead of the human-readable output. @since 0.1.0 */
export const jsonFlag = Flag.Boolean("json").pipe(Flag.withDescription("Print machine-readable JSON on stdout"), Flag.withDefault(false))

/** `--select`, `-s`: the assets to act on, in the selection syntax. @since 0.1.0 */
export const selectFlag = Flag.String("select").pipe(
  Flag.withAlias("s"),
  Flag.withDescription("Assets to act on, in the selection syntax: key, +key (with upstreams), key+ (with downstreams), " +
    "*key, key*, group:x, tag:k=v, kind:x, 'a, b' (union), 'a and b', 'not a'"),
  Flag.optional
)
