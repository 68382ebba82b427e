/**
 * Debian's Chromium driven by playwright-core: no browser download. The
 * flags keep it from reaching the network, which this machine refuses.
 */
import { existsSync } from "node:fs"
import type { Browser, Page } from "playwright-core"
import { chromium } from "playwright-core"

export const chromiumPath = process.env.STRATA_CHROMIUM ?? "/usr/bin/chromium"

export const launchChromium = (): Promise<Browser> => {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium is not installed at ${chromiumPath}: run 'apt-get install -y chromium' (or set STRATA_CHROMIUM)`
    )
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run"
    ]
  })
}

/**
 * The categories of a Chromium trace that shows where a page's start goes: tasks, script compilation, a CPU
 * profile, the network and user timing marks (open the file in DevTools).
 */
export const startTraceCategories = [
  "devtools.timeline",
  "disabled-by-default-devtools.timeline",
  "v8.execute",
  "v8",
  "disabled-by-default-v8.cpu_profiler",
  "disabled-by-default-v8.compile",
  "blink.user_timing",
  "loading"
]

/**
 * Waits until `expression`, evaluated in the page, is neither `undefined` nor `false`, and returns its value.
 * It is asked as a plain expression over CDP: Playwright's `waitForFunction` first injects its own script into
 * the page (~50 ms of a cold page's main thread), which would be counted in what a benchmark measures.
 */
export const pollPage = async (page: Page, expression: string, timeoutMs = 120_000): Promise<unknown> => {
  const cdp = await page.context().newCDPSession(page)
  try {
    const deadline = Date.now() + timeoutMs
    while (true) {
      const { result } = await cdp.send("Runtime.evaluate", { expression, returnByValue: true })
      if (result.value !== undefined && result.value !== false) return result.value
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${expression} in ${page.url()}`)
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  } finally {
    await cdp.detach().catch(() => undefined)
  }
}
