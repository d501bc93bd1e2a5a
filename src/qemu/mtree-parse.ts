/**
 * Parses `info mtree` and `info mtree -D` text of any QEMU release (`mtree_info_as`,
 * `mtree_print_mr`, softmmu/memory.c) into a {@link Topology}, and says what the text
 * could not tell.
 *
 * The text is a list of sections separated by blank lines: address-space groups (one or
 * more `address-space: NAME` lines, then the tree of their shared root) and, after them,
 * `memory-region: NAME` sections with the trees of alias targets. The same region is
 * printed in several places (an alias target inside an address space and again in its own
 * section; QEMU 10's `virtio-pci-cfg-mem-as` rooted at a BAR printed inside `memory`;
 * releases that printed each address space with its own copy of a shared root), so
 * regions are unified by place: a section root printed exactly as a subtree of another
 * section (same relative addresses, sizes, types, priorities, flags and children) is that
 * subtree. Names are not identities: QEMU names repeat, and an alias may be named like its
 * target.
 *
 * Partial dumps are first-class. An alias whose target is printed nowhere gets an opaque
 * target of the type its line prints and the size its window implies; one address space
 * alone, only `memory-region:` sections, or region lines with no header at all parse.
 * Each such guess is listed in {@link MtreeDump.assumptions}, as is every region kind the
 * text left open (an `i/o` line with subregions may be a container or a terminating I/O
 * region; see {@link RegionKnowledge}). A malformed line is still an error with its line
 * and column.
 *
 * Without `-D`, a disabled region's line is missing but its children are printed one
 * level deeper; the parser puts a disabled placeholder container in its place, which
 * renders nothing, as the real one. Among siblings of equal priority at different
 * addresses, list order (which one wins an overlap) is not in the text: the parser assumes
 * address order. Every step is iterative: no depth of nesting makes the parser throw.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { TWO_64 } from '../addresses/u64.js'
import type { Region, RegionId, RegionKind } from '../region/region.js'
import type { AddressSpace, Topology } from '../region/topology.js'
import { QEMU, type RegionKnowledge } from './knowledge.js'
import {
  parseLine,
  readPlainLine,
  type Access,
  type MtreeLine,
  type TypeWord,
} from './mtree-line.js'
import { at, lineAt, lineEnd, lineIndex, type TextError } from '../addresses/text-error.js'
import { DIRTY_MEMORY_VGA } from '../region/region.js'
import { regionType } from './mtree-print.js'
import { addedIndent, dedent, isElision, isPrompt, normalise } from './paste.js'

/**
 * How a dump prints its lines (see docs/dumps.md): what a region line says of the region
 * (a type word since QEMU 2.9, access flags `RW`/`R-` before), and how many hex digits
 * an address has.
 */
export interface MtreeDialect {
  /** A type word (`ram`, `i/o`, …; QEMU 2.9 on) or access flags (`RW`, `R-`; before). */
  readonly regionText: 'type' | 'access'
  readonly digits: 8 | 16
  /**
   * `address-space: NAME` / `memory-region: NAME` headers, trees indented one level and
   * a blank line after each (QEMU 2.4 on), or bare names, an `aliases` line before the
   * alias targets, trees from column 0 and no blank lines (2.0 to 2.3).
   */
  readonly headers: 'prefixed' | 'bare'
  /**
   * What type word an alias line prints: its target's (QEMU 5.0 on) or its own, which is
   * always `i/o` (2.9 to 4.2).
   */
  readonly aliasType: 'target' | 'own'
  /**
   * Whether address spaces that share a root print one tree under several
   * `address-space:` lines (QEMU 7.0 on) or each their own copy (before).
   */
  readonly grouped: boolean
}

/** The dialect of every QEMU from 7.0 to 10.x (type words, grouped address spaces). */
export const TYPE_DIALECT: MtreeDialect = {
  regionText: 'type',
  digits: 16,
  headers: 'prefixed',
  aliasType: 'target',
  grouped: true,
}

/** Something the text did not say, which the parser assumed. */
export type Assumption =
  | {
      /** An alias target printed nowhere: an opaque region of the alias line's type. */
      readonly _tag: 'OpaqueTarget'
      readonly region: RegionId
      readonly name: string
      readonly kind: RegionKind
      readonly line: number
      readonly message: string
    }
  | {
      /** An alias target name that several printed regions have; the first was taken. */
      readonly _tag: 'AmbiguousTarget'
      readonly alias: RegionId
      readonly name: string
      readonly line: number
      readonly message: string
    }
  | {
      /** A region kind the line leaves open, settled by a fact or by the default. */
      readonly _tag: 'GuessedKind'
      readonly region: RegionId
      readonly name: string
      readonly kind: RegionKind
      readonly basis: 'knowledge' | 'default'
      readonly line: number
      readonly message: string
    }
  | {
      /** A line read together with the next, which a mail client had wrapped. */
      readonly _tag: 'Rejoined'
      readonly line: number
      readonly message: string
    }
  | {
      /** A line standing for lines left out of a paste (`...`, `(etc)`). */
      readonly _tag: 'Elided'
      readonly line: number
      readonly message: string
    }
  | {
      /** Region lines before any section header: read as address space `memory`. */
      readonly _tag: 'ImplicitAddressSpace'
      readonly line: number
      readonly message: string
    }

/** A parsed dump: the topology, the dialect it was printed in, and what was assumed. */
export interface MtreeDump {
  readonly topology: Topology
  readonly dialect: MtreeDialect
  readonly assumptions: ReadonlyArray<Assumption>
}

