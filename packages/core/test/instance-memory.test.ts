import { Instance } from "../src/index.ts"
import { instanceConformance } from "../src/testing.ts"

instanceConformance("memory", () => Instance.layerMemory)
