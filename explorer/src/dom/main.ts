/**
 * The explorer page: wires the pure parts (../dumps.ts, ../model.ts, ../viewport.ts) to
 * the document built from explorer/index.html. No framework: a few dozen elements, one
 * SVG redrawn from the layout on scroll, zoom and selection.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { codec, machines } from '../../../src/index.js'
import * as draw from '../../../src/draw/index.js'
import { PALETTE } from '../../../src/draw/palette.js'
import { NO_DUMPS, classify, sortTexts, type DumpKind, type DumpTexts } from '../dumps.js'
import {
  addressSpaceNames,
  blockInfo,
  gpaInfo,
  load,
  moveRegion,
  movables,
  pictureOf,
  search,
  type Info,
  type Loaded,
  type MoveResult,
  type Picture,
} from '../model.js'
import {
  clampZoom,
  fitZoom,
  linesThatFit,
  scrollAfterZoom,
  scrollToShow,
  PAD_TOP,
  bottomOf,
  topOf,
  visible,
  yAt,
  type Frame,
} from '../viewport.js'

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id)
  if (el === null) throw new Error(`explorer: #${id} is missing from the page`)
  return el as T
}

const KINDS: ReadonlyArray<DumpKind> = ['mtree', 'flat', 'ramblock']
const box = (k: DumpKind): HTMLTextAreaElement => $<HTMLTextAreaElement>(`dump-${k}`)
const errorOf = (k: DumpKind): HTMLElement => $(`dump-${k}-error`)

const mapEl = $<HTMLDivElement>('map')
const spacer = $<HTMLDivElement>('map-spacer')
const svg = $<HTMLElement>('map-svg') as unknown as SVGSVGElement
const panel = $<HTMLElement>('panel')
const notesEl = $<HTMLUListElement>('notes')
const asSelect = $<HTMLSelectElement>('address-space')
const found = $<HTMLOutputElement>('found')
const moveSelect = $<HTMLSelectElement>('move-region')
const moveAddr = $<HTMLInputElement>('move-addr')
const moveOut = $<HTMLElement>('move-result')
const heading = $<HTMLElement>('map-heading')

interface State {
  loaded?: Loaded
  picture?: Picture
  addressSpace: string
  frame: Frame
  focus?: { readonly col: 'gpa' | 'block'; readonly i: number }
  hits: { gpa: ReadonlySet<number>; block: ReadonlySet<number> }
  move?: MoveResult
}

const state: State = {
  addressSpace: 'memory',
  frame: { top: 0, zoom: 1 },
  hits: { gpa: new Set(), block: new Set() },
}

const esc = draw.escapeXml

let colours = new Map<string, readonly [string, string]>()
const colourOf = (block: string | undefined): readonly [string, string] =>
  block === undefined ? ['#f1f1f1', '#9a9a9a'] : (colours.get(block) ?? ['#ddd', '#555'])

const n = (x: number): string => (Math.round(x * 10) / 10).toString()

/** Per layout, worked out once: the box rects of each column and the drawn content height. */
interface Columns {
  readonly gpa: ReadonlyArray<draw.Rect>
  readonly blocks: ReadonlyArray<draw.Rect>
  readonly height: (f: Frame) => number
}
const columnsMemo = new WeakMap<draw.Layout, Columns>()
const columns = (l: draw.Layout): Columns => {
  const have = columnsMemo.get(l)
  if (have !== undefined) return have
  const bottom = bottomOf(l)
  const c: Columns = {
    gpa: l.gpa.map((x) => x.rect),
    blocks: l.blocks.map((x) => x.rect),
    // the drawn height of the whole content (padding above and below)
    height: (f) => Math.max(0, bottom - f.top) * f.zoom + 2 * PAD_TOP,
  }
  columnsMemo.set(l, c)
  return c
}

const labels = (r: draw.Rect, y: number, h: number, lines: ReadonlyArray<string>): string => {
  const k = linesThatFit(h, lines.length)
  let out = ''
  for (let i = 0; i < k; i++)
    out += `<text class="${i === 0 ? 'label first' : 'label'}" x="${n(r.x + draw.PAD)}" y="${n(y + draw.PAD + draw.FONT_SIZE - 1 + i * draw.LINE_HEIGHT)}">${esc(lines[i] ?? '')}</text>`
  return out
}