/**
 * A printed node: what its line says (the fields of {@link MtreeLine} the tree needs,
 * copied in: one object per region, the parsed line left to the young generation) and
 * the lines under it.
 */
interface PNode {
  readonly line: number
  readonly name: string
  /** Absolute start address (the parent's, for a placeholder). */
  readonly start: bigint
  readonly priority: number
  readonly type: TypeWord
  readonly nonvolatile: boolean
  readonly disabled: boolean
  readonly access: Access | undefined
  readonly alias: MtreeLine['alias']
  readonly nameColumn: number
  /** Address relative to the parent's start (the region's `addr`). */
  readonly rel: bigint
  readonly size: bigint
  readonly synthetic: boolean
  /** {@link NO_CHILDREN} until the first child (most nodes are leaves). */
  children: PNode[]
  readonly section: number
  readonly parent: PNode | undefined
  id: RegionId
  /** For a section root printed elsewhere too: the node it is. */
  same: PNode | undefined
}

interface Section {
  readonly kind: 'address-space' | 'memory-region'
  readonly names: string[]
  readonly line: number
  root?: PNode
  /** Spaces a paste added to every line of the section (format=flowed mail: 1). */
  extra: number
}

const wrap = (n: bigint): bigint => BigInt.asUintN(64, n)

/** The start of a region line below a root (the parser's fast path). */
const REGION = /^ +[0-9a-f]{16}-[0-9a-f]{16} \(prio /

/** Options of {@link parse}. */
export interface ParseOptions {
  /** What the text does not say (default: the facts of {@link QEMU}). */
  readonly knowledge?: RegionKnowledge
}

const sizeOf = (l: MtreeLine, knowledge: RegionKnowledge): bigint => {
  // (the difference needs no wrap unless the end is below the start)
  const span = l.end >= l.start ? l.end - l.start : wrap(l.end - l.start)
  if (span === 0n && knowledge.zeroSize.has(l.name)) return 0n
  return span + 1n
}

const NO_ID = 0 as RegionId

/** What a step that succeeds answers (one value: the step runs once per line). */
const DONE: E.Either<TextError, void> = E.right(undefined)

/** The children of every leaf node, never added to (see {@link adopt}). */
const NO_CHILDREN: PNode[] = []

/** Adds a child to a node (its own list made on the first). */
const adopt = (parent: PNode, child: PNode): void => {
  if (parent.children === NO_CHILDREN) parent.children = [child]
  else parent.children.push(child)
}

/** The subregions of every region without any (frozen: nothing may add to it). */
const NO_SUBREGIONS: ReadonlyArray<RegionId> = Object.freeze([])

const synthetic = (
  line: number,
  section: number,
  parent: PNode | undefined,
  start: bigint,
  size: bigint,
  name = '',
): PNode => ({
  line,
  name,
  start,
  priority: 0,
  type: 'i/o',
  nonvolatile: false,
  disabled: true,
  access: undefined,
  alias: undefined,
  nameColumn: 1,
  rel: 0n,
  size,
  synthetic: true,
  children: NO_CHILDREN,
  section,
  parent,
  id: NO_ID,
  same: undefined,
})

interface Read {
  readonly sections: ReadonlyArray<Section>
  readonly dialect: MtreeDialect
  readonly implicitLine: number | undefined
  /** Lines that stand for lines left out (`...`). */
  readonly elided: ReadonlyArray<number>
  /** Lines around the trees that are not part of a dump. */
  readonly skipped: ReadonlyArray<number>
  /** Lines read together with the next one (a mail client wrapped them). */
  readonly rejoined: ReadonlyArray<number>
}

/** Where the run of spaces at `from` in `text` ends. */
const leadingSpaces = (text: string, from: number): number => {
  let n = from
  while (text.charCodeAt(n) === 32) n++
  return n
}

/** Splits the text into sections of printed trees. */
const readSections = (text: string, knowledge: RegionKnowledge): E.Either<TextError, Read> => {
  // the lines are read from the text where they are (most in place, by readPlainLine), not
  // split into a string each that would all be kept until the last is read
  const ix = lineIndex(text)
  const { body, count } = ix
  /** Line `k` (0-based), or '' past the end. */
  const lineOf = (k: number): string => (k >= 0 && k < count ? lineAt(ix, k) : '')
  function* everyLine(): Generator<string> {
    for (let k = 0; k < count; k++) yield lineAt(ix, k)
  }
  // a paste may indent every line (a code block); the first header says by how much
  const indent = addedIndent(everyLine(), (l) => /^(address-space|memory-region): ./.test(l))
  const sections: Section[] = []
  let current: Section | undefined
  let stack: PNode[] = []
  let dialect: MtreeDialect | undefined
  let rootLevel = 1
  let implicitLine: number | undefined
  const elided: number[] = []
  const skipped: number[] = []
  const rejoined: number[] = []
  const skip = new Set<number>()
  let bare = false
  let bareTargets = false
  /** A bare-headed address space with no tree: its root is disabled (2.0 to 2.3 skip it). */
  const closeEmpty = (s: Section, lineNo: number): void => {
    s.root = synthetic(lineNo, sections.indexOf(s), undefined, 0n, TWO_64)
  }
  /** Places a parsed region line in the current section's tree. */
  const addNode = (l: MtreeLine, lineNo: number, text_: string): E.Either<TextError, void> => {
    if (dialect === undefined) {
      dialect = {
        ...TYPE_DIALECT,
        regionText: l.access === undefined ? 'type' : 'access',
        digits: l.digits === 8 ? 8 : 16,
        headers: bare ? 'bare' : 'prefixed',
      }
      if (!bare) rootLevel = current === undefined || l.level === 0 ? l.level : 1
    } else {
      if ((l.access === undefined) !== (dialect.regionText === 'type'))
        return E.left(
          at(
            lineNo,
            text_.indexOf('(prio ') + 1,
            dialect.regionText === 'type'
              ? 'a type word, as the lines before have'
              : 'access flags, as the lines before have',
            text_.slice(text_.indexOf('(prio ')),
          ),
        )
      if (l.digits !== dialect.digits)
        return E.left(
          at(
            lineNo,
            1,
            `addresses of ${dialect.digits} hex digits, as the lines before have`,
            text_,
          ),
        )
    }
    if (current === undefined) {
      // region lines with no header: a pasted address space
      if (sections.length > 0)
        return E.left(
          at(lineNo, 1, '"address-space: NAME" or "memory-region: NAME" before a tree', text_),
        )
      implicitLine = lineNo
      current = { kind: 'address-space', names: ['memory'], line: lineNo, extra: 0 }
      sections.push(current)
    }
    const level = l.level - rootLevel + 1
    if (level < 1)
      return E.left(
        at(lineNo, 1, `an indentation of at least ${rootLevel * 2} spaces, as the root has`, text_),
      )
    const sectionNo = sections.length - 1
    if (current.root === undefined && level !== 1 && stack.length === 0) {
      // the section's root is a disabled region hidden without -D
      const root = synthetic(
        lineNo,
        sectionNo,
        undefined,
        0n,
        TWO_64,
        current.kind === 'memory-region' ? (current.names[0] ?? '') : '',
      )
      current.root = root
      stack = [root]
    }
    if (level === 1 && current.root !== undefined)
      return E.left(at(lineNo, 1, 'one root region per section (a deeper indentation)', text_))
    // placeholders for disabled parents hidden without -D
    while (stack.length < level - 1) {
      const parent = stack[stack.length - 1] as PNode
      const hidden = synthetic(lineNo, sectionNo, parent, parent.start, parent.size)
      adopt(parent, hidden)
      stack.push(hidden)
    }
    stack.length = level - 1
    const parent = stack[stack.length - 1]
    // (the same keys in the same order as a placeholder's: one object shape)
    const node: PNode = {
      line: lineNo,
      name: l.name,
      start: l.start,
      priority: l.priority,
      type: l.type,
      nonvolatile: l.nonvolatile,
      disabled: l.disabled,
      access: l.access,
      alias: l.alias,
      nameColumn: l.nameColumn,
      rel:
        parent === undefined
          ? l.start
          : l.start >= parent.start
            ? l.start - parent.start
            : wrap(l.start - parent.start),
      size: sizeOf(l, knowledge),
      synthetic: false,
      children: NO_CHILDREN,
      section: sectionNo,
      parent,
      id: NO_ID,
      same: undefined,
    }
    if (parent === undefined) current.root = node
    else adopt(parent, node)
    stack.push(node)
    return DONE
  }
  /**
   * A region line, or one a mail client wrapped: when a line does not parse and the next
   * starts at column 0 with text that is no line of a dump, the two are read as one (the
   * next is then skipped).
   */
  const parseOrRejoin = (i: number, text_: string): E.Either<TextError, MtreeLine> => {
    const parsed = parseLine(i + 1, text_)
    // a wrapped alias line may end right after "alias", which reads as a region so named
    const cut =
      E.isLeft(parsed) || (parsed.right.name === 'alias' && parsed.right.alias === undefined)
    if (!cut || i + 1 >= count) return parsed
    const next = normalise(lineOf(i + 1))
    if (
      next === '' ||
      /^\s/.test(next) ||
      /^(address-space|memory-region): |^FlatView #|^\[DETECTED|^[0-9a-f]{16}-/.test(next) ||
      isPrompt(next) ||
      isElision(next)
    )
      return parsed
    const joined = parseLine(i + 1, `${text_.trimEnd()} ${next}`)
    if (E.isLeft(joined)) return parsed
    rejoined.push(i + 1)
    skip.add(i + 1)
    return joined
  }
  // (normalise changes no line of a text without a non-breaking space but its trailing
  // blanks, which readPlainLine refuses)
  const plain = text.indexOf('\u00a0') < 0
  for (let i = 0; i < count; i++) {
    if (skip.size > 0 && skip.has(i)) continue
    const lineNo = i + 1
    const added = indent + (current === undefined ? 0 : current.extra)
    // the commonest line, read in place: a plain region line of a tree under way
    if (plain && current !== undefined && stack.length > 0) {
      const start = ix.starts[i] as number
      const end = lineEnd(ix, i)
      const from = added > 0 && leadingSpaces(body, start) - start >= added ? start + added : start
      const l = readPlainLine(body, from, end)
      if (l !== undefined) {
        // (addNode changes nothing before it fails: the error again, with the line's text)
        const pushed = addNode(l, lineNo, '')
        if (E.isLeft(pushed)) {
          const again = addNode(l, lineNo, body.slice(from, end))
          return E.isLeft(again) ? again : pushed
        }
        continue
      }
    }
    const raw = lineAt(ix, i)
    let text_ = dedent(normalise(raw), added)
    // the common case first: a region line of a tree already under way
    if (current !== undefined && stack.length > 0 && text_.startsWith('  ') && REGION.test(text_)) {
      const parsed = parseOrRejoin(i, text_)
      if (E.isLeft(parsed)) return parsed
      const pushed = addNode(parsed.right, lineNo, text_)
      if (E.isLeft(pushed)) return pushed
      continue
    }
    if (isElision(text_)) {
      elided.push(lineNo)
      continue
    }
    if (text_.trim() === '' || isPrompt(text_)) {
      if (current !== undefined && current.root === undefined && !isPrompt(text_))
        return E.left(
          at(lineNo, 1, `the region tree of ${current.kind} ${current.names[0] ?? ''}`, text_),
        )
      if (current !== undefined && current.root !== undefined) {
        current = undefined
        stack = []
      }
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
        current = { kind, names: [name], line: lineNo, extra: 0 }
        sections.push(current)
      } else current.names.push(name)
      continue
    }
    // QEMU 2.0 to 2.3: a bare name line heads each tree, "aliases" the alias targets
    if (!/^(\[DETECTED OVERFLOW!\] )* *[0-9a-f]{8,16}-/.test(text_)) {
      let next: string | undefined
      for (let k = i + 1; k < count && next === undefined; k++) {
        const x = lineAt(ix, k)
        if (normalise(x) !== '' && !isPrompt(x)) next = x
      }
      const nextText = next === undefined ? '' : dedent(normalise(next), indent)
      if (
        bare ||
        (/^[^\s:]+(?: [^\s:]+)*$/.test(text_) &&
          text_.length <= 80 &&
          /^[0-9a-f]{16}-[0-9a-f]{16} \(prio -?[0-9]+, [R-][W-]\): /.test(nextText))
      ) {
        bare = true
        rootLevel = 0
        if (current !== undefined && current.root === undefined) closeEmpty(current, lineNo)
        if (text_ === 'aliases') {
          bareTargets = true
          current = undefined
          stack = []
          continue
        }
        current = {
          kind: bareTargets ? 'memory-region' : 'address-space',
          names: [text_],
          line: lineNo,
          extra: 0,
        }
        sections.push(current)
        stack = []
        continue
      }
    }
    // a mail client's format=flowed adds one space to every indented line of a section
    if (current !== undefined && current.root === undefined && stack.length === 0) {
      const lead = text_.length - text_.trimStart().length
      if (lead % 2 === 1 && lead >= 3 && /^ +[0-9a-f]{8}/.test(text_)) {
        current.extra = 1
        text_ = text_.slice(1)
      }
    }
    // a sentence written right under a tree (no blank line): the tree ends there
    if (
      current !== undefined &&
      current.root !== undefined &&
      !bare &&
      /^[^\s[0-9a-f]/.test(text_) &&
      !text_.includes('(prio ')
    ) {
      skipped.push(lineNo)
      current = undefined
      stack = []
      continue
    }
    // info mtree -f pasted along: its views are not part of the tree
    if (/^FlatView #[0-9]+$/.test(text_)) {
      while (i + 1 < count && normalise(lineOf(i + 1)) !== '') i++
      current = undefined
      stack = []
      continue
    }
    const parsed = parseOrRejoin(i, text_)
    if (E.isLeft(parsed)) {
      if (current === undefined && !/^(\[DETECTED OVERFLOW!\] )* *[0-9a-f]{8}/.test(text_)) {
        // text around a paste (a command line, a sentence) before or between trees
        skipped.push(lineNo)
        continue
      }
      return parsed
    }
    const pushed = addNode(parsed.right, lineNo, text_)
    if (E.isLeft(pushed)) return pushed
  }
  if (bare && current !== undefined && current.root === undefined) closeEmpty(current, count)
  if (current !== undefined && current.root === undefined)
    return E.left(
      at(count + 1, 1, `the region tree of ${current.kind} ${current.names[0] ?? ''}`, ''),
    )
  // a header whose tree a non-region line cut off before it began
  const rootless = sections.find((x) => x.root === undefined)
  if (rootless !== undefined)
    return E.left(
      at(
        rootless.line + 1,
        1,
        `the region tree of ${rootless.kind} ${rootless.names[0] ?? ''}`,
        lineOf(rootless.line),
      ),
    )
  if (sections.length === 0) {
    const first = skipped[0] ?? 1
    return E.left(
      at(
        first,
        1,
        '"address-space: NAME", "memory-region: NAME" or a region line',
        lineOf(first - 1),
      ),
    )
  }
  return E.right({
    sections,
    dialect: {
      ...(dialect ?? TYPE_DIALECT),
      grouped: sections.some((x) => x.kind === 'address-space' && x.names.length > 1),
    },
    implicitLine,
    elided,
    skipped,
    rejoined,
  })
}

/**
 * The ids of a node's children in QEMU's list order: descending priority, print order
 * (by address) among equals. A few distinct priorities (the common case) are taken in
 * turn; more are sorted (a stable sort: print order stays among equals).
 */
const listOrder = (kids: ReadonlyArray<PNode>): RegionId[] => {
  if (kids.length === 0) return NO_SUBREGIONS as RegionId[]
  const prios: number[] = []
  for (let i = 0; i < kids.length && prios.length <= 4; i++) {
    const p = (kids[i] as PNode).priority
    if (!prios.includes(p)) prios.push(p)
  }
  if (prios.length > 4)
    return kids
      .slice()
      .sort((a, b) => b.priority - a.priority)
      .map((c) => c.id)
  if (prios.length === 1) return kids.map((c) => c.id)
  prios.sort((a, b) => b - a)
  const order: RegionId[] = []
  for (const p of prios) for (const c of kids) if (c.priority === p) order.push(c.id)
  return order
}

/** Every node of a subtree in pre-order (iterative). */
const preorder = (root: PNode): PNode[] => {
  const out: PNode[] = []
  const stack = [root]
  while (stack.length > 0) {
    const n = stack.pop() as PNode
    out.push(n)
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i] as PNode)
  }
  return out
}

