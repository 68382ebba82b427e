/**
 * Per-asset retry policies. A policy is plain data (shown by the catalog and
 * stored with the definition); the executor turns it into delays.
 *
 * A failure is retried when the policy allows another attempt and the error
 * does not say `isRetryable: false`. Integrations set `isRetryable` on their
 * errors (a deadlock is retryable, a syntax error is not); core never reads
 * driver codes.
 *
 * @since 0.1.0
 */
import { Duration } from "effect"

/**
 * How delays grow between attempts.
 *
 * @since 0.1.0
 */
export type Backoff = "constant" | "linear" | "exponential"

/**
 * A retry policy.
 *
 * @since 0.1.0
 */
export interface RetryPolicy {
  /** Retries after the first attempt: `maxRetries: 2` means at most 3 attempts. */
  readonly maxRetries: number
  /** The delay before the first retry, in milliseconds. */
  readonly delayMs: number
  readonly backoff: Backoff
  /** An upper bound on any one delay, in milliseconds. */
  readonly maxDelayMs: number
  /** Randomise each delay between 50% and 150% of its value. */
  readonly jitter: boolean
}

/**
 * Options accepted by {@link make} and by the `retry` option of assets.
 *
 * @since 0.1.0
 */
export interface Input {
  readonly maxRetries: number
  readonly delay?: Duration.Input | undefined
  readonly backoff?: Backoff | undefined
  readonly maxDelay?: Duration.Input | undefined
  readonly jitter?: boolean | undefined
}

/**
 * Builds a policy. Throws a `RangeError` for a negative or fractional
 * `maxRetries`.
 *
 * @example
 * ```ts
 * import { RetryPolicy } from "@strata/core"
 * const policy = RetryPolicy.make({ maxRetries: 3, delay: "1 second", backoff: "exponential" })
 * ```
 * @since 0.1.0
 */
export const make = (input: Input): RetryPolicy => {
  if (!Number.isInteger(input.maxRetries) || input.maxRetries < 0) {
    throw new RangeError(`retry: maxRetries must be a whole number >= 0, got ${input.maxRetries}`)
  }
  return {
    maxRetries: input.maxRetries,
    delayMs: input.delay === undefined ? 0 : Duration.toMillis(Duration.fromInputUnsafe(input.delay)),
    backoff: input.backoff ?? "constant",
    maxDelayMs: input.maxDelay === undefined ? Number.POSITIVE_INFINITY : Duration.toMillis(Duration.fromInputUnsafe(input.maxDelay)),
    jitter: input.jitter ?? false
  }
}

/**
 * The delay before retry number `retry` (1 for the first retry), before jitter.
 *
 * @since 0.1.0
 */
export const delayMs = (policy: RetryPolicy, retry: number): number => {
  const base = policy.backoff === "constant"
    ? policy.delayMs
    : policy.backoff === "linear"
    ? policy.delayMs * retry
    : policy.delayMs * 2 ** (retry - 1)
  return Math.min(base, policy.maxDelayMs)
}

/**
 * `false` when an error says it must not be retried (`isRetryable: false`).
 *
 * @since 0.1.0
 */
export const isRetryable = (error: unknown): boolean =>
  !(typeof error === "object" && error !== null && "isRetryable" in error && error.isRetryable === false)
