// draw.provenance against flatview.render on random machines whose root holds 17 or more
// subregions (overlapping, prioritised, disabled, aliases), where provenance finds the
// claiming subregion through its per-container index instead of trying every subregion:
// at both ends of every flat range it must name the range's region and offset, and just
// past a range that no other range follows, nothing.
import { describe, expect, it } from 'vitest'
import { fc } from '@fast-check/vitest'
import * as O from 'fp-ts/lib/Option.js'
import { machineSpec, buildMachine } from '../../src/arbitraries/region-tree.js'
import { render } from '../../src/flatview/render.js'
import { provenance } from '../../src/draw/provenance.js'

const wide = fc
  .array(machineSpec, { minLength: 4, maxLength: 8 })
  .map((specs) => ({ ...specs[0]!, tree: specs.flatMap((s) => s.tree) }))
  .filter((s) => s.tree.length >= 17)

describe('provenance on wide containers', () => {
  it('finds the region and offset flatview.render puts at both ends of every range, and nothing in the gaps', () => {
    fc.assert(
      fc.property(wide, (spec) => {
        const m = buildMachine(spec)
        if (m._tag === 'Left') throw new Error(m.left.message)
        const { topology, root } = m.right
        expect(topology.regions.get(root)!.subregions.length).toBeGreaterThanOrEqual(17)
        const ranges = render(root)(topology)
        ranges.forEach((r, i) => {
          for (const addr of [r.start, r.end - 1n]) {
            const p = provenance(root, addr)(topology)
            expect(O.isSome(p) && [p.value.region.id, p.value.offsetInRegion]).toEqual([
              r.region,
              r.offsetInRegion + (addr - r.start),
            ])
          }
          const next = ranges[i + 1]
          if ((next === undefined || next.start > r.end) && r.end < 1n << 64n)
            expect(O.isNone(provenance(root, r.end)(topology))).toBe(true)
        })
      }),
      { numRuns: 150 },
    )
  })
})
