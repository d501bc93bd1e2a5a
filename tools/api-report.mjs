#!/usr/bin/env node
// The public API as a checked artifact (issue 14): for every entry point in package.json
// `exports` (except ./package.json) one report, api/<entry>.api.md, listing every exported
// name with its kind and signature, namespaces (`export * as ns`) expanded to `ns.member`.
// The root entry's top-level names also carry their TypeDoc `@category`.
//
// Usage:
//   node tools/api-report.mjs           write api/*.api.md (and remove stale ones)
//   node tools/api-report.mjs --check   compare with api/, print a diff, exit 1 on any change
//   node tools/api-report.mjs --json    print the model (entries, names, categories) and the
//                                       differences from api/ as JSON (exit 0)
//
// It needs only the `typescript` package. The entry's source is its `import.types` path
// with ./dist/ → src/ and .d.ts → .ts; one Program (tsconfig.json's options) serves all.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const API_DIR = join(ROOT, 'api')
const SUFFIX = '.api.md'

const byCodeUnit = (a, b) => (a < b ? -1 : a > b ? 1 : 0)
const oneLine = (s) => s.replace(/\s+/g, ' ').trim()

/** The entry points: subpath, report file name, source file. */
export const entries = (root = ROOT) => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const name = pkg.name
  const exp = typeof pkg.exports === 'string' ? { '.': pkg.exports } : (pkg.exports ?? {})
  return Object.keys(exp)
    .filter((sub) => sub !== './package.json')
    .map((sub) => {
      const target = exp[sub]
      const types =
        typeof target === 'object' && target !== null
          ? typeof target.import === 'object' && target.import !== null
            ? target.import.types
            : target.types
          : undefined
      if (typeof types !== 'string' || !/^\.\/dist\/.+\.d\.ts$/.test(types))
        throw new Error(`api-report: exports[${JSON.stringify(sub)}] has no ./dist/*.d.ts types`)
      const source = types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts')
      const specifier = sub === '.' ? name : `${name}/${sub.slice(2)}`
      const file = `${specifier.replace(/\//g, '-')}${SUFFIX}`
      return { subpath: sub, specifier, source, file }
    })
}

const program = (root, sources) => {
  const configPath = join(root, 'tsconfig.json')
  const cfg = ts.readConfigFile(configPath, ts.sys.readFile)
  if (cfg.error) throw new Error(ts.flattenDiagnosticMessageText(cfg.error.messageText, '\n'))
  const parsed = ts.parseJsonConfigFileContent(cfg.config, ts.sys, root, undefined, configPath)
  return ts.createProgram({
    rootNames: sources.map((s) => join(root, s)),
    options: { ...parsed.options, noEmit: true },
  })
}

const VALUE_FLAGS = ts.TypeFormatFlags.NoTruncation
const ALIAS_FLAGS = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.InTypeAlias

/** The source file a symbol names when it is a module (the target of `export * as ns`). */
const moduleFile = (sym) =>
  sym.flags & ts.SymbolFlags.ValueModule
    ? sym.declarations?.find((d) => ts.isSourceFile(d))
    : undefined

const typeParams = (decl) =>
  decl?.typeParameters?.length
    ? `<${decl.typeParameters.map((p) => oneLine(p.getText())).join(', ')}>`
    : ''

const isReadonly = (decl) =>
  decl !== undefined && (ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Readonly) !== 0

/** `{ a: T; readonly b?: U; (x: X): Y; [k: string]: V }`, members as declared. */
const members = (checker, type, at) => {
  const parts = []
  for (const sig of checker.getSignaturesOfType(type, ts.SignatureKind.Call))
    parts.push(checker.signatureToString(sig, at, VALUE_FLAGS))
  for (const sig of checker.getSignaturesOfType(type, ts.SignatureKind.Construct))
    parts.push(`new ${checker.signatureToString(sig, at, VALUE_FLAGS)}`)
  for (const info of checker.getIndexInfosOfType(type))
    parts.push(
      `${info.isReadonly ? 'readonly ' : ''}[key: ${checker.typeToString(info.keyType, at, VALUE_FLAGS)}]: ${checker.typeToString(info.type, at, VALUE_FLAGS)}`,
    )
  for (const p of checker.getPropertiesOfType(type)) {
    const decl = p.valueDeclaration ?? p.declarations?.[0]
    const optional = p.flags & ts.SymbolFlags.Optional ? '?' : ''
    const ro = isReadonly(decl) ? 'readonly ' : ''
    parts.push(
      `${ro}${p.getName()}${optional}: ${checker.typeToString(checker.getTypeOfSymbol(p), at, VALUE_FLAGS)}`,
    )
  }
  return parts.length === 0 ? '{}' : `{ ${parts.join('; ')} }`
}

const heritage = (decl) => {
  const clauses = decl?.heritageClauses ?? []
  return clauses.map((c) => ` ${oneLine(c.getText())}`).join('')
}

