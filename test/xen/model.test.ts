// Facts the model takes from Xen, checked against values copied by hand from Xen's
// sources (xen/include/public/memory.h, xen/arch/x86/include/asm/p2m.h,
// xen/arch/x86/mm/altp2m.c, mem_access.c), and the altp2m operations' semantics on
// small hand-worked cases.
import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { pipe } from 'fp-ts/lib/function.js'
import { Gfn } from '../../src/addresses/kinds.js'
import * as access from '../../src/xen/access.js'
import * as mfn from '../../src/xen/mfn.js'
import type { Mfn } from '../../src/xen/mfn.js'
import * as p2mType from '../../src/xen/p2m-type.js'
import * as hostP2m from '../../src/xen/host-p2m.js'
import * as ops from '../../src/xen/altp2m-ops.js'
import * as domain from '../../src/xen/domain.js'
import * as logDirty from '../../src/xen/log-dirty.js'
import { effective, empty } from '../../src/xen/view.js'
import { MAX_ALTP2M, MAX_NR_ALTP2M } from '../../src/xen/view.js'

const g = (n: bigint) => Gfn.unsafe(n)
const right = <A>(e: E.Either<unknown, A>): A => {
  if (E.isLeft(e))
    throw new Error(
      JSON.stringify(e.left, (_, v: unknown) =>
        typeof v === 'bigint' ? `0x${v.toString(16)}` : v,
      ),
    )
  return e.right
}

// gfn 0..7 RAM at mfn 0x100.., gfn 8 ROM at 0x200, gfn 9 MMIO at 0xfee00.
const host = right(
  hostP2m.fromRuns([
    { gfn: 0n, count: 8n, mfn: 0x100n, type: 'ram_rw' },
    { gfn: 8n, count: 1n, mfn: 0x200n, type: 'ram_ro' },
    { gfn: 9n, count: 1n, mfn: 0xfee00n, type: 'mmio_direct' },
  ]),
)

describe('numbers as Xen defines them', () => {
  it('xenmem_access_t order (public/memory.h)', () => {
    const xen = ['n', 'r', 'w', 'rw', 'x', 'rx', 'wx', 'rwx', 'rx2rw', 'n2rwx', 'r_pw']
    expect(xen.map((a) => access.code(a as access.Access))).toEqual(xen.map((_, i) => i))
    expect(access.XENMEM_ACCESS_DEFAULT).toBe(11)
    expect(access.fromCode(11)).toEqual(O.none)
  })
  it('p2m_type_t numbers (asm/p2m.h)', () => {
    expect(p2mType.code('ram_rw')).toBe(0)
    expect(p2mType.code('invalid')).toBe(1)
    expect(p2mType.code('ram_logdirty')).toBe(2)
    expect(p2mType.code('ram_ro')).toBe(3)
    expect(p2mType.code('mmio_dm')).toBe(4)
    expect(p2mType.code('mmio_direct')).toBe(5)
    expect(p2mType.code('ioreq_server')).toBe(15)
  })
  it('MAX_ALTP2M and MAX_NR_ALTP2M', () => {
    expect(MAX_ALTP2M).toBe(10)
    expect(MAX_NR_ALTP2M).toBe(4096 / 8)
  })
  it('access bit mask: values 0-7 are r=1 w=2 x=4', () => {
    for (let n = 0; n < 8; n++) {
      const a = O.getOrElse((): access.Access => 'n')(access.fromCode(n))
      expect(access.allows('read')(a)).toBe((n & 1) !== 0)
      expect(access.allows('write')(a)).toBe((n & 2) !== 0)
      expect(access.allows('exec')(a)).toBe((n & 4) !== 0)
    }
  })
})

