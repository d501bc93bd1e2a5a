// parseLine reads addresses and priorities from character codes (no substring, no regex):
// checked against BigInt/Number parsing of the same printed fields, for random 16- and
// 8-digit addresses over the whole range (below and above 2^53, all ones) and random
// 32-bit priorities, in both dialects.
import { describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import { parseLine } from '../../src/qemu/mtree-line.js'

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