/** Draws the part of the picture inside the scrolled window. */
const render = (): void => {
  const p = state.picture
  if (p === undefined) {
    svg.innerHTML = ''
    return
  }
  const l = p.layout
  const f = state.frame
  const at = yAt(f)
  const from = mapEl.scrollTop
  const height = mapEl.clientHeight
  const to = from + height
  spacer.style.height = `${n(columns(l).height(f))}px`
  spacer.style.width = `${n(l.width)}px`
  svg.style.top = `${n(from)}px`
  svg.setAttribute('width', n(l.width))
  svg.setAttribute('height', n(height))
  svg.setAttribute('viewBox', `0 ${n(from)} ${n(l.width)} ${n(height)}`)
  const out: string[] = []
  for (const g of l.gaps) {
    const y0 = at(g.rect.y)
    const y1 = at(g.rect.y + g.rect.height)
    if (y1 < from || y0 > to) continue
    out.push(
      `<g class="gap"><rect x="${n(g.rect.x)}" y="${n(y0)}" width="${n(g.rect.width)}" height="${n(y1 - y0)}"/>` +
        (y1 - y0 >= 12
          ? `<text class="gap" x="${n(g.rect.x + g.rect.width / 2)}" y="${n((y0 + y1) / 2 + 4)}" text-anchor="middle">${esc(g.label)}</text>`
          : '') +
        '</g>',
    )
  }
  for (const k of l.links) {
    const gt = at(k.gpaTop)
    const gb = at(k.gpaBottom)
    const rt = at(k.ramTop)
    const rb = at(k.ramBottom)
    // a band only where one of its ends is in the window: on a big map thousands of bands
    // cross any window with both ends outside it
    if ((gb < from || gt > to) && (rb < from || rt > to)) continue
    const mid = (k.x0 + k.x1) / 2
    const [fill, stroke] = colourOf(k.link.block)
    const cls = ['link', ...(k.link.alias ? ['alias'] : []), ...(k.link.ghost ? ['ghost'] : [])]
    out.push(
      `<path class="${cls.join(' ')}" d="M${n(k.x0)},${n(gt)} C${n(mid)},${n(gt)} ${n(mid)},${n(rt)} ${n(k.x1)},${n(rt)} L${n(k.x1)},${n(rb)} C${n(mid)},${n(rb)} ${n(mid)},${n(gb)} ${n(k.x0)},${n(gb)} Z"${k.link.ghost ? '' : ` fill="${fill}" stroke="${stroke}"`}/>`,
    )
  }
  for (const m of l.markers) {
    const y0 = at(m.rect.y)
    const y1 = at(m.rect.y + m.rect.height)
    if (y1 < from || y0 > to) continue
    out.push(
      `<rect class="marker ${m.change.side}" x="${n(m.rect.x)}" y="${n(y0)}" width="${n(m.rect.width)}" height="${n(Math.max(1, y1 - y0))}"/>`,
    )
  }
  for (const i of visible(columns(l).gpa, f, from, to)) {
    const p2 = l.gpa[i] as draw.Placed<draw.GpaBox>
    const b = p2.item
    const y0 = at(p2.rect.y)
    const h = Math.max(1, at(p2.rect.y + p2.rect.height) - y0)
    const [fill, stroke] = colourOf(b.block)
    const cls = [
      'box',
      'gpa',
      b.kind,
      ...(b.alias === undefined ? [] : ['alias']),
      ...(b.moved ? ['moved'] : []),
    ]
    const style = b.kind === 'ram' || b.kind === 'rom' ? ` fill="${fill}" stroke="${stroke}"` : ''
    out.push(
      `<g class="gpa-range" id="gpa-${i}" data-i="${i}" role="option" aria-selected="false" aria-label="${esc(`${p2.lines.join(', ')}`)}" data-start="${codec.toHex(b.start)}" data-kind="${b.kind}">` +
        `<rect class="${cls.join(' ')}" x="${n(p2.rect.x)}" y="${n(y0)}" width="${n(p2.rect.width)}" height="${n(h)}"${style}/>` +
        labels(p2.rect, y0, h, p2.lines) +
        '</g>',
    )
  }
  for (const i of visible(columns(l).blocks, f, from, to)) {
    const p2 = l.blocks[i] as draw.PlacedBlock
    const y0 = at(p2.rect.y)
    const h = Math.max(1, at(p2.rect.y + p2.rect.height) - y0)
    const [fill, stroke] = colourOf(p2.item.idstr)
    const reserve =
      p2.reserve === undefined
        ? ''
        : `<rect class="reserve" x="${n(p2.reserve.x)}" y="${n(at(p2.reserve.y))}" width="${n(p2.reserve.width)}" height="${n(p2.reserve.height * f.zoom)}"/>`
    out.push(
      `<g class="ramblock" id="blk-${i}" data-b="${i}" role="option" aria-selected="false" aria-label="${esc(p2.lines.join(', '))}">` +
        `<rect class="box ramblock" x="${n(p2.rect.x)}" y="${n(y0)}" width="${n(p2.rect.width)}" height="${n(h)}" fill="${fill}" stroke="${stroke}"/>` +
        reserve +
        labels(p2.rect, y0, h, p2.lines) +
        '</g>',
    )
  }
  svg.innerHTML = out.join('')
  mark()
}

