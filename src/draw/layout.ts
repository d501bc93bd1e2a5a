/**
 * Placing a {@link Scene}: two columns on one piecewise scale each (see {@link scaleOf}),
 * GPA space of the address space on the left, `ram_addr_t` space on the right, links in
 * between, the moved region's old and new places as markers in two lanes left of the GPA
 * column, a heading that says the scale is not linear, and a legend.
 *
 * Guarantees (property-tested): every box lies inside the canvas; the GPA boxes are
 * pairwise disjoint, and so are the RAMBlock boxes; every box is tall enough for its
 * label lines, and every label line fits its box's width at the font size used.
 *
 * @module
 */
import { toHex } from '../addresses/hex.js'
import { sizeToStr } from '../qemu/size-to-str.js'
import type { BlockBox, Change, GpaBox, Link, Scene } from './scene.js'
import { bottomOf, compareBig, scaleOf, yOf, type Scale, type Segment } from './scale.js'

/** An axis-aligned rectangle in SVG user units (pixels). */
export interface Rect {
  readonly x: number
  readonly y: number
  readonly width: number
  readonly height: number
}

/** A placed box and its label lines (already shortened to fit). */
export interface Placed<A> {
  readonly item: A
  readonly rect: Rect
  readonly lines: ReadonlyArray<string>
}

/** A placed RAMBlock: the whole reserved extent, and the part past `used_length`. */
export interface PlacedBlock extends Placed<BlockBox> {
  /** `[used, max)`: reserved but not in use; absent when used = max. */
  readonly reserve?: Rect
}

/** A link band: from the GPA box's right edge to the `ram_addr_t` extent's left edge. */
export interface PlacedLink {
  readonly link: Link
  readonly x0: number
  readonly gpaTop: number
  readonly gpaBottom: number
  readonly x1: number
  readonly ramTop: number
  readonly ramBottom: number
}

/** A compressed gap, with its size. */
export interface PlacedGap {
  readonly column: 'gpa' | 'ram'
  readonly rect: Rect
  readonly size: bigint
  readonly label: string
}

/** A text at a position; `role` picks its style. */
export interface PlacedText {
  readonly x: number
  readonly y: number
  readonly text: string
  readonly role: 'title' | 'note' | 'heading' | 'legend'
}

/** A legend entry's swatch. */
export interface Swatch {
  readonly rect: Rect
  readonly kind: 'ram' | 'rom' | 'mmio' | 'alias' | 'new' | 'old' | 'gap'
}

/** The whole picture, placed. */
export interface Layout {
  readonly width: number
  readonly height: number
  readonly gpa: ReadonlyArray<Placed<GpaBox>>
  readonly blocks: ReadonlyArray<PlacedBlock>
  readonly links: ReadonlyArray<PlacedLink>
  readonly gaps: ReadonlyArray<PlacedGap>
  readonly markers: ReadonlyArray<{ readonly change: Change; readonly rect: Rect }>
  readonly texts: ReadonlyArray<PlacedText>
  readonly swatches: ReadonlyArray<Swatch>
}

/** Font size of box labels (monospace), and the widest a character of it is drawn. */
export const FONT_SIZE = 11
/** Width of one label character, with margin over monospace fonts' 0.6 em. */
export const CHAR_WIDTH = 7
/** Line pitch of box labels. */
export const LINE_HEIGHT = 13
/** Padding inside a box. */
export const PAD = 5

const MARGIN = 16
const OLD_LANE = { x: MARGIN, width: 8 }
const NEW_LANE = { x: MARGIN + 12, width: 8 }
const GPA_X = MARGIN + 26
const BOX_WIDTH = 430
const LINK_WIDTH = 240
const RAM_X = GPA_X + BOX_WIDTH + LINK_WIDTH
const WIDTH = RAM_X + BOX_WIDTH + MARGIN
const TOP = 112
const LEGEND_ROW = 20

const maxChars = Math.floor((BOX_WIDTH - 2 * PAD) / CHAR_WIDTH)

/** `text` cut to `n` characters, with an ellipsis when cut. */
export const fit = (text: string, n: number = maxChars): string =>
  [...text].length <= n ? text : [...text].slice(0, Math.max(0, n - 1)).join('') + '…'

const hexRange = (start: bigint, end: bigint): string => `${toHex(start)}-${toHex(end - 1n)}`

/** The label lines of a GPA box. */
export const gpaLines = (b: GpaBox): ReadonlyArray<string> => {
  const size = sizeToStr(b.end - b.start)
  const lines =
    b.kind === 'ghost'
      ? [`${b.name} (before the move)`, hexRange(b.start, b.end), 'now unmapped']
      : [
          `${b.name} · ${b.type} · ${size}${b.moved ? ' · ← moved here' : ''}`,
          hexRange(b.start, b.end),
          ...(b.alias === undefined ? [] : [b.alias]),
        ]
  return lines.map((l) => fit(l))
}