const sameNode = (a: PNode, b: PNode): boolean =>
  a.name === b.name &&
  a.rel === b.rel &&
  a.size === b.size &&
  a.priority === b.priority &&
  a.type === b.type &&
  a.nonvolatile === b.nonvolatile &&
  a.disabled === b.disabled &&
  a.synthetic === b.synthetic &&
  a.access?.romd === b.access?.romd &&
  a.access?.writable === b.access?.writable &&
  a.alias?.target === b.alias?.target &&
  a.alias?.offset === b.alias?.offset &&
  a.children.length === b.children.length

/** Whether two printed subtrees show the same region (iterative). */
const sameShape = (a: PNode, b: PNode): boolean => {
  const stack: Array<[PNode, PNode]> = [[a, b]]
  while (stack.length > 0) {
    const [x, y] = stack.pop() as [PNode, PNode]
    if (!sameNode(x, y)) return false
    for (let i = 0; i < x.children.length; i++)
      stack.push([x.children[i] as PNode, y.children[i] as PNode])
  }
  return true
}

interface Kind {
  readonly kind: RegionKind
  readonly readonly: boolean
  readonly romd: boolean
  readonly guess?: 'knowledge' | 'default'
}

// the answers of kindOf, made once (kindOf runs once per printed region)
const K_ALIAS_RW: Kind = { kind: 'alias', readonly: false, romd: true }
const K_ALIAS_RO: Kind = { kind: 'alias', readonly: true, romd: true }
const K_CONTAINER: Kind = { kind: 'container', readonly: false, romd: true }
const K_RAM: Kind = { kind: 'ram', readonly: false, romd: true }
const K_ROM: Kind = { kind: 'ram', readonly: true, romd: true }
const K_ROMD_MMIO: Kind = { kind: 'romDevice', readonly: false, romd: false }
const K_ROMD: Kind = { kind: 'romDevice', readonly: false, romd: true }
const K_RAMD: Kind = { kind: 'ramDevice', readonly: false, romd: true }
const K_IO: Kind = { kind: 'io', readonly: false, romd: true }
const K_IO_KNOWN: Kind = { kind: 'io', readonly: false, romd: true, guess: 'knowledge' }
const K_IO_GUESS: Kind = { kind: 'io', readonly: false, romd: true, guess: 'default' }
const K_CONTAINER_KNOWN: Kind = {
  kind: 'container',
  readonly: false,
  romd: true,
  guess: 'knowledge',
}
const K_CONTAINER_GUESS: Kind = { kind: 'container', readonly: false, romd: true, guess: 'default' }

