/**
 * What a change of the main VM's map (a BAR move, a PAM switch) does to a mirror plan:
 * which declared tuples it invalidates (their main GPAs now map other memory, or none),
 * and the mirror slot operations that repair the plan, in the order QEMU's listener would
 * issue them (deletions, as size 0, then additions at the lowest free ids). Shifted
 * mappings depend on `ram_addr_t` only and never change; identity mappings follow the
 * main VM's view below 4 GiB.
 *
 * @module
 */
import type { Gpa } from '../addresses/kinds.js'
import type { AddrRange } from '../addresses/range.js'
import type { AddressMap } from '../translate/address-map.js'
import { piecesOfGpaRange } from '../translate/gpa-pieces.js'
import { withRamList } from './blocks.js'
import { sameMapping, type MirrorSlot } from './mirror-slot.js'
import { guestSlots, type MirrorPlan, type Scheme } from './plan.js'
import type { Tuple } from './tuple.js'
import { validate } from './validate.js'
import type { Violation } from './violation.js'

/** One `KVM_SET_USER_MEMORY_REGION` on the mirror VM: size 0 deletes the slot. */
export interface MirrorSlotOp {
  readonly slot: number
  readonly mirrorGpa: bigint
  readonly size: bigint
  readonly ramAddr: bigint
  readonly flags: number
}

/** A tuple whose main range changed backing, and where. */
export interface Invalidated {
  readonly tuple: number
  /** The main GPA ranges whose `ram_addr_t` differs (or that stopped or started being RAM). */
  readonly changed: ReadonlyArray<AddrRange<Gpa>>
}

/** The consequences of a map change. */
export interface AfterMove {
  readonly invalidated: ReadonlyArray<Invalidated>
  readonly ops: ReadonlyArray<MirrorSlotOp>
  /** The repaired plan. */
  readonly plan: MirrorPlan
  /** What is still wrong with it (a tuple that is no longer RAM-backed, say). */
  readonly violations: ReadonlyArray<Violation>
}

/**
 * The GPA ranges inside `r` whose backing differs between two maps: elementary intervals
 * between the pieces' boundaries, compared by `ram_addr_t - GPA` (or not RAM).
 */
export const changedRanges =
  (r: AddrRange<Gpa>) =>
  (before: AddressMap, after: AddressMap): ReadonlyArray<AddrRange<Gpa>> => {
    const a = piecesOfGpaRange(r)(before)
    const b = piecesOfGpaRange(r)(after)
    const cuts = new Set<bigint>([r.start, r.end])
    for (const p of [...a, ...b]) {
      cuts.add(p.gpa.start)
      cuts.add(p.gpa.end)
    }
    const points = [...cuts].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
    const deltaAt = (ps: typeof a, g: bigint): bigint | undefined => {
      const p = ps.find((q) => g >= q.gpa.start && g < q.gpa.end)
      return p === undefined ? undefined : p.ram.start - p.gpa.start
    }
    const out: Array<AddrRange<Gpa>> = []
    for (let i = 0; i + 1 < points.length; i++) {
      const s = points[i] as bigint
      const e = points[i + 1] as bigint
      if (s >= e || s < r.start || e > r.end) continue
      if (deltaAt(a, s) === deltaAt(b, s)) continue
      const last = out[out.length - 1]
      if (last !== undefined && last.end === s) out[out.length - 1] = { start: last.start, end: e }
      else out.push({ start: s as Gpa, end: e })
    }
    return out
  }