/** The label lines of a RAMBlock box. */
export const blockLines = (b: BlockBox): ReadonlyArray<string> =>
  [
    b.idstr,
    `ram_addr ${hexRange(b.start, b.start + b.max)}`,
    b.used === b.max
      ? `used ${sizeToStr(b.used)}`
      : `used ${sizeToStr(b.used)} of max ${sizeToStr(b.max)}`,
  ].map((l) => fit(l))

/** The height a box needs for `n` label lines. */
export const labelHeight = (n: number): number => n * LINE_HEIGHT + 2 * PAD - 2

interface Span {
  readonly start: bigint
  readonly end: bigint
  readonly need: number
}

/**
 * A column's scale: pieces cut at `points`, occupied where a span covers them, each span
 * given at least `need` pixels (the deficit spread over its pieces by their height).
 */
const columnScale = (spans: ReadonlyArray<Span>, points: ReadonlyArray<bigint>): Scale => {
  // spans by start, with the furthest end among each prefix: a piece [s, e) is covered when
  // some span starting at or before s reaches e (one binary search, not a scan of spans)
  const byStart = [...spans].sort((a, b) => compareBig(a.start, b.start))
  const reach: bigint[] = []
  for (const x of byStart) {
    const prev = reach[reach.length - 1]
    reach.push(prev !== undefined && prev > x.end ? prev : x.end)
  }
  const covered = (s: bigint, e: bigint): boolean => {
    let lo = 0
    let hi = byStart.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((byStart[mid] as Span).start <= s) lo = mid + 1
      else hi = mid
    }
    return lo > 0 && e <= (reach[lo - 1] as bigint)
  }
  const base = scaleOf(points, covered, TOP)
  const extra = new Map<bigint, number>()
  // the segments are ascending and contiguous: a span's segments are one run of them
  const firstAtOrAfter = (a: bigint): number => {
    let lo = 0
    let hi = base.segments.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((base.segments[mid] as Segment).start < a) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  for (const span of spans) {
    const segs: Segment[] = []
    for (let i = firstAtOrAfter(span.start); i < base.segments.length; i++) {
      const g = base.segments[i] as Segment
      if (g.end > span.end) break
      segs.push(g)
    }
    const have = segs.reduce((n, g) => n + g.height, 0)
    if (have >= span.need || segs.length === 0) continue
    let left = span.need - have
    segs.forEach((g, i) => {
      const add = i === segs.length - 1 ? left : Math.ceil(((span.need - have) * g.height) / have)
      const now = Math.min(add, left)
      extra.set(g.start, (extra.get(g.start) ?? 0) + now)
      left -= now
    })
  }
  return scaleOf(points, covered, TOP, (s) => extra.get(s) ?? 0)
}

const gapsOf = (column: 'gpa' | 'ram', x: number, s: Scale): PlacedGap[] =>
  s.segments
    .filter((g) => g.gap)
    .map((g) => ({
      column,
      rect: { x, y: g.y, width: BOX_WIDTH, height: g.height },
      size: g.end - g.start,
      label: `≈ ${sizeToStr(g.end - g.start)} gap (not to scale)`,
    }))

const rectOf = (x: number, s: Scale, start: bigint, end: bigint): Rect => {
  const y = yOf(start)(s)
  return { x, y, width: BOX_WIDTH, height: yOf(end)(s) - y }
}

/**
 * Places a scene. Pure: the same scene always gives the same layout.
 *
 * @example
 * import * as draw from 'ramaddr/draw'
 * const l = draw.layout({
 *   addressSpace: 'memory',
 *   gpa: [{ kind: 'ram', start: 0x0n, end: 0x8000000n, name: 'pc.ram', type: 'ram', block: 'pc.ram', aliasChain: [], moved: false }],
 *   blocks: [{ idstr: 'pc.ram', start: 0x0n, used: 0x8000000n, max: 0x8000000n }],
 *   links: [{ gpaStart: 0x0n, gpaEnd: 0x8000000n, ramStart: 0x0n, block: 'pc.ram', alias: false, ghost: false }],
 *   changes: [],
 *   moves: [],
 * })
 * const [box] = l.gpa
 * assert.deepEqual(box.lines, ['pc.ram · ram · 128 MiB', '0x0-0x7ffffff'])
 * assert.ok(box.rect.y >= 0 && box.rect.y + box.rect.height <= l.height)
 * assert.equal(l.links[0].gpaTop, box.rect.y)
 */
