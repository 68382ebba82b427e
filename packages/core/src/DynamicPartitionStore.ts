/**
 * The instance's dynamic partitions domain (`instance.dynamicPartitions`):
 * the keys of each `Partitions.dynamic(name)` definition, added and removed
 * at run time (by the CLI, a sensor, the API).
 *
 * Each key keeps the ordinal it was added with, so that partition indexes
 * (and the status and version ranges recorded over them) never move: a
 * removed key leaves a hole (`null`), and adding it again gives it a new
 * ordinal at the end.
 *
 * Contract (the conformance suite checks it on every backend):
 * - `add` validates every key first ({@link validate}): a bad key or too many
 *   keys fail with {@link DynamicPartitionError} and add nothing; then it
 *   appends the keys not present yet, in the order given, and reports which
 *   were added and which were there already. It is atomic.
 * - `remove` marks the keys present as removed and reports the unknown ones.
 * - `keys` lists a definition's keys by ordinal (`null` for a removed one);
 *   an unknown name has none. `all` does so for every name.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import type { InstanceError, InstanceShape } from "./Instance.ts"
import type { PartitionsDefinition } from "./Partitions.ts"
import { keyProblem } from "./Partitions.ts"
import type { Project } from "./Project.ts"

/** At most this many keys in one `add` or `remove`. @since 0.1.0 */
export const MAX_KEYS_PER_CALL = 10_000

/** At most this many characters in a key (the same bound as static keys). @since 0.1.0 */
export const MAX_KEY_LENGTH = 256

/**
 * A dynamic partitions request that cannot be carried out: a name that is no
 * definition's, a bad key, too many keys in one call.
 *
 * @since 0.1.0
 */
export class DynamicPartitionError extends Schema.TaggedError<DynamicPartitionError>()(
  "@strata/core/DynamicPartitionError",
  {
    name: Schema.String,
    key: Schema.optional(Schema.String),
    reason: Schema.Literals(["invalid-name", "invalid-key", "too-many-keys", "unknown-definition"]),
    message: Schema.String
  }
) {}

/**
 * What `add` did.
 *
 * @since 0.1.0
 */
export interface AddResult {
  readonly name: string
  readonly added: ReadonlyArray<string>
  /** Keys that were present already (nothing changed for them). */
  readonly existing: ReadonlyArray<string>
}

/**
 * What `remove` did.
 *
 * @since 0.1.0
 */
export interface RemoveResult {
  readonly name: string
  readonly removed: ReadonlyArray<string>
  /** Keys that were not present. */
  readonly unknown: ReadonlyArray<string>
}

/**
 * The domain.
 *
 * @since 0.1.0
 */
export interface DynamicPartitionStore {
  readonly add: (name: string, keys: ReadonlyArray<string>) => Effect.Effect<AddResult, InstanceError | DynamicPartitionError>
  readonly remove: (name: string, keys: ReadonlyArray<string>) => Effect.Effect<RemoveResult, InstanceError | DynamicPartitionError>
  /** A definition's keys by ordinal, `null` for a removed key. */
  readonly keys: (name: string) => Effect.Effect<ReadonlyArray<string | null>, InstanceError>
  /** Every definition's keys by ordinal, by name (what a plan resolves with). */
  readonly all: () => Effect.Effect<Readonly<Record<string, ReadonlyArray<string | null>>>, InstanceError>
}

const NAME = /^[A-Za-z0-9_.-]{1,128}$/

/**
 * The error for a request, or `undefined` when the name and every key are
 * valid: at most {@link MAX_KEYS_PER_CALL} keys, each a partition key
 * (`Partitions.keyProblem`: non-empty, at most 256 characters, no control
 * character, no `|`, `,` or `...`, no white space at either end) without `/`
 * or `\`. Shared by every backend, so they refuse the same keys the same way.
 *
 * @since 0.1.0
 */
export const validate = (name: string, keys: ReadonlyArray<string>): DynamicPartitionError | undefined => {
  if (!NAME.test(name)) {
    return new DynamicPartitionError({
      name,
      reason: "invalid-name",
      message: `dynamic partitions name ${JSON.stringify(name)}: use 1 to 128 letters, digits, '_', '-', '.'`
    })
  }
  if (keys.length > MAX_KEYS_PER_CALL) {
    return new DynamicPartitionError({
      name,
      reason: "too-many-keys",
      message: `${keys.length} keys for dynamic partitions ${name} in one call; at most ${MAX_KEYS_PER_CALL}`
    })
  }
  for (const key of keys) {
    const why = typeof key !== "string" ? "a key is a string" : keyProblem(key) ?? (/[/\\]/.test(key) ? "'/' and '\\' are not allowed" : undefined)
    if (why !== undefined) {
      const shown = typeof key === "string" && key.length > 60 ? `${key.slice(0, 60)}…` : String(key)
      return new DynamicPartitionError({
        name,
        key: shown,
        reason: "invalid-key",
        message: `key ${JSON.stringify(shown)} of dynamic partitions ${name} is invalid: ${why}`
      })
    }
  }
  return undefined
}

/**
 * Splits keys into those to add (new, first occurrence, in order) and those
 * present already, given the present keys. Shared by the backends.
 *
 * @since 0.1.0
 */
export const planAdd = (present: ReadonlySet<string>, keys: ReadonlyArray<string>): { added: Array<string>; existing: Array<string> } => {
  const added: Array<string> = []
  const existing: Array<string> = []
  const seen = new Set<string>()
  for (const key of keys) {
    if (seen.has(key)) continue
    seen.add(key)
    if (present.has(key)) existing.push(key)
    else added.push(key)
  }
  return { added, existing }
}

const namesOf = (definition: PartitionsDefinition | undefined, into: Set<string>): void => {
  if (definition?._tag === "Dynamic") into.add(definition.name)
  else if (definition?._tag === "Multi") for (const d of definition.dimensions) namesOf(d.partitions, into)
}

/**
 * The names of the dynamic definitions a project uses, by asset key.
 *
 * @since 0.1.0
 */
export const definitionsOf = (project: Project<unknown>): Map<string, ReadonlySet<string>> => {
  const byAsset = new Map<string, ReadonlySet<string>>()
  // a plan reads this on every run: nothing to look at in an unpartitioned project, no set for an unpartitioned node
  if (!project.partitioned) return byAsset
  for (const node of project.graph.nodes) {
    if (node.partitions === undefined) continue
    const names = new Set<string>()
    namesOf(node.partitions, names)
    if (names.size > 0) byAsset.set(node.key, names)
  }
  return byAsset
}

/**
 * The stored keys of the project's dynamic definitions, by name, as a plan
 * takes them (`ExecutionPlan.make({ dynamicKeys })`); `undefined` when the
 * project has none (nothing is read).
 *
 * @since 0.1.0
 */
export const keysFor = (
  project: Project<unknown>,
  instance: InstanceShape
): Effect.Effect<Readonly<Record<string, ReadonlyArray<string | null>>> | undefined, InstanceError> =>
  definitionsOf(project).size === 0 ? Effect.succeed(undefined) : instance.dynamicPartitions.all()
