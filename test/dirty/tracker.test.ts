import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { Q35_MTREE_D, Q35_RAMBLOCK } from '../../src/machines/q35-recorded.js'
import * as mtree from '../../src/qemu/mtree.js'
import { parse as parseRamblock } from '../../src/qemu/info-ramblock.js'
import { Gpa } from '../../src/addresses/kinds.js'
import * as tracker from '../../src/dirty/tracker.js'
import type { LogMode } from '../../src/kvm/kernel-dirty.js'

const must = <A>(r: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(r)) throw new Error(r.left.message)
  return r.right
}
const t = must(mtree.parse(Q35_MTREE_D))
const list = must(parseRamblock(Q35_RAMBLOCK))
const clean = (mode: LogMode) =>
  must(tracker.migrationRound()(must(tracker.start({ mode, vcpus: 2 })(t, list)))).tracker

describe('manual protect: a chunk clear never drops a write QEMU has not fetched', () => {
  it('keeps a page written between the sync and the lazy clear of its chunk', () => {
    let tr = clean({ kind: 'bitmap', manualProtect: true, initiallySet: true })
    tr = must(tracker.guestWrite(0, Gpa.unsafe(0x1000n))(tr))
    const s = must(tracker.migrationSync(18)(tr))
    expect(s.pages).toEqual([1])
    expect(s.chunks).toEqual([0])
    tr = must(tracker.guestWrite(0, Gpa.unsafe(0x2000n))(s.tracker)) // after the fetch
    tr = must(tracker.clearChunk(0, 18)(tr))
    expect(must(tracker.migrationRound()(tr)).pages).toEqual([2])
  })
  it('clears what was fetched, so a page is not sent twice for one write', () => {
    let tr = clean({ kind: 'bitmap', manualProtect: true, initiallySet: true })
    tr = must(tracker.guestWrite(0, Gpa.unsafe(0x3000n))(tr))
    tr = must(tracker.migrationRound()(tr)).tracker
    expect(must(tracker.migrationRound()(tr)).pages).toEqual([])
  })
})

describe('dirty rings', () => {
  it('reaps on ring-full and keeps every page', () => {
    let tr = clean({ kind: 'ring', size: 128, reserved: 64 })
    const pages = Array.from({ length: 200 }, (_, i) => i + 0x100) // RAM above 1 MiB
    for (const p of pages) tr = must(tracker.guestWrite(p % 2, Gpa.unsafe(BigInt(p) << 12n))(tr))
    expect(must(tracker.migrationRound()(tr)).pages).toEqual(pages)
  })
})
