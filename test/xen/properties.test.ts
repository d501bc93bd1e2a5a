// Properties of normalisation, the stream codec and migration, over >= 1,000 random
// hosts and views per run (views are built by the model's own altp2m operations, so they
// are ones Xen could reach). The oracle for "same view" is gfn-by-gfn resolution over
// every host gfn and the holes around it, not the library's own equivalence.
import { describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { Gfn } from '../../src/addresses/kinds.js'
import * as arb from '../../src/arbitraries/xen.js'
import * as hostP2m from '../../src/xen/host-p2m.js'
import type { HostP2m } from '../../src/xen/host-p2m.js'
import { normalise, denormalise } from '../../src/xen/normalise.js'
import { effective, type View } from '../../src/xen/view.js'
import { encode } from '../../src/xen/encode.js'
import { decode } from '../../src/xen/decode.js'
import { save, restore } from '../../src/xen/migrate.js'
import * as logDirty from '../../src/xen/log-dirty.js'
import { isRam } from '../../src/xen/p2m-type.js'
import type { Domain } from '../../src/xen/domain.js'

const RUNS = 1000

/** Every host gfn plus the holes right before and after each run. */
const probe = (h: HostP2m): ReadonlyArray<Gfn> => {
  const out = new Set<bigint>(hostP2m.gfns(h))
  for (const r of h.runs) {
    if (r.gfn > 0n) out.add(r.gfn - 1n)
    out.add(r.gfn + r.count)
  }
  return [...out].map(Gfn.unsafe)
}

const sameView = (h: HostP2m, a: View, b: View, mfnShift = 0n): boolean =>
  a.index === b.index &&
  a.defaultAccess === b.defaultAccess &&
  probe(h).every((g) => {
    const x = effective(h, g)(a)
    const y = effective(h, g)(b)
    if (O.isNone(x) || O.isNone(y)) return O.isNone(x) && O.isNone(y)
    return (
      x.value.mfn + mfnShift === y.value.mfn &&
      x.value.type === y.value.type &&
      x.value.access === y.value.access &&
      x.value.suppressVe === y.value.suppressVe
    )
  })

const get = <A>(e: E.Either<unknown, A>): A => {
  if (E.isLeft(e))
    throw new Error(
      `unexpected Left: ${JSON.stringify(e.left, (_, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v))}`,
    )
  return e.right
}

describe('normalisation', () => {
  test.prop([arb.hostAndView()], { numRuns: RUNS })(
    'denormalise(normalise(v)) resolves every gfn as v does',
    ({ host, view }) => {
      const n = get(normalise(host)(view))
      expect(sameView(host, view, get(denormalise(host)(n)))).toBe(true)
    },
  )

  test.prop([arb.hostAndView()], { numRuns: RUNS })(
    'normalise lists exactly the gfns whose entry differs from the lazy host copy',
    ({ host, view }) => {
      const n = get(normalise(host)(view))
      const listed = new Set<bigint>([
        ...n.remaps.map((r) => r.gfn),
        ...n.access.map((a) => a.gfn),
        ...n.suppressVeClear,
      ])
      for (const g of probe(host)) {
        const e = effective(host, g)(view)
        const h = hostP2m.lookup(g)(host)
        // the lazy copy, written out here: host frame and type, view default access, #VE suppressed
        const differs =
          O.isSome(e) &&
          (O.isNone(h) ||
            e.value.mfn !== h.value.mfn ||
            e.value.type !== h.value.type ||
            e.value.access !== view.defaultAccess ||
            !e.value.suppressVe)
        expect(listed.has(g)).toBe(differs)
      }
      for (const a of n.access) expect(a.access).not.toBe(view.defaultAccess)
      for (const r of n.remaps) expect(r.target).not.toBe(r.gfn)
    },
  )

  test.prop([arb.hostAndView()], { numRuns: RUNS })(
    'normalise(denormalise(n)) = n',
    ({ host, view }) => {
      const n = get(normalise(host)(view))
      expect(get(normalise(host)(get(denormalise(host)(n))))).toEqual(n)
    },
  )
})

const HOST = { maxRuns: 5, maxRunPages: 12 }

describe('stream and migration', () => {
  test.prop(
    [
      arb.domainArb(HOST),
      fc.constantFrom<'migrate' | 'soft'>('migrate', 'soft'),
      fc.integer({ min: 1, max: 40 }),
    ],
    {
      numRuns: RUNS,
    },
  )('model -> records -> bytes -> records -> model', (d, mode, batch) => {
    const s = get(save({ views: mode, batch })(d))
    const bytes = get(encode(s))
    const back = get(decode(bytes))
    expect(back).toEqual(s)
    const r = get(restore(d.host)(back))
    const ram = hostP2m
      .gfns(d.host)
      .filter((g) => O.exists((e: hostP2m.P2mEntry) => isRam(e.type))(hostP2m.lookup(g)(d.host)))
    expect(r.pfns).toEqual(ram)
    if (mode === 'migrate') {
      expect(r.domain.views.map((v) => v.index)).toEqual(d.views.map((v) => v.index))
      d.views.forEach((v, i) => expect(sameView(d.host, v, r.domain.views[i] as View)).toBe(true))
      expect(r.domain.viewsDropped).toEqual(O.none)
    } else {
      expect(r.domain.views).toEqual([])
      expect(r.domain.viewsDropped).toEqual(
        d.views.length === 0 ? O.none : O.some({ views: d.views.map((v) => v.index) }),
      )
    }
  })

  test.prop([arb.domainArb(HOST), fc.bigInt({ min: 1n, max: 1n << 40n })], { numRuns: RUNS })(
    'restored onto a destination with other frames, views follow gfns, not frames',
    (d, shift) => {
      const dest = get(hostP2m.fromRuns(d.host.runs.map((r) => ({ ...r, mfn: r.mfn + shift }))))
      const r = get(restore(dest)(get(decode(get(encode(get(save({ views: 'migrate' })(d))))))))
      d.views.forEach((v, i) => {
        const w = r.domain.views[i] as View
        expect(
          probe(d.host).every((g) => {
            const x = effective(d.host, g)(v)
            const y = effective(dest, g)(w)
            return O.isNone(x)
              ? O.isNone(y)
              : O.isSome(y) &&
                  y.value.mfn === x.value.mfn + shift &&
                  y.value.access === x.value.access &&
                  y.value.suppressVe === x.value.suppressVe
          }),
        ).toBe(true)
      })
    },
  )

  test.prop([arb.domainArb(HOST), fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 12 })], {
    numRuns: RUNS,
  })(
    'log-dirty by frame: every landed write dirties the pfn whose frame the view showed, and nothing else',
    (d0, writes) => {
      let d: Domain = get(logDirty.enableLogDirty(d0))
      const pool = probe(d.host)
      const expected = new Set<bigint>()
      for (const [vi, gi] of writes) {
        const idx = [0, ...d.views.map((v) => v.index)][vi % (d.views.length + 1)] as number
        const g = pool[gi % pool.length] as Gfn
        // independent of guestWrite: the frame the view shows, from the normalised remaps
        const v = d.views.find((x) => x.index === idx)
        const n = v === undefined ? undefined : get(normalise(d.host)(v))
        const target = n?.remaps.find((m) => m.gfn === g)?.target ?? g
        const r = logDirty.guestWrite(idx, g)(d)
        if (E.isLeft(r)) {
          expect(O.isNone(hostP2m.lookup(g)(d.host))).toBe(true)
          continue
        }
        d = r.right.domain
        if (r.right.outcome._tag === 'Written') expected.add(target)
      }
      expect(logDirty.cleanDirty(d).pfns).toEqual([...expected].sort((a, b) => (a < b ? -1 : 1)))
    },
  )
})

describe('decoding never throws', () => {
  test.prop([fc.uint8Array({ maxLength: 200 })], { numRuns: RUNS })('random bytes', (b) => {
    const r = decode(b)
    if (E.isLeft(r)) {
      expect(r.left.offset).toBeGreaterThanOrEqual(0)
      expect(r.left.offset).toBeLessThanOrEqual(b.length)
    }
  })

  test.prop(
    [
      arb.domainArb({ maxRuns: 3, maxRunPages: 6 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      fc.nat(),
    ],
    { numRuns: RUNS },
  )('valid streams with bytes changed or cut off', (d, flips, cut) => {
    const bytes = get(encode(get(save({ views: 'migrate', batch: 5 })(d))))
    const m = bytes.slice()
    for (const [i, v] of flips) m[i % m.length] = v
    const r = decode(m)
    if (E.isLeft(r)) expect(r.left.offset).toBeLessThanOrEqual(m.length)
    const c = cut % bytes.length
    const t = decode(bytes.subarray(0, c))
    expect(E.isLeft(t)).toBe(true)
    if (E.isLeft(t)) expect(t.left.offset).toBeLessThanOrEqual(c)
  })
})
