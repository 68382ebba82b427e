import { generateKeyPairSync, randomBytes } from "node:crypto"
import { Effect, Redacted } from "effect"
import type { Scope } from "effect"
import { SnowflakeClient } from "../src/SnowflakeClient.ts"
import type { SnowflakeClientConfig, SnowflakeClientShape } from "../src/SnowflakeClient.ts"
import type { SnowflakeError } from "../src/SnowflakeError.ts"
import type { LocalSnowflake } from "../src/testing.ts"

/** An RSA key pair; the private key encrypted with `passphrase` when given. */
export const keyPair = (passphrase?: string) =>
  generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: passphrase === undefined
      ? { type: "pkcs8", format: "pem" }
      : { type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase }
  })

export const uniqueName = (prefix: string) => `${prefix}_${randomBytes(4).toString("hex")}`.toUpperCase()

/** A password client on a local server (database from the server's first `databases` entry). */
export const passwordClient = (
  server: LocalSnowflake,
  extra: Partial<SnowflakeClientConfig> = {}
): Effect.Effect<SnowflakeClientShape, SnowflakeError, Scope.Scope> =>
  SnowflakeClient.make({
    ...server.connection,
    auth: { _tag: "Password", password: Redacted.make(server.password) },
    ...extra
  })

/** Runs an effect needing a scope to completion. */
export const runScoped = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>): Promise<A> => Effect.runPromise(Effect.scoped(effect))
