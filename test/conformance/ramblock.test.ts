// Conformance of the RAMBlock layer with every recorded QEMU 7.2 `info ramblock`:
// (1) the text round-trips byte for byte; (2) QEMU's allocator, fed the blocks in
// creation order (ascending offset, in states before any block was freed), reproduces every
// offset and QEMU's list order.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { format, parse, parseDump } from '../../src/qemu/info-ramblock.js'
import { splitLines } from '../../src/addresses/text-error.js'
import { addAll, byOffset, empty } from '../../src/ramblock/ram-list.js'
import type { PageSize } from '../../src/addresses/page.js'
import { fixture, scenarios, stateId } from '../helpers.js'

const all = scenarios()

describe('recorded scenarios exist', () => {
  it('has every shared scenario: QEMU 7.2 under TCG and KVM, QEMU 10.0, other targets from both', () => {
    const names = new Set(all.map((s) => `${s.recording}/${s.name}`))
    const shared = [
      ...['qemu-7.2', 'qemu-7.2-kvm', 'qemu-10.0'].flatMap((r) =>
        ['pc-128m', 'pc-5g-numa', 'q35-512m-vga-net'].map((n) => `${r}/${n}`),
      ),
      ...['7.2.22', '10.0.13'].flatMap((v) =>
        ['aarch64-virt-net-vga-ramfb', 'riscv64-virt', 'x86_64-microvm'].map(
          (n) => `other-targets/${v}-${n}`,
        ),
      ),
      ...['ramaddr-7.2', 'ramaddr-7.2-kvm'].flatMap((r) =>
        ['pc-pci-bridge', 'q35-intel-iommu', 'q35-ivshmem-64bit-bar'].map((n) => `${r}/${n}`),
      ),
    ]
    expect(shared.filter((n) => !names.has(n))).toEqual([])
  })
})

/** Whether a step up to state `n` of the recording deleted a block (`object_del`). */
const freedBy = (s: (typeof all)[number], n: number): boolean => {
  const meta = JSON.parse(readFileSync(join(s.dir, 'scenario.json'), 'utf8')) as {
    states: ReadonlyArray<{ after?: { command?: string } }>
  }
  return meta.states
    .slice(1, n + 1)
    .some((st) => st.after?.command?.startsWith('object_del') === true)
}

/** The QEMU release a recording comes from (7 or 10): the dialect its ramblock must have. */
const releaseOf = (s: (typeof all)[number]): number =>
  /(^|-)10\.0/.test(s.recording) || s.name.startsWith('10.') ? 10 : 7

for (const s of all) {
  describe(`${s.recording}/${s.name}`, () => {
    for (let n = 0; n < s.states; n++) {
      const text = fixture(s, n, 'ramblock.txt')
      it(`${stateId(n)}-ramblock.txt round-trips byte for byte in its dialect`, () => {
        const dump = parseDump(text)
        if (E.isLeft(dump)) throw new Error(dump.left.message)
        expect(dump.right.dialect).toBe(releaseOf(s) >= 10 ? 'hva-ro' : 'classic')
        expect(
          format({ eol: splitLines(text).eol, dialect: dump.right.dialect })(dump.right.list),
        ).toBe(text)
        // the other dialect drops or adds the two columns and nothing else
        const other = dump.right.dialect === 'classic' ? 'hva-ro' : 'classic'
        const again = parseDump(format({ dialect: other })(dump.right.list))
        if (E.isLeft(again)) throw new Error(again.left.message)
        expect(format()(again.right.list)).toBe(format()(dump.right.list))
      })
      // once a block has been freed, creation order is not offset order: those states are
      // replayed step by step in ramblock-history.test.ts
      if (freedBy(s, n)) continue
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
        // info ramblock does not say the target page size; QEMU aligns new blocks to 64
        // target pages (find_ram_offset) and lengths to a target page. Take the largest
        // page the dump is consistent with (16 KiB: loongarch64 in 7.2; else 4 KiB).
        const page = [0x10000n, 0x4000n, 0x1000n].find((p) =>
          recorded.blocks.every(
            (b) => b.usedLength % p === 0n && (b.offset === 0n || b.offset % (64n * p) === 0n),
          ),
        )
        const allocated = pipe(empty((page ?? 0x1000n) as PageSize), addAll(specs))
        if (E.isLeft(allocated)) throw new Error(allocated.left.message)
        const show = (bs: typeof recorded.blocks) =>
          bs.map((b) => `${b.idstr}@0x${b.offset.toString(16)}`)
        expect(show(allocated.right.blocks)).toEqual(show(recorded.blocks))
        expect(format()(allocated.right)).toBe(format()(recorded))
      })
    }
  })
}