const showInfo = (info: O.Option<Info>): void => {
  if (O.isNone(info)) {
    panel.innerHTML = '<p>Hover over a range, or focus the map and use the arrow keys.</p>'
    return
  }
  const x = info.value
  panel.innerHTML =
    `<h2 id="panel-title">${esc(x.title)}</h2><dl>` +
    x.fields
      .map((f) => `<dt>${esc(f.label)}</dt><dd data-field="${esc(f.key)}">${esc(f.value)}</dd>`)
      .join('') +
    '</dl>' +
    (x.others.length === 0
      ? '<p data-field="others">No other GPA maps this ram_addr_t in this address space.</p>'
      : `<p>Also mapped at:</p><ul data-field="others">${x.others.map((o) => `<li>${esc(o)}</li>`).join('')}</ul>`)
}

/** Puts the focus and search classes on the drawn boxes, without drawing them again. */
const mark = (): void => {
  for (const el of svg.querySelectorAll('g.focus, g.hit')) {
    el.classList.remove('focus', 'hit')
    el.setAttribute('aria-selected', 'false')
  }
  for (const i of state.hits.gpa) document.getElementById(`gpa-${i}`)?.classList.add('hit')
  for (const i of state.hits.block) document.getElementById(`blk-${i}`)?.classList.add('hit')
  const fo = state.focus
  const id = fo === undefined ? '' : `${fo.col === 'gpa' ? 'gpa' : 'blk'}-${fo.i}`
  const el = id === '' ? null : document.getElementById(id)
  el?.classList.add('focus')
  el?.setAttribute('aria-selected', 'true')
  mapEl.setAttribute('aria-activedescendant', el === null ? '' : id)
}

const focusOn = (col: 'gpa' | 'block', i: number, scroll: boolean): void => {
  const p = state.picture
  if (p === undefined) return
  const list = col === 'gpa' ? p.layout.gpa : p.layout.blocks
  const placed = list[i]
  if (placed === undefined) return
  if (state.focus?.col === col && state.focus.i === i && !scroll) return
  state.focus = { col, i }
  if (scroll) {
    const at = yAt(state.frame)
    const y0 = at(placed.rect.y)
    const y1 = at(placed.rect.y + placed.rect.height)
    if (y0 < mapEl.scrollTop || y1 > mapEl.scrollTop + mapEl.clientHeight) {
      mapEl.scrollTop = scrollToShow(placed.rect, state.frame, mapEl.clientHeight)
      render()
    }
  }
  mark()
  showInfo(col === 'gpa' ? gpaInfo(p, i) : blockInfo(p, i))
}

const setZoom = (zoom: number, anchor: number = mapEl.clientHeight / 2): void => {
  const z = clampZoom(zoom)
  const top = scrollAfterZoom(state.frame, z, mapEl.scrollTop, anchor)
  state.frame = { ...state.frame, zoom: z }
  spacer.style.height = `${n(state.picture === undefined ? 0 : columns(state.picture.layout).height(state.frame))}px`
  mapEl.scrollTop = top
  $('zoom-level').textContent = `${Math.round(z * 100)}%`
  render()
}

const showNotes = (notes: ReadonlyArray<string>): void => {
  notesEl.innerHTML =
    notes.length === 0
      ? '<li>Nothing: the dumps settle the whole map (info mtree -f checked the tree, info ramblock gave every RAMBlock).</li>'
      : notes.map((x) => `<li>${esc(x)}</li>`).join('')
}

