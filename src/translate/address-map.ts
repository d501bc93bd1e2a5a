/**
 * GPA <-> `ram_addr_t` translation over one address space (QEMU
 * `address_space_translate` for the forward direction, `guest_phys_blocks_append`-style
 * scanning for the reverse): a topology with its RAMBlocks tied, the rendered view, and a
 * reverse index built once.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import type { Gpa, Hva, RamAddr } from '../addresses/kinds.js'
import type { AddrRange } from '../addresses/range.js'
import { lastStartAtOrBelow, ofRoot, type FlatView } from '../flatview/flatview.js'
import type { RenderOptions } from '../flatview/render.js'
import type { RAMBlock } from '../ramblock/ramblock.js'
import type { RamList } from '../ramblock/ram-list.js'
import type { Region } from '../region/region.js'
import type { Topology } from '../region/topology.js'
import type { TranslateError } from './errors.js'
import { attachRamBlocks } from './ram-link.js'
import {
  buildReverseIndex,
  gpaRangesOf,
  gpasOf,
  type RamWindow,
  type ReverseIndex,
} from './reverse-index.js'

/** A translator for one address space. */
export interface AddressMap {
  readonly topology: Topology
  readonly addressSpace: string
  readonly view: FlatView
  readonly blocks: ReadonlyMap<string, RAMBlock>
  /** The RAM list the map was built from (`blocks` adds the known host bases). */
  readonly ramList: RamList
  readonly reverse: ReverseIndex
  /** Per range of `view`: `ram_addr_t - GPA` over the range, or undefined if not RAM. */
  readonly ramDelta: ReadonlyArray<bigint | undefined>
  /** Per range of `view`: its last GPA (`end - 1`), for the bounds check. */
  readonly lasts: BigUint64Array
  /** Per range of `view`: what a GPA in it reaches, worked out once (undefined: no region). */
  readonly targets: ReadonlyArray<RangeTarget | undefined>
}

/** What the GPAs of one flat range reach: its region, RAMBlock and the offsets to add. */
export interface RangeTarget {
  readonly region: Region
  /** The RAMBlock behind the region; undefined for MMIO. */
  readonly block: RAMBlock | undefined
  /** `offsetInRegion - start`: add a GPA to get its offset in the region. */
  readonly offsetDelta: bigint
  /** `host + offsetDelta`, when the block's host base is known: add a GPA to get its HVA. */
  readonly hvaDelta: bigint | undefined
  readonly readonly: boolean
}

/** What to build a map from. */
export interface AddressMapInput {
  readonly topology: Topology
  readonly ramList: RamList
  /** Default `memory` (QEMU's `address_space_memory`). */
  readonly addressSpace?: string
  /** Host virtual address of each block's first byte, by idstr, when known. */
  readonly hostBases?: ReadonlyMap<string, Hva>
  readonly render?: RenderOptions
}

/**
 * Builds the translator: ties RAMBlocks to regions, renders the address space's view and
 * indexes its RAM-backed ranges by `ram_addr_t`.
 */
export const make = (input: AddressMapInput): E.Either<TranslateError, AddressMap> => {
  const name = input.addressSpace ?? 'memory'
  const as = input.topology.addressSpaces.find((a) => a.name === name)
  if (as === undefined)
    return E.left({
      _tag: 'NoSuchAddressSpace',
      name,
      message: `no address space named ${JSON.stringify(name)}`,
    })
  const linked = attachRamBlocks(input.ramList)(input.topology)
  if (E.isLeft(linked)) return linked
  const t = linked.right
  const blocks = new Map(
    input.ramList.blocks.map((b) => {
      const host = input.hostBases?.get(b.idstr)
      return [b.idstr, host === undefined ? b : { ...b, host: O.some(host) }] as const
    }),
  )
  const view = ofRoot(as.root, input.render ?? {})(t)
  const windows: RamWindow[] = []
  const ramDelta: Array<bigint | undefined> = []
  const targets: Array<RangeTarget | undefined> = []
  for (const range of view.ranges) {
    const mr = t.regions.get(range.region)
    const block = mr?.ramBlock === undefined ? undefined : blocks.get(mr.ramBlock)
    const offsetDelta = range.offsetInRegion - range.start
    targets.push(
      mr === undefined
        ? undefined
        : {
            region: mr,
            block,
            offsetDelta,
            hvaDelta:
              block === undefined || O.isNone(block.host)
                ? undefined
                : block.host.value + offsetDelta,
            readonly: range.readonly,
          },
    )
    if (block === undefined) {
      ramDelta.push(undefined)
      continue
    }
    const ramStart = block.offset + range.offsetInRegion
    ramDelta.push(ramStart - range.start)
    windows.push({
      ramStart,
      ramEnd: ramStart + (range.end - range.start),
      gpaStart: range.start,
      range,
    })
  }
  return E.right({
    topology: t,
    addressSpace: name,
    view,
    blocks,
    ramList: input.ramList,
    reverse: buildReverseIndex(windows),
    ramDelta,
    lasts: BigUint64Array.from(view.ranges, (r) => r.end - 1n),
    targets,
  })
}

