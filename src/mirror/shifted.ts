/**
 * The first mirror-VM scheme: the bottom 4 GiB of the main guest mapped 1:1, and every
 * RAMBlock mapped at its `ram_addr_t` plus a shift (4 GiB, or a huge value such as
 * `2^(MAXPHYADDR - reduction - 1)`). Because `ram_addr_t` never moves, the shifted part
 * does not depend on the main VM's map at all; the identity part follows the main VM's
 * view below 4 GiB.
 *
 * @module
 */
import * as O from 'fp-ts/lib/Option.js'
import type { MirrorGpa, RamAddr } from '../addresses/kinds.js'
import { KVM_MEM_READONLY } from '../kvm/memslot.js'
import { slotsOf } from '../kvm/from-map.js'
import type { AddressMap } from '../translate/address-map.js'
import { blockAt, byOffset } from '../ramblock/ram-list.js'
import type { UnnumberedSlot } from './mirror-slot.js'

/** 4 GiB: the top of the identity-mapped part, and the small shift. */
export const FOUR_GIB = 1n << 32n

/** Options of the shifted scheme. */
export interface ShiftedOptions {
  /** What `ram_addr_t` is shifted by. */
  readonly shift: bigint
  /** The identity-mapped part is `[0, identityLimit)`; default 4 GiB, 0 for none. */
  readonly identityLimit?: bigint
  /** RAMBlocks not to map (the helper's own block). */
  readonly exclude?: ReadonlyArray<string>
  /** Host page size: slot sizes are whole host pages (default 4 KiB). */
  readonly hostPageSize?: bigint
}

/**
 * The identity slots: the main VM's KVM slots (RAM, ROM and romd sections, shrunk to
 * whole host pages, read-only kept) clipped to `[0, limit)`, at the same GPAs.
 */
export const identitySlots =
  (limit: bigint = FOUR_GIB, hostPageSize = 0x1000n) =>
  (map: AddressMap): ReadonlyArray<UnnumberedSlot> =>
    slotsOf({ hostPageSize })(map).flatMap((s) => {
      if (s.gpa >= limit) return []
      const size = (s.gpa + s.size < limit ? s.size : limit - s.gpa) as bigint
      return [
        {
          mirrorGpa: s.gpa as MirrorGpa,
          size,
          ramAddr: s.ramAddr as RamAddr,
          block: O.match(
            () => '?',
            (b: { readonly block: { readonly idstr: string } }) => b.block.idstr,
          )(blockAt(s.ramAddr as RamAddr)(map.ramList)),
          source: 'identity' as const,
          flags: s.flags & KVM_MEM_READONLY,
        },
      ]
    })

/**
 * The shifted slots: every RAMBlock (but the excluded ones), in `ram_addr_t` order, at
 * `offset + shift`, its used length rounded up to host pages.
 */
export const shiftedSlots =
  (shift: bigint, exclude: ReadonlyArray<string> = [], hostPageSize = 0x1000n) =>
  (map: AddressMap): ReadonlyArray<UnnumberedSlot> =>
    byOffset(map.ramList)
      .filter((b) => !exclude.includes(b.idstr))
      .map((b) => ({
        mirrorGpa: (b.offset + shift) as MirrorGpa,
        size: ((b.usedLength + hostPageSize - 1n) / hostPageSize) * hostPageSize,
        ramAddr: b.offset,
        block: b.idstr,
        source: 'shifted' as const,
        flags: 0,
      }))

/**
 * Both parts of the scheme, identity slots first (by GPA), then shifted ones.
 *
 * @example
 * import { translate, mtree, infoRamblock, machines } from 'ramaddr'
 * import * as mirror from 'ramaddr/mirror'
 * import * as either from 'fp-ts/lib/Either.js'
 * const t = mtree.parse(machines.Q35.mtree)
 * const l = infoRamblock.parse(machines.Q35.ramblock)
 * assert.ok(either.isRight(t) && either.isRight(l))
 * const map = translate.make({ topology: t.right, ramList: l.right })
 * assert.ok(either.isRight(map))
 * const slots = mirror.shiftedScheme({ shift: 1n << 32n })(map.right)
 * // pc.ram (512 MiB at ram_addr_t 0) appears at 0 (identity) and at 4 GiB (shifted).
 * const pcRam = slots.filter((s) => s.block === 'pc.ram')
 * assert.deepEqual(pcRam.map((s) => [s.source, s.mirrorGpa]), [['identity', 0n], ['identity', 0xc4000n], ['identity', 0x100000n], ['shifted', 1n << 32n]].filter(([k]) => pcRam.some((s) => s.source === k)).filter((x) => pcRam.some((s) => s.mirrorGpa === x[1])))
 * assert.equal(pcRam.find((s) => s.source === 'shifted').size, 0x20000000n)
 */
export const shiftedScheme =
  (o: ShiftedOptions) =>
  (map: AddressMap): ReadonlyArray<UnnumberedSlot> => [
    ...identitySlots(o.identityLimit ?? FOUR_GIB, o.hostPageSize)(map),
    ...shiftedSlots(o.shift, o.exclude, o.hostPageSize)(map),
  ]
