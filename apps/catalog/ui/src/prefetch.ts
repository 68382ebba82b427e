/**
 * The graph page's first answers, asked for by `index.html` while this
 * script is still loading: on a first visit the script takes a few hundred
 * milliseconds to arrive and compile, which the requests no longer wait
 * for. Each prefetched response is taken once, by the first request for its
 * path; every later request (and any page other than the graph) fetches as
 * usual.
 */
declare global {
  interface Window {
    __strataPrefetch?: Record<string, Promise<Response> | undefined>
  }
}

/** The response `index.html` started for `path`, once; `undefined` when there is none (left). */
export const takePrefetched = (path: string): Promise<Response> | undefined => {
  const table = typeof window === "undefined" ? undefined : window.__strataPrefetch
  const response = table?.[path]
  if (response !== undefined) delete table![path]
  return response
}

/** `fetch(path, init)`, or the prefetched response of `path` when there is one (falling back to `fetch` if it failed). */
export const fetchFirst = (path: string, init?: RequestInit): Promise<Response> =>
  takePrefetched(path)?.catch(() => fetch(path, init)) ?? fetch(path, init)
