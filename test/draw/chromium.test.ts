// `ramaddr draw` output rendered by a real browser (Debian's chromium through
// playwright-core): what a person would see. Skips, saying why, where /usr/bin/chromium
// is absent (.ci/run installs it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { chromium, type Browser, type Page } from 'playwright-core'
import { run } from '../../src/cli/main.js'
import type { Io } from '../../src/cli/io.js'
import { readFileSync } from 'node:fs'
import { FIXTURES, ROOT } from '../helpers.js'

const CHROMIUM = '/usr/bin/chromium'
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium)
  console.warn(
    `test/draw/chromium.test.ts: skipped: ${CHROMIUM} is absent (apt-get install chromium)`,
  )

const q35 = join(FIXTURES, 'qemu-7.2', 'q35-512m-vga-net')

const draw = (...args: string[]): string => {
  let out = ''
  let err = ''
  const io: Io = {
    readFile: (p) => E.tryCatch(() => readFileSync(p, 'utf8'), String),
    stdout: (s) => {
      out += s
    },
    stderr: (s) => {
      err += s
    },
  }
  const code = run(['draw', ...args], io)
  if (code !== 0) throw new Error(`ramaddr draw exited ${code}: ${err}`)
  return out
}

interface Box {
  readonly label: string
  readonly x: number
  readonly y: number
  readonly width: number
  readonly height: number
}

interface Seen {
  readonly canvas: { width: number; height: number }
  readonly gpa: Box[]
  readonly blocks: Box[]
  /** Label texts whose drawn extent leaves their box. */
  readonly spilling: string[]
  readonly texts: string[]
}

// The browser side is plain JavaScript in strings: the project compiles without DOM types.

/** What the page shows: boxes as laid out by the browser, label extents, all text. */
const LOOK = `(() => {
  const svg = document.querySelector('svg')
  const c = svg.getBoundingClientRect()
  const boxes = (sel) =>
    [...document.querySelectorAll(sel)].map((g) => {
      const r = g.querySelector('rect.box').getBoundingClientRect()
      return {
        label: g.querySelector('text')?.textContent ?? '',
        x: r.x - c.x,
        y: r.y - c.y,
        width: r.width,
        height: r.height,
      }
    })
  const spilling = []
  for (const g of document.querySelectorAll('g.gpa-range, g.ramblock')) {
    const r = g.querySelector('rect.box').getBBox()
    for (const t of g.querySelectorAll('text')) {
      const b = t.getBBox()
      if (
        b.x < r.x - 0.5 ||
        b.y < r.y - 0.5 ||
        b.x + b.width > r.x + r.width + 0.5 ||
        b.y + b.height > r.y + r.height + 0.5
      )
        spilling.push(t.textContent ?? '')
    }
  }
  return {
    canvas: { width: c.width, height: c.height },
    gpa: boxes('g.gpa-range'),
    blocks: boxes('g.ramblock'),
    spilling,
    texts: [...document.querySelectorAll('text')].map((t) => t.textContent ?? ''),
  }
})()`

const look = (page: Page): Promise<Seen> => page.evaluate(LOOK) as Promise<Seen>

/** Share of pixels that are not the white background, and how many colours there are. */
const ink = (page: Page, png: Buffer): Promise<{ share: number; colours: number }> =>
  page.evaluate(`(async () => {
    const img = new Image()
    img.src = 'data:image/png;base64,${png.toString('base64')}'
    await img.decode()
    const canvas = document.createElement('canvas')
    canvas.width = img.width
    canvas.height = img.height
    const ctx = canvas.getContext('2d')
    ctx.drawImage(img, 0, 0)
    const d = ctx.getImageData(0, 0, img.width, img.height).data
    let inked = 0
    const colours = new Set()
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250) inked++
      colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2])
    }
    return { share: inked / (d.length / 4), colours: colours.size }
  })()`) as Promise<{ share: number; colours: number }>

const overlapping = (bs: ReadonlyArray<Box>): string[] =>
  bs.flatMap((a, i) =>
    bs
      .slice(i + 1)
      .filter(
        (b) =>
          a.x < b.x + b.width - 0.5 &&
          b.x < a.x + a.width - 0.5 &&
          a.y < b.y + b.height - 0.5 &&
          b.y < a.y + a.height - 0.5,
      )
      .map((b) => `${a.label} / ${b.label}`),
  )

