/**
 * Parses `info mtree` and `info mtree -D` (QEMU 7.2 `mtree_info_as`) into a
 * {@link Topology}.
 *
 * The text is a list of sections separated by blank lines: address-space groups (one or
 * more `address-space: NAME` lines, then the tree of their shared root) and, after them,
 * `memory-region: NAME` sections with the trees of alias targets. The same region is
 * printed in several places (an alias target inside an address space and again in its
 * own section), so regions are unified: a section whose tree is printed exactly as an
 * earlier subtree of the same name (same relative addresses, sizes, types, priorities,
 * flags and children) is that subtree. Aliases name their target; the target is the
 * `memory-region:` section of that name.
 *
 * What the text does not say comes from a {@link RegionKnowledge} (by default QEMU 7.2's
 * facts): which `i/o` regions with subregions terminate, which aliases are read-only,
 * which `X-X` regions are 0 bytes long. Without `-D`, a disabled region's line is
 * missing but its children are printed one level deeper; the parser puts a disabled
 * placeholder container in its place, which renders nothing, as the real one.
 *
 * Among siblings of equal priority at different addresses, list order (which one wins
 * an overlap) is not in the text: the parser assumes address order.
 *
 * @module
 */
import { either as E } from 'fp-ts'
import { TWO_64 } from '../addresses/u64.js'
import type { Region, RegionId, RegionKind } from '../region/region.js'
import type { AddressSpace, Topology } from '../region/topology.js'
import { QEMU_7_2, type RegionKnowledge } from './knowledge.js'
import { parseLine, type MtreeLine } from './mtree-line.js'
import { at, splitLines, type TextError } from '../addresses/text-error.js'
import { DIRTY_MEMORY_VGA } from '../region/region.js'

/** A printed node: a line and the lines under it. */
interface PNode {
  readonly line: number
  readonly l: MtreeLine
  /** Address relative to the parent's start (the region's `addr`). */
  readonly rel: bigint
  readonly size: bigint
  readonly synthetic: boolean
  readonly children: PNode[]
}

interface Section {
  readonly kind: 'address-space' | 'memory-region'
  readonly names: string[]
  readonly line: number
  root?: PNode
}

const wrap = (n: bigint): bigint => BigInt.asUintN(64, n)

/** Options of {@link parse}. */
export interface ParseOptions {
  /** What the text does not say (default: QEMU 7.2's facts, {@link QEMU_7_2}). */
  readonly knowledge?: RegionKnowledge
}

const sizeOf = (l: MtreeLine, knowledge: RegionKnowledge): bigint => {
  const span = wrap(l.end - l.start)
  if (span === 0n && knowledge.zeroSize.has(l.name)) return 0n
  return span + 1n
}

const synthetic = (line: number, level: number, start: bigint, size: bigint, name = ''): PNode => ({
  line,
  l: {
    level,
    start,
    end: wrap(start + size - 1n),
    priority: 0,
    nonvolatile: false,
    type: 'i/o',
    name,
    disabled: true,
    nameColumn: 1,
  },
  rel: 0n,
  size,
  synthetic: true,
  children: [],
})

