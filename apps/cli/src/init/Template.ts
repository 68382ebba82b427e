/**
 * What a template is: files to write, as data, and the parts of package.json that depend on where
 * Strata's packages come from (the registry, or tarballs packed from a checkout into `vendor/`).
 *
 * @since 0.1.0
 */

/**
 * One file of a new project: a path relative to the project folder, and its text.
 *
 * @since 0.1.0
 */
export interface TemplateFile {
  readonly path: string
  readonly content: string
}

/**
 * Where each of Strata's packages comes from, and the package.json fields that make every copy of them
 * in the tree resolve there.
 *
 * @since 0.1.0
 */
export interface Sources {
  /** The dependency spec of a Strata package the project names: a registry range or `file:vendor/<tarball>`. */
  readonly spec: (name: string) => string
  /** The registry range of a Strata package, for `peerDependencies` (a published integration names those). */
  readonly range: (name: string) => string
  /** `file:vendor/<tarball>` of every vendored package (empty without `--from-checkout`). */
  readonly vendored: Readonly<Record<string, string>>
}

/**
 * package.json fields that pin every vendored package to its tarball, for npm (`overrides`) and pnpm
 * (`pnpm.overrides`), so that a package's dependency on another of ours never reaches the registry and
 * `effect` stays one copy. npm wants `$name` for a package the project depends on directly.
 *
 * @since 0.1.0
 */
export const overrideFields = (
  sources: Sources,
  direct: ReadonlySet<string>
): Record<string, unknown> => {
  const names = Object.keys(sources.vendored).sort()
  if (names.length === 0) return {}
  return {
    overrides: Object.fromEntries(names.map((name) => [name, direct.has(name) ? `$${name}` : sources.vendored[name]!])),
    pnpm: { overrides: Object.fromEntries(names.map((name) => [name, sources.vendored[name]!])) }
  }
}

/**
 * A JSON file's text: two-space indentation and a final newline.
 *
 * @since 0.1.0
 */
export const jsonText = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`

/**
 * Removes the common leading indentation of a template literal and its first newline, so templates can be
 * written indented in the source.
 *
 * @since 0.1.0
 */
export const dedent = (text: string): string => {
  const lines = text.replace(/^\n/, "").split("\n")
  const indents = lines.filter((line) => line.trim() !== "").map((line) => /^ */.exec(line)![0].length)
  const cut = indents.length === 0 ? 0 : Math.min(...indents)
  return lines.map((line) => line.slice(cut)).join("\n").replace(/[ \t]+$/gm, "")
}

/**
 * The compiler options Strata's packages need: `NodeNext` resolution (they are ESM with `exports` maps),
 * ES2023, strict types, and the settings for TypeScript that Node runs directly (imports with `.ts`
 * extensions, no emit, only erasable syntax: no `enum`, no parameter properties).
 *
 * @since 0.1.0
 */
export const compilerOptions = {
  target: "ES2023",
  lib: ["ES2023"],
  module: "NodeNext",
  moduleResolution: "NodeNext",
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
  verbatimModuleSyntax: true,
  isolatedModules: true,
  erasableSyntaxOnly: true,
  allowImportingTsExtensions: true,
  noEmit: true,
  skipLibCheck: true,
  types: ["node"]
} as const

/**
 * `.gitignore` of a generated project.
 *
 * @since 0.1.0
 */
export const gitignore = dedent(`
  node_modules/
  dist/
  .strata/
  *.tsbuildinfo
  *.log
`)