const draw1 = (moved?: MoveResult): void => {
  const loaded = state.loaded
  if (loaded === undefined) return
  const t = moved?.topology ?? loaded.machine.topology
  const before = (): E.Either<string, Picture> =>
    pictureOf(
      loaded.machine.topology,
      loaded.ramList,
      state.addressSpace,
      undefined,
      loaded.ramKnown,
    )
  const pic =
    moved === undefined
      ? before()
      : E.chain((b: Picture) =>
          pictureOf(
            t,
            loaded.ramList,
            state.addressSpace,
            { before: b.map, label: moved.label },
            loaded.ramKnown,
          ),
        )(before())
  if (E.isLeft(pic)) {
    state.picture = undefined
    heading.textContent = `Address space "${state.addressSpace}": ${pic.left}`
    render()
    return
  }
  state.picture = pic.right
  colours = new Map(
    pic.right.layout.blocks.map((b, i) => [
      b.item.idstr,
      PALETTE[i % PALETTE.length] ?? ['#ddd', '#555'],
    ]),
  )
  state.frame = { top: topOf(pic.right.layout), zoom: state.frame.zoom }
  state.hits = { gpa: new Set(), block: new Set() }
  state.focus = undefined
  heading.textContent = `GPA map of address space "${state.addressSpace}" (left) ${loaded.ramKnown ? 'beside ram_addr_t space (right)' : '(no ram_addr_t side: no info ramblock)'}${moved === undefined ? '' : `, after moving ${moved.label}`}. The scale is not linear: gaps are compressed.`
  render()
  showInfo(O.none)
}

const showMove = (r: MoveResult | undefined): void => {
  if (r === undefined) {
    moveOut.innerHTML = ''
    return
  }
  moveOut.innerHTML =
    `<h3>Moved ${esc(r.label)}</h3>` +
    `<p id="move-stayed">${esc(r.stayed)}</p>` +
    '<h4>View diff (flatview.diff)</h4>' +
    (r.diff.length === 0
      ? '<p>No change in this address space.</p>'
      : `<ul id="move-diff">${r.diff.map((d) => `<li>${esc(d)}</li>`).join('')}</ul>`) +
    '<h4>KVM slot operations QEMU would make (kvm.commit)</h4>' +
    '<p class="small">Slot ids are those of a KVM listener that saw this view from the start (lowest free id, by address); a running QEMU\'s ids also depend on the slots it made and freed before.</p>' +
    (r.slots.length === 0
      ? '<p id="move-slots">None: nothing KVM maps changed.</p>'
      : `<ul id="move-slots">${r.slots.map((s) => `<li>${esc(s.text)}</li>`).join('')}</ul>`)
}

const fillMovables = (): void => {
  const loaded = state.loaded
  moveSelect.innerHTML =
    loaded === undefined
      ? ''
      : movables(loaded.machine.topology, state.addressSpace)
          .map((m) => `<option value="${m.id}">${esc(m.label)}</option>`)
          .join('')
}

/** Parses the three boxes and shows the machine, or where the text is wrong. */
const loadBoxes = (): void => {
  const t0 = performance.now()
  const texts: DumpTexts = {
    mtree: box('mtree').value,
    flat: box('flat').value,
    ramblock: box('ramblock').value,
  }
  for (const k of KINDS) {
    errorOf(k).textContent = ''
    errorOf(k).hidden = true
    box(k).removeAttribute('aria-invalid')
  }
  const r = load(texts)
  if (E.isLeft(r)) {
    const p = r.left
    const el = errorOf(p.dump)
    el.hidden = false
    el.textContent = p.message
    if (p.line !== undefined) el.dataset.line = String(p.line)
    if (p.column !== undefined) el.dataset.column = String(p.column)
    box(p.dump).setAttribute('aria-invalid', 'true')
    selectAt(box(p.dump), p.line, p.column)
    return
  }
  state.loaded = r.right
  state.move = undefined
  const names = addressSpaceNames(r.right.machine.topology)
  state.addressSpace = names.includes(state.addressSpace)
    ? state.addressSpace
    : (names.find((x) => x === 'memory') ?? names[0] ?? 'memory')
  asSelect.innerHTML = names
    .map(
      (x) =>
        `<option value="${esc(x)}"${x === state.addressSpace ? ' selected' : ''}>${esc(x)}</option>`,
    )
    .join('')
  showNotes(r.right.notes)
  fillMovables()
  showMove(undefined)
  found.textContent = ''
  state.frame = { top: 0, zoom: 1 }
  draw1()
  mapEl.scrollTop = 0
  render()
  mapEl.dataset.renderMs = (performance.now() - t0).toFixed(1)
  $('render-time').textContent = `parsed and drawn in ${mapEl.dataset.renderMs} ms`
}