/** Where a GPA leads. */
export type Translation =
  | {
      readonly _tag: 'Ram'
      readonly gpa: Gpa
      readonly region: Region
      readonly offsetInRegion: bigint
      readonly ramAddr: RamAddr
      readonly block: RAMBlock
      /** The host address, when the block's host base is known. */
      readonly hva: O.Option<Hva>
      /** Writes are refused (ROM, or RAM seen through a read-only alias). */
      readonly readonly: boolean
    }
  | {
      readonly _tag: 'Mmio'
      readonly gpa: Gpa
      readonly region: Region
      readonly offsetInRegion: bigint
    }
  | { readonly _tag: 'Unassigned'; readonly gpa: Gpa }

/**
 * GPA -> (region, offset) -> `ram_addr_t` (and HVA): `ram_addr = block.offset +
 * offset_within_region + (gpa - offset_within_address_space)`. MMIO and unassigned
 * addresses are answers, not errors.
 *
 * @example
 * import { translate, mtree, infoRamblock, Gpa, RamAddr } from 'ramaddr'
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
 * const x = translate.translationOfGpa(Gpa.unsafe(0x123456n))(map.right)
 * assert.equal(x._tag, 'Ram')
 * assert.equal(x.ramAddr, 0x123456n)
 * assert.equal(translate.translationOfGpa(Gpa.unsafe(0xa0000n))(map.right)._tag, 'Mmio')
 * assert.equal(translate.translationOfGpa(Gpa.unsafe(0x8000000n))(map.right)._tag, 'Unassigned')
 * assert.deepEqual(translate.gpasOfRamAddr(RamAddr.unsafe(0x123456n))(map.right), [0x123456n])
 * assert.deepEqual(translate.gpasOfRamAddr(RamAddr.unsafe(0xa0000n))(map.right), [])
 */
export const translationOfGpa =
  (gpa: Gpa) =>
  (map: AddressMap): Translation => {
    // one binary search; the rest was worked out per range when the map was made
    const i = rangeIndex(map.view.starts, map.lasts, gpa)
    const target = i < 0 ? undefined : map.targets[i]
    if (target === undefined) return { _tag: 'Unassigned', gpa }
    const { region, block } = target
    const offsetInRegion = gpa + target.offsetDelta
    if (block === undefined) return { _tag: 'Mmio', gpa, region, offsetInRegion }
    return {
      _tag: 'Ram',
      gpa,
      region,
      offsetInRegion,
      ramAddr: (gpa + (map.ramDelta[i] as bigint)) as RamAddr,
      block,
      hva: target.hvaDelta === undefined ? O.none : O.some((gpa + target.hvaDelta) as Hva),
      readonly: target.readonly,
    }
  }

/**
 * Just the `ram_addr_t` behind a GPA, if RAM backs it: the hot path of dirty tracking,
 * one binary search and no allocation beyond the answer.
 *
 * @example
 * import { translate, mtree, infoRamblock, Gpa } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import * as option from 'fp-ts/lib/Option.js'
 * const t = mtree.parse('address-space: memory\n  0000000000000000-0000000007ffffff (prio 0, ram): pc.ram\n\n')
 * const l = infoRamblock.parse('              Block Name    PSize              Offset               Used              Total\n                  pc.ram    4 KiB  0x0000000000000000 0x0000000008000000 0x0000000008000000\n')
 * assert.ok(either.isRight(t) && either.isRight(l))
 * const map = translate.make({ topology: t.right, ramList: l.right })
 * assert.ok(either.isRight(map))
 * assert.deepEqual(translate.ramAddrOfGpa(Gpa.unsafe(0x1234n))(map.right), option.some(0x1234n))
 * assert.deepEqual(translate.ramAddrOfGpa(Gpa.unsafe(0x8000000n))(map.right), option.none)
 */
export const ramAddrOfGpa =
  (gpa: Gpa) =>
  (map: AddressMap): O.Option<RamAddr> => {
    const i = rangeIndex(map.view.starts, map.lasts, gpa)
    const delta = i < 0 ? undefined : map.ramDelta[i]
    return delta === undefined ? O.none : O.some((gpa + delta) as RamAddr)
  }

/** Index of the range holding `gpa`, or -1: one binary search, no allocation. */
const rangeIndex = (starts: BigUint64Array, lasts: BigUint64Array, gpa: bigint): number => {
  const i = lastStartAtOrBelow(starts, gpa)
  return i < 0 || gpa > (lasts[i] as bigint) ? -1 : i
}

/**
 * {@link ramAddrOfGpa} as a function made once per map, for loops over many GPAs (no
 * closure is built per call).
 */
export const ramAddrLookup = (map: AddressMap): ((gpa: Gpa) => O.Option<RamAddr>) => {
  const { starts } = map.view
  const { lasts, ramDelta } = map
  return (gpa) => {
    const i = rangeIndex(starts, lasts, gpa)
    const delta = i < 0 ? undefined : ramDelta[i]
    return delta === undefined ? O.none : O.some((gpa + delta) as RamAddr)
  }
}

