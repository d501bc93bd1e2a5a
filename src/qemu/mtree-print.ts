/**
 * Prints a topology as `info mtree` / `info mtree -D` does (QEMU 7.2 `mtree_info_as`,
 * `mtree_print_mr`): address spaces grouped by root (each group's names sorted with
 * `strcmp`), the tree of each group's root at level 1, then a `memory-region:` section
 * for every alias target in the order aliases were met (targets of hidden disabled
 * aliases included), each followed by a blank line. Children print sorted by address,
 * then higher priority, then list order. Without `-D` a disabled region's line is left
 * out but its children still print, one level deeper.
 *
 * @module
 */
import type { Region, RegionId } from '../region/region.js'
import { typeWord } from '../region/region.js'
import type { Topology } from '../region/topology.js'
import { toHex16 } from '../addresses/hex.js'
import { OVERFLOW } from './mtree-line.js'
import type { MtreeDialect } from './mtree-parse.js'

/** How to print. */
export interface PrintOptions {
  /** Show disabled regions, marked ` [disabled]` (`info mtree -D`). */
  readonly disabled?: boolean
  /** Line ending (default `\r\n`, as HMP prints). */
  readonly eol?: '\r\n' | '\n'
  /** The dialect (default: a type word and 16-digit addresses, QEMU 7.0 to 10.x). */
  readonly dialect?: MtreeDialect
}

const wrap = (n: bigint): bigint => BigInt.asUintN(64, n)
/** QEMU `MR_SIZE`: size - 1, or 0 for an empty region. */
const mrSize = (size: bigint): bigint => (size === 0n ? 0n : wrap(size - 1n))

/** The type word of a region, following aliases (`memory_region_type`). */
export const regionType = (t: Topology, r: Region): string => {
  const seen = new Set<RegionId>()
  let cur: Region | undefined = r
  while (cur !== undefined && cur.kind === 'alias' && !seen.has(cur.id)) {
    seen.add(cur.id)
    cur = cur.aliasTarget === undefined ? undefined : t.regions.get(cur.aliasTarget)
  }
  return cur === undefined ? 'i/o' : typeWord(cur)
}

const strcmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Children in print order: address, then higher priority, then list order. */
export const printOrder = (t: Topology, r: Region): ReadonlyArray<Region> =>
  r.subregions
    .map((id, i) => ({ c: t.regions.get(id), i }))
    .filter((x): x is { c: Region; i: number } => x.c !== undefined)
    .sort((a, b) =>
      a.c.addr < b.c.addr ? -1 : a.c.addr > b.c.addr ? 1 : b.c.priority - a.c.priority || a.i - b.i,
    )
    .map((x) => x.c)

/**
 * The two access characters QEMU printed before 2.9: `R` in romd mode, `W` when neither
 * read-only nor a ROM device in romd mode (of the region itself, not of an alias target).
 */
export const accessText = (r: Region): string =>
  `${r.romd ? 'R' : '-'}${!r.readonly && !(r.kind === 'romDevice' && r.romd) ? 'W' : '-'}`

/**
 * The `info mtree` text of a topology. A topology parsed from `info mtree` prints back
 * byte for byte with the same `disabled` setting and dialect. Opaque regions (alias
 * targets a partial dump did not print) get no `memory-region:` section.
 */
export const print =
  (options: PrintOptions = {}) =>
  (t: Topology): string => {
    const eol = options.eol ?? '\r\n'
    const showDisabled = options.disabled ?? false
    const digits = options.dialect?.digits ?? 16
    const access = options.dialect?.regionText === 'access'
    const bare = options.dialect?.headers === 'bare'
    const ownAliasType = options.dialect?.aliasType === 'own'
    const grouped = options.dialect?.grouped ?? true
    const blank = bare ? '' : eol
    const hex = (n: bigint): string =>
      digits === 16 ? toHex16(n) : n.toString(16).padStart(digits, '0')
    const out: string[] = []
    const queue: RegionId[] = []
    const queued = new Set<RegionId>()
    let pending = ''
    const emit = (s: string): void => {
      out.push(pending + s + eol)
      pending = ''
    }
    // iterative walk; each frame prints one region and schedules its children
    const printTree = (root: RegionId): void => {
      const stack: Array<{ id: RegionId; level: number; base: bigint }> = [
        { id: root, level: bare ? 0 : 1, base: 0n },
      ]
      while (stack.length > 0) {
        const { id, level, base } = stack.pop() as { id: RegionId; level: number; base: bigint }
        const mr = t.regions.get(id)
        if (mr === undefined) continue
        const curStart = wrap(base + mr.addr)
        const curEnd = wrap(curStart + mrSize(mr.size))
        const synthetic = mr.placeholder === true
        if (!synthetic && (curStart < base || curEnd < curStart)) pending += OVERFLOW
        // before QEMU 2.4 a disabled region was left out with all it holds
        if (bare && !mr.enabled) continue
        const visible = !synthetic && (mr.enabled || showDisabled)
        const what = access
          ? accessText(mr)
          : ownAliasType && mr.kind === 'alias'
            ? 'i/o'
            : `${mr.nonvolatile ? 'nv-' : ''}${regionType(t, mr)}`
        const head = `${'  '.repeat(level)}${hex(curStart)}-${hex(curEnd)} (prio ${mr.priority}, ${what}): `
        const tail = mr.enabled ? '' : ' [disabled]'
        if (mr.kind === 'alias') {
          const target = mr.aliasTarget === undefined ? undefined : t.regions.get(mr.aliasTarget)
          if (target !== undefined && !queued.has(target.id)) {
            queued.add(target.id)
            queue.push(target.id)
          }
          if (visible)
            emit(
              `${head}alias ${mr.name} @${target?.name ?? '(null)'} ${hex(mr.aliasOffset)}-${hex(wrap(mr.aliasOffset + mrSize(mr.size)))}${tail}`,
            )
        } else if (visible) emit(`${head}${mr.name}${tail}`)
        const children = printOrder(t, mr)
        for (let i = children.length - 1; i >= 0; i--)
          stack.push({ id: (children[i] as Region).id, level: level + 1, base: curStart })
      }
    }
    const groups: Array<[RegionId, string[]]> = []
    const byRoot = new Map<RegionId, string[]>()
    for (const as of t.addressSpaces) {
      const names = grouped ? byRoot.get(as.root) : undefined
      if (names !== undefined) names.push(as.name)
      else {
        const fresh = [as.name]
        byRoot.set(as.root, fresh)
        groups.push([as.root, fresh])
      }
    }
    for (const [root, names] of groups) {
      for (const name of [...names].sort(strcmp))
        out.push(bare ? `${name}${eol}` : `address-space: ${name}${eol}`)
      printTree(root)
      out.push(blank)
    }
    if (bare) out.push(`aliases${eol}`)
    // memory-region sections: the parsed order first, then targets met since
    const sections = [...(t.mtreeSections ?? [])]
    const listed = new Set(sections)
    let seenInQueue = 0
    for (let i = 0; ; i++) {
      for (; seenInQueue < queue.length; seenInQueue++) {
        const q = queue[seenInQueue] as RegionId
        if (!listed.has(q)) {
          listed.add(q)
          sections.push(q)
        }
      }
      const id = sections[i]
      if (id === undefined) break
      const mr = t.regions.get(id)
      if (mr === undefined || mr.opaque === true) continue
      out.push(bare ? `${mr.name}${eol}` : `memory-region: ${mr.name}${eol}`)
      printTree(id)
      out.push(blank)
    }
    return out.join('') + pending
  }
