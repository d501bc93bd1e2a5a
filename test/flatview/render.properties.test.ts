// Properties of rendering, lookup and translation on random region trees, each checked
// against an independent point-wise model of QEMU's visibility rule (for one address:
// children in list order, first hit wins, then the terminating parent itself).
import { describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { render } from '../../src/flatview/render.js'
import { canMerge } from '../../src/flatview/flat-range.js'
import { lookup, ofRoot } from '../../src/flatview/flatview.js'
import { terminates, type RegionId } from '../../src/region/region.js'
import * as topology from '../../src/region/index.js'
import type { Topology } from '../../src/region/topology.js'
import * as ramList from '../../src/ramblock/ram-list.js'
import * as translate from '../../src/translate/address-map.js'
import { Gpa } from '../../src/addresses/kinds.js'
import { machine, machineWithBar, type Machine } from '../../src/arbitraries/region-tree.js'
import { TWO_64 } from '../../src/addresses/u64.js'

const RUNS = { numRuns: 1000 }

interface Hit {
  region: RegionId
  offset: bigint
  readonly: boolean
}

/** The independent model: what backs `addr` under region `id`. */
const pointQuery = (
  t: Topology,
  id: RegionId,
  base: bigint,
  addr: bigint,
  clipStart: bigint,
  clipEnd: bigint,
  ro: boolean,
): Hit | undefined => {
  const mr = t.regions.get(id)
  if (mr === undefined || !mr.enabled) return undefined
  const b = base + mr.addr
  const readonly = ro || mr.readonly
  const cs = b > clipStart ? b : clipStart
  const ce = b + mr.size < clipEnd ? b + mr.size : clipEnd
  if (!(cs <= addr && addr < ce)) return undefined
  if (mr.kind === 'alias') {
    const target = t.regions.get(mr.aliasTarget as RegionId)
    if (target === undefined) return undefined
    return pointQuery(t, target.id, b - target.addr - mr.aliasOffset, addr, cs, ce, readonly)
  }
  for (const c of mr.subregions) {
    const hit = pointQuery(t, c, b, addr, cs, ce, readonly)
    if (hit !== undefined) return hit
  }
  return terminates(mr) ? { region: mr.id, offset: addr - b, readonly } : undefined
}

/** Interesting addresses: every region's absolute edges (and ±1) as seen from the root. */
const probes = (m: Machine): bigint[] => {
  const out = new Set<bigint>([0n, TWO_64 - 1n])
  for (const r of m.topology.regions.values()) {
    const a = topology.absoluteAddress(r.id)(m.topology)
    for (const x of [
      a,
      a - 1n,
      a + 1n,
      a + r.size,
      a + r.size - 1n,
      a + r.aliasOffset,
      a + r.size / 2n,
    ])
      if (x >= 0n && x < TWO_64) out.add(x)
  }
  // alias windows shift targets; sample their interiors too
  for (let x = 0n; x < 0x200000n; x += 0x3000n) out.add(x)
  return [...out]
}

const listOf = (m: Machine) =>
  E.getOrElseW((e: { message: string }) => {
    throw new Error(e.message)
  })(
    ramList.addAll([...m.ramBlocks].map(([idstr, size]) => ({ idstr, usedLength: size })))(
      ramList.empty(),
    ),
  )

const show = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))

