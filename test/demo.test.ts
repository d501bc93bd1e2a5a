import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { Q35_MTREE_D, Q35_MTREE_F, Q35_RAMBLOCK } from '../src/machines/q35-recorded.js'
import { ROOT, fixture, scenarios } from './helpers.js'

describe('the demo (npm start)', () => {
  it('embeds the recorded Q35 state 08 unchanged', () => {
    const s = scenarios().find((x) => x.recording === 'qemu-7.2' && x.name === 'q35-512m-vga-net')
    if (s === undefined) throw new Error('fixture missing')
    expect(Q35_MTREE_D).toBe(fixture(s, 8, 'mtree-D.txt'))
    expect(Q35_MTREE_F).toBe(fixture(s, 8, 'mtree-f.txt'))
    expect(Q35_RAMBLOCK).toBe(fixture(s, 8, 'ramblock.txt'))
  })
  it('runs from the built package and shows the BAR move keeping its ram_addr_t', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'demo', 'main.js')], {
      encoding: 'utf8',
    })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('0xfd000000  vga.vram +0x0 -> ram_addr_t 0x20080000')
    expect(r.stdout).toContain('0xe0000000  vga.vram +0x0 -> ram_addr_t 0x20080000')
    expect(r.stdout).toContain('0xe0000 and 0xfffe0000')
  })
})
