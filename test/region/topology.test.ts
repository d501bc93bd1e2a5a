import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as topology from '../../src/region/index.js'
import { render } from '../../src/flatview/render.js'
import type { RegionId } from '../../src/region/region.js'
import type { Topology } from '../../src/region/topology.js'

const must = <A>(r: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(r)) throw new Error(r.left.message)
  return r.right
}

/** A root container with regions a, b, c (each 0x1000 RAM), unmapped. */
const setup = () => {
  let t: Topology = topology.empty()
  const mk = (name: string, kind: 'ram' | 'container' | 'alias', size: bigint, extra = {}) => {
    const c = must(topology.addRegion({ name, kind, size, ...extra })(t))
    t = c.topology
    return c.id
  }
  const root = mk('root', 'container', 1n << 64n)
  const a = mk('a', 'ram', 0x1000n)
  const b = mk('b', 'ram', 0x1000n)
  const c = mk('c', 'ram', 0x1000n)
  return { t: () => t, root, a, b, c, mk, set: (x: Topology) => (t = x) }
}

const winner = (t: Topology, root: RegionId) =>
  render(root)(t).map((r) => t.regions.get(r.region)?.name)

describe('subregion order (memory_region_update_container_subregions)', () => {
  it('keeps descending priority and puts the newest first among equals, so it wins', () => {
    const s = setup()
    const t = pipe(
      s.t(),
      topology.addSubregion(s.root, s.a, 0n, 0),
      E.chain(topology.addSubregion(s.root, s.b, 0n, 0)),
      E.chain(topology.addSubregion(s.root, s.c, 0n, -1)),
    )
    expect(must(t).regions.get(s.root)?.subregions).toEqual([s.b, s.a, s.c])
    expect(winner(must(t), s.root)).toEqual(['b'])
  })
  it('a higher priority wins whatever the order', () => {
    const s = setup()
    const t = must(
      pipe(
        s.t(),
        topology.addSubregion(s.root, s.a, 0n, 2),
        E.chain(topology.addSubregion(s.root, s.b, 0n, 1)),
      ),
    )
    expect(winner(t, s.root)).toEqual(['a'])
  })
  it('setAddress re-adds the region: it moves to the front of its priority group', () => {
    const s = setup()
    const t = must(
      pipe(
        s.t(),
        topology.addSubregion(s.root, s.a, 0x1000n, 0),
        E.chain(topology.addSubregion(s.root, s.b, 0n, 0)),
        E.chain(topology.setAddress(s.a, 0n)),
      ),
    )
    expect(t.regions.get(s.root)?.subregions).toEqual([s.a, s.b])
    expect(winner(t, s.root)).toEqual(['a'])
    // an unchanged address is a no-op and keeps the order
    expect(must(topology.setAddress(s.b, 0n)(t))).toBe(t)
  })
})

describe('edit errors', () => {
  it('refuses double mapping, unknown ids, aliases with subregions and cycles', () => {
    const s = setup()
    const t1 = must(topology.addSubregion(s.root, s.a, 0n)(s.t()))
    expect(
      pipe(
        t1,
        topology.addSubregion(s.root, s.a, 0n),
        E.mapLeft((e) => e._tag),
      ),
    ).toEqual(E.left('AlreadyMapped'))
    expect(
      pipe(
        t1,
        topology.addSubregion(999 as RegionId, s.b, 0n),
        E.mapLeft((e) => e._tag),
      ),
    ).toEqual(E.left('NoSuchRegion'))
    s.set(t1)
    const al = s.mk('al', 'alias', 0x1000n, { aliasTarget: s.root })
    expect(
      pipe(
        s.t(),
        topology.addSubregion(al, s.b, 0n),
        E.mapLeft((e) => e._tag),
      ),
    ).toEqual(E.left('AliasHasSubregions'))
    // an alias of root placed inside root would render itself forever
    expect(
      pipe(
        s.t(),
        topology.addSubregion(s.root, al, 0n),
        E.mapLeft((e) => e._tag),
      ),
    ).toEqual(E.left('Cycle'))
    expect(
      pipe(
        s.t(),
        topology.addSubregion(s.root, s.root, 0n),
        E.mapLeft((e) => e._tag),
      ),
    ).toEqual(E.left('Cycle'))
    expect(
      pipe(
        s.t(),
        topology.removeSubregion(s.b),
        E.mapLeft((e) => e._tag),
      ),
    ).toEqual(E.left('NotMapped'))
    expect(
      pipe(
        s.t(),
        topology.setAliasOffset(s.a, 0n),
        E.mapLeft((e) => e._tag),
      ),
    ).toEqual(E.left('NotAnAlias'))
    expect(E.isLeft(topology.addRegion({ name: 'x', kind: 'alias', size: 1n })(s.t()))).toBe(true)
    expect(
      E.isLeft(topology.addRegion({ name: 'x', kind: 'ram', size: (1n << 64n) + 1n })(s.t())),
    ).toBe(true)
  })
  it('reads a UINT64_MAX size as 2^64, as QEMU does', () => {
    const c = must(
      topology.addRegion({ name: 'all', kind: 'container', size: (1n << 64n) - 1n })(
        topology.empty(),
      ),
    )
    expect(c.topology.regions.get(c.id)?.size).toBe(1n << 64n)
  })
  it('never changes the topology it was given', () => {
    const s = setup()
    const before = s.t()
    const frozen = JSON.stringify([...before.regions.entries()], (_k, v) =>
      typeof v === 'bigint' ? String(v) : v,
    )
    must(
      pipe(
        before,
        topology.addSubregion(s.root, s.a, 0n),
        E.chain(topology.setEnabled(s.a, false)),
      ),
    )
    expect(
      JSON.stringify([...before.regions.entries()], (_k, v) =>
        typeof v === 'bigint' ? String(v) : v,
      ),
    ).toBe(frozen)
  })
})

describe('rendering at the top of the address space', () => {
  it('renders a region that ends exactly at 2^64 and clips one that would pass it', () => {
    const s = setup()
    const big = s.mk('top', 'ram', 0x2000n)
    const t = must(
      pipe(
        s.t(),
        topology.addSubregion(s.root, s.a, (1n << 64n) - 0x1000n),
        E.chain(topology.addSubregion(s.root, big, (1n << 64n) - 0x3000n, -1)),
      ),
    )
    expect(
      render(s.root)(t).map((r) => [
        r.start,
        r.end,
        t.regions.get(r.region)?.name,
        r.offsetInRegion,
      ]),
    ).toEqual([
      [(1n << 64n) - 0x3000n, (1n << 64n) - 0x1000n, 'top', 0n],
      [(1n << 64n) - 0x1000n, 1n << 64n, 'a', 0n],
    ])
    // a region placed so that it would run past 2^64 is clipped by its 2^64 container
    const past = must(topology.setAddress(big, (1n << 64n) - 0x1000n)(t))
    expect(
      render(s.root)(past).map((r) => [r.start, r.end, past.regions.get(r.region)?.name]),
    ).toEqual([[(1n << 64n) - 0x1000n, 1n << 64n, 'a']])
  })
})
