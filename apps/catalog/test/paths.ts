import { fileURLToPath } from "node:url"

/** Where the tests build the UI (see buildUi.ts): apart from `ui-dist/`, which `build` writes. */
export const testUiDir: string = fileURLToPath(new URL("../.ui-test", import.meta.url))
