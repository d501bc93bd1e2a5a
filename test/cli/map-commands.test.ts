// flatview / translate / gpas as users run them, checked against the recorded QEMU output.
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { linesByAddressSpace, parse as parseFlat } from '../../src/qemu/mtree-flat.js'
import * as E from 'fp-ts/lib/Either.js'
import { ROOT, fixture, scenarios } from '../helpers.js'

const BIN = join(ROOT, 'bin', 'ramaddr')
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}
const q35 = scenarios().find((s) => s.recording === 'qemu-7.2-kvm' && s.name === 'q35-512m-vga-net')
if (q35 === undefined) throw new Error('fixture missing')
const file = (n: string) => join(q35.dir, n)

const rangeLinesOf = (text: string) => {
  const p = parseFlat(text)
  if (E.isLeft(p)) throw new Error(p.left.message)
  return linesByAddressSpace(p.right)
}

describe('ramaddr flatview', () => {
  it("prints every address space's ranges exactly as QEMU did, with KVM markers", () => {
    const r = run('flatview', '--mtree', file('03-mtree-D.txt'), '--accel', 'kvm')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const got = rangeLinesOf(r.stdout)
    const want = rangeLinesOf(fixture(q35, 3, 'mtree-f.txt'))
    expect(new Map([...got].sort())).toEqual(new Map([...want].sort()))
  })
  it("applies --move like QEMU's BAR move (state 08 moved = state 09)", () => {
    const r = run(
      'flatview',
      '--mtree',
      file('08-mtree-D.txt'),
      '--accel',
      'kvm',
      '--move',
      'vga.vram=0xe0000000',
      '--as',
      'memory',
    )
    expect(r.code).toBe(0)
    expect(rangeLinesOf(r.stdout).get('AS "memory", root: system')).toEqual(
      rangeLinesOf(fixture(q35, 9, 'mtree-f.txt')).get('AS "memory", root: system'),
    )
  })
  it('reads the plain info mtree too, learning from the flat view of the same state', () => {
    const r = run(
      'flatview',
      '--mtree',
      file('00-mtree.txt'),
      '--learn',
      file('00-mtree-f.txt'),
      '--accel',
      'kvm',
    )
    expect(r.code).toBe(0)
    expect(new Map([...rangeLinesOf(r.stdout)].sort())).toEqual(
      new Map([...rangeLinesOf(fixture(q35, 0, 'mtree-f.txt'))].sort()),
    )
  })
  it('prints JSON ranges', () => {
    const r = run(
      'flatview',
      '--mtree',
      file('03-mtree-D.txt'),
      '--as',
      'memory',
      '--json',
      '--accel',
      'kvm',
    )
    const views = JSON.parse(r.stdout) as Array<{
      addressSpaces: string[]
      ranges: Array<Record<string, unknown>>
    }>
    expect(views).toHaveLength(1)
    expect(views[0]?.ranges[0]).toEqual({
      start: '0x0',
      size: '0xa0000',
      region: 'pc.ram',
      offset: '0x0',
      priority: 0,
      type: 'ram',
      readonly: false,
      kvm: true,
    })
  })
  it('rejects ambiguous and absent --move names, and bad input, with one line', () => {
    const amb = run('flatview', '--mtree', file('03-mtree-D.txt'), '--move', 'pam-pci=0x1000')
    expect(amb.code).toBe(1)
    expect(amb.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(amb.stderr).toContain('26 regions match "pam-pci"; name one by path')
    expect(
      run('flatview', '--mtree', file('03-mtree-D.txt'), '--move', 'nosuch=0x1000').stderr,
    ).toContain('no region named "nosuch"')
    const bad = run('flatview', '--mtree', file('03-ramblock.txt'))
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/03-ramblock\.txt: line 1, column 1: expected/)
    expect(run('flatview').code).toBe(2)
    expect(run('flatview', '--mtree', file('03-mtree-D.txt'), '--accel', 'hvf').code).toBe(2)
  })
})

