/**
 * Debian's Chromium driven by playwright-core: no browser download. The
 * flags keep it from reaching the network, which this machine refuses.
 */
import { existsSync } from "node:fs"
import type { Browser } from "playwright-core"
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