/** One line per declaration meaning of `sym` (a name can be a type and a value at once). */
const describe = (checker, sym, name) => {
  const out = []
  const f = sym.flags
  const decls = sym.declarations ?? []
  const find = (pred) => decls.find(pred)
  if (f & ts.SymbolFlags.Function) {
    out.push(
      `function ${name}: ${checker.typeToString(checker.getTypeOfSymbol(sym), undefined, VALUE_FLAGS)}`,
    )
  } else if (f & ts.SymbolFlags.Class) {
    const decl = find(ts.isClassDeclaration)
    const statics = checker.getTypeOfSymbol(sym)
    out.push(
      `class ${name}${typeParams(decl)}${heritage(decl)} ${members(checker, checker.getDeclaredTypeOfSymbol(sym), undefined)} static ${members(checker, statics, undefined)}`,
    )
  } else if (f & ts.SymbolFlags.Enum) {
    const list = checker
      .getExportsOfModule(sym)
      .map((m) => {
        const d = m.valueDeclaration
        const v = d ? checker.getConstantValue(d) : undefined
        return `${m.getName()} = ${JSON.stringify(v)}`
      })
      .join('; ')
    out.push(`enum ${name} { ${list} }`)
  } else if (f & ts.SymbolFlags.Variable) {
    const decl = find(ts.isVariableDeclaration)
    const nf = decl ? ts.getCombinedNodeFlags(decl) : 0
    const kind = nf & ts.NodeFlags.Const ? 'const' : nf & ts.NodeFlags.Let ? 'let' : 'var'
    out.push(
      `${kind} ${name}: ${checker.typeToString(checker.getTypeOfSymbol(sym), undefined, VALUE_FLAGS)}`,
    )
  } else if (f & ts.SymbolFlags.Value && !(f & ts.SymbolFlags.Module)) {
    out.push(
      `value ${name}: ${checker.typeToString(checker.getTypeOfSymbol(sym), undefined, VALUE_FLAGS)}`,
    )
  }
  if (f & ts.SymbolFlags.Interface) {
    const decl = find(ts.isInterfaceDeclaration)
    out.push(
      `interface ${name}${typeParams(decl)}${heritage(decl)} ${members(checker, checker.getDeclaredTypeOfSymbol(sym), undefined)}`,
    )
  }
  if (f & ts.SymbolFlags.TypeAlias) {
    const decl = find(ts.isTypeAliasDeclaration)
    out.push(
      `type ${name}${typeParams(decl)} = ${checker.typeToString(checker.getDeclaredTypeOfSymbol(sym), undefined, ALIAS_FLAGS)}`,
    )
  }
  if (out.length === 0) out.push(`unknown ${name}: symbol flags ${f}`)
  return out
}

const CATEGORY = /@category[ \t]+([^\n*]+)/

const jsDocCategory = (decl) => {
  for (const tag of ts.getJSDocTags(decl))
    if (tag.tagName.text === 'category') {
      const text = (ts.getTextOfJSDocComment(tag.comment) ?? '').split('\n')[0]?.trim() ?? ''
      if (text !== '') return text
    }
  return undefined
}

