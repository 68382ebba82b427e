/**
 * Serves the test fixture project on 127.0.0.1:3000 for working on the UI:
 *   node --conditions=@strata/source scripts/dev.ts      (then `vite --config ui/vite.config.ts` for hot reload on :5173)
 * `flaky_scores` fails until STRATA_FIXTURE_FIXED=1; `slow_export` takes 20 s, to try cancel.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import { defaultUiDir, serveCatalog } from "../src/index.ts"
import { fixtureOptions } from "../test/fixture.ts"

const options = fixtureOptions({ failing: process.env.STRATA_FIXTURE_FIXED !== "1", slowMs: 20_000, users: 0 })
serveCatalog({ ...options, uiDir: defaultUiDir, port: Number(process.env.PORT ?? 3000) }).pipe(
  Effect.tap((server) => Effect.logInfo(`catalog on ${server.url}`)),
  Effect.andThen(Effect.never),
  Effect.scoped,
  NodeRuntime.runMain
)