describe('flat views of random trees (properties)', () => {
  test.prop([machine], RUNS)(
    'ranges are sorted, disjoint, non-empty, terminal and maximally merged',
    (m) => {
      const ranges = render(m.root)(m.topology)
      for (const [i, r] of ranges.entries()) {
        expect(r.start < r.end).toBe(true)
        expect(r.end <= TWO_64).toBe(true)
        const mr = m.topology.regions.get(r.region)
        expect(mr !== undefined && terminates(mr)).toBe(true)
        expect(
          r.offsetInRegion >= 0n && r.offsetInRegion + (r.end - r.start) <= (mr?.size ?? 0n),
        ).toBe(true)
        const next = ranges[i + 1]
        if (next !== undefined) {
          expect(r.end <= next.start).toBe(true)
          expect(canMerge(r, next)).toBe(false)
        }
      }
    },
  )

  test.prop([machine], RUNS)('lookup agrees with the point-wise model at every edge', (m) => {
    const view = ofRoot(m.root)(m.topology)
    for (const addr of probes(m)) {
      const want = pointQuery(m.topology, m.root, 0n, addr, 0n, TWO_64, false)
      const got = lookup(Gpa.unsafe(addr))(view)
      expect({
        addr,
        hit: O.isSome(got)
          ? {
              region: got.value.range.region,
              offset: got.value.offsetInRegion,
              readonly: got.value.range.readonly,
            }
          : undefined,
      }).toEqual({ addr, hit: want })
    }
  })

  test.prop([machine], RUNS)('every RAM-backed GPA is among the GPAs of its ram_addr_t', (m) => {
    const map = translate.make({ topology: m.topology, ramList: listOf(m) })
    if (E.isLeft(map)) throw new Error(map.left.message)
    for (const addr of probes(m)) {
      const x = translate.translationOfGpa(Gpa.unsafe(addr))(map.right)
      if (x._tag !== 'Ram') continue
      expect(translate.gpasOfRamAddr(x.ramAddr)(map.right)).toContain(addr)
      // and every GPA listed translates back to the same ram_addr_t
      for (const g of translate.gpasOfRamAddr(x.ramAddr)(map.right)) {
        const back = translate.translationOfGpa(g)(map.right)
        expect(back._tag === 'Ram' && back.ramAddr).toBe(x.ramAddr)
      }
    }
  })

  test.prop([machineWithBar, fc.integer({ min: 0, max: 200 })], RUNS)(
    'a BAR move changes translation only inside the old and new BAR windows, and never its ram_addr_t',
    (m, newPages) => {
      const bar = m.topology.regions.get(m.bar as RegionId)
      if (bar === undefined) return
      const list = listOf(m)
      const before = translate.make({ topology: m.topology, ramList: list })
      const newStart = BigInt(newPages) * 0x1000n
      const moved = topology.setAddress(bar.id, newStart)(m.topology)
      if (E.isLeft(moved) || E.isLeft(before)) throw new Error('setup')
      const after = translate.make({ topology: moved.right, ramList: list })
      if (E.isLeft(after)) throw new Error('setup')
      const oldStart = bar.addr
      const inBar = (a: bigint) =>
        (a >= oldStart && a < oldStart + bar.size) || (a >= newStart && a < newStart + bar.size)
      const samples = [
        ...probes(m),
        ...[0n, 1n, bar.size - 1n].flatMap((o) => [oldStart + o, newStart + o]),
      ]
      for (const a of samples) {
        if (inBar(a)) continue
        const x = translate.translationOfGpa(Gpa.unsafe(a))(before.right)
        const y = translate.translationOfGpa(Gpa.unsafe(a))(after.right)
        expect({ a, after: show(y) }).toEqual({ a, after: show(x) })
      }
      const block = list.blocks.find((b) => b.idstr === 'bar')
      for (const o of [0n, bar.size / 2n, bar.size - 1n]) {
        const x = translate.translationOfGpa(Gpa.unsafe(oldStart + o))(before.right)
        const y = translate.translationOfGpa(Gpa.unsafe(newStart + o))(after.right)
        if (x._tag === 'Ram' && x.region.name === 'bar')
          expect(x.ramAddr).toBe((block?.offset ?? 0n) + o)
        if (y._tag === 'Ram' && y.region.name === 'bar')
          expect(y.ramAddr).toBe((block?.offset ?? 0n) + o)
      }
    },
  )

  test.prop([machine], { numRuns: 300 })(
    'rendering is deterministic and leaves the topology untouched',
    (m) => {
      const snapshot = show([...m.topology.regions.values()])
      expect(render(m.root)(m.topology)).toEqual(render(m.root)(m.topology))
      expect(show([...m.topology.regions.values()])).toBe(snapshot)
    },
  )
})
