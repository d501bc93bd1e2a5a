import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import { HEADER, format, parse } from '../../src/qemu/info-ramblock.js'
import { formatG3, parsePowerOfTwoSize, sizeToStr } from '../../src/qemu/size-to-str.js'
import * as O from 'fp-ts/lib/Option.js'
import { fixture, scenarios } from '../helpers.js'

const q35 = scenarios().find((s) => s.recording === 'qemu-7.2' && s.name === 'q35-512m-vga-net')
const sample = q35 === undefined ? '' : fixture(q35, 0, 'ramblock.txt')

const errorAt = (text: string): [number, number] | 'ok' => {
  const r = parse(text)
  return E.isLeft(r) ? [r.left.line, r.left.column] : 'ok'
}

describe('info ramblock parse errors carry line and column', () => {
  const row =
    '                  pc.ram    4 KiB  0x0000000000000000 0x0000000020000000 0x0000000020000000'
  it('points at the bad character', () => {
    expect(
      errorAt(`${HEADER}\n${row.replace('0x0000000020000000 0x', '0x00000000200g0000 0x')}\n`),
    ).toEqual([2, 68])
    expect(errorAt(`${HEADER}\n${row.replace('4 KiB', '3 KiB')}\n`)).toEqual([2, 26])
    expect(errorAt(`${HEADER}\n${row.slice(0, 50)}\n`)).toEqual([2, 51])
    expect(errorAt(`${HEADER.replace('PSize', 'Psize')}\n`)).toEqual([1, 30])
    expect(errorAt('')).toEqual([1, 1])
    expect(errorAt(`${HEADER}\n${row}\n${row}\n`)).toEqual([3, 1])
    expect(
      errorAt(`${HEADER}\n${row.replace('0x0000000020000000\u0020', '0x0000000020000001 ')}\n`),
    ).toEqual([2, 74])
  })
  it('rejects used > total, zero total and blocks past 2^64', () => {
    const usedBig = row.replace(/0x0000000020000000$/, '0x0000000010000000')
    expect(errorAt(`${HEADER}\n${usedBig}\n`)).toEqual([2, 74])
    const past =
      '                  pc.ram    4 KiB  0xfffffffffffff000 0x0000000000001000 0x0000000000002000'
    expect(errorAt(`${HEADER}\n${past}\n`)).toEqual([2, 74])
  })
  it('accepts \\n line endings and keeps the QEMU order', () => {
    const lf = sample.replace(/\r\n/g, '\n')
    const r = parse(lf)
    expect(E.isRight(r)).toBe(true)
    if (E.isRight(r)) expect(format({ eol: '\n' })(r.right)).toBe(lf)
  })
})

describe('info ramblock never throws on garbage (fuzz)', () => {
  const lines = sample.split('\r\n').filter((l) => l.length > 0)
  test.prop([fc.string({ unit: 'binary', maxLength: 400 })], { numRuns: 1000 })(
    'random text',
    (s) => {
      expect(() => parse(s)).not.toThrow()
      expect(() => parse(HEADER + '\r\n' + s)).not.toThrow()
    },
  )
  test.prop([fc.integer({ min: 1, max: 9 }), fc.nat(120)], { numRuns: 1000 })(
    'truncated rows',
    (i, cut) => {
      const rows = [...lines]
      rows[i] = (rows[i] ?? '').slice(0, cut)
      const r = parse(rows.join('\r\n') + '\r\n')
      // a last row cut to nothing is a table one row shorter
      const dropped = (rows[i] ?? '').trim() === '' && i === rows.length - 1
      expect(E.isLeft(r) || dropped || (rows[i] ?? '').length === (lines[i] ?? '').length).toBe(
        true,
      )
      if (E.isLeft(r)) expect(r.left.line).toBe(i + 1)
    },
  )
  test.prop([fc.integer({ min: 1, max: 9 }), fc.stringMatching(/^[0-9a-fA-Fx ]{1,40}$/)], {
    numRuns: 1000,
  })('overlong and mangled numbers', (i, junk) => {
    const rows = [...lines]
    rows[i] = (rows[i] ?? '').replace(/0x[0-9a-f]{16}$/, junk)
    const r = parse(rows.join('\r\n') + '\r\n')
    if (E.isRight(r)) expect(format()(r.right)).toBe(rows.join('\r\n') + '\r\n')
    else expect(r.left.line).toBe(i + 1)
  })
})

describe('size_to_str', () => {
  it('formats as QEMU does (checked against util/cutils.c semantics)', () => {
    expect(sizeToStr(0n)).toBe('0 B')
    expect(sizeToStr(1n)).toBe('1 B')
    expect(sizeToStr(999n)).toBe('999 B')
    expect(sizeToStr(1000n)).toBe('0.977 KiB')
    expect(sizeToStr(1024n)).toBe('1 KiB')
    expect(sizeToStr(1536n)).toBe('1.5 KiB')
    expect(sizeToStr(0x1000n)).toBe('4 KiB')
    expect(sizeToStr(0x200000n)).toBe('2 MiB')
    expect(sizeToStr(0x40000000n)).toBe('1 GiB')
    expect(sizeToStr((1n << 64n) - 1n)).toBe('16 EiB')
    expect(sizeToStr(1023n * 1024n + 1000n)).toBe('1 MiB')
  })
  it('implements C %.3g', () => {
    expect(formatG3(999.5)).toBe('1e+03')
    expect(formatG3(0.0001234)).toBe('0.000123')
    expect(formatG3(0.00001234)).toBe('1.23e-05')
    expect(formatG3(12.0)).toBe('12')
    expect(formatG3(1.005)).toBe('1')
  })
  test.prop([fc.integer({ min: 0, max: 63 })])(
    'every power of two parses back from its text',
    (k) => {
      const v = 1n << BigInt(k)
      expect(parsePowerOfTwoSize(sizeToStr(v))).toEqual(O.some(v))
    },
  )
})
