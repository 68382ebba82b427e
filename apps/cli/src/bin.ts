#!/usr/bin/env node
import { main } from "./Main.ts"

main()
