// Reproducers of issue 16's crashes and error-text faults that have no test elsewhere,
// run in-process through the CLI (the others: test/xen/runs.test.ts for the
// 0xffffffffffffffff page run, test/qemu/mtree.test.ts for deep trees,
// test/live/qmp-peer.test.ts for QMP errors, test/cli/*.test.ts for the error contract).
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { runInMemory } from '../memory-cli.js'
import { decodeScenario } from '../../src/xen/scenario.js'
import { FIXTURES } from '../helpers.js'

const q35 = join(FIXTURES, 'qemu-7.2', 'q35-512m-vga-net')
const FILES = {
  M: readFileSync(join(q35, '08-mtree-D.txt'), 'utf8'),
  R: readFileSync(join(q35, '08-ramblock.txt'), 'utf8'),
}

const cli = runInMemory

const oneLine = (stderr: string): void => {
  expect(stderr.endsWith('\n')).toBe(true)
  expect(stderr.slice(0, -1)).not.toMatch(/\n/)
  expect(stderr.length).toBeLessThan(1200)
}

describe('issue 16 reproducers', () => {
  const deep = '['.repeat(100_000) + ']'.repeat(100_000)
  for (const sub of ['plan', 'after-move'])
    it(`mirror ${sub} on tuples JSON nested 100,000 deep: exit 1, one line (was RangeError in report.js)`, () => {
      const r = cli({ ...FILES, T: deep }, [
        'mirror',
        sub,
        '--mtree',
        'M',
        '--ramblock',
        'R',
        '--scheme',
        'tuples',
        '--tuples',
        'T',
        '--snp',
        ...(sub === 'after-move' ? ['--move', 'vga.vram=0xd0000000'] : []),
      ])
      expect(r.code).toBe(1)
      oneLine(r.stderr)
      expect(r.stderr).toMatch(/^ramaddr mirror: T: at 0: expected \{ mainGpa/)
    })

  it('xen encode with a bad op 0 of 20,000 names op 0, once, in a short line (was the last op first, 369 KB)', () => {
    const ops: unknown[] = [{ op: 'change_gfn', gfn: '0x2', newGfn: '0x999' }]
    for (let i = 1; i < 20_000; i++) ops.push({ op: 'set_mem_access', gfn: '0x1', access: 'rx' })
    const scenario = {
      host: [{ gfn: '0x0', count: '0x10', mfn: '0x100', type: 'ram_rw' }],
      views: [{ ops }],
    }
    const r = cli({ J: JSON.stringify(scenario) }, ['xen', 'encode', 'J'])
    expect(r.code).toBe(1)
    oneLine(r.stderr)
    expect(r.stderr).toMatch(/^ramaddr xen: J: views\/0\/ops\/0: /)
    expect(r.stderr.match(/ops\//g)).toHaveLength(1)
    expect(r.stderr.length).toBeLessThan(300)
  })

  it('the Xen scenario decoder on a bigint or a cycle: a one-line Left (was TypeError from JSON.stringify)', () => {
    const cyclic: Record<string, unknown> = { op: 'change_gfn' }
    cyclic.gfn = cyclic
    for (const u of [
      { host: [{ gfn: 1n, count: '0x1', mfn: '0x1', type: 'ram_rw' }] },
      { host: [], views: [{ ops: [cyclic] }] },
      cyclic,
      10n,
    ]) {
      const r = decodeScenario(u)
      expect(E.isLeft(r)).toBe(true)
      if (E.isLeft(r)) {
        expect(r.left.message).not.toMatch(/\n/)
        expect(r.left.message.length).toBeLessThan(1000)
      }
    }
    const big = decodeScenario({ host: [{ gfn: 1n, count: '0x1', mfn: '0x1', type: 'ram_rw' }] })
    expect(E.isLeft(big) && big.left.message).toBe(
      'at host/0/gfn: expected a hex string for Gfn (got 0x1)',
    )
  })

  it('an empty --mtree file is a bad-input error (exit 1, one line), not silence and exit 0', () => {
    for (const argv of [
      ['flatview', '--mtree', 'E'],
      ['translate', '--mtree', 'E', '--ramblock', 'R', '0x0'],
      ['kvm-slots', '--mtree', 'E', '--ramblock', 'R'],
    ]) {
      const r = cli({ ...FILES, E: '' }, argv)
      expect(r.code).toBe(1)
      oneLine(r.stderr)
      expect(r.stdout).toBe('')
      expect(r.stderr).toContain('E: line 1, column 1')
    }
  })
})

describe('command names', () => {
  for (const name of ['valueOf', 'toString', 'constructor', '__proto__', 'hasOwnProperty'])
    it(`${name} (an Object.prototype member) is an unknown command: exit 2, one line (was a TypeError)`, () => {
      const r = cli(FILES, [name])
      expect(r.code).toBe(2)
      oneLine(r.stderr)
      expect(r.stderr).toMatch(/unknown command/)
    })
})
