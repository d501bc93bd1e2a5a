// `ramaddr mirror` as users run it, on the recorded Q35 (state 08, VGA BAR at 0xfd000000).
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, scenarios } from '../helpers.js'

const BIN = join(ROOT, 'bin', 'ramaddr')
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}
const q35 = scenarios().find((s) => s.recording === 'qemu-7.2-kvm' && s.name === 'q35-512m-vga-net')
if (q35 === undefined) throw new Error('fixture missing')
const map = [
  '--mtree',
  join(q35.dir, '08-mtree-D.txt'),
  '--ramblock',
  join(q35.dir, '08-ramblock.txt'),
]
const dir = mkdtempSync(join(tmpdir(), 'ramaddr-mirror-'))
const tuples = (json: unknown) => {
  const f = join(dir, `t${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(f, JSON.stringify(json))
  return f
}

describe('ramaddr mirror plan', () => {
  it('scheme 1 with MAXPHYADDR 48 and reduction 5: every RAMBlock at ram_addr_t + 2^42, the helper on top', () => {
    const r = run(
      'mirror',
      'plan',
      ...map,
      '--scheme',
      'shifted',
      '--maxphyaddr',
      '48',
      '--reduction',
      '5',
      '--json',
    )
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const slots = JSON.parse(r.stdout) as Array<Record<string, string | number>>
    // The recorded RAMBlocks (08-ramblock.txt): pc.ram at 0, vga.vram at 0x20080000.
    expect(slots).toContainEqual({
      slot: expect.any(Number),
      mirrorGpa: '0x40000000000',
      size: '0x20000000',
      ramAddr: '0x0',
      source: 'shifted',
    })
    expect(slots).toContainEqual({
      slot: expect.any(Number),
      mirrorGpa: '0x40020080000',
      size: '0x1000000',
      ramAddr: '0x20080000',
      source: 'shifted',
    })
    expect(slots).toContainEqual({
      slot: expect.any(Number),
      mirrorGpa: '0x0',
      size: '0xa0000',
      ramAddr: '0x0',
      source: 'identity',
    })
    const helper = slots.filter((s) => s.source === 'helper')
    expect(helper).toEqual([
      {
        slot: slots.length - 1,
        mirrorGpa: '0x7ffffc00000',
        size: '0x400000',
        ramAddr: expect.any(String),
        source: 'helper',
      },
    ])
    expect(slots.map((s) => s.slot)).toEqual(slots.map((_, i) => i))
  })
  it('lists violations on stdout, one line each, with one line on stderr, exit 1; or as JSON', () => {
    const r = run(
      'mirror',
      'plan',
      ...map,
      '--scheme',
      'shifted',
      '--shift',
      '0x100000000',
      '--snp',
    )
    expect(r.code).toBe(1)
    const lines = r.stdout.trim().split('\n')
    expect(lines.length).toBeGreaterThan(2)
    for (const l of lines)
      expect(l).toMatch(
        /^snp-double-mapping: SEV-SNP: ram_addr_t 0x[0-9a-f]+-0x[0-9a-f]+ is mapped /,
      )
    // the first violation, cut to a bounded length
    const first = lines[0] ?? ''
    const shown = first.length > 200 ? first.slice(0, 200) + '…' : first
    expect(r.stderr).toBe(
      `ramaddr mirror: ${lines.length} violations, listed on standard output; the first: ${shown}\n`,
    )
    const j = run(
      'mirror',
      'plan',
      ...map,
      '--scheme',
      'shifted',
      '--shift',
      '0x100000000',
      '--snp',
      '--json',
    )
    expect(j.code).toBe(1)
    const v = JSON.parse(j.stdout) as {
      violations: Array<{ kind: string; message: string; ram: { start: string } }>
    }
    expect(v.violations.length).toBe(lines.length)
    expect(v.violations[0]).toMatchObject({
      kind: 'snp-double-mapping',
      ram: { start: expect.stringMatching(/^0x/) },
    })
  })
  it('maps declared tuples over the RAM behind them and rejects one over MMIO', () => {
    const good = tuples([{ mainGpa: '0x100000', length: '0x200000', mirrorGpa: '0x10000000000' }])
    const r = run(
      'mirror',
      'plan',
      ...map,
      '--scheme',
      'tuples',
      '--tuples',
      good,
      '--no-helper',
      '--json',
    )
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual([
      {
        slot: 0,
        mirrorGpa: '0x10000000000',
        size: '0x200000',
        ramAddr: '0x100000',
        source: 'tuple',
      },
    ])
    const bad = tuples([{ mainGpa: '0xfe000000', length: '0x1000', mirrorGpa: '0x10000000000' }])
    const b = run('mirror', 'plan', ...map, '--scheme', 'tuples', '--tuples', bad)
    expect(b.code).toBe(1)
    expect(b.stderr).toMatch(
      /tuple-not-ram: tuple 0 .*0xfe000000-0xfe000fff is not RAM-backed \(MMIO region edid is there\)/,
    )
  })
  it('says where bad tuple JSON is wrong, and refuses bad usage', () => {
    const f = tuples([{ mainGpa: '0x100000', length: 'big', mirrorGpa: '0x0' }])
    const r = run('mirror', 'plan', ...map, '--scheme', 'tuples', '--tuples', f)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/at 0\/length: /)
    expect(run('mirror', 'plan', ...map).code).toBe(2)
    expect(run('mirror', 'plan', ...map, '--scheme', 'shifted', '--maxphyaddr', '48').code).toBe(2)
    const impossible = run(
      'mirror',
      'plan',
      ...map,
      '--scheme',
      'shifted',
      '--maxphyaddr',
      '48',
      '--reduction',
      '5',
      '--cbitpos',
      '40',
    )
    expect(impossible.code).toBe(1)
    expect(impossible.stderr).toMatch(/C-bit 40 lies inside the usable 43-bit physical width/)
  })
})

describe('ramaddr mirror after-move', () => {
  it('invalidates the tuple over the moved VGA BAR and deletes its slot; scheme 1 only touches identity slots', () => {
    const f = tuples([
      { mainGpa: '0xfd000000', length: '0x1000000', mirrorGpa: '0x10000000000' },
      { mainGpa: '0x100000', length: '0x100000', mirrorGpa: '0x20000000000' },
    ])
    const r = run(
      'mirror',
      'after-move',
      ...map,
      '--scheme',
      'tuples',
      '--tuples',
      f,
      '--move',
      'vga.vram=0xe0000000',
      '--json',
    )
    expect(r.code).toBe(0)
    const j = JSON.parse(r.stdout) as {
      invalidated: unknown[]
      ops: Array<{ slot: number; size: string }>
      violations: Array<{ kind: string }>
    }
    expect(j.invalidated).toEqual([
      { tuple: 0, changed: [{ start: '0xfd000000', size: '0x1000000' }] },
    ])
    expect(j.ops).toEqual([
      { slot: 0, mirrorGpa: '0x10000000000', size: '0x0', ramAddr: '0x20080000', flags: 0 },
    ])
    expect(j.violations.map((v) => v.kind)).toEqual(['tuple-not-ram'])
    const s = run(
      'mirror',
      'after-move',
      ...map,
      '--scheme',
      'shifted',
      '--move',
      'vga.vram=0xe0000000',
    )
    expect(s.code).toBe(0)
    expect(s.stdout).toMatch(
      /^delete Slot#\d+ mirror=0xfd000000 size=0x0 ram_addr=0x20080000\nadd {4}Slot#\d+ mirror=0xe0000000 size=0x1000000 ram_addr=0x20080000\n$/,
    )
  })
})
