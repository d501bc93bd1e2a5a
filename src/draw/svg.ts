/**
 * Drawing a {@link Layout} as a standalone SVG document. Every text goes through
 * {@link escapeXml}. Boxes carry classes the tests (and stylesheets) can select:
 * `box gpa` for GPA boxes, `box ramblock` for RAMBlocks, `link`, `gap`, `marker`.
 *
 * @module
 */
import { toHex } from '../addresses/hex.js'
import {
  FONT_SIZE,
  LINE_HEIGHT,
  PAD,
  type Layout,
  type Placed,
  type PlacedBlock,
  type Rect,
} from './layout.js'
import type { GpaBox } from './scene.js'
import { PALETTE } from './palette.js'
import { escapeXml } from './xml.js'

const n = (x: number): string => (Math.round(x * 100) / 100).toString()

const rectAttrs = (r: Rect): string =>
  `x="${n(r.x)}" y="${n(r.y)}" width="${n(r.width)}" height="${n(r.height)}"`

const label = (r: Rect, lines: ReadonlyArray<string>, cls: string): string =>
  lines
    .map(
      (l, i) =>
        `<text class="${i === 0 ? `${cls} first` : cls}" x="${n(r.x + PAD)}" y="${n(r.y + PAD + FONT_SIZE - 1 + i * LINE_HEIGHT)}">${escapeXml(l)}</text>`,
    )
    .join('')

const STYLE = `
text { font-family: 'DejaVu Sans Mono', 'Liberation Mono', Menlo, Consolas, monospace; font-size: ${FONT_SIZE}px; fill: #1b1b1b; }
text.first { font-weight: bold; }
text.title { font-family: 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; font-size: 17px; font-weight: bold; }
text.note { font-family: 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; font-size: 12px; fill: #444; }
text.heading { font-family: 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; font-size: 13px; font-weight: bold; }
text.legend { font-family: 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; font-size: 12px; }
text.gap { fill: #777; font-size: 10px; }
rect.box { stroke-width: 1.2; }
rect.box.alias { stroke-dasharray: 6 3; }
rect.box.mmio { fill: #f1f1f1; stroke: #9a9a9a; }
rect.box.ghost { fill: #fff5f5; stroke: #d32f2f; stroke-dasharray: 4 3; }
rect.box.moved { stroke: #ef6c00; stroke-width: 3; }
rect.reserve { fill: url(#hatch); stroke: none; }
path.link { stroke-width: 0.8; fill-opacity: 0.35; }
path.link.alias { stroke-dasharray: 5 3; }
path.link.ghost { fill: none; stroke: #d32f2f; stroke-dasharray: 4 3; stroke-width: 1.2; }
rect.marker.old { fill: #d32f2f; }
rect.marker.new { fill: #ef6c00; }
path.break { fill: none; stroke: #b0b0b0; stroke-width: 1; }
`

const DEFS = `<defs>
<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff" fill-opacity="0.6"/><line x1="0" y1="0" x2="0" y2="6" stroke="#9a9a9a" stroke-width="1.5"/></pattern>
<pattern id="rom" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><line x1="0" y1="0" x2="0" y2="8" stroke="#000000" stroke-opacity="0.18" stroke-width="2"/></pattern>
</defs>`

const colours = (l: Layout): ReadonlyMap<string, readonly [string, string]> =>
  new Map(l.blocks.map((b, i) => [b.item.idstr, PALETTE[i % PALETTE.length] ?? ['#ddd', '#555']]))

const gpaBox = (p: Placed<GpaBox>, c: ReadonlyMap<string, readonly [string, string]>): string => {
  const b = p.item
  const [fill, stroke] =
    b.block === undefined ? ['#f1f1f1', '#9a9a9a'] : (c.get(b.block) ?? ['#ddd', '#555'])
  const classes = [
    'box',
    'gpa',
    b.kind,
    ...(b.alias === undefined ? [] : ['alias']),
    ...(b.moved ? ['moved'] : []),
  ]
  const style = b.kind === 'ram' || b.kind === 'rom' ? ` fill="${fill}" stroke="${stroke}"` : ''
  const title = [
    `${b.name} (${b.type}) GPA ${toHex(b.start)}-${toHex(b.end - 1n)}`,
    ...(b.block === undefined ? [] : [`RAMBlock ${b.block}`]),
    ...b.aliasChain.map((a) => `via alias ${a}`),
  ].join('\n')
  return (
    `<g class="gpa-range" data-start="${toHex(b.start)}" data-end="${toHex(b.end)}"><title>${escapeXml(title)}</title>` +
    `<rect class="${classes.join(' ')}" ${rectAttrs(p.rect)}${style}/>` +
    (b.kind === 'rom' ? `<rect class="rom-hatch" ${rectAttrs(p.rect)} fill="url(#rom)"/>` : '') +
    label(p.rect, p.lines, 'label') +
    '</g>'
  )
}

const block = (p: PlacedBlock, c: ReadonlyMap<string, readonly [string, string]>): string => {
  const [fill, stroke] = c.get(p.item.idstr) ?? ['#ddd', '#555']
  const title = `RAMBlock ${p.item.idstr}: offset ${toHex(p.item.start)}, used ${toHex(p.item.used)}, max ${toHex(p.item.max)}`
  return (
    `<g class="ramblock"><title>${escapeXml(title)}</title>` +
    `<rect class="box ramblock" ${rectAttrs(p.rect)} fill="${fill}" stroke="${stroke}"/>` +
    (p.reserve === undefined ? '' : `<rect class="reserve" ${rectAttrs(p.reserve)}/>`) +
    label(p.rect, p.lines, 'label') +
    '</g>'
  )
}