/** The `@category` of the first `/** … @module … *\/` comment of a source file. */
const moduleCategory = (sf) => {
  for (const m of sf.text.matchAll(/\/\*\*[\s\S]*?\*\//g))
    if (/@module\b/.test(m[0])) {
      const c = CATEGORY.exec(m[0])
      return c ? c[1].trim() : undefined
    }
  return undefined
}

/** The doc comment written on an `export * as ns from …` statement itself, if any. */
const statementCategory = (node) => {
  const stmt = ts.findAncestor(node, ts.isExportDeclaration) ?? node
  const sf = stmt.getSourceFile()
  for (const r of ts.getLeadingCommentRanges(sf.text, stmt.pos) ?? []) {
    const c = CATEGORY.exec(sf.text.slice(r.pos, r.end))
    if (c) return c[1].trim()
  }
  return undefined
}

/** The TypeDoc category of a top-level export (`alias` is the export's own symbol). */
const categoryOf = (alias, target) => {
  const file = moduleFile(target)
  if (file) {
    for (const d of alias.declarations ?? []) {
      const c = statementCategory(d)
      if (c) return c
    }
    return moduleCategory(file)
  }
  // as TypeDoc: a re-exported declaration's category is on the declaration itself
  for (const d of target.declarations ?? []) {
    const c = jsDocCategory(d)
    if (c) return c
  }
  return undefined
}

/** The report model of one entry: lines sorted by name, distinct names, categories. */
const entryModel = (checker, root, sf, entry, withCategories) => {
  const rows = []
  const categories = {}
  const walk = (moduleSym, prefix, stack) => {
    for (const exp of checker.getExportsOfModule(moduleSym)) {
      const name = prefix + exp.getName()
      const target = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp
      if (withCategories && prefix === '') categories[name] = categoryOf(exp, target) ?? null
      const file = moduleFile(target)
      if (file) {
        const where = relative(root, file.fileName).split('\\').join('/')
        if (stack.includes(target)) {
          rows.push({ name, text: `namespace ${name} (cycle: ${where} again)` })
          continue
        }
        rows.push({ name, text: `namespace ${name}` })
        walk(target, `${name}.`, [...stack, target])
        continue
      }
      for (const text of describe(checker, target, name)) rows.push({ name, text })
    }
  }
  const moduleSym = checker.getSymbolAtLocation(sf)
  if (moduleSym !== undefined) walk(moduleSym, '', [moduleSym])
  rows.sort((a, b) => byCodeUnit(a.name, b.name) || byCodeUnit(a.text, b.text))
  const names = [...new Set(rows.map((r) => r.name))]
  const lines = rows.map((r) =>
    withCategories && r.name in categories
      ? `${r.text} // @category ${categories[r.name] ?? '(none)'}`
      : r.text,
  )
  return { ...entry, names, lines, categories: withCategories ? categories : undefined }
}

/** Every entry's model, from one Program. */
export const model = (root = ROOT) => {
  const list = entries(root)
  const prog = program(
    root,
    list.map((e) => e.source),
  )
  const checker = prog.getTypeChecker()
  return list.map((e) => {
    const sf = prog.getSourceFile(join(root, e.source))
    if (sf === undefined) throw new Error(`api-report: ${e.source} (for ${e.subpath}) not found`)
    return entryModel(checker, root, sf, e, e.subpath === '.')
  })
}

/** The text of api/<file>. */
export const render = (m) =>
  [
    `# API of \`${m.specifier}\` (exports \`${m.subpath}\`, ${m.source}): ${m.names.length} names`,
    '',
    'Generated by `node tools/api-report.mjs`; `npm test` fails when it is out of date.',
    'Names include namespaces and their members (`ns.member`); one line per declaration.',
    '',
    '```ts',
    ...m.lines,
    '```',
    '',
  ].join('\n')

/** A line diff (longest common subsequence), changed lines with one line of context. */
export const diffLines = (a, b) => {
  const x = a.split('\n')
  const y = b.split('\n')
  const n = x.length
  const m = y.length
  const w = m + 1
  const lcs = new Uint32Array((n + 1) * w)
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i * w + j] =
        x[i] === y[j]
          ? lcs[(i + 1) * w + j + 1] + 1
          : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1])
  const ops = []
  let i = 0
  let j = 0
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) ops.push([' ', x[i++], j++])
    else if (i < n && (j === m || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]))
      ops.push(['-', x[i++], j])
    else ops.push(['+', y[j], j++])
  }
  const keep = ops.map(
    (o, k) =>
      o[0] !== ' ' ||
      ops[k - 1]?.[0] === '+' ||
      ops[k - 1]?.[0] === '-' ||
      ops[k + 1]?.[0] === '+' ||
      ops[k + 1]?.[0] === '-',
  )
  const out = []
  for (let k = 0; k < ops.length; k++) {
    if (!keep[k]) continue
    if (k === 0 || !keep[k - 1]) out.push(`@@ line ${ops[k][2] + 1} @@`)
    out.push(`${ops[k][0]} ${ops[k][1]}`)
  }
  return out.join('\n')
}

/** The reports as they should be, the ones in api/, and what differs. */
export const check = (root = ROOT) => {
  const apiDir = join(root, 'api')
  const models = model(root)
  const wanted = new Map(models.map((m) => [m.file, render(m)]))
  const present = existsSync(apiDir) ? readdirSync(apiDir).filter((f) => f.endsWith(SUFFIX)) : []
  const problems = []
  for (const [file, text] of wanted) {
    const path = join(apiDir, file)
    if (!existsSync(path)) {
      problems.push(`api/${file}: missing (a new entry point?)\n${diffLines('', text)}`)
      continue
    }
    const old = readFileSync(path, 'utf8')
    if (old !== text)
      problems.push(`--- api/${file} (committed)\n+++ api/${file} (now)\n${diffLines(old, text)}`)
  }
  for (const file of present)
    if (!wanted.has(file))
      problems.push(`api/${file}: stale (its entry point is gone from exports)`)
  return { models, wanted, present, problems }
}

const main = (argv) => {
  if (argv.includes('--json')) {
    const { models, problems } = check()
    process.stdout.write(JSON.stringify({ entries: models, problems }, null, 1) + '\n')
    return 0
  }
  const { wanted, present, problems } = check()
  if (argv.includes('--check')) {
    if (problems.length === 0) {
      console.log(`api-report: api/ is up to date (${wanted.size} entry points)`)
      return 0
    }
    console.log(problems.join('\n\n'))
    console.log(
      '\napi-report: the public API changed. Run `node tools/api-report.mjs` and commit api/ if the change is meant.',
    )
    return 1
  }
  mkdirSync(API_DIR, { recursive: true })
  for (const [file, text] of wanted) {
    const path = join(API_DIR, file)
    const old = existsSync(path) ? readFileSync(path, 'utf8') : undefined
    if (old === text) continue
    writeFileSync(path, text)
    console.log(`api-report: ${old === undefined ? 'wrote' : 'updated'} api/${file}`)
  }
  for (const file of present)
    if (!wanted.has(file)) {
      rmSync(join(API_DIR, file))
      console.log(`api-report: removed api/${file} (no such entry point)`)
    }
  console.log(`api-report: api/ holds the reports of ${wanted.size} entry points`)
  return 0
}

if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url))
  process.exit(main(process.argv.slice(2)))
