/**
 * What a map picture shows, as data: the guest-physical boxes of one address space, the
 * RAMBlocks of `ram_addr_t` space, the links between them, and, when a BAR was moved,
 * where it was and where it is now. {@link layout} places this, {@link toSvg} draws it.
 *
 * Backing follows the address map (`translate.make`): a flat range is RAM-backed
 * when its region has a RAMBlock, and its bytes sit at `ram_addr = block.offset +
 * offset_within_region` (QEMU `memory_region_get_ram_addr` + offset). Old and new places
 * come from `flatview.diff` of the views before and after the move.
 *
 * @module
 */
import * as O from 'fp-ts/lib/Option.js'
import { toHex } from '../addresses/hex.js'
import type { FlatRange } from '../flatview/flat-range.js'
import { diff } from '../flatview/diff.js'
import { typeWord } from '../region/region.js'
import type { AddressMap } from '../translate/address-map.js'
import { provenance, type Provenance } from './provenance.js'
import { compareBig } from './scale.js'

/** A box of the GPA column. */
export interface GpaBox {
  /**
   * `ram`/`rom`: a RAM-backed flat range (`rom` when writes are refused); `mmio`: a run
   * of adjacent flat ranges with no RAM behind them; `ghost`: where a moved region was,
   * now unmapped.
   */
  readonly kind: 'ram' | 'rom' | 'mmio' | 'ghost'
  /** First GPA. */
  readonly start: bigint
  /** End GPA, exclusive. */
  readonly end: bigint
  /** Region name (for `mmio`, the names of the run, shortened). */
  readonly name: string
  /** QEMU's type word for the range (`ram`, `rom`, `romd`, `ramd`, `i/o`). */
  readonly type: string
  /** The RAMBlock idstr behind the box, for `ram`/`rom` and RAM-backed ghosts. */
  readonly block?: string
  /** `alias NAME @ TARGET+OFFSET` for the innermost alias the range is seen through. */
  readonly alias?: string
  /** Every alias on the way, outermost first, for the tooltip. */
  readonly aliasChain: ReadonlyArray<string>
  /** The box shows a range whose backing a move changed (the BAR's new place). */
  readonly moved: boolean
}

/** A RAMBlock in `ram_addr_t` space. */
export interface BlockBox {
  readonly idstr: string
  /** `ram_addr_t` of the first byte (`block->offset`). */
  readonly start: bigint
  /** `used_length`. */
  readonly used: bigint
  /** `max_length`: the `ram_addr_t` space the block reserves. */
  readonly max: bigint
}

/** A GPA range and the `ram_addr_t` range it maps (same length). */
export interface Link {
  readonly gpaStart: bigint
  readonly gpaEnd: bigint
  readonly ramStart: bigint
  readonly block: string
  /** Seen through an alias. */
  readonly alias: boolean
  /** The mapping as it was before the move (now gone). */
  readonly ghost: boolean
}

/** A GPA range a move changed: `old` where the backing was, `new` where it is now. */
export interface Change {
  readonly side: 'old' | 'new'
  readonly start: bigint
  readonly end: bigint
  /** The region that backed (old) or backs (new) the range. */
  readonly name: string
}

/** Everything a map picture shows. */
export interface Scene {
  readonly addressSpace: string
  /** GPA boxes, ascending and disjoint. */
  readonly gpa: ReadonlyArray<GpaBox>
  /** RAMBlocks, by `ram_addr_t`. */
  readonly blocks: ReadonlyArray<BlockBox>
  readonly links: ReadonlyArray<Link>
  /** Per side, ascending and disjoint. */
  readonly changes: ReadonlyArray<Change>
  /** The moves applied, as given (`vga.vram=0xe0000000`), for the caption. */
  readonly moves: ReadonlyArray<string>
}

const aliasLabel = (p: Provenance): string | undefined => {
  const inner = p.aliases[p.aliases.length - 1]
  return inner === undefined
    ? undefined
    : `alias ${inner.alias.name} @ ${inner.target.name}+${toHex(inner.alias.aliasOffset)}`
}

const mmioName = (names: ReadonlyArray<string>): string => {
  const distinct = [...new Set(names)]
  const shown = distinct.slice(0, 2).join(', ')
  return distinct.length > 2 ? `${shown} +${distinct.length - 2} more` : shown
}

const overlaps = (s: bigint, e: bigint, cs: ReadonlyArray<Change>): boolean =>
  cs.some((c) => c.side === 'new' && c.start < e && s < c.end)

const ramStartOf = (map: AddressMap, r: FlatRange, at: bigint): O.Option<[string, bigint]> => {
  const mr = map.topology.regions.get(r.region)
  const block = mr?.ramBlock === undefined ? undefined : map.blocks.get(mr.ramBlock)
  return block === undefined
    ? O.none
    : O.some([block.idstr, block.offset + r.offsetInRegion + (at - r.start)])
}

