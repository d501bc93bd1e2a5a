// report.showValue and reportErrors never throw, whatever the value: bigints, cycles,
// 100,000-deep nesting (each once crashed JSON.stringify inside them); where JSON can
// print the value, they print what JSON.stringify prints, cut at 40 characters.
import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as t from 'io-ts/lib/index.js'
import * as E from 'fp-ts/lib/Either.js'
import { reportErrors, showValue } from '../../src/addresses/report.js'
import { RamAddrFromHex } from '../../src/addresses/codec.js'
import { run } from '../../src/cli/main.js'
import { nodeIo, type Io } from '../../src/cli/io.js'
import { join } from 'node:path'
import { FIXTURES } from '../helpers.js'

const cut = (s: string): string => (s.length > 40 ? s.slice(0, 40) + '…' : s)

describe('showValue', () => {
  test.prop([fc.jsonValue()], { numRuns: 2000 })(
    'prints what JSON.stringify prints, cut at 40 characters',
    (v) => {
      expect(showValue(v)).toBe(cut(JSON.stringify(v)))
    },
  )
  test.prop([fc.anything({ withBigInt: true, withMap: true, withSet: true, withDate: true })], {
    numRuns: 2000,
  })('never throws and stays short on anything', (v) => {
    expect(showValue(v).length).toBeLessThanOrEqual(41)
  })
  it('cycles and deep nesting cost no more than what shows', () => {
    const c: { self?: unknown } = {}
    c.self = c
    expect(showValue(c)).toBe(cut('{"self":'.repeat(6)))
    let d: unknown = 0
    for (let i = 0; i < 100000; i++) d = { a: d }
    expect(showValue(d)).toBe(cut('{"a":'.repeat(9)))
  })
})

describe('reportErrors on values JSON cannot print', () => {
  it('a bigint, a cycle, a 100,000-deep array', () => {
    const codec = t.type({ offset: RamAddrFromHex })
    const cyclic: Record<string, unknown> = {}
    cyclic.offset = cyclic
    let deep: unknown = 0
    for (let i = 0; i < 100000; i++) deep = [deep]
    for (const v of [{ offset: 5n }, cyclic, { offset: deep }, deep]) {
      const r = codec.decode(v)
      expect(E.isLeft(r)).toBe(true)
      if (E.isLeft(r)) expect(reportErrors(r.left)[0]).toMatch(/^at .*: .* \(got .{1,41}\)$/)
    }
  })
  it('mirror plan with tuples JSON nested 100,000 deep: exit 1, one line', () => {
    const deep = '['.repeat(100000) + ']'.repeat(100000)
    let err = ''
    const io: Io = {
      readFile: (p) => (p === 'tuples.json' ? E.right(deep) : nodeIo.readFile(p)),
      stdout: () => undefined,
      stderr: (s) => {
        err += s
      },
    }
    const dir = join(FIXTURES, 'qemu-7.2', 'q35-512m-vga-net')
    const code = run(
      [
        'mirror',
        'plan',
        '--mtree',
        join(dir, '00-mtree-D.txt'),
        '--ramblock',
        join(dir, '00-ramblock.txt'),
        '--scheme',
        'tuples',
        '--tuples',
        'tuples.json',
      ],
      io,
    )
    expect(code).toBe(1)
    expect(err).toContain('tuples.json')
    expect(err.trimEnd().split('\n')).toHaveLength(1)
  })
})
