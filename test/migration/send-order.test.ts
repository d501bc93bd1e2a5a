// The order in which a precopy pass sends pages, against an independent model written
// from QEMU's source (7.2 and 10.0 alike):
// - ram_block_add (softmmu/physmem.c, system/physmem.c) inserts a new block before the
//   first block whose max_length is smaller than its own, else at the tail: the list is
//   sorted by descending max_length, equal ones in creation order;
// - find_dirty_block / ram_find_and_save_block (migration/ram.c) walk that list
//   (RAMBLOCK_FOREACH_NOT_IGNORED: migratable blocks only), pages ascending within a
//   block (migration_bitmap_find_dirty), up to used_length.
import { describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import { RamAddr, Size } from '../../src/addresses/kinds.js'
import * as mig from '../../src/migration/migration-bitmap.js'
import * as memory from '../../src/dirty/dirty-memory.js'
import * as ramList from '../../src/ramblock/ram-list.js'

const must = <A>(r: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(r)) throw new Error(r.left.message)
  return r.right
}

interface Spec {
  readonly idstr: string
  readonly usedPages: number
  readonly maxPages: number
  readonly migratable: boolean
}

const specs: fc.Arbitrary<ReadonlyArray<Spec>> = fc
  .array(
    fc
      .record({
        usedPages: fc.integer({ min: 1, max: 48 }),
        extra: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 64 })),
        migratable: fc.oneof(
          { arbitrary: fc.constant(true), weight: 4 },
          { arbitrary: fc.constant(false), weight: 1 },
        ),
      })
      // a few distinct sizes, so that ties are frequent
      .map((r) => ({ ...r, usedPages: [1, 4, 16, 32, r.usedPages][r.usedPages % 5] as number })),
    { minLength: 1, maxLength: 8 },
  )
  .map((rs) =>
    rs.map((r, i) => ({
      idstr: `b${i}`,
      usedPages: r.usedPages,
      maxPages: r.usedPages + (r.extra === 0 ? 0 : [0, 16, 32, 48][r.extra % 4]!),
      migratable: r.migratable,
    })),
  )

/** The model: (idstr, page within the block) in QEMU's send order for the given pages. */
const modelOrder = (
  ss: ReadonlyArray<Spec>,
  dirty: (idstr: string, page: number) => boolean = () => true,
): Array<[string, number]> => {
  // insertion as ram_block_add does it, one block at a time in creation order
  const list: Spec[] = []
  for (const s of ss) {
    const at = list.findIndex((b) => b.maxPages < s.maxPages)
    if (at < 0) list.push(s)
    else list.splice(at, 0, s)
  }
  const out: Array<[string, number]> = []
  for (const b of list.filter((x) => x.migratable))
    for (let p = 0; p < b.usedPages; p++) if (dirty(b.idstr, p)) out.push([b.idstr, p])
  return out
}

const build = (ss: ReadonlyArray<Spec>): ramList.RamList =>
  must(
    ramList.addAll(
      ss.map((s) => ({
        idstr: s.idstr,
        usedLength: BigInt(s.usedPages) << 12n,
        ...(s.maxPages > s.usedPages ? { maxLength: BigInt(s.maxPages) << 12n } : {}),
      })),
    )(ramList.empty()),
  )

/** A ram_addr_t page back to (idstr, page within its block). */
const located =
  (list: ramList.RamList) =>
  (ramPage: number): [string, number] => {
    const b = list.blocks.find(
      (x) =>
        ramPage >= Number(x.offset >> 12n) && ramPage < Number((x.offset + x.maxLength) >> 12n),
    )!
    return [b.idstr, ramPage - Number(b.offset >> 12n)]
  }

const migratableOf = (ss: ReadonlyArray<Spec>) => {
  const ok = new Set(ss.filter((s) => s.migratable).map((s) => s.idstr))
  return (b: { readonly idstr: string }) => ok.has(b.idstr)
}

describe('precopy send order (QEMU RAM list order, against a model of ram_block_add)', () => {
  test.prop([specs], { numRuns: 500 })(
    'the first pass sends every used page of every migratable block once, blocks by descending max_length (ties in creation order), pages ascending',
    (ss) => {
      const list = build(ss)
      const mb = must(mig.start(12, migratableOf(ss))(list))
      const sent = must(mig.sendAll()(mb)).sent.map(located(list))
      expect(sent).toEqual(modelOrder(ss))
      expect(mb.blocks.map((b) => b.idstr)).toEqual([...new Set(modelOrder(ss).map(([id]) => id))])
    },
  )

  test.prop([specs, fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 60 })], { numRuns: 300 })(
    'a later pass sends the pages dirtied since, in the same order; resizing a block does not move it',
    (ss, picks) => {
      const list0 = build(ss)
      // shrink the first resizeable block: used_length changes, max_length (the key) does not
      const r = ss.find((s) => s.maxPages > s.usedPages && s.usedPages > 1)
      const list = r
        ? must(ramList.resize(r.idstr, Size.unsafe(BigInt(r.usedPages - 1) << 12n))(list0))
        : list0
      const shrunk = ss.map((s) => (s === r ? { ...s, usedPages: s.usedPages - 1 } : s))
      const total = Number(ramList.lastRamPage(list))
      // writes anywhere in a block's reserved range (beyond used_length too: never sent)
      const writes = picks.map(([i, j]) => {
        const s = ss[i % ss.length]!
        const b = list.blocks.find((x) => x.idstr === s.idstr)!
        return Number(b.offset >> 12n) + (j % s.maxPages)
      })
      const mb0 = must(mig.sendAll()(must(mig.start(12, migratableOf(ss))(list)))).bitmap
      const dm = writes.reduce(
        (acc, p) =>
          must(memory.setDirtyRange(RamAddr.unsafe(BigInt(p) << 12n), Size.unsafe(1n), 0b100)(acc)),
        must(memory.init(total)),
      )
      const synced = must(mig.sync(dm)(mb0)).bitmap
      const written = new Set(writes.map((p) => located(list)(p).join('@')))
      const sent = must(mig.sendAll()(synced)).sent.map(located(list))
      expect(sent).toEqual(modelOrder(shrunk, (id, p) => written.has(`${id}@${p}`)))
    },
  )
})