describe('ramaddr translate / gpas', () => {
  const common = ['--mtree', file('03-mtree-D.txt'), '--ramblock', file('03-ramblock.txt')]
  it('translates GPAs as the recorded gpa2hva probes imply', () => {
    const r = run(
      'translate',
      ...common,
      '--json',
      '0xe0000',
      '0xfd000010',
      '0xfe000000',
      '0x30000000',
    )
    expect(r.code).toBe(0)
    // pc.bios sits at ram_addr 0x20000000 (03-ramblock.txt); isa-bios shows its last 128 KiB at 0xe0000
    expect(JSON.parse(r.stdout)).toEqual([
      { gpa: '0xe0000', region: 'pc.bios', offset: '0x20000', ramAddr: '0x20020000' },
      { gpa: '0xfd000010', region: 'vga.vram', offset: '0x10', ramAddr: '0x20080010' },
      { gpa: '0xfe000000', region: 'edid', offset: '0x0', ramAddr: null },
      { gpa: '0x30000000', region: null, offset: null, ramAddr: null },
    ])
  })
  it('finds every GPA of a ram_addr_t', () => {
    const r = run('gpas', ...common, '--json', '0x20020000', '0x20080000', '0x21300000')
    expect(JSON.parse(r.stdout)).toEqual([
      {
        ramAddr: '0x20020000',
        block: 'pc.bios',
        offset: '0x20000',
        gpas: ['0xe0000', '0xfffe0000'],
      },
      {
        ramAddr: '0x20080000',
        block: '0000:00:02.0/vga.vram',
        offset: '0x0',
        gpas: ['0xfd000000'],
      },
      { ramAddr: '0x21300000', block: '/rom@etc/table-loader', offset: '0x0', gpas: [] },
    ])
  })
  it('checks its arguments', () => {
    expect(run('translate', ...common).code).toBe(2)
    expect(run('translate', ...common, 'zz').code).toBe(2)
    expect(run('translate', ...common, '0x10000000000000000').code).toBe(2)
    expect(run('translate', '--mtree', file('03-mtree-D.txt'), '0x0').code).toBe(2)
    expect(run('translate', ...common, '--as', 'nope', '0x0').code).toBe(1)
  })
})

describe('ramaddr kvm-slots', () => {
  it('lists the slots QEMU held (replayed from its recorded KVM_SET_USER_MEMORY_REGION calls)', async () => {
    const { parseTraceLine } = await import('../../src/kvm/trace.js')
    const { readFileSync } = await import('node:fs')
    const meta = JSON.parse(readFileSync(join(q35.dir, 'scenario.json'), 'utf8')) as {
      states: Array<{ kvm_slot_ops?: string[] }>
    }
    const slots = new Map<number, string>()
    for (const st of meta.states.slice(0, 9))
      for (const line of st.kvm_slot_ops ?? []) {
        const op = parseTraceLine(1, line)
        if (E.isLeft(op)) throw new Error(op.left.message)
        if (op.right.size === 0n) slots.delete(op.right.slot)
        else
          slots.set(
            op.right.slot,
            `${op.right.gpa.toString(16)}/${op.right.size.toString(16)}/${op.right.flags}`,
          )
      }
    const r = run(
      'kvm-slots',
      '--mtree',
      file('08-mtree-D.txt'),
      '--ramblock',
      file('08-ramblock.txt'),
      '--json',
    )
    expect(r.code).toBe(0)
    const rows = JSON.parse(r.stdout) as Array<{
      gpa: string
      size: string
      flags: number
      region: string
    }>
    expect(
      rows
        .map((x) => `${BigInt(x.gpa).toString(16)}/${BigInt(x.size).toString(16)}/${x.flags}`)
        .sort(),
    ).toEqual([...slots.values()].sort())
    expect(rows.find((x) => x.region === 'vga.vram')?.flags).toBe(1)
    const logged = JSON.parse(
      run(
        'kvm-slots',
        '--mtree',
        file('08-mtree-D.txt'),
        '--ramblock',
        file('08-ramblock.txt'),
        '--json',
        '--log',
        'pc.rom',
      ).stdout,
    ) as typeof rows
    expect(logged.find((x) => x.region === 'pc.rom')?.flags).toBe(3)
    expect(
      run(
        'kvm-slots',
        '--mtree',
        file('08-mtree-D.txt'),
        '--ramblock',
        file('08-ramblock.txt'),
        '--log',
        'pam-pci',
      ).code,
    ).toBe(1)
  })
})
