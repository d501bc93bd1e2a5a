import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as ramList from '../../src/ramblock/ram-list.js'
import { findRamOffset } from '../../src/ramblock/find-ram-offset.js'
import type { RamList } from '../../src/ramblock/ram-list.js'
import { RamAddr, Size } from '../../src/addresses/kinds.js'
import { TWO_64, U64_MAX } from '../../src/addresses/u64.js'

const ALIGN = 0x40000n
const KiB4 = 0x1000n

/** Sizes from one page to a few GiB, biased to QEMU's usual block sizes. */
const arbSize = fc.oneof(
  fc.bigInt({ min: 1n, max: 0x400000n }),
  fc.constantFrom(
    0x1000n,
    0x10000n,
    0x20000n,
    0x40000n,
    0x200000n,
    0x1000000n,
    0x8000000n,
    0x20000000n,
  ),
)
const arbSpec = fc
  .tuple(arbSize, fc.option(arbSize, { nil: undefined }))
  .map(([a, b]) =>
    b === undefined ? { usedLength: a } : { usedLength: a < b ? a : b, maxLength: a < b ? b : a },
  )

/**
 * An edit of the list: a block added (unnamed, as a memory backend's, when `unnamed`), the
 * `index`th block removed (by offset when it has no name), or the `index`th unnamed block
 * named (a device registering a backend's RAM).
 */
type Op =
  | { kind: 'add'; usedLength: bigint; maxLength?: bigint; unnamed: boolean }
  | { kind: 'remove'; index: number }
  | { kind: 'name'; index: number }
const arbOps = fc.array(
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc.tuple(arbSpec, fc.boolean()).map(([s, unnamed]): Op => ({
        kind: 'add',
        ...s,
        unnamed: unnamed && s.maxLength === undefined,
      })),
    },
    { weight: 1, arbitrary: fc.nat(20).map((index): Op => ({ kind: 'remove', index })) },
    { weight: 1, arbitrary: fc.nat(20).map((index): Op => ({ kind: 'name', index })) },
  ),
  { maxLength: 25 },
)

const replay = (ops: ReadonlyArray<Op>): RamList => {
  let list = ramList.empty()
  let n = 0
  for (const op of ops) {
    if (op.kind === 'add') {
      const r = ramList.add({
        idstr: op.unnamed ? '' : `b${n++}`,
        usedLength: op.usedLength,
        ...(op.maxLength === undefined ? {} : { maxLength: op.maxLength }),
      })(list)
      expect(E.isRight(r)).toBe(true)
      if (E.isRight(r)) list = r.right
    } else if (op.kind === 'remove' && list.blocks.length > 0) {
      const victim = list.blocks[op.index % list.blocks.length]
      if (victim !== undefined) {
        const r = ramList.remove(victim.idstr === '' ? victim.offset : victim.idstr)(list)
        expect(E.isRight(r) && r.right.blocks).toEqual(list.blocks.filter((b) => b !== victim))
        if (E.isRight(r)) list = r.right
      }
    } else if (op.kind === 'name') {
      const unnamed = list.blocks.filter((b) => b.idstr === '')
      const block = unnamed[op.index % Math.max(1, unnamed.length)]
      if (block !== undefined) {
        const idstr = `b${n++}`
        const r = ramList.setIdstr(block.offset, idstr)(list)
        // only the name (and the region's, which it had none of) changes: same place, same order
        expect(E.isRight(r) && r.right.blocks).toEqual(
          list.blocks.map((b) => (b === block ? { ...b, idstr, mr: idstr } : b)),
        )
        if (E.isRight(r)) list = r.right
      }
    }
  }
  return list
}

