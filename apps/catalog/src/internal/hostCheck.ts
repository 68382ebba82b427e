/**
 * Which `Host` headers the catalog answers (DNS rebinding).
 *
 * A web page on an attacker's domain can point its DNS name at 127.0.0.1
 * once loaded; the browser then sends that page's requests to the catalog
 * with the attacker's name in `Host`, and the same-origin policy lets the
 * page read the answers and launch runs. The name in `Host` is the only
 * thing telling such a request apart, so the catalog answers only the names
 * it is served under: the loopback names, the address it was told to bind,
 * and names given explicitly (`allowedHosts`, a reverse proxy's). IP literals
 * of this machine are accepted when bound to all interfaces: an IP address
 * in `Host` cannot be rebound.
 */
import { hostname, networkInterfaces } from "node:os"

/** The rule for one server: names that must come with its port, and names accepted on any port. */
export interface HostRule {
  readonly port: number
  /** Lower-case host names (IPv6 in brackets) valid with the server's port. */
  readonly served: ReadonlySet<string>
  /** Lower-case names given by the user, valid with any port (a proxy may forward another one). */
  readonly extra: ReadonlySet<string>
}

const loopbackNames = ["127.0.0.1", "localhost", "[::1]"]
const wildcardAddresses = new Set(["0.0.0.0", "::", "[::]"])

/** `::1` → `[::1]`, names lower-cased: how a host appears in a `Host` header. */
const asHeaderName = (host: string): string => {
  const lower = host.toLowerCase()
  return lower.includes(":") && !lower.startsWith("[") ? `[${lower}]` : lower
}

/** The addresses and name of this machine: what a browser on the network may put in `Host`. */
const machineNames = (): ReadonlyArray<string> => {
  const names = [hostname()]
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) names.push(entry.family === "IPv6" ? entry.address.replace(/%.*$/, "") : entry.address)
  }
  return names
}

/** Builds the rule for a server bound to `bindHost` and listening on `port`. */
export const makeRule = (bindHost: string, port: number, allowedHosts: ReadonlyArray<string> = []): HostRule => {
  const served = new Set([...loopbackNames, asHeaderName(bindHost)])
  if (wildcardAddresses.has(bindHost)) for (const name of machineNames()) served.add(asHeaderName(name))
  return { port, served, extra: new Set(allowedHosts.map(asHeaderName)) }
}

/** Splits a `Host` header into a lower-case name and its port (`undefined` when absent). */
const parseHost = (header: string): { readonly name: string; readonly port: string | undefined } => {
  const lower = header.trim().toLowerCase()
  const close = lower.startsWith("[") ? lower.indexOf("]") : -1
  const colon = lower.indexOf(":", close === -1 ? 0 : close)
  return colon === -1 ? { name: lower, port: undefined } : { name: lower.slice(0, colon), port: lower.slice(colon + 1) }
}

/** Whether a request with this `Host` header is for this server. */
export const allows = (rule: HostRule, header: string | undefined): boolean => {
  if (header === undefined || header === "") return false
  const { name, port } = parseHost(header)
  if (rule.extra.has(name)) return true
  return rule.served.has(name) && (port === undefined ? rule.port === 80 : port === String(rule.port))
}

/** The body of the refusal: what was refused, why, and what to do instead. */
export const refusal = (rule: HostRule, header: string | undefined): string => {
  const names = loopbackNames.map((name) => `${name}:${rule.port}`).join(", ")
  const shown = header === undefined || header === "" ? "no Host header" : `the Host header ${JSON.stringify(header)}`
  return `Blocked: ${shown} is not a name this Strata catalog serves (${names}, or the address it was started on). ` +
    "Requests under other names are refused so that a web page cannot reach the catalog through DNS rebinding. " +
    `Open http://127.0.0.1:${rule.port}/ instead, or, to serve the catalog under another name (a reverse proxy), ` +
    "start it with --allowed-host NAME (allowedHosts in serveCatalog's options).\n"
}
