// Precopy through the whole pipeline (KVM log -> dirty memory -> migration bitmap): no
// page the guest writes while a round is sent is missed by a later round, across BAR
// moves, in every logging mode; rounds stop at the threshold or the round limit.
import { describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { Gpa, mtree, ramblock, topology } from '../../src/index.js'
import * as dirty from '../../src/dirty/index.js'
import * as migration from '../../src/migration/index.js'
import type { GuestStep } from '../../src/migration/precopy.js'
import type { LogMode } from '../../src/kvm/kernel-dirty.js'

const right = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}

const TREE = `address-space: memory
  0000000000000000-ffffffffffffffff (prio 0, i/o): system
    0000000000000000-00000000003fffff (prio 0, ram): alias ram-below-4g @pc.ram 0000000000000000-00000000003fffff
    0000000000000000-ffffffffffffffff (prio -1, i/o): pci
      00000000fd000000-00000000fd0fffff (prio 1, ram): vga.vram

memory-region: pc.ram
  0000000000000000-00000000003fffff (prio 0, ram): pc.ram

`
const t0 = right(mtree.parse(TREE))
const list = right(
  pipe(
    E.right(ramblock.empty()),
    E.chain(ramblock.add({ idstr: 'pc.ram', usedLength: 0x400000n })),
    E.chain(ramblock.add({ idstr: '0000:00:02.0/vga.vram', usedLength: 0x100000n })),
  ),
)
const vramBlock = list.blocks.find((b) => b.idstr.endsWith('vga.vram'))!
const vram = right(topology.resolveRef('vga.vram')(t0))

type Op =
  | { readonly kind: 'ram'; readonly page: number }
  | { readonly kind: 'vram'; readonly page: number }
  | { readonly kind: 'move'; readonly to: bigint }
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant('ram' as const), page: fc.nat({ max: 1023 }) }),
    weight: 4,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('vram' as const), page: fc.nat({ max: 255 }) }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('move' as const),
      to: fc.constantFrom(0xfd000000n, 0xe0000000n, 0xf0000000n, 0x800000000n),
    }),
    weight: 1,
  },
)
const modes: ReadonlyArray<LogMode> = [
  { kind: 'bitmap', manualProtect: false, initiallySet: false },
  { kind: 'bitmap', manualProtect: true, initiallySet: true },
  { kind: 'ring', size: 256, reserved: 64 },
]

describe('precopy', () => {
  test.prop(
    [
      fc.array(fc.array(op, { maxLength: 12 }), { minLength: 1, maxLength: 8 }),
      fc.nat({ max: 40 }),
      fc.constantFrom(...modes),
    ],
    { numRuns: 150 },
  )('every page written during a round is sent by a later round', (plan, threshold, mode) => {
    // Resolve the guest's steps into GPAs now, tracking where the BAR is.
    let bar = 0xfd000000n
    const written: Array<{ round: number; page: number }> = []
    const steps: GuestStep[][] = plan.map((ops, round) =>
      ops.map((o): GuestStep => {
        if (o.kind === 'move') {
          bar = o.to
          return { _tag: 'Topology', topology: right(topology.setAddress(vram.id, o.to)(t0)) }
        }
        if (o.kind === 'ram') {
          written.push({ round, page: o.page })
          return { _tag: 'Write', vcpu: 0, gpa: Gpa.unsafe(BigInt(o.page) << 12n) }
        }
        written.push({ round, page: Number(vramBlock.offset >> 12n) + o.page })
        return { _tag: 'Write', vcpu: 0, gpa: Gpa.unsafe(bar + (BigInt(o.page) << 12n)) }
      }),
    )
    const tr = right(dirty.tracker.start({ mode })(t0, list))
    const mb = right(migration.bitmap.start()(list))
    const maxRounds = plan.length + 1
    const r = right(
      migration.precopy.precopy({
        thresholdPages: threshold,
        maxRounds,
        workload: (i) => steps[i] ?? [],
      })(tr, mb),
    )
    const last = r.rounds[r.rounds.length - 1]!
    expect(last.final).toBe(true)
    expect(r.rounds.filter((x) => x.final)).toHaveLength(1)
    expect(r.rounds.length).toBeLessThanOrEqual(maxRounds)
    expect(r.converged).toBe(last.pending <= threshold)
    expect(migration.bitmap.remaining(r.bitmap)).toBe(0)
    // The first round sends all of RAM.
    expect(r.rounds[0]!.sent.length).toBe((0x400000 + 0x100000) / 0x1000)
    for (const w of written) {
      if (w.round >= r.rounds.length - 1) continue // written after the final round began: never run
      const later = r.rounds.slice(w.round + 1).some((x) => x.sent.some((p) => p === w.page))
      expect(later, `page ${w.page.toString(16)} written in round ${w.round}`).toBe(true)
    }
  })
})
