/**
 * Translation between the main VM's GPAs, the mirror VM's GPAs and `ram_addr_t`, under
 * either scheme: a mirror GPA leads to the `ram_addr_t` its slot backs it with, and from
 * there to every main GPA that maps it now; a main GPA leads to its `ram_addr_t` and to
 * every mirror slot that maps that.
 *
 * @module
 */
import * as O from 'fp-ts/lib/Option.js'
import type { Gpa, MirrorGpa, RamAddr } from '../addresses/kinds.js'
import { gpasOfRamAddr, ramAddrOfGpa } from '../translate/address-map.js'
import { mirrorEnd, type MirrorSlot } from './mirror-slot.js'
import type { MirrorPlan } from './plan.js'

/** The slot holding a mirror GPA. */
export const slotAt =
  (m: MirrorGpa) =>
  (p: MirrorPlan): O.Option<MirrorSlot> =>
    O.fromNullable(p.slots.find((s) => m >= s.mirrorGpa && m < mirrorEnd(s)))

/** The `ram_addr_t` behind a mirror GPA. */
export const ramAddrOfMirror =
  (m: MirrorGpa) =>
  (p: MirrorPlan): O.Option<RamAddr> =>
    O.map((s: MirrorSlot) => (s.ramAddr + (m - s.mirrorGpa)) as RamAddr)(slotAt(m)(p))

/** Every mirror GPA that maps a `ram_addr_t`, ascending. */
export const mirrorGpasOfRamAddr =
  (r: RamAddr) =>
  (p: MirrorPlan): ReadonlyArray<MirrorGpa> =>
    p.slots
      .filter((s) => r >= s.ramAddr && r < s.ramAddr + s.size)
      .map((s) => (s.mirrorGpa + (r - s.ramAddr)) as MirrorGpa)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))

/**
 * Every mirror GPA at which the mirror sees what the main VM sees at `gpa`.
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
 * const { plan } = mirror.plan({ map: map.right, scheme: { kind: 'shifted', shift: 1n << 32n } })
 * // Low RAM is seen twice: 1:1 and at its ram_addr_t + 4 GiB.
 * assert.deepEqual(mirror.mirrorGpasOfMain(Gpa.unsafe(0x1000n))(plan), [0x1000n, 0x100001000n])
 * // The VGA BAR's RAM (vga.vram, ram_addr_t 0x20080000) is at 0x120080000 whatever its BAR says.
 * assert.deepEqual(mirror.mainGpasOfMirror(MirrorGpa.unsafe(0x120080000n))(plan), [0xfd000000n])
 */
export const mirrorGpasOfMain =
  (gpa: Gpa) =>
  (p: MirrorPlan): ReadonlyArray<MirrorGpa> =>
    O.match(
      () => [],
      (r: RamAddr) => mirrorGpasOfRamAddr(r)(p),
    )(ramAddrOfGpa(gpa)(p.map))

/** Every main GPA that maps what the mirror sees at `m`, ascending. */
export const mainGpasOfMirror =
  (m: MirrorGpa) =>
  (p: MirrorPlan): ReadonlyArray<Gpa> =>
    O.match(
      () => [],
      (r: RamAddr) => gpasOfRamAddr(r)(p.map),
    )(ramAddrOfMirror(m)(p))