/**
 * Replans after the main VM's map changed from `plan.map` to `after` (same RAM list;
 * the helper's block is carried over and the helper stays where it is).
 *
 * @example
 * import { translate, mtree, infoRamblock, machines, topology, Gpa, MirrorGpa } from 'ramaddr'
 * import * as mirror from 'ramaddr/mirror'
 * import * as either from 'fp-ts/lib/Either.js'
 * const t = mtree.parse(machines.Q35.mtree)
 * const l = infoRamblock.parse(machines.Q35.ramblock)
 * assert.ok(either.isRight(t) && either.isRight(l))
 * const before = translate.make({ topology: t.right, ramList: l.right })
 * assert.ok(either.isRight(before))
 * // The migration helper wants the VGA framebuffer, declared by its current GPA.
 * const scheme = { kind: 'tuples', tuples: [{ mainGpa: Gpa.unsafe(0xfd000000n), length: 0x1000000n, mirrorGpa: MirrorGpa.unsafe(1n << 40n) }] }
 * const { plan } = mirror.plan({ map: before.right, scheme })
 * // Firmware moves the BAR to 0xe0000000.
 * const vram = topology.resolveRef('vga.vram')(t.right)
 * assert.ok(either.isRight(vram))
 * const moved = topology.setAddress(vram.right.id, 0xe0000000n)(t.right)
 * assert.ok(either.isRight(moved))
 * const after = translate.make({ topology: moved.right, ramList: l.right })
 * assert.ok(either.isRight(after))
 * const r = mirror.afterMove(after.right, scheme)(plan)
 * assert.deepEqual(r.invalidated, [{ tuple: 0, changed: [{ start: 0xfd000000n, end: 0xfe000000n }] }])
 * assert.deepEqual(r.ops.map((o) => [o.slot, o.size]), [[0, 0n]]) // the slot goes; nothing RAM-backed is there now
 * assert.equal(r.violations[0].kind, 'tuple-not-ram')
 */
export const afterMove =
  (after: AddressMap, scheme: Scheme) =>
  (plan: MirrorPlan): AfterMove => {
    const next = withRamList(plan.map.ramList)(after)
    const invalidated: Invalidated[] =
      scheme.kind === 'shifted'
        ? []
        : scheme.tuples.flatMap((tu: Tuple, tuple) => {
            const changed = changedRanges({ start: tu.mainGpa, end: tu.mainGpa + tu.length })(
              plan.map,
              next,
            )
            return changed.length > 0 ? [{ tuple, changed }] : []
          })
    const { slots: guest, violations } = guestSlots(scheme, {
      shift: plan.shift,
      exclude: plan.helper === undefined ? [] : [plan.helper.block],
      hostPageSize: plan.hostPageSize,
    })(next)
    // Keep every slot whose mapping is unchanged (with its id), delete the others, then
    // add the new mappings at the lowest free ids.
    const kept: MirrorSlot[] = []
    const deleted: MirrorSlot[] = []
    const remaining = [...guest]
    for (const s of plan.slots) {
      if (s.source === 'helper') {
        kept.push(s)
        continue
      }
      const i = remaining.findIndex((g) => sameMapping(g, s) && g.tuple === s.tuple)
      if (i >= 0) {
        kept.push(s)
        remaining.splice(i, 1)
      } else deleted.push(s)
    }
    const used = new Set(kept.map((s) => s.slot))
    const added: MirrorSlot[] = []
    let id = 0
    for (const g of remaining) {
      while (used.has(id)) id++
      used.add(id)
      added.push({ slot: id, ...g })
    }
    const slots = [...kept, ...added].sort((a, b) => a.slot - b.slot)
    const ops: MirrorSlotOp[] = [
      ...deleted.map((s) => ({
        slot: s.slot,
        mirrorGpa: s.mirrorGpa,
        size: 0n,
        ramAddr: s.ramAddr,
        flags: s.flags,
      })),
      ...added.map((s) => ({
        slot: s.slot,
        mirrorGpa: s.mirrorGpa,
        size: s.size,
        ramAddr: s.ramAddr,
        flags: s.flags,
      })),
    ]
    const repaired: MirrorPlan = { ...plan, slots, map: next }
    return {
      invalidated,
      ops,
      plan: repaired,
      violations: [...violations, ...validate(repaired)],
    }
  }
