import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { slotsOfRange, wantsSlot, KVM_MEM_READONLY } from '../../src/kvm/memslot.js'
import type { Region } from '../../src/region/region.js'
import type { FlatRange } from '../../src/flatview/flat-range.js'

const region = (over: Partial<Region> = {}): Region => ({
  id: 1 as Region['id'],
  name: 'r',
  kind: 'ram',
  size: 1n << 40n,
  addr: 0n,
  priority: 0,
  enabled: true,
  mayOverlap: false,
  readonly: false,
  romd: true,
  nonvolatile: false,
  aliasOffset: 0n,
  dirtyLog: 0,
  subregions: [],
  ...over,
})
const range = (start: bigint, end: bigint, offsetInRegion = 0n): FlatRange => ({
  start,
  end,
  region: 1 as Region['id'],
  offsetInRegion,
  readonly: false,
  nonvolatile: false,
  romd: true,
  dirtyLog: 0,
})

describe('which sections get KVM slots (kvm_set_phys_mem)', () => {
  it('slots RAM, read-only ROM and romd devices; never I/O or a ROM device in MMIO mode', () => {
    expect(wantsSlot()(region())).toBe(true)
    expect(wantsSlot()(region({ kind: 'io' }))).toBe(false)
    expect(wantsSlot()(region({ kind: 'romDevice', romd: true }))).toBe(true)
    expect(wantsSlot()(region({ kind: 'romDevice', romd: false }))).toBe(false)
    expect(wantsSlot({ readonlyMem: false })(region({ kind: 'romDevice', romd: true }))).toBe(false)
    expect(slotsOfRange(region({ readonly: true }), 0n)(range(0n, 0x1000n))[0]?.flags).toBe(
      KVM_MEM_READONLY,
    )
  })
})

describe('slot geometry (properties)', () => {
  test.prop(
    [
      fc.bigInt({ min: 0n, max: 1n << 36n }),
      fc.bigInt({ min: 0n, max: 1n << 34n }),
      // The maximum as a number of host pages; at least 1/512 of 2^34 so a run makes at
      // most a few hundred slots.
      fc.option(
        fc.bigInt({ min: 1n << 13n, max: 1n << 32n }).map((n) => n * 0x1000n),
        { nil: undefined },
      ),
    ],
    { numRuns: 1000 },
  )(
    'slots are whole host pages inside the range, contiguous, at most the maximum size, and keep ram_addr_t in step',
    (start, size, max) => {
      const r = range(start, start + size, 0x5000n)
      const slots = slotsOfRange(
        region(),
        0x100000n,
        max === undefined ? {} : { maxSlotSize: max },
      )(r)
      const alignedStart = ((start + 0xfffn) / 0x1000n) * 0x1000n
      const covered = slots.reduce((n, s) => n + s.size, 0n)
      const expected =
        alignedStart >= start + size ? 0n : ((start + size - alignedStart) / 0x1000n) * 0x1000n
      expect(covered).toBe(expected)
      let at = alignedStart
      for (const s of slots) {
        expect(s.gpa).toBe(at)
        expect(s.size % 0x1000n).toBe(0n)
        expect(s.size > 0n).toBe(true)
        if (max !== undefined) expect(s.size <= max).toBe(true)
        expect(s.ramAddr).toBe(0x100000n + 0x5000n + (s.gpa - start))
        at += s.size
      }
    },
  )
})
