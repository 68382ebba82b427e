/**
 * Login checks for the three authenticators the integration supports,
 * against the request shapes the driver sends to `login-request`:
 *
 * - `SNOWFLAKE` (password): `data.LOGIN_NAME` and `data.PASSWORD`;
 * - `SNOWFLAKE_JWT` (key pair): `data.TOKEN`, an RS256 JWT whose `iss` is
 *   `ACCOUNT.USER.SHA256:<base64 SHA-256 of the public key's DER>` and `sub`
 *   `ACCOUNT.USER`, signed by the private key of a registered public key;
 * - `OAUTH`: `data.TOKEN`, an access token registered for the user.
 */
import { createHash, createPublicKey, verify } from "node:crypto"
import type { ServerError } from "./errors.ts"
import { serverError } from "./errors.ts"

/** A user of the local server. */
export interface LocalUser {
  /** The login name (matched case-insensitively, as Snowflake does). */
  readonly name: string
  readonly password?: string | undefined
  /** PEM public keys (RSA) accepted for key-pair login (Snowflake allows two, for rotation). */
  readonly publicKeys?: ReadonlyArray<string> | undefined
  /** OAuth access tokens accepted for this user. */
  readonly oauthTokens?: ReadonlyArray<string> | undefined
  /** The role a session starts with when the login names none. Default `PUBLIC`. */
  readonly defaultRole?: string | undefined
}

/** What a successful login established. */
export interface LoginIdentity {
  readonly user: string
  readonly authenticator: "SNOWFLAKE" | "SNOWFLAKE_JWT" | "OAUTH"
  readonly defaultRole: string
}

/** The login body's `data`, as far as authentication reads it. */
export interface LoginData {
  readonly ACCOUNT_NAME?: unknown
  readonly LOGIN_NAME?: unknown
  readonly PASSWORD?: unknown
  readonly AUTHENTICATOR?: unknown
  readonly TOKEN?: unknown
}

const fingerprint = (pem: string): string =>
  `SHA256:${createHash("sha256").update(createPublicKey(pem).export({ format: "der", type: "spki" })).digest("base64")}`

const decodeSegment = (segment: string): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"))
    return typeof value === "object" && value !== null ? value as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}

/** Checks a key-pair JWT for `user`; returns why it is refused, or undefined. */
const checkJwt = (token: string, account: string, user: LocalUser, now: number): string | undefined => {
  const parts = token.split(".")
  if (parts.length !== 3) return "JWT token is invalid: not three segments"
  const header = decodeSegment(parts[0]!)
  const payload = decodeSegment(parts[1]!)
  if (header?.["alg"] !== "RS256") return "JWT token is invalid: alg is not RS256"
  if (payload === undefined) return "JWT token is invalid: unreadable payload"
  const subject = `${account.toUpperCase()}.${user.name.toUpperCase()}`
  if (payload["sub"] !== subject) return `JWT token is invalid: sub is ${JSON.stringify(payload["sub"])}, expected ${subject}`
  const exp = typeof payload["exp"] === "number" ? payload["exp"] : NaN
  // the Node driver writes milliseconds; the JWT standard (and other drivers) seconds
  const expiresMs = exp > 1e12 ? exp : exp * 1000
  if (!(expiresMs > now)) return "JWT token is invalid: expired"
  for (const pem of user.publicKeys ?? []) {
    if (payload["iss"] !== `${subject}.${fingerprint(pem)}`) continue
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`)
    if (verify("RSA-SHA256", signed, pem, Buffer.from(parts[2]!, "base64url"))) return undefined
    return "JWT token is invalid: bad signature"
  }
  return "JWT token is invalid: no registered public key matches the issuer's fingerprint"
}

/**
 * Authenticates a login request, or returns the Snowflake error the real
 * service answers with (code 390100 for a bad password, 390144 for a bad
 * JWT, 390303 for an unknown OAuth token).
 */
export const authenticate = (
  data: LoginData,
  users: ReadonlyArray<LocalUser>,
  account: string,
  now: number
): LoginIdentity | ServerError => {
  const name = typeof data.LOGIN_NAME === "string" ? data.LOGIN_NAME : ""
  const authenticator = typeof data.AUTHENTICATOR === "string" ? data.AUTHENTICATOR.toUpperCase() : "SNOWFLAKE"
  const user = users.find((candidate) => candidate.name.toUpperCase() === name.toUpperCase())
  const identity = (kind: LoginIdentity["authenticator"]): LoginIdentity => ({
    user: user!.name.toUpperCase(),
    authenticator: kind,
    defaultRole: user!.defaultRole ?? "PUBLIC"
  })
  switch (authenticator) {
    case "SNOWFLAKE":
      if (user?.password !== undefined && data.PASSWORD === user.password) return identity("SNOWFLAKE")
      return serverError("badLogin", "Incorrect username or password was specified.")
    case "SNOWFLAKE_JWT": {
      if (user === undefined || typeof data.TOKEN !== "string") return serverError("badJwt", "JWT token is invalid.")
      const problem = checkJwt(data.TOKEN, account, user, now)
      return problem === undefined ? identity("SNOWFLAKE_JWT") : serverError("badJwt", `${problem}.`)
    }
    case "OAUTH":
      if (user !== undefined && typeof data.TOKEN === "string" && (user.oauthTokens ?? []).includes(data.TOKEN)) {
        return identity("OAUTH")
      }
      return serverError("badOAuth", "Invalid OAuth access token.")
    default:
      return serverError("badLogin", `The authenticator ${authenticator} is not supported by the local Snowflake server.`)
  }
}