const kindOf = (n: PNode, knowledge: RegionKnowledge): Kind => {
  const access = n.access
  if (n.alias !== undefined)
    return access !== undefined
      ? !access.writable && access.romd
        ? K_ALIAS_RO
        : K_ALIAS_RW
      : knowledge.readonlyAliases.has(n.name)
        ? K_ALIAS_RO
        : K_ALIAS_RW
  if (n.synthetic) return K_CONTAINER
  const hasChildren = n.children.length > 0
  switch (n.type) {
    case 'ram':
      return K_RAM
    case 'rom':
      return K_ROM
    case 'romd':
      return access !== undefined ? K_ROMD_MMIO : K_ROMD
    case 'ramd':
      return K_RAMD
    case 'container':
      return K_CONTAINER
    case 'i/o': {
      if (hasChildren) return knowledge.terminatingIo.has(n.name) ? K_IO_KNOWN : K_CONTAINER_GUESS
      if (knowledge.containers.has(n.name)) return K_CONTAINER_KNOWN
      // before 2.9 a writable childless line may be RAM as well as I/O
      return access === undefined ? K_IO : K_IO_GUESS
    }
  }
}

/** The kind an opaque alias target of a printed type has. */
const opaqueKind = (type: TypeWord): { kind: RegionKind; readonly: boolean } =>
  type === 'ram'
    ? { kind: 'ram', readonly: false }
    : type === 'rom'
      ? { kind: 'ram', readonly: true }
      : type === 'romd'
        ? { kind: 'romDevice', readonly: false }
        : type === 'ramd'
          ? { kind: 'ramDevice', readonly: false }
          : type === 'container'
            ? { kind: 'container', readonly: false }
            : { kind: 'io', readonly: false }

