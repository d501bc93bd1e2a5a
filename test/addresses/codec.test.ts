import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as t from 'io-ts/lib/index.js'
import { reportErrors } from '../../src/addresses/report.js'
import * as codec from '../../src/addresses/codec.js'
import { parseHex, toHex, toHex16 } from '../../src/addresses/hex.js'
import {
  Gpa,
  RamAddr,
  Size,
  type Gpa as GpaT,
  type RamAddr as RamAddrT,
} from '../../src/addresses/kinds.js'
import { parseSize } from '../../src/addresses/size-text.js'
import { TWO_64 } from '../../src/addresses/u64.js'

const u64 = fc.bigInt({ min: 0n, max: TWO_64 - 1n })

describe('hex text', () => {
  test.prop([u64], { numRuns: 1000 })('parseHex inverts toHex and accepts any case', (n) => {
    expect(parseHex(toHex(n))).toEqual(E.right(n))
    expect(parseHex(toHex(n).toUpperCase())).toEqual(E.right(n))
    expect(parseHex('0x' + toHex16(n))).toEqual(E.right(n))
  })
  it('rejects overflow, missing prefix, empty and junk', () => {
    for (const bad of [
      '0x10000000000000000',
      '0x' + '0'.repeat(100) + '1' + '0'.repeat(16),
      'ff',
      '0x',
      '0xg',
      ' 0x1',
      '0x1 ',
      '-0x1',
      '0x' + 'f'.repeat(10000),
    ])
      expect(E.isLeft(parseHex(bad)), bad).toBe(true)
    expect(parseHex('0x' + '0'.repeat(100) + 'ffffffffffffffff')).toEqual(E.right(TWO_64 - 1n))
  })
})

describe('io-ts codecs', () => {
  it('decodes and encodes address kinds', () => {
    expect(codec.GpaFromHex.decode('0xFFFC0000')).toEqual(E.right(0xfffc0000n))
    expect(codec.GpaFromHex.encode(Gpa.unsafe(0xfffc0000n))).toBe('0xfffc0000')
    expect(E.isLeft(codec.GpaFromHex.decode('0x10000000000000000'))).toBe(true)
    expect(codec.SizeFromHex.decode('0x10000000000000000')).toEqual(E.right(TWO_64))
    expect(E.isLeft(codec.SizeFromHex.decode('0x10000000000000001'))).toBe(true)
    expect(E.isLeft(codec.GpaFromHex.decode(4096))).toBe(true)
  })
  it('reports the io-ts path of a bad field', () => {
    const Doc = t.type({ blocks: t.array(t.type({ offset: codec.RamAddrFromHex })) })
    const r = Doc.decode({ blocks: [{ offset: '0x0' }, { offset: '0xzz' }] })
    expect(E.isLeft(r)).toBe(true)
    const report = E.isLeft(r) ? reportErrors(r.left).join('\n') : ''
    expect(report).toContain('blocks/1/offset')
    expect(report).toContain('0xzz')
  })
  it('decodes ranges that end at 2^64 and rejects ranges past it', () => {
    const R = codec.rangeOf(Gpa)
    expect(R.decode({ start: '0x0', size: '0x10000000000000000' })).toEqual(
      E.right({ start: 0n, end: TWO_64 }),
    )
    expect(E.isLeft(R.decode({ start: '0x1000', size: '0xfffffffffffff001' }))).toBe(true)
    expect(R.encode({ start: Gpa.unsafe(0xe0000n), end: 0x100000n })).toEqual({
      start: '0xe0000',
      size: '0x20000',
    })
  })
  test.prop([u64, fc.bigInt({ min: 0n, max: TWO_64 })], { numRuns: 1000 })(
    'range codec round-trips',
    (start, size) => {
      fc.pre(start + size <= TWO_64)
      const R = codec.rangeOf(RamAddr)
      const decoded = R.decode({ start: toHex(start), size: toHex(size) })
      expect(decoded).toEqual(E.right({ start, end: start + size }))
      if (E.isRight(decoded))
        expect(R.encode(decoded.right)).toEqual({ start: toHex(start), size: toHex(size) })
    },
  )
  it('decodes page sizes from hex or numbers, powers of two only', () => {
    expect(codec.PageSizeCodec.decode('0x200000')).toEqual(E.right(0x200000n))
    expect(codec.PageSizeCodec.decode(4096)).toEqual(E.right(0x1000n))
    expect(E.isLeft(codec.PageSizeCodec.decode(4095))).toBe(true)
    expect(E.isLeft(codec.PageSizeCodec.decode('4 KiB'))).toBe(true)
  })
})

describe('address kinds do not mix', () => {
  it('is a type error to pass a Gpa where a RamAddr is wanted', () => {
    const wantsRamAddr = (r: RamAddrT): bigint => r
    const g: GpaT = Gpa.unsafe(0x1000n)
    // @ts-expect-error a Gpa is not a RamAddr
    wantsRamAddr(g)
    // @ts-expect-error a plain bigint is not a RamAddr either
    wantsRamAddr(0x1000n)
    expect(wantsRamAddr(RamAddr.unsafe(0x1000n))).toBe(0x1000n)
  })
  it('checks ranges in make', () => {
    expect(E.isLeft(Gpa.make(-1n))).toBe(true)
    expect(E.isLeft(Gpa.make(TWO_64))).toBe(true)
    expect(E.isRight(Size.make(TWO_64))).toBe(true)
  })
})

describe('command-line sizes', () => {
  it('parses QEMU-style suffixes and hex', () => {
    expect(parseSize('16M')).toEqual(E.right(16n << 20n))
    expect(parseSize('2g')).toEqual(E.right(2n << 30n))
    expect(parseSize('4096')).toEqual(E.right(4096n))
    expect(parseSize('0x10000000000000000')).toEqual(E.right(TWO_64))
    expect(parseSize('16E')).toEqual(E.right(TWO_64))
    for (const bad of ['', 'M', '1.5G', '17E', '0x', '12Q', '9'.repeat(40)])
      expect(E.isLeft(parseSize(bad)), bad).toBe(true)
  })
})
