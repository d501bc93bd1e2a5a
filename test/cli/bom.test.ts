// Every CLI command that reads a text file takes it with a UTF-8 byte-order mark as it takes
// it without one (the same exit status, stdout and stderr), monitor dumps and JSON alike,
// and a JSON syntax error is placed at the same line and column either way (issue 16: "a
// BOM is accepted (or named as a BOM)"). Run in-process (runInMemory) on the recorded Q35
// (QEMU 7.2, state 08).
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runInMemory } from '../memory-cli.js'
import { FIXTURES } from '../helpers.js'

const q35 = join(FIXTURES, 'qemu-7.2', 'q35-512m-vga-net')
const FILES: Readonly<Record<string, string>> = {
  'tree.txt': readFileSync(join(q35, '08-mtree-D.txt'), 'utf8'),
  'flat.txt': readFileSync(join(q35, '08-mtree-f.txt'), 'utf8'),
  'rb.txt': readFileSync(join(q35, '08-ramblock.txt'), 'utf8'),
  'tuples.json': JSON.stringify(
    [{ mainGpa: '0x100000', length: '0x200000', mirrorGpa: '0x10000000000' }],
    null,
    2,
  ),
  'bad.json': '[\n  {"mainGpa": "0x100000",, "length": "0x1000"}\n]\n',
  'xen.json': JSON.stringify({
    host: [{ gfn: '0x0', count: '0x4', mfn: '0x8000', type: 'ram_rw' }],
    views: [{ defaultAccess: 'rwx', ops: [{ op: 'set_mem_access', gfn: '0x1', access: 'rx' }] }],
  }),
}

/** The CLI on the files, each with a byte-order mark first or not: exit, stdout, stderr, bytes. */
const cli = (bom: boolean, argv: ReadonlyArray<string>) => {
  const files = Object.fromEntries(
    Object.entries(FILES).map(([p, t]) => [p, (bom ? '\ufeff' : '') + t]),
  )
  const { code, stdout, stderr, bytes } = runInMemory(files, argv, true)
  return { code, stdout, stderr, bytes }
}

const map = ['--mtree', 'tree.txt', '--ramblock', 'rb.txt']
const commands: ReadonlyArray<ReadonlyArray<string>> = [
  ['ramblock', 'rb.txt'],
  ['ramblock', 'rb.txt', '--json'],
  ['flatview', '--mtree', 'tree.txt'],
  ['flatview', '--mtree', 'tree.txt', '--learn', 'flat.txt'],
  ['translate', ...map, '0xfd000010', '0x1000'],
  ['gpas', ...map, '0x1000'],
  ['kvm-slots', ...map],
  ['draw', ...map],
  ['mirror', 'plan', ...map, '--scheme', 'tuples', '--tuples', 'tuples.json'],
  ['xen', 'encode', 'xen.json'],
]

describe('a byte-order mark in an input file', () => {
  it.each(commands.map((c) => [c.join(' '), c] as const))(
    'ramaddr %s: the same answer as without it',
    (_, argv) => {
      const plain = cli(false, argv)
      expect(plain.code, plain.stderr).toBe(0)
      expect(plain.stdout.length + plain.bytes.length).toBeGreaterThan(0)
      expect(cli(true, argv)).toEqual(plain)
    },
  )
  it('a JSON syntax error: one line naming the file, line and column, mark or not', () => {
    const argv = ['mirror', 'plan', ...map, '--scheme', 'tuples', '--tuples', 'bad.json']
    const plain = cli(false, argv)
    expect(plain.code).toBe(1)
    expect(plain.stderr).toBe(
      'ramaddr mirror: bad.json: not JSON: line 2, column 26: expected a string (an object key), found ", \\"length\\": \\"0x1000\\"}"\n',
    )
    expect(cli(true, argv)).toEqual(plain)
  })
})
