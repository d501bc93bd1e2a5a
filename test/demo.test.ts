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
    // The dirty round: the pc.ram write, and vga.vram (ram_addr_t 0x20080000, 16 MiB) whose
    // new slot starts all-dirty under KVM_DIRTY_LOG_INITIALLY_SET.
    expect(r.stdout).toContain(
      "next round's dirty ram_addr_t: 0x1000 (1 page), 0x20080000-0x2107ffff (4096 pages)",
    )
    // The mirror: vga.vram at its ram_addr_t + 2^42, whatever its BAR; the helper at 2^43 - 4 MiB.
    expect(r.stdout).toContain('is mirror GPA 0xe0000000 and 0x40020080000')
    expect(r.stdout).toMatch(
      /mirror +0x7ffffc00000 size +0x400000 <- ram_addr_t +0x[0-9a-f]+ helper/,
    )
  })
})
