/**
 * Finds the READMEs of the repository and the ```ts code blocks in them, and type-checks blocks as
 * modules of their own with the repository's compiler settings.
 *
 * A block whose info string carries the word `fragment` (```ts fragment) is an excerpt (an interface
 * outline, a snippet that uses names defined elsewhere) and is not checked. A block whose first line is
 * `// name.ts` is written as that file, so that later blocks of the same README can import it.
 * DEVELOPERS.md explains both.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

/** The repository root. */
export const repositoryRoot: string = fileURLToPath(new URL("../../../", import.meta.url))

/** The folder of this package: blocks are written under it so that its dependencies resolve. */
export const packageDir: string = fileURLToPath(new URL("../", import.meta.url))

/** One fenced TypeScript block of a README. */
export interface Block {
  /** README path relative to the repository root, with `/` separators. */
  readonly file: string
  /** 1-based line in the README of the block's first code line. */
  readonly line: number
  /** The words after the language in the info string (`fragment`, ...). */
  readonly flags: ReadonlyArray<string>
  /** The nearest heading above the block, without the `#`s. */
  readonly heading: string
  readonly code: string
}

/** A block is skipped when it is marked ```ts fragment. */
export const isFragment = (block: Block): boolean => block.flags.includes("fragment")

const workspaceFolders = ["packages", "integrations", "apps", "examples", "tools"]

/** The root README.md, then the README.md of every workspace package, in a stable order. */
export const readmes = (root: string = repositoryRoot): Array<string> => {
  const found = ["README.md"]
  for (const folder of workspaceFolders) {
    const dir = path.join(root, folder)
    if (!fs.existsSync(dir)) continue
    for (const name of fs.readdirSync(dir).sort()) {
      if (fs.existsSync(path.join(dir, name, "README.md"))) found.push(`${folder}/${name}/README.md`)
    }
  }
  if (fs.existsSync(path.join(root, "bench", "README.md"))) found.push("bench/README.md")
  return found
}

const fence = /^( {0,3})(`{3,}|~{3,})\s*([^`]*)$/

/** The ```ts / ```typescript blocks of one markdown text. */
export const extractBlocks = (file: string, markdown: string): Array<Block> => {
  const lines = markdown.split(/\r?\n/)
  const blocks: Array<Block> = []
  let heading = ""
  let open: { marker: string; indent: number; language: string; flags: Array<string>; start: number } | undefined
  let body: Array<string> = []
  lines.forEach((text, index) => {
    if (open === undefined) {
      const match = fence.exec(text)
      if (match) {
        const [language = "", ...flags] = (match[3] ?? "").trim().split(/\s+/)
        open = { marker: match[2]!, indent: match[1]!.length, language: language.toLowerCase(), flags, start: index + 2 }
        body = []
      } else if (/^#{1,6}\s/.test(text)) {
        heading = text.replace(/^#+\s*/, "").trim()
      }
      return
    }
    const closing = text.trim()
    if (closing.startsWith(open.marker[0]!.repeat(open.marker.length)) && /^(`+|~+)$/.test(closing)) {
      if (open.language === "ts" || open.language === "typescript") {
        blocks.push({ file, line: open.start, flags: open.flags, heading, code: body.join("\n") })
      }
      open = undefined
      return
    }
    body.push(text.slice(Math.min(open.indent, text.length - text.trimStart().length)))
  })
  return blocks
}

/** Every ```ts block of every README (fragments included; filter with {@link isFragment}). */
export const allBlocks = (root: string = repositoryRoot): Array<Block> =>
  readmes(root).flatMap((file) => extractBlocks(file, fs.readFileSync(path.join(root, file), "utf8")))

/**
 * The path, relative to the check's folder, a block is written to: a folder per README, and in it the
 * file the block names on its first line (`// crm.ts`: later blocks of the same README can then
 * `import ... from "./crm.ts"`), or `L<line>.ts`.
 */
export const fileNameOf = (block: Block): string => {
  const folder = block.file === "README.md" ? "root" : block.file.replace(/\/README\.md$/, "").replace(/[^A-Za-z0-9]+/g, "-")
  const named = /^\/\/\s*([\w.-]+\.ts)\s*$/.exec(block.code.split("\n", 1)[0] ?? "")
  return `${folder}/${named?.[1] ?? `L${block.line}.ts`}`
}

/** What the compiler said: messages located in a block (`README.md:line:column TSnnnn: ...`), and others. */
export interface Diagnostics {
  readonly byBlock: Map<Block, Array<string>>
  /** Messages outside the blocks (config, libraries): nothing was checked when there are any. */
  readonly global: Array<string>
}

/**
 * Writes the blocks into `dir` (one module each, lines unchanged so that positions map back to the
 * README) with a tsconfig that extends the repository's, and type-checks them in one program.
 * `@strata/*` imports resolve to the packages' published entry points (dist/*.d.ts), not to sources.
 */
export const typeCheck = (dir: string, blocks: ReadonlyArray<Block>): Diagnostics => {
  const byFile = new Map<string, Block>()
  for (const block of blocks) {
    const file = path.resolve(dir, fileNameOf(block))
    const taken = byFile.get(file)
    if (taken !== undefined) {
      throw new Error(`${block.file}:${block.line} and line ${taken.line} are both named ${path.basename(file)}: rename one (first line "// name.ts")`)
    }
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, `${block.code}\n`)
    byFile.set(file, block)
  }
  const configFile = path.join(dir, "tsconfig.json")
  fs.writeFileSync(configFile, JSON.stringify({
    extends: path.relative(dir, path.join(repositoryRoot, "tsconfig.base.json")),
    compilerOptions: {
      // what a user gets: types from dist/, not the workspace's source condition
      customConditions: [],
      // each block is its own module even without imports
      moduleDetection: "force"
    },
    include: ["**/*.ts"]
  }, null, 2))

  const parsed = ts.getParsedCommandLineOfConfigFile(configFile, undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"))
    }
  })
  if (parsed === undefined) throw new Error(`cannot read ${configFile}`)
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options })
  const byBlock = new Map<Block, Array<string>>(blocks.map((block) => [block, []]))
  const global: Array<string> = []
  for (const diagnostic of [...parsed.errors, ...ts.getPreEmitDiagnostics(program)]) {
    const text = `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`
    const block = diagnostic.file ? byFile.get(path.resolve(diagnostic.file.fileName)) : undefined
    if (diagnostic.file === undefined || block === undefined || diagnostic.start === undefined) {
      global.push(diagnostic.file ? `${diagnostic.file.fileName}: ${text}` : text)
      continue
    }
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
    byBlock.get(block)!.push(`${block.file}:${block.line + line}:${character + 1} ${text}`)
  }
  return { byBlock, global }
}