const zigzag = (x: number, y: number, width: number): string => {
  const pts: string[] = []
  for (let i = 0; i <= width; i += 10) pts.push(`${n(x + i)},${n(y + (i % 20 === 0 ? 0 : 4))}`)
  return `M${pts.join(' L')}`
}

/**
 * The SVG document of a layout: boxes, links (bands from each GPA range to its
 * `ram_addr_t` extent, coloured by RAMBlock, dashed through an alias), compressed gaps,
 * move markers, heading and legend.
 *
 * @example
 * import * as draw from 'ramaddr/draw'
 * const svg = draw.toSvg(draw.layout({
 *   addressSpace: 'memory',
 *   gpa: [{ kind: 'mmio', start: 0xfec00000n, end: 0xfec01000n, name: 'ioapic <&>', type: 'i/o', aliasChain: [], moved: false }],
 *   blocks: [], links: [], changes: [], moves: [],
 * }))
 * assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'))
 * assert.ok(svg.includes('ioapic &lt;&amp;&gt;'))
 * assert.ok(!svg.includes('ioapic <&>'))
 */
export const toSvg = (l: Layout): string => {
  const c = colours(l)
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(l.width)}" height="${n(l.height)}" viewBox="0 0 ${n(l.width)} ${n(l.height)}">`,
    `<style>${STYLE}</style>`,
    DEFS,
    `<rect class="background" x="0" y="0" width="${n(l.width)}" height="${n(l.height)}" fill="#ffffff"/>`,
  ]
  for (const t of l.texts)
    out.push(`<text class="${t.role}" x="${n(t.x)}" y="${n(t.y)}">${escapeXml(t.text)}</text>`)
  for (const g of l.gaps) {
    const r = g.rect
    out.push(
      `<g class="gap" data-column="${g.column}"><path class="break" d="${zigzag(r.x, r.y + 4, r.width)} ${zigzag(r.x, r.y + r.height - 8, r.width)}"/>` +
        `<text class="gap" x="${n(r.x + r.width / 2 - 90)}" y="${n(r.y + r.height / 2 + 4)}">${escapeXml(g.label)}</text></g>`,
    )
  }
  out.push('<g class="links">')
  for (const k of l.links) {
    const mid = (k.x0 + k.x1) / 2
    const d =
      `M${n(k.x0)},${n(k.gpaTop)} C${n(mid)},${n(k.gpaTop)} ${n(mid)},${n(k.ramTop)} ${n(k.x1)},${n(k.ramTop)} ` +
      `L${n(k.x1)},${n(k.ramBottom)} C${n(mid)},${n(k.ramBottom)} ${n(mid)},${n(k.gpaBottom)} ${n(k.x0)},${n(k.gpaBottom)} Z`
    const [fill, stroke] = c.get(k.link.block) ?? ['#ddd', '#555']
    const cls = ['link', ...(k.link.alias ? ['alias'] : []), ...(k.link.ghost ? ['ghost'] : [])]
    const title = `GPA ${toHex(k.link.gpaStart)}-${toHex(k.link.gpaEnd - 1n)} -> ram_addr ${toHex(k.link.ramStart)}-${toHex(k.link.ramStart + (k.link.gpaEnd - k.link.gpaStart) - 1n)} (${k.link.block})${k.link.ghost ? ', before the move' : ''}`
    out.push(
      `<path class="${cls.join(' ')}" d="${d}"${k.link.ghost ? '' : ` fill="${fill}" stroke="${stroke}"`}><title>${escapeXml(title)}</title></path>`,
    )
  }
  out.push('</g>')
  for (const m of l.markers)
    out.push(
      `<rect class="marker ${m.change.side}" ${rectAttrs(m.rect)}><title>${escapeXml(`${m.change.side === 'old' ? 'was' : 'now'} ${m.change.name}: ${toHex(m.change.start)}-${toHex(m.change.end - 1n)}`)}</title></rect>`,
    )
  for (const p of l.gpa) out.push(gpaBox(p, c))
  for (const p of l.blocks) out.push(block(p, c))
  const first = PALETTE[0] ?? ['#ddd', '#555']
  for (const s of l.swatches) {
    const a = rectAttrs(s.rect)
    out.push(
      s.kind === 'ram'
        ? `<rect class="swatch" ${a} fill="${first[0]}" stroke="${first[1]}"/>`
        : s.kind === 'rom'
          ? `<rect class="swatch" ${a} fill="${first[0]}" stroke="${first[1]}"/><rect ${a} fill="url(#rom)"/>`
          : s.kind === 'mmio'
            ? `<rect class="swatch" ${a} fill="#f1f1f1" stroke="#9a9a9a"/>`
            : s.kind === 'alias'
              ? `<rect class="swatch" ${a} fill="${first[0]}" stroke="${first[1]}" stroke-dasharray="4 2"/>`
              : s.kind === 'new'
                ? `<rect class="swatch" ${a} fill="#ffffff" stroke="#ef6c00" stroke-width="3"/>`
                : s.kind === 'old'
                  ? `<rect class="swatch" ${a} fill="#fff5f5" stroke="#d32f2f" stroke-dasharray="4 3"/>`
                  : `<path class="break" d="${zigzag(s.rect.x, s.rect.y + 3, s.rect.width)}"/>`,
    )
  }
  out.push('</svg>')
  return out.join('\n') + '\n'
}
