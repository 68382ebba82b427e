import { Models } from "@strata/protocol"
import { Schema } from "effect"

/** GETs or POSTs JSON and returns the status and parsed body. */
export const call = async (
  base: string,
  path: string,
  init?: { readonly method?: string; readonly body?: unknown }
): Promise<{ status: number; body: any }> => {
  const response = await fetch(base + path, {
    method: init?.method ?? "GET",
    ...(init?.body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(init.body) })
  })
  const text = await response.text()
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) }
}

/** Reads a run's SSE stream until it ends (the server closes it when the run is over), decoding each event. */
export const readEvents = async (url: string, onEvent?: (event: Models.Event) => void): Promise<Array<Models.Event>> => {
  const response = await fetch(url, { headers: { accept: "text/event-stream" } })
  if (response.status !== 200 || response.body === null) throw new Error(`SSE ${url}: ${response.status}`)
  const decode = Schema.decodeUnknownSync(Models.Event)
  const events: Array<Models.Event> = []
  const decoder = new TextDecoder()
  let buffer = ""
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true })
    let boundary: number
    while ((boundary = buffer.indexOf("\n\n")) !== -1) {
      const block = buffer.slice(0, boundary)
      buffer = buffer.slice(boundary + 2)
      const data = block.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trimStart()).join("\n")
      if (data === "") continue
      const event = decode(JSON.parse(data))
      events.push(event)
      onEvent?.(event)
    }
  }
  return events
}

/** Polls until `check` returns a value, failing after `timeoutMs`. */
export const until = async <A>(check: () => Promise<A | undefined>, what: string, timeoutMs = 10_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
