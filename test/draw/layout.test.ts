// The layout's promises, over random maps and over the recorded machines: boxes inside
// the canvas, GPA boxes pairwise disjoint, RAMBlock boxes pairwise disjoint, labels fit
// their boxes, links end on their boxes, the legend below everything.
import { describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import {
  CHAR_WIDTH,
  LINE_HEIGHT,
  PAD,
  layout,
  type Layout,
  type Rect,
} from '../../src/draw/layout.js'
import type { BlockBox, Change, GpaBox, Link, Scene } from '../../src/draw/scene.js'
import { scene } from '../../src/draw/scene.js'
import { make } from '../../src/translate/address-map.js'
import { setAddress } from '../../src/region/topology.js'
import { resolveRef } from '../../src/region/region-ref.js'
import { states } from './recorded.js'

const TWO_64 = 1n << 64n

const inside = (r: Rect, l: Layout): boolean =>
  r.x >= 0 && r.y >= 0 && r.x + r.width <= l.width && r.y + r.height <= l.height

const disjoint = (a: Rect, b: Rect): boolean =>
  a.x + a.width <= b.x ||
  b.x + b.width <= a.x ||
  a.y + a.height <= b.y + 1e-9 ||
  b.y + b.height <= a.y + 1e-9

const pairwiseDisjoint = (rs: ReadonlyArray<Rect>): boolean =>
  rs.every((a, i) => rs.every((b, j) => j <= i || disjoint(a, b)))

/** Every promise of the layout, as a list of broken ones (empty when all hold). */
const broken = (l: Layout): string[] => {
  const out: string[] = []
  const boxes = [...l.gpa, ...l.blocks]
  for (const p of boxes) {
    if (!inside(p.rect, l)) out.push(`outside: ${p.lines[0]} ${JSON.stringify(p.rect)}`)
    if (!(p.rect.height > 0)) out.push(`empty: ${p.lines[0]}`)
    if (p.lines.length * LINE_HEIGHT + PAD > p.rect.height + 1e-9)
      out.push(`label too tall: ${p.lines[0]} (${p.lines.length} lines, ${p.rect.height}px)`)
    for (const line of p.lines)
      if ([...line].length * CHAR_WIDTH > p.rect.width - 2 * PAD)
        out.push(`label too wide: ${line}`)
  }
  if (!pairwiseDisjoint(l.gpa.map((p) => p.rect))) out.push('GPA boxes overlap')
  if (!pairwiseDisjoint(l.blocks.map((p) => p.rect))) out.push('RAMBlock boxes overlap')
  for (const g of l.gaps) {
    if (!inside(g.rect, l)) out.push('gap outside')
    const column = g.column === 'gpa' ? l.gpa : l.blocks
    if (!column.every((p) => disjoint(p.rect, g.rect))) out.push(`gap over a box: ${g.label}`)
  }
  for (const m of l.markers) {
    if (!inside(m.rect, l)) out.push('marker outside')
    if (!l.gpa.every((p) => disjoint(p.rect, m.rect))) out.push('marker over a box')
  }
  for (const k of l.links) {
    if (!(k.gpaTop <= k.gpaBottom && k.ramTop <= k.ramBottom)) out.push('link upside down')
    if (Math.min(k.gpaTop, k.ramTop) < 0 || Math.max(k.gpaBottom, k.ramBottom) > l.height)
      out.push('link outside')
    const box = l.gpa.find((p) => p.item.start === k.link.gpaStart && p.item.end === k.link.gpaEnd)
    if (
      box !== undefined &&
      (Math.abs(box.rect.y - k.gpaTop) > 1e-6 ||
        Math.abs(box.rect.y + box.rect.height - k.gpaBottom) > 1e-6)
    )
      out.push('link does not end on its GPA box')
    if (box !== undefined && k.x0 !== box.rect.x + box.rect.width)
      out.push('link does not start at the box edge')
  }
  const bottom = Math.max(...boxes.map((p) => p.rect.y + p.rect.height), 0)
  for (const s of l.swatches) {
    if (!inside(s.rect, l)) out.push('legend outside')
    if (s.rect.y < bottom) out.push('legend over the columns')
  }
  for (const t of l.texts)
    if (t.x < 0 || t.y < 0 || t.x > l.width || t.y > l.height) out.push(`text outside: ${t.text}`)
  return out
}

/** Sorted distinct cut points in [0, 2^64], grouped into disjoint ranges. */
const rangesArb = (maxLog: number, max: number) =>
  fc
    .uniqueArray(
      fc.tuple(fc.integer({ min: 0, max: maxLog }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
      { minLength: 2, maxLength: max * 2 },
    )
    .map((xs) => {
      const points = [...new Set(xs.map(([log, v]) => v % (1n << BigInt(Math.max(1, log)))))].sort(
        (a, b) => (a < b ? -1 : a > b ? 1 : 0),
      )
      const out: Array<{ start: bigint; end: bigint }> = []
      for (let i = 0; i + 1 < points.length; i += 2)
        out.push({ start: points[i] as bigint, end: points[i + 1] as bigint })
      return out
    })

const nameArb = fc.oneof(
  fc.constantFrom('pc.ram', 'vga.vram', '/rom@etc/acpi/tables', '0000:00:02.0/vga.vram'),
  fc.string({ maxLength: 120, unit: 'grapheme' }),
)

const sceneArb: fc.Arbitrary<Scene> = fc
  .record({
    gpa: rangesArb(64, 30),
    blocks: rangesArb(44, 12),
    names: fc.array(nameArb, { minLength: 64, maxLength: 64 }),
    kinds: fc.array(
      fc.constantFrom('ram', 'rom', 'mmio', 'ghost') as fc.Arbitrary<GpaBox['kind']>,
      {
        minLength: 64,
        maxLength: 64,
      },
    ),
    flags: fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
    changes: fc.array(fc.tuple(fc.nat(40), fc.boolean()), { maxLength: 8 }),
    ramOffsets: fc.array(fc.bigInt({ min: 0n, max: (1n << 44n) - 1n }), {
      minLength: 64,
      maxLength: 64,
    }),
    used: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 64, maxLength: 64 }),
  })
  .map(({ gpa, blocks, names, kinds, flags, changes, ramOffsets, used }) => {
    const blockBoxes: BlockBox[] = blocks.map((r, i) => {
      const max = r.end - r.start
      const u = BigInt(Math.floor(Number(max) * (used[i] ?? 1)))
      return { idstr: names[i] ?? 'b', start: r.start, used: u > 0n ? u : max, max }
    })
    const gpaBoxes: GpaBox[] = gpa.map((r, i) => {
      const kind = kinds[i] ?? 'ram'
      const block = blockBoxes[i % Math.max(1, blockBoxes.length)]
      return {
        kind,
        start: r.start,
        end: r.end,
        name: names[(i + 7) % 64] ?? 'x',
        type: kind === 'mmio' ? 'i/o' : kind,
        ...(kind !== 'mmio' && block !== undefined ? { block: block.idstr } : {}),
        ...(flags[i] === true
          ? { alias: `alias ${names[(i + 3) % 64]} @ pci+0x${i.toString(16)}` }
          : {}),
        aliasChain: [],
        moved: flags[(i + 1) % 64] === true,
      }
    })
    const links: Link[] = gpaBoxes.flatMap((b, i) =>
      b.block === undefined
        ? []
        : [
            {
              gpaStart: b.start,
              gpaEnd: b.end,
              ramStart: (ramOffsets[i] ?? 0n) % (TWO_64 - (b.end - b.start) + 1n),
              block: b.block,
              alias: b.alias !== undefined,
              ghost: b.kind === 'ghost',
            },
          ],
    )
    const cs: Change[] = []
    for (const [i, old] of changes) {
      const b = gpaBoxes[i % Math.max(1, gpaBoxes.length)]
      const side = old ? 'old' : 'new'
      if (b !== undefined && !cs.some((c) => c.side === side && c.start < b.end && b.start < c.end))
        cs.push({ side, start: b.start, end: b.end, name: b.name })
    }
    return {
      addressSpace: names[63] ?? 'memory',
      gpa: gpaBoxes,
      blocks: blockBoxes,
      links,
      changes: cs,
      moves: names.slice(0, flags.filter(Boolean).length % 3),
    }
  })

describe('layout', () => {
  test.prop([sceneArb], { numRuns: 300 })('keeps its promises on random maps', (s) => {
    expect(broken(layout(s))).toEqual([])
  })

  test.prop([sceneArb], { numRuns: 100 })('is a function of the scene', (s) => {
    expect(layout(s)).toEqual(layout(s))
  })

  test.prop([sceneArb], { numRuns: 100 })('keeps address order top to bottom', (s) => {
    const l = layout(s)
    for (let i = 1; i < l.gpa.length; i++) {
      const a = l.gpa[i - 1]
      const b = l.gpa[i]
      if (a !== undefined && b !== undefined)
        expect(a.rect.y + a.rect.height).toBeLessThanOrEqual(b.rect.y + 1e-9)
    }
  })

  const all = states()
  test.each(all.map((s) => [s.id, s] as const))('%s: keeps its promises', (_, s) => {
    expect(broken(layout(scene(s.map)))).toEqual([])
  })

  test('the recorded BAR move keeps them too, old and new place marked', () => {
    const s = all.find((x) => x.id === 'qemu-7.2/q35-512m-vga-net/08')
    if (s === undefined) throw new Error('fixture missing')
    const moved = E.chain((r: { id: Parameters<typeof setAddress>[0] }) =>
      setAddress(r.id, 0xe0000000n)(s.topology),
    )(resolveRef('vga.vram')(s.topology))
    if (E.isLeft(moved)) throw new Error(moved.left.message)
    const after = make({ topology: moved.right, ramList: s.ramList })
    if (E.isLeft(after)) throw new Error(after.left.message)
    const l = layout(scene(after.right, s.map, ['vga.vram=0xe0000000']))
    expect(broken(l)).toEqual([])
    expect(l.markers.map((m) => m.change.side).sort()).toEqual(['new', 'old'])
    const ghost = l.gpa.find((p) => p.item.kind === 'ghost')
    const old = l.markers.find((m) => m.change.side === 'old')
    // the old-place marker runs alongside the ghost box
    expect(old?.rect.y).toBeCloseTo(ghost?.rect.y ?? NaN)
    expect(old?.rect.height).toBeCloseTo(ghost?.rect.height ?? NaN)
  })
})