describe('QEMU ram_addr_t allocator (properties)', () => {
  test.prop([arbOps], { numRuns: 1000 })(
    'blocks never overlap, start on 256 KiB, list is in descending max length, names are unique',
    (ops) => {
      const list = replay(ops)
      const blocks = list.blocks
      const named = blocks.map((b) => b.idstr).filter((id) => id !== '')
      expect(new Set(named).size).toBe(named.length)
      for (const [i, a] of blocks.entries()) {
        expect(a.offset % ALIGN).toBe(0n)
        expect(a.usedLength % KiB4).toBe(0n)
        expect(a.maxLength >= a.usedLength).toBe(true)
        for (const b of blocks.slice(i + 1)) {
          expect(a.offset + a.maxLength <= b.offset || b.offset + b.maxLength <= a.offset).toBe(
            true,
          )
          expect(a.maxLength >= b.maxLength).toBe(true)
        }
      }
    },
  )

  test.prop([arbOps, arbSpec], { numRuns: 1000 })(
    'a new block takes the smallest gap after a block end (brute force)',
    (ops, spec) => {
      const list = replay(ops)
      const max =
        (spec.maxLength ?? spec.usedLength) +
        KiB4 -
        1n -
        (((spec.maxLength ?? spec.usedLength) + KiB4 - 1n) % KiB4)
      const got = findRamOffset(ALIGN, max)(list.blocks)
      if (list.blocks.length === 0) {
        expect(got).toEqual(O.some(0n))
        return
      }
      // Independent model: every free interval of ram_addr_t space (between reserved
      // ranges, up to RAM_ADDR_MAX), its usable part starting at the first 256 KiB boundary
      // at or after a block end; pick the smallest that fits, first in list order on ties.
      const sorted = [...list.blocks].sort((a, b) => (a.offset < b.offset ? -1 : 1))
      let best: { start: bigint; gap: bigint; rank: number } | undefined
      list.blocks.forEach((b, rank) => {
        const end = b.offset + b.maxLength
        const start = end % ALIGN === 0n ? end : end + ALIGN - (end % ALIGN)
        const following = sorted.find((o) => o.offset >= start)
        const gap = (following === undefined ? U64_MAX : following.offset) - start
        if (gap >= max && (best === undefined || gap < best.gap)) best = { start, gap, rank }
      })
      expect(got).toEqual(best === undefined ? O.none : O.some(best.start))
      if (O.isSome(got)) {
        // and the chosen place is free
        for (const b of list.blocks)
          expect(got.value + max <= b.offset || b.offset + b.maxLength <= got.value).toBe(true)
      }
    },
  )

  test.prop([arbOps], { numRuns: 300 })(
    'removal frees the gap: re-adding the same size fits',
    (ops) => {
      const list = replay(ops)
      const victim = list.blocks[0]
      fc.pre(victim !== undefined && list.blocks.length > 1)
      if (victim === undefined) return
      const freed = pipe(
        list,
        ramList.remove(victim.offset),
        E.getOrElse(() => list),
      )
      expect(freed.blocks).toHaveLength(list.blocks.length - 1)
      const again = ramList.add({ idstr: 'again', usedLength: victim.maxLength })(freed)
      expect(E.isRight(again)).toBe(true)
    },
  )
})

