/**
 * The validators of a mirror plan: overlapping mirror ranges, ranges beyond the usable
 * width, guest memory colliding with the helper's own, SEV-SNP's one-GPA-per-page rule
 * (the RMP records one GPA per page and ASID, and the mirror shares the main VM's ASID),
 * and the vTOM split (helper-private memory below vTOM, memory shared with the main VM at
 * or above it).
 *
 * @module
 */
import { toHex } from '../addresses/hex.js'
import { subtract, type AddrRange } from '../addresses/range.js'
import { gpaRangesOfRamRange } from '../translate/address-map.js'
import { mirrorEnd, type MirrorSlot } from './mirror-slot.js'
import type { MirrorPlan } from './plan.js'
import type { Violation } from './violation.js'

const span = (s: MirrorSlot): string => `${toHex(s.mirrorGpa)}-${toHex(mirrorEnd(s) - 1n)}`
const name = (s: MirrorSlot): string => `slot ${s.slot} (${s.source} ${s.block}, mirror ${span(s)})`

/** Mirror slots that share mirror GPAs, pairwise (helper pairs reported as collisions). */
export const overlaps = (p: MirrorPlan): ReadonlyArray<Violation> => {
  const out: Violation[] = []
  const sorted = [...p.slots].sort((a, b) =>
    a.mirrorGpa < b.mirrorGpa ? -1 : a.mirrorGpa > b.mirrorGpa ? 1 : a.slot - b.slot,
  )
  const open: MirrorSlot[] = []
  for (const s of sorted) {
    for (let i = open.length - 1; i >= 0; i--)
      if (mirrorEnd(open[i] as MirrorSlot) <= s.mirrorGpa) open.splice(i, 1)
    for (const o of open) {
      const start = s.mirrorGpa
      const end = mirrorEnd(s) < mirrorEnd(o) ? mirrorEnd(s) : mirrorEnd(o)
      const helper = o.source === 'helper' ? o : s.source === 'helper' ? s : undefined
      const other = helper === o ? s : o
      if (helper !== undefined && other.source !== 'helper')
        out.push({
          kind: 'helper-collision',
          slot: other.slot,
          range: { start: other.mirrorGpa, end: mirrorEnd(other) },
          helper: { start: helper.mirrorGpa, end: mirrorEnd(helper) },
          message: `${name(other)} collides with the helper's memory ${span(helper)}`,
        })
      else
        out.push({
          kind: 'overlap',
          slots: [o.slot, s.slot],
          range: { start, end },
          message: `${name(o)} and ${name(s)} overlap at ${toHex(start)}-${toHex(end - 1n)}`,
        })
    }
    open.push(s)
  }
  return out
}

/** Slots that end beyond the usable width. */
export const beyondWidth = (p: MirrorPlan): ReadonlyArray<Violation> =>
  p.slots.flatMap((s) =>
    mirrorEnd(s) > p.limit
      ? [
          {
            kind: 'beyond-width' as const,
            slot: s.slot,
            range: { start: s.mirrorGpa as bigint, end: mirrorEnd(s) },
            limit: p.limit,
            message: `${name(s)} ends beyond the usable physical limit ${toHex(p.limit)}`,
          },
        ]
      : [],
  )

/**
 * SEV-SNP: a page may be mapped at only one GPA per ASID. For every guest-memory slot,
 * each part of its `ram_addr_t` range that the main VM maps at another GPA is a
 * violation, and so is each part two mirror slots map at different mirror GPAs.
 */
