// The SEV-SNP check finds the pairs of mirror slots that map one ram_addr_t twice by a
// sweep over the slots sorted by ram_addr_t; it must report what comparing every pair
// reports (the model below), in the same order.
import { describe, expect } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import { machines } from '../../src/index.js'
import * as mirror from '../../src/mirror/index.js'
import { tuples } from '../../src/arbitraries/mirror.js'
import { make as platformOf } from '../../src/confidential/platform.js'
import type { MirrorSlot } from '../../src/mirror/mirror-slot.js'
import type { MirrorPlan } from '../../src/mirror/plan.js'

const q35 = machines.fromDumps(machines.Q35)
if (E.isLeft(q35)) throw new Error(q35.left.message)
const map = q35.right.addressMap
const snp = platformOf({ kind: 'sev-snp', cbitpos: 47, reducedPhysBits: 1, maxPhysAddr: 48 })
if (E.isLeft(snp)) throw new Error(snp.left.message)

/** The pairs part of the check, the plain way: every pair of guest slots, in slot order. */
const pairsModel = (p: MirrorPlan): Array<readonly [bigint, bigint, bigint]> => {
  const guest = p.slots.filter((s) => s.source !== 'helper')
  const out: Array<readonly [bigint, bigint, bigint]> = []
  for (let i = 0; i < guest.length; i++)
    for (let j = i + 1; j < guest.length; j++) {
      const a = guest[i] as MirrorSlot
      const b = guest[j] as MirrorSlot
      if (a.mirrorGpa - a.ramAddr === b.mirrorGpa - b.ramAddr) continue
      const lo = a.ramAddr > b.ramAddr ? a.ramAddr : b.ramAddr
      const hi = a.ramAddr + a.size < b.ramAddr + b.size ? a.ramAddr + a.size : b.ramAddr + b.size
      if (lo < hi) out.push([lo, lo - a.ramAddr + a.mirrorGpa, lo - b.ramAddr + b.mirrorGpa])
    }
  return out
}

describe('SNP pair check by sweep', () => {
  test.prop([tuples(map, 1n << 40n, { maxTuples: 24, maxPages: 512 }), fc.boolean()], {
    numRuns: 60,
  })('reports the overlapping pairs every-pair comparison finds, in slot order', (ts, overlap) => {
    // a second copy of some tuples mirrored elsewhere: the same ram_addr_t twice
    const more = overlap
      ? ts.map((t, k) => ({
          ...t,
          mirrorGpa: (t.mirrorGpa + (1n << 36n) + BigInt(k) * 0x200000n) as typeof t.mirrorGpa,
        }))
      : []
    const r = mirror.plan({
      map,
      scheme: { kind: 'tuples', tuples: [...ts, ...more] },
      platform: snp.right,
    })
    const got = mirror
      .snpSingleMapping(r.plan)
      .flatMap((v) =>
        v.kind === 'snp-double-mapping' && v.message.includes('mapped twice in the mirror')
          ? [[v.ram.start, v.gpas[0], v.gpas[1]] as const]
          : [],
      )
    // the model's pairs, less those the main VM's own GPAs excuse (none here: tuples sit high)
    expect(got).toEqual(pairsModel(r.plan))
    if (overlap && ts.length > 0) expect(got.length).toBeGreaterThan(0)
  })
})