describe('host p2m', () => {
  it('looks up by binary search and splits runs on update', () => {
    expect(hostP2m.lookup(g(7n))(host)).toEqual(
      O.some({ mfn: 0x107n, type: 'ram_rw', access: 'rwx', suppressVe: true }),
    )
    expect(hostP2m.lookup(g(10n))(host)).toEqual(O.none)
    const h2 = hostP2m.setEntry(g(3n), {
      mfn: mfn.unsafe(0x103n),
      type: 'ram_rw',
      access: 'r',
      suppressVe: true,
    })(host)
    expect(O.isSome(h2)).toBe(true)
    if (O.isSome(h2)) {
      expect(h2.value.runs.map((r) => [r.gfn, r.count, r.access])).toEqual([
        [0n, 3n, 'rwx'],
        [3n, 1n, 'r'],
        [4n, 4n, 'rwx'],
        [8n, 1n, 'rwx'],
        [9n, 1n, 'rwx'],
      ])
      for (let k = 0n; k < 8n; k++)
        expect(O.map((e: hostP2m.P2mEntry) => e.mfn)(hostP2m.lookup(g(k))(h2.value))).toEqual(
          O.some(0x100n + k),
        )
    }
  })
  it('rejects overlapping, empty and INVALID_MFN-reaching runs', () => {
    expect(E.isLeft(hostP2m.fromRuns([{ gfn: 0n, count: 0n, mfn: 0n, type: 'ram_rw' }]))).toBe(true)
    expect(
      E.isLeft(hostP2m.fromRuns([{ gfn: 0n, count: 2n, mfn: (1n << 64n) - 2n, type: 'ram_rw' }])),
    ).toBe(true)
    expect(
      E.isLeft(
        hostP2m.fromRuns([
          { gfn: 5n, count: 1n, mfn: 0n, type: 'ram_rw' },
          { gfn: 4n, count: 1n, mfn: 1n, type: 'ram_rw' },
        ]),
      ),
    ).toBe(true)
  })
  it('reverse-maps frames to gfns', () => {
    expect(hostP2m.gfnsOfMfn(0x105n as Mfn)(host)).toEqual([5n])
    expect(hostP2m.gfnsOfMfn(0x200n as Mfn)(host)).toEqual([8n])
    expect(hostP2m.gfnsOfMfn(0x108n as Mfn)(host)).toEqual([])
  })
})

describe('altp2m operations (altp2m.c, mem_access.c)', () => {
  const v0 = empty(1, 'rx')
  it('a gfn without an entry shows the host frame with the view default access, #VE suppressed', () => {
    expect(effective(host, g(2n))(v0)).toEqual(
      O.some({ mfn: 0x102n, type: 'ram_rw', access: 'rx', suppressVe: true }),
    )
  })
  it('set_mem_access skips holes and non-ram_rw pages (-ESRCH turned into 0)', () => {
    expect(ops.setMemAccess(host, g(8n), 'n')(v0)).toBe(v0)
    expect(ops.setMemAccess(host, g(42n), 'n')(v0)).toBe(v0)
  })
  it('set_mem_access keeps an existing #VE bit, sets it on a new entry', () => {
    const a = right(ops.setSuppressVe(host, g(1n), false)(v0))
    expect(a.entries.get(g(1n))).toEqual({
      mfn: 0x101n,
      type: 'ram_rw',
      access: 'rwx',
      suppressVe: false,
    }) // host access, not default
    const b = ops.setMemAccess(host, g(1n), 'r')(a)
    expect(b.entries.get(g(1n))?.suppressVe).toBe(false)
    expect(ops.setMemAccess(host, g(2n), 'r')(a).entries.get(g(2n))?.suppressVe).toBe(true)
  })
  it('change_gfn copies the target effective entry, #VE from the caller, and reverts', () => {
    const r1 = right(
      ops.changeGfn(host, g(2n), O.some(g(6n)), 'guest')(ops.setMemAccess(host, g(6n), 'r')(v0)),
    )
    expect(r1.entries.get(g(2n))).toEqual({
      mfn: 0x106n,
      type: 'ram_rw',
      access: 'r',
      suppressVe: false,
    })
    const r2 = right(ops.changeGfn(host, g(3n), O.some(g(5n)))(v0))
    expect(r2.entries.get(g(3n))).toEqual({
      mfn: 0x105n,
      type: 'ram_rw',
      access: 'rwx',
      suppressVe: true,
    })
    expect(E.isLeft(ops.changeGfn(host, g(3n), O.some(g(8n)))(v0))).toBe(true) // ROM target: -ESRCH
    expect(E.isLeft(ops.changeGfn(host, g(9n), O.some(g(1n)))(v0))).toBe(true) // MMIO source
    const back = right(ops.changeGfn(host, g(2n), O.none)(r1))
    expect(back.entries.has(g(2n))).toBe(false)
    expect(back.entries.get(g(6n))?.access).toBe('r')
  })
})