export const layout = (s: Scene): Layout => {
  const gpaLabel = s.gpa.map(gpaLines)
  const blockLabel = s.blocks.map(blockLines)
  const gpaScale = columnScale(
    s.gpa.map((b, i) => ({
      start: b.start,
      end: b.end,
      need: labelHeight(gpaLabel[i]?.length ?? 0),
    })),
    [...s.gpa.flatMap((b) => [b.start, b.end]), ...s.changes.flatMap((c) => [c.start, c.end])],
  )
  const ramScale = columnScale(
    s.blocks.map((b, i) => ({
      start: b.start,
      end: b.start + b.max,
      need: labelHeight(blockLabel[i]?.length ?? 0),
    })),
    [
      ...s.blocks.flatMap((b) => [b.start, b.start + b.used, b.start + b.max]),
      ...s.links.flatMap((k) => [k.ramStart, k.ramStart + (k.gpaEnd - k.gpaStart)]),
    ],
  )
  const gpa = s.gpa.map((item, i) => ({
    item,
    rect: rectOf(GPA_X, gpaScale, item.start, item.end),
    lines: gpaLabel[i] ?? [],
  }))
  const blocks = s.blocks.map((item, i): PlacedBlock => {
    const rect = rectOf(RAM_X, ramScale, item.start, item.start + item.max)
    const reserve =
      item.used < item.max
        ? rectOf(RAM_X, ramScale, item.start + item.used, item.start + item.max)
        : undefined
    return { item, rect, lines: blockLabel[i] ?? [], ...(reserve === undefined ? {} : { reserve }) }
  })
  const links = s.links.map((link) => ({
    link,
    x0: GPA_X + BOX_WIDTH,
    gpaTop: yOf(link.gpaStart)(gpaScale),
    gpaBottom: yOf(link.gpaEnd)(gpaScale),
    x1: RAM_X,
    ramTop: yOf(link.ramStart)(ramScale),
    ramBottom: yOf(link.ramStart + (link.gpaEnd - link.gpaStart))(ramScale),
  }))
  const markers = s.changes.map((change) => {
    const lane = change.side === 'old' ? OLD_LANE : NEW_LANE
    const y = yOf(change.start)(gpaScale)
    return {
      change,
      rect: { x: lane.x, y, width: lane.width, height: yOf(change.end)(gpaScale) - y },
    }
  })
  const bottom = Math.max(bottomOf(gpaScale), bottomOf(ramScale), TOP + 40)
  const moves =
    s.moves.length === 0
      ? 'No region moved.'
      : `Moved: ${s.moves.join(', ')}. Red lane: where the moved region was; orange: where it is now.`
  const texts: PlacedText[] = [
    {
      x: MARGIN,
      y: 26,
      text: fit(
        `Guest-physical map of address space "${s.addressSpace}" and ram_addr_t space`,
        110,
      ),
      role: 'title',
    },
    {
      x: MARGIN,
      y: 46,
      text: "Scale is not linear: a range's height grows with log2 of its size; gaps are compressed (≈).",
      role: 'note',
    },
    { x: MARGIN, y: 64, text: fit(moves, 150), role: 'note' },
    {
      x: GPA_X,
      y: TOP - 12,
      text: `GPA (address space "${fit(s.addressSpace, 30)}")`,
      role: 'heading',
    },
    { x: RAM_X, y: TOP - 12, text: 'ram_addr_t (RAMBlocks)', role: 'heading' },
  ]
  const legend: ReadonlyArray<[Swatch['kind'], string]> = [
    ['ram', 'RAM (colour of its RAMBlock)'],
    ['rom', 'ROM / read-only'],
    ['mmio', 'I/O (no RAM behind it)'],
    ['alias', 'seen through an alias'],
    ['new', 'new place of a moved region'],
    ['old', 'old place of a moved region'],
    ['gap', 'compressed gap'],
  ]
  const legendTop = bottom + 28
  const perRow = 4
  const swatches: Swatch[] = []
  legend.forEach(([kind, text], i) => {
    const x = MARGIN + (i % perRow) * 280
    const y = legendTop + Math.floor(i / perRow) * LEGEND_ROW
    swatches.push({ kind, rect: { x, y, width: 16, height: 11 } })
    texts.push({ x: x + 22, y: y + 10, text, role: 'legend' })
  })
  const rows = Math.ceil(legend.length / perRow)
  return {
    width: WIDTH,
    height: legendTop + rows * LEGEND_ROW + MARGIN,
    gpa,
    blocks,
    links,
    gaps: [...gapsOf('gpa', GPA_X, gpaScale), ...gapsOf('ram', RAM_X, ramScale)],
    markers,
    texts,
    swatches,
  }
}
