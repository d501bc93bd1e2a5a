import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import { PageIndex } from '../../src/addresses/kinds.js'
import * as kernel from '../../src/kvm/kernel-dirty.js'
import type { KernelDirty } from '../../src/kvm/kernel-dirty.js'

const PAGES = 200 // not a multiple of 64, to exercise the slot end
/** A number as a page, unchecked: the kernel refuses pages past the slot's end. */
const P = PageIndex.unsafe
const slotOp = (slot: number, flags = 1) => ({
  slot,
  flags,
  gpa: BigInt(slot) << 32n,
  size: BigInt(PAGES) * 0x1000n,
  ramAddr: 0n,
})
const pagesOf = (words: BigUint64Array): number[] => {
  const out: number[] = []
  words.forEach((w, i) => {
    for (let b = 0; b < 64; b++) if ((w >> BigInt(b)) & 1n) out.push(i * 64 + b)
  })
  return out
}
const writes = fc.array(fc.tuple(fc.nat(1), fc.integer({ min: -2, max: PAGES + 2 }).map(P)), {
  maxLength: 300,
})

describe('KVM bitmap-mode dirty log (properties)', () => {
  test.prop([writes], { numRuns: 1000 })(
    'GET_DIRTY_LOG reports exactly the pages written, then starts over',
    (ws) => {
      let k: KernelDirty = kernel.init({
        kind: 'bitmap',
        manualProtect: false,
        initiallySet: false,
      })
      k = kernel.setUserMemoryRegion(slotOp(0))(k)
      k = kernel.setUserMemoryRegion(slotOp(1, 0))(k) // not logging
      const want = new Set<number>()
      for (const [slot, page] of ws) {
        k = kernel.guestWrite(0, slot, page)(k).kernel
        if (slot === 0 && page >= 0 && page < PAGES) want.add(page)
      }
      const got = kernel.getDirtyLog(0)(k)
      if (E.isLeft(got)) throw new Error(got.left.message)
      expect(pagesOf(got.right.bitmap)).toEqual([...want].sort((a, b) => a - b))
      const again = kernel.getDirtyLog(0)(got.right.kernel)
      expect(E.isRight(again) && pagesOf(again.right.bitmap)).toEqual([])
      expect(E.isLeft(kernel.getDirtyLog(1)(k))).toBe(true)
    },
  )
  test.prop([writes, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 4 })], {
    numRuns: 1000,
  })(
    'with manual protect only CLEAR_DIRTY_LOG clears, and only in 64-page units or up to the slot end',
    (ws, firstChunk, chunks) => {
      let k: KernelDirty = kernel.init({ kind: 'bitmap', manualProtect: true, initiallySet: false })
      k = kernel.setUserMemoryRegion(slotOp(0))(k)
      for (const [, page] of ws) k = kernel.guestWrite(0, 0, page)(k).kernel
      const before = kernel.getDirtyLog(0)(k)
      if (E.isLeft(before)) throw new Error('get')
      expect(before.right.kernel).toBe(k) // not cleared
      const first = firstChunk * 64
      const num = Math.min(chunks * 64, PAGES - first)
      const all = BigUint64Array.from({ length: 4 }, () => (1n << 64n) - 1n)
      const cleared = kernel.clearDirtyLog(0, { words: all, base: P(first), pages: num })(k)
      if (first > PAGES) return
      if (E.isLeft(cleared)) throw new Error(cleared.left.message)
      const after = kernel.getDirtyLog(0)(cleared.right)
      if (E.isLeft(after)) throw new Error('get')
      expect(pagesOf(after.right.bitmap)).toEqual(
        pagesOf(before.right.bitmap).filter((p) => p < first || p >= first + num),
      )
    },
  )
  it('refuses misaligned clears and clears without manual protect', () => {
    let k = kernel.setUserMemoryRegion(slotOp(0))(
      kernel.init({ kind: 'bitmap', manualProtect: true, initiallySet: true }),
    )
    const ones = BigUint64Array.of((1n << 64n) - 1n)
    const clear = (slot: number, base: number, pages: number) =>
      kernel.clearDirtyLog(slot, { words: ones, base: P(base), pages })(k)
    expect(pipeTag(clear(0, 1, 64))).toBe('EINVAL')
    expect(pipeTag(clear(0, 0, 63))).toBe('EINVAL')
    expect(pipeTag(clear(0, 192, 8))).toBe('ok') // reaches the slot end
    expect(pipeTag(clear(5, 0, 64))).toBe('ENOENT')
    // without a page count, every bit of the words: 64 pages
    expect(pipeTag(kernel.clearDirtyLog(0, { words: ones, base: P(0) })(k))).toBe('ok')
    expect(pipeTag(kernel.clearDirtyLog(0, { words: ones, base: P(192) })(k))).toBe('EINVAL')
    // INITIALLY_SET: a new logging slot reports every page dirty
    const got = kernel.getDirtyLog(0)(k)
    expect(E.isRight(got) && pagesOf(got.right.bitmap).length).toBe(PAGES)
    k = kernel.setUserMemoryRegion(slotOp(0))(
      kernel.init({ kind: 'bitmap', manualProtect: false, initiallySet: false }),
    )
    expect(pipeTag(kernel.clearDirtyLog(0, { words: ones, base: P(0), pages: 64 })(k))).toBe(
      'EINVAL',
    )
  })
})

