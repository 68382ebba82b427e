import { startCatalog } from "../src/index.ts"
import { fixtureOptions } from "../test/fixture.ts"
const control = { failing: true, slowMs: 0, users: 0 }
const c = await startCatalog(fixtureOptions(control))
const get = async (p: string, init?: RequestInit) => { const r = await fetch(c.url + p, init); console.log(p, r.status, (await r.text()).slice(0, 1500)) }
await get("/api/selection?selection=" + encodeURIComponent("+gold_user_metrics,("))
await get("/api/runs", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ selection: "*" }) })
await new Promise(r => setTimeout(r, 500))
await get("/api/asset?key=flaky_scores")
await c.close()