/**
 * The scene of `after` (an address map, see `translate.make`); with `before` (the
 * map before some moves, same RAM list), the changed GPA ranges are marked: the moved
 * region's new place highlighted, its old place drawn as a ghost box where nothing covers
 * it now, with a dashed link to the same `ram_addr_t` (a BAR move changes the GPA, never
 * the `ram_addr_t`).
 *
 * @example
 * import { mtree, infoRamblock, translate } from 'ramaddr'
 * import * as draw from 'ramaddr/draw'
 * import * as either from 'fp-ts/lib/Either.js'
 * const t = mtree.parse([
 *   'address-space: memory',
 *   '  0000000000000000-ffffffffffffffff (prio 0, i/o): system',
 *   '    0000000000000000-0000000007ffffff (prio 0, ram): alias ram-below-4g @pc.ram 0000000000000000-0000000007ffffff',
 *   '    00000000000a0000-00000000000bffff (prio 1, i/o): vga-lowmem',
 *   '',
 *   'memory-region: pc.ram',
 *   '  0000000000000000-0000000007ffffff (prio 0, ram): pc.ram',
 *   '',
 * ].join('\n'))
 * const l = infoRamblock.parse('              Block Name    PSize              Offset               Used              Total\n                  pc.ram    4 KiB  0x0000000000000000 0x0000000008000000 0x0000000008000000\n')
 * assert.ok(either.isRight(t) && either.isRight(l))
 * const map = translate.make({ topology: t.right, ramList: l.right })
 * assert.ok(either.isRight(map))
 * const s = draw.scene(map.right)
 * assert.deepEqual(s.gpa.map((b) => [b.kind, b.name, b.start, b.end, b.alias]), [
 *   ['ram', 'pc.ram', 0x0n, 0xa0000n, 'alias ram-below-4g @ pc.ram+0x0'],
 *   ['mmio', 'vga-lowmem', 0xa0000n, 0xc0000n, undefined],
 *   ['ram', 'pc.ram', 0xc0000n, 0x8000000n, 'alias ram-below-4g @ pc.ram+0x0'],
 * ])
 * assert.deepEqual(s.links.map((k) => [k.gpaStart, k.gpaEnd, k.ramStart]), [[0x0n, 0xa0000n, 0x0n], [0xc0000n, 0x8000000n, 0xc0000n]])
 */
export const scene = (
  after: AddressMap,
  before?: AddressMap,
  moves: ReadonlyArray<string> = [],
): Scene => {
  const t = after.topology
  const as = t.addressSpaces.find((a) => a.name === after.addressSpace)
  const changes: Change[] = []
  const ghosts: GpaBox[] = []
  const links: Link[] = []
  if (before !== undefined) {
    const nameOf = (m: AddressMap, r: FlatRange): string =>
      m.topology.regions.get(r.region)?.name ?? '?'
    const cs = diff(before.view)(after.view)
    for (const c of cs)
      if (c.before !== undefined)
        changes.push({ side: 'old', start: c.start, end: c.end, name: nameOf(before, c.before) })
    for (const c of cs)
      if (c.after !== undefined)
        changes.push({ side: 'new', start: c.start, end: c.end, name: nameOf(after, c.after) })
    for (const c of cs) {
      if (c.kind !== 'disappeared' || c.before === undefined) continue
      const mr = before.topology.regions.get(c.before.region)
      const ram = ramStartOf(before, c.before, c.start)
      ghosts.push({
        kind: 'ghost',
        start: c.start,
        end: c.end,
        name: `old place of ${mr?.name ?? '?'}`,
        type: mr === undefined ? 'i/o' : typeWord(mr),
        ...(O.isSome(ram) ? { block: ram.value[0] } : {}),
        aliasChain: [],
        moved: false,
      })
      if (O.isSome(ram))
        links.push({
          gpaStart: c.start,
          gpaEnd: c.end,
          ramStart: ram.value[1],
          block: ram.value[0],
          alias: false,
          ghost: true,
        })
    }
  }
  const boxes: GpaBox[] = []
  let run: { start: bigint; end: bigint; names: string[] } | undefined
  const flush = (): void => {
    if (run === undefined) return
    boxes.push({
      kind: 'mmio',
      start: run.start,
      end: run.end,
      name: mmioName(run.names),
      type: 'i/o',
      aliasChain: [],
      moved: overlaps(run.start, run.end, changes),
    })
    run = undefined
  }
  after.view.ranges.forEach((r, i) => {
    const mr = t.regions.get(r.region)
    const delta = after.ramDelta[i]
    const block = mr?.ramBlock
    if (mr === undefined || delta === undefined || block === undefined) {
      const name = mr?.name ?? '?'
      if (run !== undefined && run.end === r.start)
        run = { ...run, end: r.end, names: [...run.names, name] }
      else {
        flush()
        run = { start: r.start, end: r.end, names: [name] }
      }
      return
    }
    flush()
    const p = as === undefined ? O.none : provenance(as.root, r.start)(t)
    const alias = O.isSome(p) ? aliasLabel(p.value) : undefined
    const type = r.readonly && mr.kind === 'ram' ? 'rom' : typeWord(mr)
    boxes.push({
      kind: r.readonly ? 'rom' : 'ram',
      start: r.start,
      end: r.end,
      name: mr.name,
      type,
      block,
      ...(alias === undefined ? {} : { alias }),
      aliasChain: O.isSome(p)
        ? p.value.aliases.map(
            (s) => `${s.alias.name} @ ${s.target.name}+${toHex(s.alias.aliasOffset)}`,
          )
        : [],
      moved: overlaps(r.start, r.end, changes),
    })
    links.push({
      gpaStart: r.start,
      gpaEnd: r.end,
      ramStart: r.start + delta,
      block,
      alias: alias !== undefined,
      ghost: false,
    })
  })
  flush()
  const gpa = [...boxes, ...ghosts].sort((a, b) => compareBig(a.start, b.start))
  const blocks = [...after.blocks.values()]
    .map((b) => ({ idstr: b.idstr, start: b.offset, used: b.usedLength, max: b.maxLength }))
    .sort((a, b) => compareBig(a.start, b.start))
  return {
    addressSpace: after.addressSpace,
    gpa,
    blocks,
    links: links.sort((a, b) => compareBig(a.gpaStart, b.gpaStart)),
    changes,
    moves,
  }
}