const describeSize = (size: bigint): string => `0x${size.toString(16)} bytes`

/**
 * Parses `info mtree` or `info mtree -D` text of any dialect and says what it assumed.
 * A malformed line or an alias cycle is an error with its line and column; a well-formed
 * partial dump never is.
 *
 * @example
 * import { mtree, topology } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * // a paste of one address space: the alias target pc.ram is not printed
 * const d = mtree.parseDump([
 *   'address-space: memory',
 *   '  0000000000000000-ffffffffffffffff (prio 0, i/o): system',
 *   '    0000000000000000-0000000007ffffff (prio 0, ram): alias ram-below-4g @pc.ram 0000000000000000-0000000007ffffff',
 * ].join('\n'))
 * assert.ok(either.isRight(d))
 * assert.equal(topology.byName('pc.ram')(d.right.topology)[0]?.kind, 'ram')
 * assert.deepEqual(d.right.assumptions.map((a) => a._tag), ['GuessedKind', 'OpaqueTarget'])
 */
export const parseDump = (
  text: string,
  options: ParseOptions = {},
): E.Either<TextError, MtreeDump> => {
  const knowledge = options.knowledge ?? QEMU
  const readE = readSections(text, knowledge)
  if (E.isLeft(readE)) return readE
  const { sections, implicitLine, elided, rejoined } = readE.right
  let dialect = readE.right.dialect
  const assumptions: Assumption[] = []
  for (const line of rejoined)
    assumptions.push({
      _tag: 'Rejoined',
      line,
      message: `line ${line}: read together with line ${line + 1}, as a line a mail client wrapped`,
    })
  for (const line of elided)
    assumptions.push({
      _tag: 'Elided',
      line,
      message: `line ${line}: lines left out of the paste; what they held is unknown`,
    })
  if (implicitLine !== undefined)
    assumptions.push({
      _tag: 'ImplicitAddressSpace',
      line: implicitLine,
      message: `line ${implicitLine}: region lines with no "address-space:" header, read as address space memory`,
    })

  // a section root may be a node printed elsewhere (a non-root node, or an address-space
  // root): only nodes named like some section root are candidates, keyed by what a
  // subtree compare would check first
  const orders = sections.map((s) => preorder(s.root as PNode))
  const keyOf = (n: PNode): string => `${n.name}\u0000${n.size}\u0000${n.children.length}`
  const rootNames = new Set(sections.map((s) => (s.root as PNode).name))
  const byKey = new Map<string, PNode[]>()
  orders.forEach((order, si) => {
    for (const n of order)
      if (
        rootNames.has(n.name) &&
        (n.parent !== undefined || sections[si]?.kind === 'address-space')
      ) {
        const k = keyOf(n)
        const list = byKey.get(k)
        if (list === undefined) byKey.set(k, [n])
        else list.push(n)
      }
  })
  sections.forEach((s, si) => {
    const root = s.root as PNode
    for (const c of byKey.get(keyOf(root)) ?? []) {
      if (c === root || c.section === si) continue
      // from QEMU 7.0 two address-space sections are two roots (a shared root prints
      // once; one device's bus master container looks exactly like another's); before,
      // every address space printed its own copy of its root, in order
      if (c.parent === undefined && s.kind === 'address-space')
        if (dialect.grouped || c.section > si) continue
      if (sameShape(c, root)) {
        root.same = c
        break
      }
    }
  })
  // ids in pre-order, section by section; a section printed elsewhere too takes the ids
  // of that copy, node by node (its shape is the same), once the copy has them
  let nextId = 1
  const built: PNode[] = []
  orders.forEach((order, si) => {
    if ((sections[si]?.root as PNode).same !== undefined) return
    for (const n of order) {
      n.id = nextId++ as RegionId
      built.push(n)
    }
  })
  for (let pending = true; pending;) {
    pending = false
    let progress = false
    orders.forEach((order, si) => {
      const root = sections[si]?.root as PNode
      if (root.same === undefined || root.id !== NO_ID) return
      if (root.same.id === NO_ID) {
        pending = true
        return
      }
      const copy = preorder(root.same)
      order.forEach((n, i) => {
        n.id = (copy[i] as PNode).id
      })
      progress = true
    })
    if (pending && !progress) break // cannot happen: a copy is strictly inside another tree
  }
  const made: Region[] = []
  const aliasNodes: PNode[] = []
  for (const n of built) {
    // QEMU's list order: descending priority; print order (by address) among equals
    const order = listOrder(n.children)
    const k = kindOf(n, knowledge)
    // the container in the literal when there is one (a property added after would live
    // outside the object, one more allocation each): every region below a root has one
    // object shape, the few roots another
    const r: { -readonly [K in keyof Region]: Region[K] } =
      n.parent === undefined
        ? {
            id: n.id,
            name: n.name,
            kind: k.kind,
            size: n.size,
            addr: n.rel,
            priority: n.priority,
            enabled: !n.disabled,
            mayOverlap: n.priority !== 0,
            readonly: k.readonly,
            romd: k.romd,
            nonvolatile: n.nonvolatile,
            aliasOffset: n.alias === undefined ? 0n : n.alias.offset,
            dirtyLog: knowledge.vgaLogging.has(n.name) ? DIRTY_MEMORY_VGA : 0,
            subregions: order,
          }
        : {
            id: n.id,
            name: n.name,
            kind: k.kind,
            size: n.size,
            addr: n.rel,
            priority: n.priority,
            enabled: !n.disabled,
            mayOverlap: n.priority !== 0,
            readonly: k.readonly,
            romd: k.romd,
            nonvolatile: n.nonvolatile,
            aliasOffset: n.alias === undefined ? 0n : n.alias.offset,
            dirtyLog: knowledge.vgaLogging.has(n.name) ? DIRTY_MEMORY_VGA : 0,
            subregions: order,
            container: n.parent.id,
          }
    if (n.synthetic) r.placeholder = true
    made.push(r)
    if (n.alias !== undefined) aliasNodes.push(n)
    if (k.guess !== undefined)
      assumptions.push({
        _tag: 'GuessedKind',
        region: n.id,
        name: n.name,
        kind: k.kind,
        basis: k.guess,
        line: n.line,
        message: `line ${n.line}: ${n.name} read as ${k.kind === 'io' ? 'an I/O region' : 'a pure container'} (${k.guess === 'knowledge' ? 'a known fact of QEMU' : "the text cannot tell; give the same state's info mtree -f"})`,
      })
  }

  // the map filled in one go once every region is made (cheaper than between them)
  const regions = new Map<RegionId, Region>()
  for (const r of made) regions.set(r.id, r)

  const addressSpaces: AddressSpace[] = []
  const sectionRoots: RegionId[] = []
  const sectionByName = new Map<string, RegionId>()
  sections.forEach((s) => {
    const id = (s.root as PNode).id
    if (s.kind === 'address-space') {
      for (const name of s.names) addressSpaces.push({ name, root: id })
      return
    }
    const name = s.names[0] ?? ''
    sectionRoots.push(id)
    if (!sectionByName.has(name)) sectionByName.set(name, id)
  })

  // alias targets: the section of that name, else the one other region of that name, else
  // an opaque region standing for what the dump left out
  const wanted = new Set(
    aliasNodes.flatMap((n) =>
      n.alias === undefined || sectionByName.has(n.alias.target) ? [] : [n.alias.target],
    ),
  )
  const byName = new Map<string, PNode[]>()
  for (const n of built)
    if (!n.synthetic && wanted.has(n.name)) {
      const list = byName.get(n.name)
      if (list === undefined) byName.set(n.name, [n])
      else list.push(n)
    }
  const opaque = new Map<string, { id: RegionId; type: TypeWord; size: bigint }>()
  for (const n of aliasNodes) {
    const alias = n.alias
    if (alias === undefined) continue
    let target = sectionByName.get(alias.target)
    if (target === undefined) {
      const ancestors = new Set<PNode>()
      for (let p: PNode | undefined = n; p !== undefined; p = p.parent) ancestors.add(p)
      // not the alias itself or what holds it, nor another alias of that very name over
      // that very name (it points at the region we are looking for)
      const named = (byName.get(alias.target) ?? []).filter(
        (c) => !ancestors.has(c) && c.alias?.target !== alias.target,
      )
      const plain = named.filter((c) => c.alias === undefined)
      const some = plain.length > 0 ? plain : named
      // the alias line prints its target's type (QEMU 5.0 on): a candidate of another
      // type is not it
      const typed =
        n.type === 'i/o' || n.access !== undefined
          ? some
          : some.filter((c) => c.alias !== undefined || c.type === n.type)
      const pick = typed.length > 0 ? typed : some
      if (pick.length > 0) {
        target = (pick[0] as PNode).id
        if (pick.length > 1)
          assumptions.push({
            _tag: 'AmbiguousTarget',
            alias: n.id,
            name: alias.target,
            line: n.line,
            message: `line ${n.line}: ${pick.length} regions are named ${alias.target}; alias ${n.name} taken to target the first (line ${(pick[0] as PNode).line})`,
          })
      }
    }
    if (target === undefined) {
      const span = wrap(alias.offsetEnd - alias.offset)
      const end = n.size === 0n ? alias.offset : alias.offset + span + 1n
      const seen = opaque.get(alias.target)
      if (seen === undefined) {
        const id = nextId++ as RegionId
        opaque.set(alias.target, { id, type: n.type, size: end })
        const k = opaqueKind(n.type)
        assumptions.push({
          _tag: 'OpaqueTarget',
          region: id,
          name: alias.target,
          kind: k.kind,
          line: n.line,
          message: `line ${n.line}: alias target ${alias.target} is not in the dump; assumed ${k.readonly ? 'a read-only ' : 'a '}${k.kind} region of at least ${describeSize(end)} with nothing mapped in it`,
        })
      } else if (end > seen.size) opaque.set(alias.target, { ...seen, size: end })
      target = (opaque.get(alias.target) as { id: RegionId }).id
    }
    regions.set(n.id, { ...(regions.get(n.id) as Region), aliasTarget: target })
  }
  for (const [name, o] of opaque) {
    const k = opaqueKind(o.type)
    regions.set(o.id, {
      id: o.id,
      name,
      kind: k.kind,
      size: o.size > TWO_64 ? TWO_64 : o.size,
      addr: 0n,
      priority: 0,
      enabled: true,
      mayOverlap: false,
      readonly: k.readonly,
      romd: true,
      nonvolatile: false,
      aliasOffset: 0n,
      dirtyLog: knowledge.vgaLogging.has(name) ? DIRTY_MEMORY_VGA : 0,
      subregions: [],
      opaque: true,
    })
  }

  // before QEMU 5.0 an alias line printed its own type, always i/o: seen when an alias
  // printed i/o targets a region that prints something else
  if (dialect.regionText === 'type') {
    const typeOf = (id: RegionId | undefined): string => {
      const r = id === undefined ? undefined : regions.get(id)
      return r === undefined || r.opaque === true
        ? 'i/o'
        : regionType({ regions, addressSpaces, nextId }, r)
    }
    const printsTarget = aliasNodes.some((n) => n.type !== 'i/o')
    const printsOwn = aliasNodes.some(
      (n) => n.type === 'i/o' && typeOf(regions.get(n.id)?.aliasTarget) !== 'i/o',
    )
    if (printsOwn && !printsTarget) {
      dialect = { ...dialect, aliasType: 'own' }
      for (const a of assumptions)
        if (a._tag === 'OpaqueTarget')
          Object.assign(a, {
            message: `${a.message} (before QEMU 5.0 an alias line does not say what its target is)`,
          })
    }
  }

  // refuse alias cycles (rendering an alias must not lead back to it): one iterative
  // depth-first walk over subregion and alias edges, O(regions), when the aliases alone
  // do not already show there is none
  const cycle = noAliasCycle(
    regions,
    aliasNodes.map((n) => n.id),
    4 * regions.size + 64,
  )
    ? undefined
    : findAliasCycle(regions, nextId)
  if (cycle !== undefined) {
    const n = built.find((b) => b.id === cycle)
    if (n !== undefined)
      return E.left(
        at(
          n.line,
          n.nameColumn,
          `an alias whose target does not contain it (${n.name} loops)`,
          n.name,
        ),
      )
  }

  return E.right({
    topology: { regions, addressSpaces, nextId, mtreeSections: sectionRoots },
    dialect,
    assumptions,
  })
}