const outside = (bs: ReadonlyArray<Box>, c: Seen['canvas']): string[] =>
  bs
    .filter(
      (b) =>
        b.x < -0.5 ||
        b.y < -0.5 ||
        b.x + b.width > c.width + 0.5 ||
        b.y + b.height > c.height + 0.5,
    )
    .map((b) => b.label)

describe.skipIf(!haveChromium)('ramaddr draw in headless Chromium', () => {
  let browser: Browser
  let page: Page
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    page = await browser.newPage()
  })
  afterAll(async () => {
    await browser?.close()
  })

  const show = async (svg: string): Promise<void> => {
    const [, w = '0', h = '0'] = /<svg [^>]*width="([\d.]+)" height="([\d.]+)"/.exec(svg) ?? []
    await page.setViewportSize({ width: Math.ceil(Number(w)), height: Math.ceil(Number(h)) })
    await page.setContent(`<!doctype html><html><body style="margin:0">${svg}</body></html>`)
  }

  it('q35 with vga.vram moved: boxes inside, apart, labelled; the picture is not blank', async () => {
    const svg = draw(
      '--mtree',
      join(q35, '08-mtree-D.txt'),
      '--ramblock',
      join(q35, '08-ramblock.txt'),
      '--move',
      'vga.vram=0xe0000000',
    )
    await show(svg)
    const seen = await look(page)
    expect(seen.gpa.length).toBeGreaterThanOrEqual(15)
    expect(seen.blocks.length).toBe(9)
    expect(outside([...seen.gpa, ...seen.blocks], seen.canvas)).toEqual([])
    expect(overlapping(seen.gpa)).toEqual([])
    expect(overlapping(seen.blocks)).toEqual([])
    expect(seen.spilling).toEqual([])
    const text = seen.texts.join('\n')
    for (const want of [
      'Scale is not linear',
      'GPA (address space "memory")',
      'ram_addr_t (RAMBlocks)',
      'vga.vram · ram · 16 MiB · ← moved here',
      '0xe0000000-0xe0ffffff',
      'old place of vga.vram (before the move)',
      '0xfd000000-0xfdffffff',
      '0000:00:02.0/vga.vram',
      'ram_addr 0x20080000-0x2107ffff',
      'alias ram-below-4g @ pc.ram+0x0',
      'alias isa-bios @ pc.bios+0x20000',
      '/rom@etc/acpi/tables',
      '≈ 3 GiB gap (not to scale)',
    ])
      expect(text).toContain(want)
    const png = await page.screenshot({ fullPage: true })
    // kept for a look: node_modules/.ramaddr-draw/q35-moved.{png,svg}
    const out = join(ROOT, 'node_modules', '.ramaddr-draw')
    mkdirSync(out, { recursive: true })
    writeFileSync(join(out, 'q35-moved.png'), png)
    writeFileSync(join(out, 'q35-moved.svg'), svg)
    const { share, colours } = await ink(page, png)
    expect(share).toBeGreaterThan(0.1)
    expect(share).toBeLessThan(0.9)
    expect(colours).toBeGreaterThan(20)
  })

  it.each([
    ['pc-128m', '00'],
    ['pc-5g-numa', '00'],
    ['q35-512m-vga-net', '12'],
  ])('%s state %s: boxes inside and apart, labels inside their boxes', async (name, n) => {
    const dir = join(FIXTURES, 'qemu-7.2-kvm', name)
    await show(
      draw('--mtree', join(dir, `${n}-mtree-D.txt`), '--ramblock', join(dir, `${n}-ramblock.txt`)),
    )
    const seen = await look(page)
    expect(seen.gpa.length).toBeGreaterThan(3)
    expect(outside([...seen.gpa, ...seen.blocks], seen.canvas)).toEqual([])
    expect(overlapping(seen.gpa)).toEqual([])
    expect(overlapping(seen.blocks)).toEqual([])
    expect(seen.spilling).toEqual([])
    expect(seen.texts.join('\n')).toContain('pc.ram')
  })
})

if (!haveChromium)
  it.skip(`ramaddr draw in headless Chromium: skipped, ${CHROMIUM} is absent (apt-get install chromium; .ci/run does)`, () => {})