/** Splits the text into sections of printed trees. */
const readSections = (
  text: string,
  knowledge: RegionKnowledge,
): E.Either<TextError, ReadonlyArray<Section>> => {
  const { lines } = splitLines(text)
  const sections: Section[] = []
  let current: Section | undefined
  let stack: PNode[] = []
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1
    const text_ = lines[i] ?? ''
    if (text_ === '') {
      if (current !== undefined && current.root === undefined)
        return E.left(
          at(lineNo, 1, `the region tree of ${current.kind} ${current.names[0] ?? ''}`, text_),
        )
      current = undefined
      stack = []
      continue
    }
    const header = /^(address-space|memory-region): (.*)$/.exec(text_)
    if (header !== null) {
      const kind = header[1] as Section['kind']
      const name = header[2] ?? ''
      if (name.length === 0) return E.left(at(lineNo, kind.length + 3, 'a name', ''))
      if (current !== undefined && current.root !== undefined)
        return E.left(at(lineNo, 1, 'a blank line before the next section', text_))
      if (current !== undefined && (kind !== 'address-space' || current.kind !== 'address-space'))
        return E.left(at(lineNo, 1, 'a region line', text_))
      if (current === undefined) {
        current = { kind, names: [name], line: lineNo }
        sections.push(current)
      } else current.names.push(name)
      continue
    }
    if (current === undefined)
      return E.left(
        at(lineNo, 1, '"address-space: NAME", "memory-region: NAME" or a blank line', text_),
      )
    const parsed = parseLine(lineNo, text_)
    if (E.isLeft(parsed)) return parsed
    const l = parsed.right
    if (current.root === undefined && l.level !== 1 && stack.length === 0) {
      // the section's root is a disabled region hidden without -D
      const root = synthetic(
        lineNo,
        1,
        0n,
        TWO_64,
        current.kind === 'memory-region' ? (current.names[0] ?? '') : '',
      )
      current.root = root
      stack = [root]
    }
    if (l.level === 1 && current.root !== undefined)
      return E.left(at(lineNo, 1, 'one root region per section (a deeper indentation)', text_))
    // placeholders for disabled parents hidden without -D
    while (stack.length < l.level - 1) {
      const parent = stack[stack.length - 1] as PNode
      const hidden = synthetic(lineNo, stack.length + 1, parent.l.start, parent.size)
      parent.children.push(hidden)
      stack.push(hidden)
    }
    stack.length = l.level - 1
    const parent = stack[stack.length - 1]
    const node: PNode = {
      line: lineNo,
      l,
      rel: parent === undefined ? l.start : wrap(l.start - parent.l.start),
      size: sizeOf(l, knowledge),
      synthetic: false,
      children: [],
    }
    if (parent === undefined) current.root = node
    else parent.children.push(node)
    stack.push(node)
  }
  if (current !== undefined && current.root === undefined)
    return E.left(
      at(lines.length + 1, 1, `the region tree of ${current.kind} ${current.names[0] ?? ''}`, ''),
    )
  return E.right(sections)
}

/** Whether two printed subtrees show the same region (relative addresses, all fields). */
const sameShape = (a: PNode, b: PNode): boolean =>
  a.l.name === b.l.name &&
  a.rel === b.rel &&
  a.size === b.size &&
  a.l.priority === b.l.priority &&
  a.l.type === b.l.type &&
  a.l.nonvolatile === b.l.nonvolatile &&
  a.l.disabled === b.l.disabled &&
  a.synthetic === b.synthetic &&
  a.l.alias?.target === b.l.alias?.target &&
  a.l.alias?.offset === b.l.alias?.offset &&
  a.children.length === b.children.length &&
  a.children.every((c, i) => sameShape(c, b.children[i] as PNode))

const kindOf = (
  n: PNode,
  knowledge: RegionKnowledge,
): { kind: RegionKind; readonly: boolean; romd: boolean } => {
  if (n.l.alias !== undefined)
    return { kind: 'alias', readonly: knowledge.readonlyAliases.has(n.l.name), romd: true }
  switch (n.l.type) {
    case 'ram':
      return { kind: 'ram', readonly: false, romd: true }
    case 'rom':
      return { kind: 'ram', readonly: true, romd: true }
    case 'romd':
      return { kind: 'romDevice', readonly: false, romd: true }
    case 'ramd':
      return { kind: 'ramDevice', readonly: false, romd: true }
    case 'i/o':
      return {
        kind:
          n.synthetic || (n.children.length > 0 && !knowledge.terminatingIo.has(n.l.name))
            ? 'container'
            : 'io',
        readonly: false,
        romd: true,
      }
  }
}

/**
 * Parses `info mtree` or `info mtree -D` text. Any malformed line, unknown alias target
 * or alias cycle is an error with its line and column; a partial tree is never returned.
 *
 * @example
 * import { mtree, topology } from 'ramaddr'
 * import { either } from 'fp-ts'
 * const text = [
 *   'address-space: memory',
 *   '  0000000000000000-ffffffffffffffff (prio 0, i/o): system',
 *   '    0000000000000000-0000000007ffffff (prio 0, ram): alias ram-below-4g @pc.ram 0000000000000000-0000000007ffffff',
 *   '',
 *   'memory-region: pc.ram',
 *   '  0000000000000000-0000000007ffffff (prio 0, ram): pc.ram',
 *   '',
 * ].join('\r\n') + '\r\n'
 * const t = mtree.parse(text)
 * assert.ok(either.isRight(t))
 * assert.equal(topology.byName('ram-below-4g')(t.right)[0]?.kind, 'alias')
 * assert.equal(mtree.print()(t.right), text)
 */