describe('RAM list edits', () => {
  const base = pipe(
    ramList.empty(),
    ramList.add({ idstr: 'pc.ram', usedLength: 0x8000000n }),
    E.chain(
      ramList.add({ idstr: '/rom@etc/acpi/tables', usedLength: 0x20000n, maxLength: 0x200000n }),
    ),
    E.getOrElseW(() => {
      throw new Error('setup')
    }),
  )
  it('never reuses the hole below the lowest block', () => {
    const freed = pipe(
      base,
      ramList.remove('pc.ram'),
      E.chain(ramList.add({ idstr: 'x', usedLength: 0x1000n })),
    )
    expect(
      pipe(
        freed,
        E.map((l) =>
          pipe(
            l,
            ramList.byName('x'),
            O.map((b) => b.offset),
          ),
        ),
      ),
    ).toEqual(E.right(O.some(0x8200000n)))
  })
  it('reports each error with the block and the reason', () => {
    const tag = (r: E.Either<{ _tag: string; message: string }, unknown>): string =>
      E.isLeft(r) ? r.left._tag : 'ok'
    expect(tag(ramList.add({ idstr: 'pc.ram', usedLength: 0x1000n })(base))).toBe('DuplicateIdstr')
    expect(tag(ramList.add({ idstr: 'z', usedLength: 0n })(base))).toBe('ZeroSize')
    expect(tag(ramList.add({ idstr: 'a\0b', usedLength: 1n })(base))).toBe('InvalidIdstr')
    expect(tag(ramList.add({ idstr: 'x'.repeat(256), usedLength: 1n })(base))).toBe('InvalidIdstr')
    expect(tag(ramList.add({ idstr: 'u', usedLength: 0x3000n, maxLength: 0x2000n })(base))).toBe(
      'UsedExceedsMax',
    )
    expect(tag(ramList.add({ idstr: 'huge', usedLength: TWO_64 })(base))).toBe(
      'RamAddrSpaceExhausted',
    )
    expect(tag(ramList.resize('pc.ram', Size.unsafe(0x9000000n))(base))).toBe('ResizeOfFixedBlock')
    expect(tag(ramList.resize('/rom@etc/acpi/tables', Size.unsafe(0x201000n))(base))).toBe(
      'SizeTooLarge',
    )
    expect(tag(ramList.resize('nope', Size.unsafe(0x1000n))(base))).toBe('NoSuchBlock')
    expect(tag(ramList.remove('nope')(base))).toBe('NoSuchBlock')
    expect(tag(ramList.remove(RamAddr.unsafe(0x1000n))(base))).toBe('NoBlockAt')
    expect(tag(ramList.setIdstr(RamAddr.unsafe(0x1000n), 'x')(base))).toBe('NoBlockAt')
    expect(tag(ramList.setIdstr(RamAddr.unsafe(0n), 'x')(base))).toBe('AlreadyNamed')
    const e = ramList.resize('pc.ram', Size.unsafe(0x9000000n))(base)
    expect(E.isLeft(e) && e.left.message).toBe(
      'Size mismatch: pc.ram: 0x9000000 != 0x8000000 (block is not resizeable)',
    )
  })
  it('resizes within max length without moving the block, and an unchanged page size is a no-op', () => {
    const r = pipe(base, ramList.resize('/rom@etc/acpi/tables', Size.unsafe(0x1ff001n)))
    expect(E.isRight(r)).toBe(true)
    if (E.isRight(r)) {
      const b = pipe(r.right, ramList.byName('/rom@etc/acpi/tables'))
      expect(
        pipe(
          b,
          O.map((x) => [x.offset, x.usedLength]),
        ),
      ).toEqual(O.some([0x8000000n, 0x200000n]))
    }
    expect(pipe(base, ramList.resize('pc.ram', Size.unsafe(0x7fff001n)))).toEqual(E.right(base))
  })
  it('computes last_ram_page over max lengths', () => {
    expect(ramList.lastRamPage(base)).toBe((0x8000000n + 0x200000n) >> 12n)
    expect(ramList.lastRamPage(ramList.empty())).toBe(0n)
  })
  it('finds the block of a ram_addr_t anywhere in its max length', () => {
    const inMax = pipe(base, ramList.blockAt(RamAddr.unsafe(0x81fffffn)))
    expect(
      pipe(
        inMax,
        O.map((x) => [x.block.idstr, x.offset]),
      ),
    ).toEqual(O.some(['/rom@etc/acpi/tables', 0x1fffffn]))
    expect(pipe(base, ramList.blockAt(RamAddr.unsafe(0x8200000n)))).toEqual(O.none)
  })
  it('rounds huge-page blocks to their page size', () => {
    const r = ramList.add({ idstr: 'hp', usedLength: 0x100000n, pageSize: 0x200000n as never })(
      base,
    )
    expect(
      pipe(
        r,
        E.map((l) =>
          pipe(
            l,
            ramList.byName('hp'),
            O.map((b) => b.usedLength),
          ),
        ),
      ),
    ).toEqual(E.right(O.some(0x200000n)))
  })
  it('allocates a block at the top of ram_addr_t space up to RAM_ADDR_MAX', () => {
    const l = pipe(
      ramList.empty(),
      ramList.add({ idstr: 'a', usedLength: 0x1000n }),
      E.getOrElseW(() => ramList.empty()),
    )
    // the gap after 'a' runs from 0x40000 to RAM_ADDR_MAX (2^64 - 1), so 2^64 - 0x80000 fits…
    expect(E.isRight(ramList.add({ idstr: 'b', usedLength: TWO_64 - 0x80000n })(l))).toBe(true)
    // …and 2^64 - 0x40000 does not: QEMU's gap ends at RAM_ADDR_MAX, one byte short of 2^64
    expect(E.isLeft(ramList.add({ idstr: 'b', usedLength: TWO_64 - 0x40000n })(l))).toBe(true)
  })
})
