/**
 * The second mirror-VM scheme: the migration helper declares `(main GPA, length, mirror
 * GPA)` tuples (for example when the guest first writes `MSR_KVM_MIGRATION_CONTROL`), and
 * the VMM maps each as mirror memslots over the RAM that backs the main GPA range now.
 *
 * @module
 */
import * as t from 'io-ts/lib/index.js'
import * as O from 'fp-ts/lib/Option.js'
import type { Gpa, MirrorGpa, RamAddr } from '../addresses/kinds.js'
import { GpaFromHex, MirrorGpaFromHex, SizeFromHex } from '../addresses/codec.js'
import { toHex } from '../addresses/hex.js'
import type { AddrRange } from '../addresses/range.js'
import { piecesOfGpaRange } from '../translate/gpa-pieces.js'
import { translationOfGpa, type AddressMap } from '../translate/address-map.js'
import { blockAt } from '../ramblock/ram-list.js'
import type { UnnumberedSlot } from './mirror-slot.js'
import type { Violation } from './violation.js'

/** A declared mapping: `length` bytes at `mainGpa` in the main VM appear at `mirrorGpa`. */
export interface Tuple {
  readonly mainGpa: Gpa
  readonly length: bigint
  readonly mirrorGpa: MirrorGpa
}

/** io-ts codec for a list of tuples: `[{"mainGpa": "0x…", "length": "0x…", "mirrorGpa": "0x…"}]`. */
export const TuplesCodec = t.readonlyArray(
  t.type({ mainGpa: GpaFromHex, length: SizeFromHex, mirrorGpa: MirrorGpaFromHex }),
)

/** The idstr of the RAMBlock holding a `ram_addr_t` (`?` if none: never for a RAM piece). */
const idstrAt = (ramAddr: RamAddr, map: AddressMap): string =>
  O.match(
    () => '?',
    (b: { readonly block: { readonly idstr: string } }) => b.block.idstr,
  )(blockAt(ramAddr)(map.ramList))

/** The RAM pieces of a tuple's main range, merged where GPA and `ram_addr_t` both continue. */
export const tuplePieces =
  (tu: Tuple) =>
  (
    map: AddressMap,
  ): ReadonlyArray<{ readonly gpa: AddrRange<Gpa>; readonly ram: AddrRange<RamAddr> }> => {
    const out: Array<{ gpa: AddrRange<Gpa>; ram: AddrRange<RamAddr> }> = []
    for (const p of piecesOfGpaRange({ start: tu.mainGpa, end: tu.mainGpa + tu.length })(map)) {
      const prev = out[out.length - 1]
      if (
        prev !== undefined &&
        prev.gpa.end === p.gpa.start &&
        prev.ram.end === p.ram.start &&
        idstrAt(prev.ram.start, map) === idstrAt(p.ram.start, map)
      )
        out[out.length - 1] = {
          gpa: { start: prev.gpa.start, end: p.gpa.end },
          ram: { start: prev.ram.start, end: p.ram.end },
        }
      else out.push({ gpa: p.gpa, ram: p.ram })
    }
    return out
  }

const describeAt = (gpa: bigint, map: AddressMap): string => {
  const tr = translationOfGpa(gpa as Gpa)(map)
  return tr._tag === 'Mmio' ? `MMIO region ${tr.region.name}` : 'nothing'
}

/**
 * Checks each tuple against the main VM's current view (nonzero, 4 KiB-aligned, no
 * wrap, RAM-backed throughout) and turns the valid ones into mirror slots, one per
 * RAM piece. Every bad tuple is reported, naming the first hole and what is there.
 *
 * @example
 * import { translate, mtree, infoRamblock, machines, Gpa, MirrorGpa } from 'ramaddr'
 * import * as mirror from 'ramaddr/mirror'
 * import * as either from 'fp-ts/lib/Either.js'
 * const t = mtree.parse(machines.Q35.mtree)
 * const l = infoRamblock.parse(machines.Q35.ramblock)
 * assert.ok(either.isRight(t) && either.isRight(l))
 * const map = translate.make({ topology: t.right, ramList: l.right })
 * assert.ok(either.isRight(map))
 * // 1 MiB of low RAM, and a range that runs into the VGA window at 0xa0000.
 * const r = mirror.tupleSlots([
 *   { mainGpa: Gpa.unsafe(0x100000n), length: 0x100000n, mirrorGpa: MirrorGpa.unsafe(1n << 40n) },
 *   { mainGpa: Gpa.unsafe(0x90000n), length: 0x20000n, mirrorGpa: MirrorGpa.unsafe(1n << 41n) },
 * ])(map.right)
 * assert.equal(r.slots.length, 1)
 * assert.equal(r.slots[0].ramAddr, 0x100000n)
 * assert.equal(r.violations[0].kind, 'tuple-not-ram')
 * assert.match(r.violations[0].message, /0xa0000.*MMIO region vga-lowmem/)
 */
export const tupleSlots =
  (tuples: ReadonlyArray<Tuple>, pageSize = 0x1000n) =>
  (
    map: AddressMap,
  ): {
    readonly slots: ReadonlyArray<UnnumberedSlot>
    readonly violations: ReadonlyArray<Violation>
  } => {
    const slots: UnnumberedSlot[] = []
    const violations: Violation[] = []
    tuples.forEach((tu, index) => {
      const name = `tuple ${index} (${toHex(tu.mainGpa)}+${toHex(tu.length)} -> ${toHex(tu.mirrorGpa)})`
      const bad = (why: string): void => {
        violations.push({ kind: 'tuple-invalid', tuple: index, message: `${name}: ${why}` })
      }
      if (tu.length === 0n) return bad('the length is 0')
      if (
        tu.mainGpa % pageSize !== 0n ||
        tu.length % pageSize !== 0n ||
        tu.mirrorGpa % pageSize !== 0n
      )
        return bad(`not aligned to ${toHex(pageSize)}-byte pages`)
      if (tu.mainGpa + tu.length > 1n << 64n || tu.mirrorGpa + tu.length > 1n << 64n)
        return bad('runs past the top of the 64-bit address space')
      const pieces = tuplePieces(tu)(map)
      let at: bigint = tu.mainGpa
      for (const p of pieces) {
        if (p.gpa.start !== at) break
        at = p.gpa.end
      }
      if (at !== tu.mainGpa + tu.length) {
        const holeEnd = pieces.find((p) => p.gpa.start > at)?.gpa.start ?? tu.mainGpa + tu.length
        violations.push({
          kind: 'tuple-not-ram',
          tuple: index,
          hole: { start: at, end: holeEnd },
          message: `${name}: main GPA ${toHex(at)}-${toHex(holeEnd - 1n)} is not RAM-backed (${describeAt(at, map)} is there)`,
        })
        return
      }
      for (const p of pieces) {
        slots.push({
          mirrorGpa: (tu.mirrorGpa + (p.gpa.start - tu.mainGpa)) as MirrorGpa,
          size: p.gpa.end - p.gpa.start,
          ramAddr: p.ram.start,
          block: idstrAt(p.ram.start, map),
          source: 'tuple',
          flags: 0,
          tuple: index,
        })
      }
      return undefined
    })
    return { slots, violations }
  }