/** The batch answer of {@link ramAddrsOfGpas}: `ramAddrs[i]` is meaningful where `mapped[i]` is 1. */
export interface BatchTranslation {
  readonly ramAddrs: BigUint64Array
  readonly mapped: Uint8Array
}

/**
 * Translates many GPAs at once into typed arrays, allocating nothing per address: for
 * bulk work such as turning a GPA-keyed dirty log into `ram_addr_t` pages. The
 * `ram_addr_t` is `block.offset + offset_within_region` modulo 2^64, as QEMU's `uint64_t`
 * arithmetic gives it; unmapped entries are 0 with `mapped` 0.
 *
 * @example
 * import { translate, mtree, infoRamblock } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * const t = mtree.parse('address-space: memory\n  0000000000000000-0000000007ffffff (prio 0, ram): pc.ram\n\n')
 * const l = infoRamblock.parse('              Block Name    PSize              Offset               Used              Total\n                  pc.ram    4 KiB  0x0000000000080000 0x0000000008000000 0x0000000008000000\n')
 * assert.ok(either.isRight(t) && either.isRight(l))
 * const map = translate.make({ topology: t.right, ramList: l.right })
 * assert.ok(either.isRight(map))
 * const out = translate.ramAddrsOfGpas(BigUint64Array.of(0x1000n, 0x9000000n))(map.right)
 * assert.deepEqual([...out.mapped], [1, 0])
 * assert.equal(out.ramAddrs[0], 0x81000n)
 */
export const ramAddrsOfGpas =
  (gpas: BigUint64Array) =>
  (map: AddressMap): BatchTranslation => {
    const ramAddrs = new BigUint64Array(gpas.length)
    const mapped = new Uint8Array(gpas.length)
    const packed = packedOf(map)
    for (let from = 0; from < gpas.length; from += CHUNK)
      batchChunk(packed, gpas, ramAddrs, mapped, from, Math.min(gpas.length, from + CHUNK))
    return { ramAddrs, mapped }
  }

/**
 * GPAs per call of {@link batchChunk}. In chunks the loop function is called hundreds of
 * times in the first batch and V8 compiles it as a whole function, rather than entering
 * one long loop's optimised code mid-loop (on-stack replacement): 1.1-1.2x faster in the
 * steady state (bench/run.mjs).
 */
const CHUNK = 1024

/**
 * A map's ranges packed for the batch: starts and last bytes (the view's and the map's
 * typed arrays), `ram_addr_t - GPA` modulo 2^64 (so one 64-bit add, wrapping as QEMU's
 * does, gives the `ram_addr_t`), and whether RAM backs each range.
 */
interface Packed {
  readonly starts: BigUint64Array
  readonly lasts: BigUint64Array
  readonly deltas: BigUint64Array
  readonly ram: Uint8Array
}

/** Built once per map, on its first batch (a map is immutable). */
const packedCache = new WeakMap<AddressMap, Packed>()

const packedOf = (map: AddressMap): Packed => {
  const cached = packedCache.get(map)
  if (cached !== undefined) return cached
  const packed = {
    starts: map.view.starts,
    lasts: map.lasts,
    deltas: BigUint64Array.from(map.ramDelta, (d) => BigInt.asUintN(64, d ?? 0n)),
    ram: Uint8Array.from(map.ramDelta, (d) => (d === undefined ? 0 : 1)),
  }
  packedCache.set(map, packed)
  return packed
}

/** The batch loop over `gpas[from, to)`: search, bounds check, one wrapping add. */
const batchChunk = (
  p: Packed,
  gpas: BigUint64Array,
  ramAddrs: BigUint64Array,
  mapped: Uint8Array,
  from: number,
  to: number,
): void => {
  const { starts, lasts, deltas, ram } = p
  for (let k = from; k < to; k++) {
    const gpa = gpas[k] as bigint
    const i = lastStartAtOrBelow(starts, gpa)
    if (i < 0 || ram[i] === 0 || gpa > (lasts[i] as bigint)) continue
    // a BigUint64Array store keeps the sum modulo 2^64
    ramAddrs[k] = gpa + (deltas[i] as bigint)
    mapped[k] = 1
  }
}

/** Every GPA that maps a `ram_addr_t` now, ascending; none if it is not mapped. */
export const gpasOfRamAddr =
  (addr: RamAddr) =>
  (map: AddressMap): ReadonlyArray<Gpa> =>
    gpasOf(addr)(map.reverse)

/** The GPA ranges that map parts of a `ram_addr_t` range. */
export const gpaRangesOfRamRange =
  (r: AddrRange<RamAddr>) =>
  (
    map: AddressMap,
  ): ReadonlyArray<{ readonly gpa: AddrRange<Gpa>; readonly ram: AddrRange<RamAddr> }> =>
    gpaRangesOf(r)(map.reverse)