describe('domain, writes and DMA', () => {
  const d0 = right(domain.make(host))
  it('view 0 cannot be destroyed; views take the lowest free slot', () => {
    expect(E.isLeft(domain.destroyView(0)(d0))).toBe(true)
    const a = right(domain.createView('rwx')(d0))
    const b = right(domain.createView('rwx')(a.domain))
    const c = right(domain.destroyView(1)(b.domain))
    expect(right(domain.createView('r')(c)).index).toBe(1)
  })
  it('set_mem_access on view 0 sets the host and propagates to views holding the gfn', () => {
    const a = right(domain.createView('rwx')(d0)).domain
    const b = right(domain.setMemAccess(1, g(4n), 'rx')(a))
    const c = right(domain.setMemAccess(0, g(4n), 'r')(b))
    expect(O.map((e: hostP2m.P2mEntry) => e.access)(hostP2m.lookup(g(4n))(c.host))).toEqual(
      O.some('r'),
    )
    expect(c.views[0]?.entries.get(g(4n))?.access).toBe('r')
  })
  it('writes: rx2rw converts silently, n2rwx raises an event, r violates (#VE if not suppressed)', () => {
    let d = right(domain.createView('rwx')(d0)).domain
    d = right(domain.setMemAccess(1, g(1n), 'rx2rw')(d))
    d = right(domain.setMemAccess(1, g(2n), 'n2rwx')(d))
    d = right(domain.setMemAccess(1, g(3n), 'r')(d))
    d = right(domain.setSuppressVe(1, g(3n), false)(d))
    d = right(domain.setMemAccess(1, g(4n), 'r')(d))
    const w1 = right(logDirty.guestWrite(1, g(1n))(d))
    expect(w1.outcome).toEqual({ _tag: 'Written', mfn: 0x101n, dirtied: false, event: false })
    expect(w1.domain.views[0]?.entries.get(g(1n))?.access).toBe('rw')
    const w2 = right(logDirty.guestWrite(1, g(2n))(d))
    expect(w2.outcome).toMatchObject({ _tag: 'Written', event: true })
    expect(w2.domain.views[0]?.entries.get(g(2n))?.access).toBe('rwx')
    expect(right(logDirty.guestWrite(1, g(3n))(d)).outcome).toEqual({
      _tag: 'Violation',
      delivery: '#VE',
    })
    expect(right(logDirty.guestWrite(1, g(4n))(d)).outcome).toEqual({
      _tag: 'Violation',
      delivery: 'vm_event',
    })
    expect(right(logDirty.guestWrite(0, g(8n))(d)).outcome).toEqual({
      _tag: 'NotRam',
      writeClass: 'dropped',
    })
  })
  it('a write through a remapped gfn dirties the target frame', () => {
    const d = pipe(
      domain.createView('rwx')(d0),
      E.chainW(({ domain: x }) => domain.changeGfn(1, g(0n), O.some(g(7n)))(x)),
      E.chainW(logDirty.enableLogDirty),
      E.chainW(logDirty.guestWrite(1, g(0n))),
      E.map((r) => logDirty.cleanDirty(r.domain)),
    )
    expect(right(d).pfns).toEqual([7n])
  })
  it('DMA ignores view restrictions and is refused under log-dirty; log-dirty and passthrough exclude each other', () => {
    const d = pipe(
      domain.createView('n')(d0),
      E.chainW(({ domain: x }) => logDirty.assignDevice(x)),
    )
    expect(pipe(d, E.chainW(logDirty.dmaWrite(g(5n))))).toEqual(E.right(0x105n))
    expect(
      pipe(
        d,
        E.chainW(logDirty.enableLogDirty),
        E.mapLeft((e) => e._tag),
      ),
    ).toEqual(E.left('PassthroughVsLogDirty'))
    const ld = right(logDirty.enableLogDirty(d0))
    expect(
      pipe(
        logDirty.assignDevice(ld),
        E.mapLeft((e) => e._tag),
      ),
    ).toEqual(E.left('PassthroughVsLogDirty'))
    // a domain built by hand in the forbidden state: the DMA check still errors
    const both = { ...ld, passthrough: true }
    expect(
      pipe(
        logDirty.dmaWrite(g(5n))(both),
        E.mapLeft((e) => e._tag),
      ),
    ).toEqual(E.left('PassthroughVsLogDirty'))
    expect(E.isLeft(logDirty.dmaWrite(g(5n))(d0))).toBe(true) // no device
  })
})
