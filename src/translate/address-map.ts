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
 * bulk work such as turning a GPA-keyed dirty log into `ram_addr_t` pages.
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
    if (LITTLE_ENDIAN) {
      batchByHalves(halvesOf(map), gpas, ramAddrs, mapped)
      return { ramAddrs, mapped }
    }
    const { starts } = map.view
    const { lasts, ramDelta } = map
    for (let k = 0; k < gpas.length; k++) {
      const gpa = gpas[k] as bigint
      const i = rangeIndex(starts, lasts, gpa)
      const delta = i < 0 ? undefined : ramDelta[i]
      if (delta === undefined) continue
      ramAddrs[k] = gpa + delta
      mapped[k] = 1
    }
    return { ramAddrs, mapped }
  }

/** Whether a 64-bit word's low half comes first in memory (x86, Arm as Node runs them). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1

/**
 * The RAM ranges of a view as 32-bit halves, so the batch path compares and adds with
 * numbers and never makes a bigint per address: per range its start, last byte and
 * `ram_addr_t - GPA` (mod 2^64), each as high and low words, and whether RAM backs it.
 */
interface Halves {
  readonly startHi: Uint32Array
  readonly startLo: Uint32Array
  readonly lastHi: Uint32Array
  readonly lastLo: Uint32Array
  readonly deltaHi: Uint32Array
  readonly deltaLo: Uint32Array
  readonly ram: Uint8Array
  /** Starts and last bytes as doubles (rounded above 2^53, which keeps their order). */
  readonly startF: Float64Array
  readonly lastF: Float64Array
}

/** Built once per map, on its first batch (a map is immutable). */
const halvesCache = new WeakMap<AddressMap, Halves>()

const halvesOf = (map: AddressMap): Halves => {
  const cached = halvesCache.get(map)
  if (cached !== undefined) return cached
  const n = map.view.starts.length
  const split = (at: (i: number) => bigint): [Uint32Array, Uint32Array] => {
    const hi = new Uint32Array(n)
    const lo = new Uint32Array(n)
    for (let i = 0; i < n; i++) {
      const v = BigInt.asUintN(64, at(i))
      hi[i] = Number(v >> 32n)
      lo[i] = Number(v & 0xffffffffn)
    }
    return [hi, lo]
  }
  const [startHi, startLo] = split((i) => map.view.starts[i] as bigint)
  const [lastHi, lastLo] = split((i) => map.lasts[i] as bigint)
  const [deltaHi, deltaLo] = split((i) => map.ramDelta[i] ?? 0n)
  const ram = Uint8Array.from(map.ramDelta, (d) => (d === undefined ? 0 : 1))
  const startF = Float64Array.from(map.view.starts, Number)
  const lastF = Float64Array.from(map.lasts, Number)
  const h = { startHi, startLo, lastHi, lastLo, deltaHi, deltaLo, ram, startF, lastF }
  halvesCache.set(map, h)
  return h
}

/**
 * The batch loop on 32-bit halves (little-endian words): a binary search on (high, low)
 * pairs, the bounds check, and a 64-bit add with carry, all in numbers.
 */
const batchByHalves = (
  h: Halves,
  gpas: BigUint64Array,
  ramAddrs: BigUint64Array,
  mapped: Uint8Array,
): void => {
  const { startHi, startLo, lastHi, lastLo, deltaHi, deltaLo, ram, startF, lastF } = h
  const input = new Uint32Array(gpas.buffer, gpas.byteOffset, gpas.length * 2)
  const out = new Uint32Array(ramAddrs.buffer, ramAddrs.byteOffset, ramAddrs.length * 2)
  const n = startHi.length
  for (let k = 0; k < gpas.length; k++) {
    const gl = input[2 * k] as number
    const gh = input[2 * k + 1] as number
    let lo = 0
    let hi = n
    let i: number
    if (gh < 0x200000) {
      // below 2^53 the address is exact as a double, and so is every start it can pass
      const key = gh * 0x100000000 + gl
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if ((startF[mid] as number) <= key) lo = mid + 1
        else hi = mid
      }
      i = lo - 1
      if (i < 0 || ram[i] === 0 || key > (lastF[i] as number)) continue
    } else {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        const sh = startHi[mid] as number
        if (sh < gh || (sh === gh && (startLo[mid] as number) <= gl)) lo = mid + 1
        else hi = mid
      }
      i = lo - 1
      if (i < 0 || ram[i] === 0) continue
      const lh = lastHi[i] as number
      if (gh > lh || (gh === lh && gl > (lastLo[i] as number))) continue
    }
    const sum = gl + (deltaLo[i] as number)
    out[2 * k] = sum >>> 0
    out[2 * k + 1] = (gh + (deltaHi[i] as number) + (sum > 0xffffffff ? 1 : 0)) >>> 0
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