/**
 * Whether the subregion and alias edges of a parsed topology surely make no cycle, seen
 * from its aliases alone; false when they may (or when that takes more than `budget`
 * steps). Subregion edges alone are a forest (each region is printed under one
 * container), so a cycle passes through aliases: alias A leads to alias B when B is in
 * the subtree of A's target, which B's chain of containers says. No cycle among these
 * alias-to-alias steps, no cycle at all. O(aliases x depth).
 */
const noAliasCycle = (
  regions: ReadonlyMap<RegionId, Region>,
  aliases: ReadonlyArray<RegionId>,
  budget: number,
): boolean => {
  if (aliases.length === 0) return true
  const byTarget = new Map<RegionId, number[]>()
  aliases.forEach((id, k) => {
    const target = regions.get(id)?.aliasTarget
    if (target === undefined) return
    const list = byTarget.get(target)
    if (list === undefined) byTarget.set(target, [k])
    else list.push(k)
  })
  const next: number[][] = aliases.map(() => [])
  const into = new Int32Array(aliases.length)
  let steps = 0
  for (let b = 0; b < aliases.length; b++)
    for (let x: RegionId | undefined = aliases[b]; x !== undefined; x = regions.get(x)?.container) {
      const from = byTarget.get(x)
      steps += 1 + (from === undefined ? 0 : from.length)
      if (steps > budget) return false
      if (from !== undefined)
        for (const a of from) {
          ;(next[a] as number[]).push(b)
          into[b] = (into[b] as number) + 1
        }
    }
  // peel the aliases nothing leads to; a cycle is what cannot be peeled
  const free: number[] = []
  for (let k = 0; k < aliases.length; k++) if (into[k] === 0) free.push(k)
  let peeled = 0
  while (free.length > 0) {
    const a = free.pop() as number
    peeled++
    for (const b of next[a] as number[]) {
      into[b] = (into[b] as number) - 1
      if (into[b] === 0) free.push(b)
    }
  }
  return peeled === aliases.length
}

