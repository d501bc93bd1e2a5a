// Conformance of the RAMBlock layer with every recorded QEMU 7.2 `info ramblock`:
// (1) the text round-trips byte for byte; (2) QEMU's allocator, fed the blocks in
// creation order (ascending offset: no block was ever freed), reproduces every offset and
// QEMU's list order.
import { describe, expect, it } from 'vitest'
import { either as E } from 'fp-ts'
import { pipe } from 'fp-ts/lib/function.js'
import { format, parse } from '../../src/qemu/info-ramblock.js'
import { splitLines } from '../../src/addresses/text-error.js'
import { addAll, byOffset, empty } from '../../src/ramblock/ram-list.js'
import { fixture, scenarios, stateId } from '../helpers.js'

const all = scenarios()

describe('recorded scenarios exist', () => {
  it('has every shared scenario under both recordings', () => {
    const names = all.map((s) => `${s.recording}/${s.name}`).sort()
    expect(names).toEqual([
      'qemu-7.2-kvm/pc-128m',
      'qemu-7.2-kvm/pc-5g-numa',
      'qemu-7.2-kvm/q35-512m-vga-net',
      'qemu-7.2/pc-128m',
      'qemu-7.2/pc-5g-numa',
      'qemu-7.2/q35-512m-vga-net',
      'ramaddr-7.2-kvm/pc-pci-bridge',
      'ramaddr-7.2-kvm/q35-intel-iommu',
      'ramaddr-7.2-kvm/q35-ivshmem-64bit-bar',
      'ramaddr-7.2/pc-pci-bridge',
      'ramaddr-7.2/q35-intel-iommu',
      'ramaddr-7.2/q35-ivshmem-64bit-bar',
    ])
    expect(names.filter((n) => n.startsWith('qemu-7.2')).sort()).toEqual([
      'qemu-7.2-kvm/pc-128m',
      'qemu-7.2-kvm/pc-5g-numa',
      'qemu-7.2-kvm/q35-512m-vga-net',
      'qemu-7.2/pc-128m',
      'qemu-7.2/pc-5g-numa',
      'qemu-7.2/q35-512m-vga-net',
    ])
  })
})

for (const s of all) {
  describe(`${s.recording}/${s.name}`, () => {
    for (let n = 0; n < s.states; n++) {
      const text = fixture(s, n, 'ramblock.txt')
      it(`${stateId(n)}-ramblock.txt round-trips byte for byte`, () => {
        const list = parse(text)
        if (E.isLeft(list)) throw new Error(list.left.message)
        expect(format({ eol: splitLines(text).eol })(list.right)).toBe(text)
      })
      it(`${stateId(n)}-ramblock.txt offsets and order are reproduced by the allocator`, () => {
        const recorded = pipe(
          parse(text),
          E.getOrElseW((e) => {
            throw new Error(e.message)
          }),
        )
        const specs = byOffset(recorded).map((b) => ({
          idstr: b.idstr,
          usedLength: b.usedLength,
          ...(b.flags.resizeable ? { maxLength: b.maxLength } : {}),
          pageSize: b.pageSize,
        }))
        const allocated = pipe(empty(), addAll(specs))
        if (E.isLeft(allocated)) throw new Error(allocated.left.message)
        const show = (bs: typeof recorded.blocks) =>
          bs.map((b) => `${b.idstr}@0x${b.offset.toString(16)}`)
        expect(show(allocated.right.blocks)).toEqual(show(recorded.blocks))
        expect(format()(allocated.right)).toBe(format()(recorded))
      })
    }
  })
}
