// Topology edits take a region reference (an id, a unique name, a path or NAME@ADDR), and
// fromRegions takes containers, alias targets and roots by name as well as by index.
import { describe, expect, it } from 'vitest'
import { fc, test as fcTest } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as topology from '../../src/region/index.js'
import type { BulkRegion, Topology } from '../../src/region/topology.js'
import { parse } from '../../src/qemu/mtree-parse.js'

const right = <A>(e: E.Either<unknown, A>): A => {
  if (E.isLeft(e)) throw new Error(`expected Right, got ${JSON.stringify(e.left)}`)
  return e.right
}

// two BARs of one name: the reference must say which
const TREE = right(
  parse(
    [
      'address-space: memory',
      '  0000000000000000-ffffffffffffffff (prio 0, i/o): system',
      '    00000000fe000000-00000000fe003fff (prio 1, i/o): virtio-pci',
      '    00000000fe100000-00000000fe103fff (prio 1, i/o): virtio-pci',
      '    00000000fd000000-00000000fdffffff (prio 1, ram): vga.vram',
      '',
    ].join('\n'),
  ),
)
const addrOf = (t: Topology, ref: string): bigint => right(topology.resolveRef(ref)(t)).addr

describe('topology edits by reference', () => {
  it('a unique name, an id and a path name the same region', () => {
    const id = right(topology.resolveRef('vga.vram')(TREE)).id
    const byName = right(topology.setAddress('vga.vram', 0xe0000000n)(TREE))
    const byId = right(topology.setAddress(id, 0xe0000000n)(TREE))
    const byPath = right(topology.setAddress('system/vga.vram', 0xe0000000n)(TREE))
    expect(addrOf(byName, 'vga.vram')).toBe(0xe0000000n)
    expect(byId).toEqual(byName)
    expect(byPath).toEqual(byName)
  })
  it('an ambiguous name is a typed error naming the way out; NAME@ADDR picks one', () => {
    const bad = topology.setEnabled('virtio-pci', false)(TREE)
    expect(E.isLeft(bad) && bad.left._tag).toBe('AmbiguousName')
    expect(E.isLeft(bad) && bad.left.message).toMatch(/2 regions match "virtio-pci"; .*NAME@0xADDR/)
    const t = right(topology.setEnabled('virtio-pci@0xfe100000', false)(TREE))
    const disabled = [...t.regions.values()].filter((r) => r.name === 'virtio-pci' && !r.enabled)
    expect(disabled.map((r) => r.addr)).toEqual([0xfe100000n])
  })
  it('an absent name or id is a typed error, and the topology is not changed', () => {
    for (const ref of ['nope', 'system/nope', 'vga.vram@0x1234', 9999 as topology.RegionId]) {
      const r = topology.setSize(ref, 0x1000n)(TREE)
      expect(E.isLeft(r)).toBe(true)
      if (E.isLeft(r)) expect(['NoSuchName', 'NoSuchRegion']).toContain(r.left._tag)
    }
  })
  it('addSubregion, removeSubregion, setAliasOffset and addAddressSpace take names', () => {
    const t = pipe(
      topology.fromRegions([
        { name: 'system', kind: 'container', size: 1n << 64n },
        { name: 'pc.ram', kind: 'ram', size: 0x8000000n },
        { name: 'ram-below-4g', kind: 'alias', size: 0x8000000n, aliasOf: 'pc.ram' },
      ]),
      E.chain(topology.addSubregion('system', 'ram-below-4g', 0n)),
      E.chain(topology.setAliasOffset('ram-below-4g', 0x1000n)),
      E.chain(topology.addAddressSpace('memory', 'system')),
      E.chain(topology.removeSubregion('system/ram-below-4g')),
    )
    const done = right(t)
    expect(done.addressSpaces).toEqual([{ name: 'memory', root: 1 }])
    expect(done.regions.get(1 as never)?.subregions).toEqual([])
    expect(done.regions.get(3 as never)?.aliasOffset).toBe(0x1000n)
  })
})

/** A random forest of uniquely named regions, containers given by index. */
const bulk = fc
  .array(
    fc.record({
      kind: fc.constantFrom('container', 'ram', 'io', 'alias') as fc.Arbitrary<
        'container' | 'ram' | 'io' | 'alias'
      >,
      size: fc.bigInt({ min: 0n, max: 1n << 40n }),
      addr: fc.bigInt({ min: 0n, max: 1n << 40n }),
      priority: fc.integer({ min: -2, max: 2 }),
      parent: fc.nat(),
      target: fc.nat(),
      mapped: fc.boolean(),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map((rs): BulkRegion[] =>
    rs.map((r, i) => ({
      name: `r${i}`,
      kind: r.kind,
      size: r.size,
      addr: r.addr,
      priority: r.priority,
      // containers only earlier in the list, so the forest has no cycle through parents
      ...(r.mapped && i > 0 ? { parent: r.parent % i } : {}),
      ...(r.kind === 'alias' ? { aliasOf: r.target % rs.length } : {}),
    })),
  )

describe('fromRegions by name', () => {
  fcTest.prop([bulk])(
    'naming a container or target by name builds what its index builds',
    (specs) => {
      const named = specs.map((s) => ({
        ...s,
        ...(s.parent === undefined ? {} : { parent: `r${String(s.parent)}` }),
        ...(s.aliasOf === undefined ? {} : { aliasOf: `r${String(s.aliasOf)}` }),
      }))
      expect(topology.fromRegions(named, [{ name: 'as', root: 'r0' }])).toEqual(
        topology.fromRegions(specs, [{ name: 'as', root: 0 }]),
      )
    },
  )
  it('a name that is not in the list, or names two entries, is a typed error', () => {
    const absent = topology.fromRegions([
      { name: 'a', kind: 'container', size: 0x1000n },
      { name: 'b', kind: 'ram', size: 0x1000n, parent: 'c' },
    ])
    expect(E.isLeft(absent) && absent.left.message).toBe(
      'region b: parent "c" names no region of the list',
    )
    const twice = topology.fromRegions([
      { name: 'a', kind: 'container', size: 0x1000n },
      { name: 'a', kind: 'container', size: 0x1000n },
      { name: 'b', kind: 'ram', size: 0x1000n, parent: 'a' },
    ])
    expect(E.isLeft(twice) && twice.left.message).toBe(
      'region b: parent "a" names several regions of the list',
    )
    const root = topology.fromRegions(
      [{ name: 'a', kind: 'container', size: 0x1000n }],
      [{ name: 'memory', root: 'z' }],
    )
    expect(E.isLeft(root) && root.left._tag).toBe('NoSuchName')
  })
})