/** An alias on a cycle of subregion and alias edges, if there is one. */
const findAliasCycle = (
  regions: ReadonlyMap<RegionId, Region>,
  idLimit: number,
): RegionId | undefined => {
  // ids are dense (1 .. idLimit - 1): the walk keeps its state in typed arrays, and the
  // regions in an array by id (no map look-up per step)
  const state = new Uint8Array(idLimit) // 1: on the path, 2: done
  const pathId = new Int32Array(idLimit)
  const pathEdge = new Int32Array(idLimit)
  const byId: Array<Region | undefined> = []
  for (let id = 0; id < idLimit; id++) byId.push(undefined)
  for (const r of regions.values()) if (r.id > 0 && r.id < idLimit) byId[r.id] = r
  for (const start of regions.values()) {
    if (state[start.id] !== 0) continue
    let depth = 0
    pathId[0] = start.id
    pathEdge[0] = 0
    state[start.id] = 1
    while (depth >= 0) {
      const r = byId[pathId[depth] as number] as Region
      const i = pathEdge[depth] as number
      const subs = r.subregions
      if (i >= subs.length + (r.aliasTarget === undefined ? 0 : 1)) {
        state[r.id] = 2
        depth--
        continue
      }
      pathEdge[depth] = i + 1
      const to = i < subs.length ? (subs[i] as RegionId) : (r.aliasTarget as RegionId)
      if (to <= 0 || to >= idLimit || state[to] === 2 || byId[to] === undefined) continue
      if (state[to] === 1) {
        // the cycle is the path from `to` to the top; name its first alias (in id order)
        let best: RegionId | undefined
        for (let d = depth; d >= 0; d--) {
          const id = pathId[d] as RegionId
          if (byId[id]?.kind === 'alias' && (best === undefined || id < best)) best = id
          if (id === to) break
        }
        return best
      }
      state[to] = 1
      depth++
      pathId[depth] = to
      pathEdge[depth] = 0
    }
  }
  return undefined
}

/**
 * Parses `info mtree` or `info mtree -D` text of any dialect into a topology;
 * {@link parseDump} also gives the dialect and what was assumed.
 *
 * @example
 * import { mtree, topology } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
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
export const parse = (text: string, options: ParseOptions = {}): E.Either<TextError, Topology> =>
  E.map((d: MtreeDump) => d.topology)(parseDump(text, options))