/** Selects line `line`, column `column` of a text box, so the reader sees where. */
const selectAt = (ta: HTMLTextAreaElement, line?: number, column?: number): void => {
  if (line === undefined) return
  const lines = ta.value.split('\n')
  let off = 0
  for (let i = 0; i < line - 1 && i < lines.length; i++) off += (lines[i]?.length ?? 0) + 1
  const start = off + Math.max(0, (column ?? 1) - 1)
  const end = off + (lines[line - 1]?.length ?? 0)
  ta.setSelectionRange(start, Math.max(start, end))
  const lh = parseFloat(getComputedStyle(ta).lineHeight) || 14
  ta.scrollTop = Math.max(0, (line - 3) * lh)
}

const putTexts = (texts: ReadonlyArray<string>): void => {
  const cur: DumpTexts = {
    mtree: box('mtree').value,
    flat: box('flat').value,
    ramblock: box('ramblock').value,
  }
  const r = sortTexts(texts)(cur)
  if (E.isLeft(r)) {
    const el = errorOf('mtree')
    el.hidden = false
    el.textContent = r.left.message
    return
  }
  for (const k of KINDS) box(k).value = r.right[k]
  loadBoxes()
}

const loadQ35 = (): void => {
  const q: DumpTexts = { ...NO_DUMPS, ...machines.Q35 }
  for (const k of KINDS) box(k).value = q[k]
  loadBoxes()
}

const readFiles = (files: FileList | null): void => {
  if (files === null || files.length === 0) return
  void Promise.all([...files].map((f) => f.text())).then(putTexts)
}

// --- wiring

$('load').addEventListener('click', loadBoxes)
$('load-q35').addEventListener('click', loadQ35)
$('clear').addEventListener('click', () => {
  for (const k of KINDS) box(k).value = ''
  box('mtree').focus()
})
$<HTMLInputElement>('files').addEventListener('change', (ev) =>
  readFiles((ev.target as HTMLInputElement).files),
)
for (const k of KINDS) {
  box(k).addEventListener('paste', (ev) => {
    const text = ev.clipboardData?.getData('text/plain') ?? ''
    const kind = classify(text)
    if (kind === k) {
      // the browser puts it in this box; show it once it is there
      setTimeout(loadBoxes, 0)
      return
    }
    ev.preventDefault()
    putTexts([text])
  })
}
document.addEventListener('dragover', (ev) => ev.preventDefault())
document.addEventListener('drop', (ev) => {
  ev.preventDefault()
  const dt = ev.dataTransfer
  if (dt === null) return
  if (dt.files.length > 0) readFiles(dt.files)
  else {
    const text = dt.getData('text/plain')
    if (text !== '') putTexts([text])
  }
})

asSelect.addEventListener('change', () => {
  state.addressSpace = asSelect.value
  state.move = undefined
  showMove(undefined)
  fillMovables()
  draw1()
})