export const snpSingleMapping = (p: MirrorPlan): ReadonlyArray<Violation> => {
  if (p.platform?.kind !== 'sev-snp') return []
  const out: Violation[] = []
  const guest = p.slots.filter((s) => s.source !== 'helper')
  // The parts of a slot's ram_addr_t range that the main VM maps at the slot's own GPA
  // (an identity mapping adds no second GPA).
  const sameAsMain = (s: MirrorSlot): ReadonlyArray<AddrRange<bigint>> =>
    gpaRangesOfRamRange({ start: s.ramAddr, end: s.ramAddr + s.size })(p.map)
      .filter((q) => q.gpa.start - q.ram.start === s.mirrorGpa - s.ramAddr)
      .map((q) => q.ram)
  const minus = (
    r: AddrRange<bigint>,
    holes: ReadonlyArray<AddrRange<bigint>>,
  ): ReadonlyArray<AddrRange<bigint>> =>
    holes.reduce<ReadonlyArray<AddrRange<bigint>>>(
      (parts, h) => parts.flatMap((x) => subtract(h)(x)),
      [r],
    )
  for (const s of guest) {
    const delta = s.mirrorGpa - s.ramAddr
    const same = sameAsMain(s)
    for (const piece of gpaRangesOfRamRange({ start: s.ramAddr, end: s.ramAddr + s.size })(p.map)) {
      if (piece.gpa.start - piece.ram.start === delta) continue
      for (const part of minus(piece.ram, same)) {
        const mainAt = part.start - piece.ram.start + piece.gpa.start
        const mirrorAt = part.start + delta
        out.push({
          kind: 'snp-double-mapping',
          ram: part,
          gpas: [mainAt, mirrorAt],
          message: `SEV-SNP: ram_addr_t ${toHex(part.start)}-${toHex(part.end - 1n)} is mapped at main GPA ${toHex(mainAt)} and at mirror GPA ${toHex(mirrorAt)} by ${name(s)}; the RMP allows one GPA per page and ASID`,
        })
      }
    }
  }
  // Pairs of slots whose ram_addr_t ranges overlap, found by a sweep over the slots sorted
  // by ram_addr_t (n log n, plus the pairs themselves), then taken in slot order as the
  // plain double loop would take them.
  const order = guest
    .map((_, i) => i)
    .sort((x, y) => {
      const a = (guest[x] as MirrorSlot).ramAddr
      const b = (guest[y] as MirrorSlot).ramAddr
      return a < b ? -1 : a > b ? 1 : x - y
    })
  const pairs: Array<readonly [number, number]> = []
  let active: number[] = []
  for (const k of order) {
    const start = (guest[k] as MirrorSlot).ramAddr
    active = active.filter((a) => {
      const s = guest[a] as MirrorSlot
      return s.ramAddr + s.size > start
    })
    for (const a of active) pairs.push(a < k ? [a, k] : [k, a])
    active.push(k)
  }
  pairs.sort((p, q) => p[0] - q[0] || p[1] - q[1])
  const sameCache = new Map<MirrorSlot, ReadonlyArray<AddrRange<bigint>>>()
  const sameOf = (slot: MirrorSlot): ReadonlyArray<AddrRange<bigint>> => {
    const hit = sameCache.get(slot)
    if (hit !== undefined) return hit
    const v = sameAsMain(slot)
    sameCache.set(slot, v)
    return v
  }
  for (const [i, j] of pairs) {
    const a = guest[i] as MirrorSlot
    const b = guest[j] as MirrorSlot
    if (a.mirrorGpa - a.ramAddr === b.mirrorGpa - b.ramAddr) continue
    const lo = a.ramAddr > b.ramAddr ? a.ramAddr : b.ramAddr
    const hi = a.ramAddr + a.size < b.ramAddr + b.size ? a.ramAddr + a.size : b.ramAddr + b.size
    if (lo >= hi) continue
    // Where both slots sit at GPAs the main VM itself uses, the mirror adds nothing.
    const both = sameOf(a).flatMap((x) =>
      sameOf(b).flatMap((y) => {
        const s2 = x.start > y.start ? x.start : y.start
        const e2 = x.end < y.end ? x.end : y.end
        return s2 < e2 ? [{ start: s2, end: e2 }] : []
      }),
    )
    for (const part of minus({ start: lo, end: hi }, both)) {
      const ga = part.start - a.ramAddr + a.mirrorGpa
      const gb = part.start - b.ramAddr + b.mirrorGpa
      out.push({
        kind: 'snp-double-mapping',
        ram: part,
        gpas: [ga, gb],
        message: `SEV-SNP: ram_addr_t ${toHex(part.start)}-${toHex(part.end - 1n)} is mapped twice in the mirror, at ${toHex(ga)} by ${name(a)} and at ${toHex(gb)} by ${name(b)}; the RMP allows one GPA per page and ASID`,
      })
    }
  }
  return out
}

/** vTOM: helper memory must lie below vTOM, memory shared with the main VM at or above. */
export const vtomSplit = (p: MirrorPlan): ReadonlyArray<Violation> => {
  const vtom = p.platform?.vtom
  if (vtom === undefined) return []
  return p.slots.flatMap((s): Violation[] => {
    const range = { start: s.mirrorGpa as bigint, end: mirrorEnd(s) }
    if (s.source === 'helper')
      return mirrorEnd(s) > vtom
        ? [
            {
              kind: 'vtom-private-above',
              slot: s.slot,
              range,
              vtom,
              message: `${name(s)} is the helper's private memory but reaches vTOM ${toHex(vtom)}`,
            },
          ]
        : []
    return s.mirrorGpa < vtom
      ? [
          {
            kind: 'vtom-shared-below',
            slot: s.slot,
            range,
            vtom,
            message: `${name(s)} is shared with the main VM but starts below vTOM ${toHex(vtom)}`,
          },
        ]
      : []
  })
}

/** Every validator, in the order above. */
export const validate = (p: MirrorPlan): ReadonlyArray<Violation> => [
  ...overlaps(p),
  ...beyondWidth(p),
  ...snpSingleMapping(p),
  ...vtomSplit(p),
]
