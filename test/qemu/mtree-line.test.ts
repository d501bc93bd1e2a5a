// parseLine reads addresses and priorities from character codes (no substring, no regex):
// checked against BigInt/Number parsing of the same printed fields, for random 16- and
// 8-digit addresses over the whole range (below and above 2^53, all ones) and random
// 32-bit priorities, in both dialects.
import { describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import { parseLine, readPlainLine } from '../../src/qemu/mtree-line.js'

const hex = (digits: number) =>
  fc
    .oneof(
      fc.bigInt({ min: 0n, max: (1n << BigInt(4 * digits)) - 1n }),
      fc.bigInt({ min: 0n, max: (1n << 53n) + 5n }),
      fc.constantFrom(0n, (1n << 53n) - 1n, 1n << 53n, (1n << BigInt(4 * digits)) - 1n),
    )
    .map((v) =>
      BigInt.asUintN(4 * digits, v)
        .toString(16)
        .padStart(digits, '0'),
    )

describe('parseLine reads the printed numbers exactly', () => {
  test.prop([
    fc.constantFrom(8, 16).chain((d) => fc.tuple(hex(d), hex(d))),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    fc.integer({ min: 0, max: 5 }),
    fc.constantFrom('ram', 'i/o', 'RW', 'R-'),
  ])('start, end and priority', ([s, e], prio, level, type) => {
    const text = `${'  '.repeat(level)}${s}-${e} (prio ${prio}, ${type}): r`
    const got = parseLine(3, text)
    if (E.isLeft(got)) throw new Error(got.left.message)
    expect({ start: got.right.start, end: got.right.end, priority: got.right.priority }).toEqual({
      start: BigInt('0x' + s),
      end: BigInt('0x' + e),
      priority: prio,
    })
  })

  test.prop([fc.stringMatching(/^-?[0-9]{11,13}$/)])(
    'a priority of more than 10 digits or outside 32 bits is an error',
    (p) => {
      const got = parseLine(1, `  0000000000000000-0000000000000fff (prio ${p}, ram): r`)
      const fits = /^-?[0-9]{1,10}$/.test(p) && Math.abs(Number(p)) < 2 ** 31
      expect(E.isLeft(got)).toBe(!fits)
    },
  )
})

// readPlainLine is parseLine's shortcut for the commonest line: on any line, placed anywhere
// in a longer text, it answers nothing or exactly what parseLine answers for that line.
const pieces = fc.constantFrom(
  '  ',
  ' ',
  '0000000000000000',
  'ffffffffffffffff',
  '00000000fffff000',
  '0000ffff',
  '-',
  ' (prio ',
  '0',
  '-1',
  '123456789',
  '2147483647',
  ', ',
  'ram',
  'rom',
  'romd',
  'ramd',
  'i/o',
  'container',
  'RW',
  'nv-',
  '): ',
  'pc.ram',
  'alias',
  'alias a @b 0000000000000000-0000000000000fff',
  ' [disabled]',
  ' owner:{dev id=net0}',
  ' orphan',
  ':{',
  '\u00a0',
  '\t',
  '\r',
  '[DETECTED OVERFLOW!] ',
  'x',
  ':',
)
const plainLine = fc.tuple(
  fc.integer({ min: 1, max: 4 }),
  hex(16),
  hex(16),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  fc.constantFrom('ram', 'rom', 'romd', 'ramd', 'i/o', 'container'),
  fc.stringMatching(/^[a-z.:{}\-[\] ]{0,12}$/),
)
// what may follow the type word of a line that is almost plain
const around = fc.tuple(
  fc.constantFrom('', '', 'nv-', 'alias ', 'alias', ' '),
  fc.constantFrom(
    '',
    '',
    ' [disabled]',
    ' owner:{dev id=net0}',
    ' parent:{obj path=/machine}',
    ' orphan',
    ' ',
    '\t',
    '\u00a0',
    ' @b 0000000000000000-0000000000000fff',
  ),
)

describe('readPlainLine answers what parseLine answers, or nothing', () => {
  test.prop([
    fc.oneof(
      fc.array(pieces, { maxLength: 14 }).map((p) => p.join('')),
      fc
        .tuple(plainLine, around)
        .map(
          ([[l, s, e, p, t, n], [pre, post]]) =>
            `${'  '.repeat(l)}${s}-${e} (prio ${p}, ${pre === 'nv-' ? pre + t : t}): ${pre === 'nv-' ? '' : pre}${n}${post}`,
        ),
    ),
    fc.string({ maxLength: 3 }),
    fc.constantFrom('', '\n', '\r\n', 'x'),
  ])('on random lines inside a text', (line, before, after) => {
    const text = before + line + after
    const got = readPlainLine(text, before.length, before.length + line.length)
    if (got === undefined) return
    const model = parseLine(1, line)
    expect(model).toEqual(E.right(got))
  })

  test.prop([plainLine, fc.stringMatching(/^[a-z0-9._-]{0,12}$/)])(
    'reads every plain line',
    ([l, s, e, p, t], n) => {
      const line = `${'  '.repeat(l)}${s}-${e} (prio ${p % 1e9}, ${t}): r${n}`
      expect(readPlainLine(line, 0)).toEqual((parseLine(1, line) as { right: unknown }).right)
    },
  )
})