export const parse = (text: string, options: ParseOptions = {}): E.Either<TextError, Topology> => {
  const knowledge = options.knowledge ?? QEMU_7_2
  const sectionsE = readSections(text, knowledge)
  if (E.isLeft(sectionsE)) return sectionsE
  const sections = sectionsE.right
  const regions = new Map<RegionId, Region>()
  const printed = new Map<RegionId, PNode>()
  const aliasLines = new Map<RegionId, PNode>()
  let nextId = 1

  const build = (n: PNode, container: RegionId | undefined): RegionId => {
    const id = nextId++ as RegionId
    const children = n.children.map((c) => build(c, id))
    // QEMU's list order: descending priority; print order (by address) among equals
    const order = children
      .map((cid, i) => ({ cid, i, prio: n.children[i]?.l.priority ?? 0 }))
      .sort((a, b) => b.prio - a.prio || a.i - b.i)
      .map((x) => x.cid)
    const { kind, readonly, romd } = kindOf(n, knowledge)
    const r: Region = {
      id,
      name: n.l.name,
      kind,
      size: n.size,
      addr: n.rel,
      priority: n.l.priority,
      enabled: !n.l.disabled,
      mayOverlap: n.l.priority !== 0,
      readonly,
      romd,
      nonvolatile: n.l.nonvolatile,
      aliasOffset: n.l.alias?.offset ?? 0n,
      dirtyLog: knowledge.vgaLogging.has(n.l.name) ? DIRTY_MEMORY_VGA : 0,
      ...(container === undefined ? {} : { container }),
      subregions: order,
      ...(n.synthetic ? { placeholder: true as const } : {}),
    }
    regions.set(id, r)
    printed.set(id, n)
    if (n.l.alias !== undefined) aliasLines.set(id, n)
    return id
  }

  const addressSpaces: AddressSpace[] = []
  const sectionRoots: RegionId[] = []
  const sectionByName = new Map<string, RegionId>()
  for (const s of sections) {
    const root = s.root as PNode
    if (s.kind === 'address-space') {
      const id = build(root, undefined)
      for (const name of s.names) addressSpaces.push({ name, root: id })
      continue
    }
    const name = s.names[0] ?? ''
    let id: RegionId | undefined
    for (const [rid, p] of printed) {
      if (p.l.name === name && sameShape(p, root)) {
        id = rid
        break
      }
    }
    if (id === undefined) id = build(root, undefined)
    sectionRoots.push(id)
    if (!sectionByName.has(name)) sectionByName.set(name, id)
  }

  // resolve alias targets
  for (const [id, n] of aliasLines) {
    const alias = n.l.alias
    if (alias === undefined) continue
    let target = sectionByName.get(alias.target)
    if (target === undefined) {
      const named = [...regions.values()].filter((r) => r.name === alias.target)
      if (named.length === 1) target = named[0]?.id
    }
    if (target === undefined)
      return E.left(
        at(
          n.line,
          n.l.nameColumn + n.l.name.length + 2,
          `a memory-region: section for alias target ${alias.target}`,
          alias.target,
        ),
      )
    regions.set(id, { ...(regions.get(id) as Region), aliasTarget: target })
  }

  // refuse alias cycles: rendering an alias must not lead back to it
  for (const [id, n] of aliasLines) {
    const seen = new Set<RegionId>()
    const stack = [regions.get(id)?.aliasTarget as RegionId]
    while (stack.length > 0) {
      const cur = stack.pop() as RegionId
      if (cur === id)
        return E.left(
          at(
            n.line,
            n.l.nameColumn,
            `an alias whose target does not contain it (${n.l.name} loops)`,
            n.l.name,
          ),
        )
      if (seen.has(cur)) continue
      seen.add(cur)
      const r = regions.get(cur)
      if (r === undefined) continue
      stack.push(...r.subregions)
      if (r.aliasTarget !== undefined) stack.push(r.aliasTarget)
    }
  }

  return E.right({ regions, addressSpaces, nextId, mtreeSections: sectionRoots })
}