mapEl.addEventListener('scroll', render)
mapEl.addEventListener('mouseover', (ev) => {
  const t = ev.target instanceof Element ? ev.target.closest('[data-i],[data-b]') : null
  if (t === null) return
  const i = t.getAttribute('data-i')
  const b = t.getAttribute('data-b')
  if (i !== null) focusOn('gpa', Number(i), false)
  else if (b !== null) focusOn('block', Number(b), false)
})
mapEl.addEventListener('click', (ev) => {
  const t = ev.target instanceof Element ? ev.target.closest('[data-i],[data-b]') : null
  if (t !== null) mapEl.focus()
})
mapEl.addEventListener('focus', () => {
  if (state.focus === undefined && state.picture !== undefined) {
    const first = visible(
      columns(state.picture.layout).gpa,
      state.frame,
      mapEl.scrollTop,
      mapEl.scrollTop + mapEl.clientHeight,
    )[0]
    focusOn('gpa', first ?? 0, true)
  }
})
mapEl.addEventListener('keydown', (ev) => {
  const p = state.picture
  if (p === undefined) return
  const fo = state.focus ?? { col: 'gpa' as const, i: -1 }
  const count = fo.col === 'gpa' ? p.layout.gpa.length : p.layout.blocks.length
  const step = (d: number): void =>
    focusOn(fo.col, Math.max(0, Math.min(count - 1, fo.i + d)), true)
  const key = ev.key
  if (key === 'ArrowDown') step(1)
  else if (key === 'ArrowUp') step(-1)
  else if (key === 'Home') focusOn(fo.col, 0, true)
  else if (key === 'End') focusOn(fo.col, count - 1, true)
  else if (key === 'ArrowRight' || key === 'ArrowLeft') {
    const col = key === 'ArrowRight' ? 'block' : 'gpa'
    const list = col === 'gpa' ? p.layout.gpa : p.layout.blocks
    const cur = (fo.col === 'gpa' ? p.layout.gpa : p.layout.blocks)[fo.i]
    const y = cur === undefined ? 0 : cur.rect.y
    let best = 0
    list.forEach((x, i) => {
      if (Math.abs(x.rect.y - y) < Math.abs((list[best]?.rect.y ?? 0) - y)) best = i
    })
    focusOn(col, best, true)
  } else if (key === '+' || key === '=') setZoom(state.frame.zoom * 1.5)
  else if (key === '-') setZoom(state.frame.zoom / 1.5)
  else if (key === '0') setZoom(fitZoom(p.layout, mapEl.clientHeight))
  else return
  ev.preventDefault()
})
mapEl.addEventListener(
  'wheel',
  (ev) => {
    if (!ev.ctrlKey) return
    ev.preventDefault()
    const r = mapEl.getBoundingClientRect()
    setZoom(state.frame.zoom * (ev.deltaY < 0 ? 1.25 : 0.8), ev.clientY - r.top)
  },
  { passive: false },
)
let drag: { y: number; x: number; top: number; left: number } | undefined
mapEl.addEventListener('pointerdown', (ev) => {
  if (ev.button !== 0) return
  drag = { y: ev.clientY, x: ev.clientX, top: mapEl.scrollTop, left: mapEl.scrollLeft }
})
window.addEventListener('pointermove', (ev) => {
  if (drag === undefined || (ev.buttons & 1) === 0) return
  mapEl.scrollTop = drag.top - (ev.clientY - drag.y)
  mapEl.scrollLeft = drag.left - (ev.clientX - drag.x)
})
window.addEventListener('pointerup', () => {
  drag = undefined
})
$('zoom-in').addEventListener('click', () => setZoom(state.frame.zoom * 1.5))
$('zoom-out').addEventListener('click', () => setZoom(state.frame.zoom / 1.5))
$('zoom-fit').addEventListener('click', () => {
  if (state.picture !== undefined) setZoom(fitZoom(state.picture.layout, mapEl.clientHeight))
})
$('zoom-reset').addEventListener('click', () => setZoom(1))

const doSearch = (): void => {
  const p = state.picture
  if (p === undefined) return
  const kind = $<HTMLSelectElement>('search-kind').value === 'ram' ? 'ram' : 'gpa'
  const r = search(kind, $<HTMLInputElement>('search').value)(p)
  if (E.isLeft(r)) {
    found.textContent = r.left
    found.dataset.ok = 'false'
    return
  }
  found.dataset.ok = 'true'
  found.innerHTML = r.right.lines.map((l) => `<span class="line">${esc(l)}</span>`).join('')
  state.hits = { gpa: new Set(r.right.gpaBoxes), block: new Set(r.right.blockBoxes) }
  const first = r.right.gpaBoxes[0]
  const firstBlock = r.right.blockBoxes[0]
  if (first !== undefined) focusOn('gpa', first, true)
  else if (firstBlock !== undefined) focusOn('block', firstBlock, true)
  else mark()
}
$('find').addEventListener('click', doSearch)
$('search').addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter') {
    ev.preventDefault()
    doSearch()
  }
})

const doMove = (): void => {
  const loaded = state.loaded
  if (loaded === undefined) return
  const id = Number(moveSelect.value)
  const r = moveRegion(id, moveAddr.value)(
    loaded.machine.topology,
    loaded.ramList,
    state.addressSpace,
    loaded.ramKnown,
  )
  const err = $('move-error')
  if (E.isLeft(r)) {
    err.hidden = false
    err.textContent = r.left
    return
  }
  err.hidden = true
  err.textContent = ''
  state.move = r.right
  showMove(r.right)
  draw1(r.right)
}
$('move').addEventListener('click', doMove)
moveAddr.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter') {
    ev.preventDefault()
    doMove()
  }
})
$('unmove').addEventListener('click', () => {
  state.move = undefined
  showMove(undefined)
  draw1()
})

window.addEventListener('resize', render)
loadQ35()
