#!/usr/bin/env node
// The README's picture of the explorer page (docs/explorer.png): builds the page into a
// temporary folder, opens it from file:// in Debian's chromium (playwright-core), moves
// vga.vram on the shipped Q35, searches a ram_addr_t that two GPAs map, focuses one of them
// and takes a screenshot of the window.
// Usage: node tools/explorer-screenshot.mjs [OUT.png]   (default docs/explorer.png)
import { spawnSync } from 'node:child_process'
import { mkdtempSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { chromium } from 'playwright-core'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = resolve(process.argv[2] ?? join(root, 'docs', 'explorer.png'))
const dir = mkdtempSync(join(tmpdir(), 'ramaddr-explorer-'))
const b = spawnSync(process.execPath, [join(root, 'tools', 'build-explorer.mjs'), '--out', dir], {
  stdio: 'inherit',
})
if (b.status !== 0) process.exit(1)

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
})
try {
  const page = await browser.newPage({ viewport: { width: 1560, height: 900 } })
  await page.goto(pathToFileURL(join(dir, 'index.html')).href)
  await page.waitForSelector('#map g.gpa-range')
  const vram = await page.evaluate(`[...document.querySelectorAll('#move-region option')]
    .find((o) => o.textContent.startsWith('vga.vram @'))?.getAttribute('value')`)
  await page.selectOption('#move-region', vram)
  await page.fill('#move-addr', '0xe0000000')
  await page.click('#move')
  await page.selectOption('#search-kind', 'ram')
  await page.fill('#search', '0x20020000')
  await page.click('#find')
  await page.evaluate(`window.scrollTo(0, document.getElementById('map-heading').offsetTop - 8)`)
  await page.locator('#map g.gpa-range[data-start="0xe0000"]').hover()
  await page.screenshot({ path: out })
  console.log(`${out}: ${statSync(out).size} bytes`)
} finally {
  await browser.close()
}