const pipeTag = (r: E.Either<{ _tag: string }, unknown>): string =>
  E.isLeft(r) ? r.left._tag : 'ok'

describe('KVM dirty ring (properties)', () => {
  const mode = { kind: 'ring' as const, size: 128, reserved: 64 }
  test.prop([writes], { numRuns: 1000 })(
    'each written page is reported once per reset, in write order, and the soft limit raises ring-full',
    (ws) => {
      let k: KernelDirty = kernel.init(mode, 2)
      k = kernel.setUserMemoryRegion(slotOp(0))(k)
      const reported: number[] = []
      for (const [vcpu, page] of ws) {
        const r = kernel.guestWrite(vcpu, 0, page)(k)
        k = r.kernel
        if (r.ringFull) {
          // the VMM reaps every ring and resets, as QEMU does on KVM_EXIT_DIRTY_RING_FULL
          for (let v = 0; v < 2; v++) {
            const h = kernel.harvest(v)(k)
            k = h.kernel
            reported.push(...h.entries.map((e) => e.offset))
          }
          const reset = kernel.resetDirtyRings(k)
          k = reset.kernel
        }
        expect(k.rings.every((ring) => ring.dirtyIndex - ring.resetIndex <= ring.size)).toBe(true)
      }
      for (let v = 0; v < 2; v++) {
        const h = kernel.harvest(v)(k)
        k = h.kernel
        reported.push(...h.entries.map((e) => e.offset))
      }
      // every page written shows up, and no page twice between resets
      const written = new Set(ws.filter(([, p]) => p >= 0 && p < PAGES).map(([, p]) => p))
      expect(new Set(reported)).toEqual(written)
      const { reset } = kernel.resetDirtyRings(k)
      expect(reset).toBe(k.rings.reduce((n, ring) => n + ring.fetchIndex - ring.resetIndex, 0))
    },
  )
  it('stops at the first entry not yet DIRTY and keeps deleted slots out of later resets', () => {
    let k = kernel.setUserMemoryRegion(slotOp(3))(kernel.init(mode, 1))
    k = kernel.guestWrite(0, 3, P(5))(k).kernel
    k = kernel.guestWrite(0, 3, P(5))(k).kernel // already reported: no second entry
    k = kernel.guestWrite(0, 3, P(6))(k).kernel
    const h = kernel.harvest(0)(k)
    expect(h.entries).toEqual([
      { flags: kernel.KVM_DIRTY_GFN_F_DIRTY, slot: 3, offset: 5 },
      { flags: kernel.KVM_DIRTY_GFN_F_DIRTY, slot: 3, offset: 6 },
    ])
    expect(kernel.harvest(0)(h.kernel).entries).toEqual([])
    const gone = kernel.setUserMemoryRegion({ ...slotOp(3), size: 0n })(h.kernel)
    expect(kernel.resetDirtyRings(gone).reset).toBe(2)
  })
})
