// Stream details built byte by byte from the spec's tables (libxc-migration-stream.pandoc):
// byte order, page data, reserved page types, and which records a restore accepts.
import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { decode } from '../../src/xen/decode.js'
import { encode } from '../../src/xen/encode.js'
import { restore } from '../../src/xen/migrate.js'
import * as hostP2m from '../../src/xen/host-p2m.js'
import type { Stream, StreamRecord } from '../../src/xen/stream.js'

/** Headers then records `[type, body]`, in the given byte order (image header always BE). */
const build = (little: boolean, records: Array<[number, Uint8Array]>, version = 3): Uint8Array => {
  const parts: number[] = []
  const u = (n: number, bytes: number, le: boolean) => {
    const b = Array.from({ length: bytes }, (_, i) => Math.floor(n / 2 ** (8 * i)) % 256)
    parts.push(...(le ? b : b.reverse()))
  }
  u(0xffffffff, 4, false)
  u(0xffffffff, 4, false)
  u(0x58454e46, 4, false)
  u(version, 4, false)
  u(little ? 0 : 1, 2, false)
  u(0, 6, false)
  u(2, 4, little)
  u(12, 2, little)
  u(0, 2, little)
  u(4, 4, little)
  u(21, 4, little)
  for (const [t, body] of records) {
    u(t, 4, little)
    u(body.length, 4, little)
    parts.push(...body, ...new Array<number>((8 - (body.length % 8)) % 8).fill(0))
  }
  return new Uint8Array(parts)
}

const pfn = (type: number, n: number, little: boolean): number[] => {
  const b = [n & 0xff, (n >> 8) & 0xff, 0, 0, 0, 0, 0, type << 4]
  return little ? b : b.reverse()
}
const pageData = (little: boolean, entries: Array<[number, number]>, data: number): Uint8Array => {
  const c = entries.length
  const head = little ? [c, 0, 0, 0, 0, 0, 0, 0] : [0, 0, 0, c, 0, 0, 0, 0]
  return new Uint8Array([
    ...head,
    ...entries.flatMap(([t, n]) => pfn(t, n, little)),
    ...new Array<number>(data).fill(0xab),
  ])
}

const host = hostP2m.fromRuns([{ gfn: 0n, count: 4n, mfn: 0x100n, type: 'ram_rw' }])
if (E.isLeft(host)) throw new Error('host')

describe('stream bytes', () => {
  it('decodes both byte orders to the same records', () => {
    const recs = (le: boolean): Array<[number, Uint8Array]> => [
      [0x10, new Uint8Array(0)],
      [
        1,
        pageData(
          le,
          [
            [0, 1],
            [0xe, 2],
          ],
          4096,
        ),
      ],
      [0, new Uint8Array(0)],
    ]
    const le = decode(build(true, recs(true)))
    const be = decode(build(false, recs(false)))
    expect(E.isRight(le) && E.isRight(be)).toBe(true)
    if (E.isRight(le) && E.isRight(be)) {
      expect(be.right.image.bigEndian).toBe(true)
      expect(be.right.records).toEqual(le.right.records)
      const pd = le.right.records[1] as Extract<StreamRecord, { _tag: 'PageData' }>
      expect(pd.pfns).toEqual([
        { pfn: 1n, type: 0 },
        { pfn: 2n, type: 0xe },
      ])
      expect(pd.data.length).toBe(4096) // only the NOTAB page carries data
    }
  })
  it('rejects reserved page types and wrong data lengths at their offsets', () => {
    const bad = decode(
      build(true, [
        [1, pageData(true, [[5, 1]], 0)],
        [0, new Uint8Array(0)],
      ]),
    )
    expect(bad).toEqual(E.left(expect.objectContaining({ offset: 40 + 8 + 8 })))
    const short = decode(
      build(true, [
        [1, pageData(true, [[0, 1]], 100)],
        [0, new Uint8Array(0)],
      ]),
    )
    expect(E.isLeft(short) && short.left.offset).toBe(48)
    const trailing = build(true, [[0, new Uint8Array(0)]])
    const t = decode(new Uint8Array([...trailing, 0, 0, 0, 0, 0, 0, 0, 0]))
    expect(E.isLeft(t) && t.left.offset).toBe(48)
  })
  it('restore: unknown mandatory fails, unknown optional and HVM records pass, v3 needs STATIC_DATA_END first', () => {
    const go = (recs: Array<[number, Uint8Array]>, version = 3) => {
      const s = decode(build(true, [...recs, [0, new Uint8Array(0)]], version))
      if (E.isLeft(s)) throw new Error(s.left.message)
      return restore(host.right)(s.right)
    }
    expect(E.isLeft(go([[0x13, new Uint8Array(8)]]))).toBe(true)
    expect(
      E.isRight(
        go([
          [0x80000013, new Uint8Array(8)],
          [0x0a, new Uint8Array(8)],
        ]),
      ),
    ).toBe(true)
    expect(E.isLeft(go([[1, pageData(true, [[0xe, 1]], 0)]]))).toBe(true)
    expect(E.isRight(go([[1, pageData(true, [[0xe, 1]], 0)]], 2))).toBe(true) // v2: inferred
    const outside = go([
      [0x10, new Uint8Array(0)],
      [1, pageData(true, [[0xe, 9]], 0)],
    ])
    expect(E.isLeft(outside) && outside.left.message).toMatch(/pfn 0x9 is not RAM/)
  })
  it('encode refuses what decode would reject', () => {
    const s = (records: StreamRecord[]): Stream => ({
      image: { version: 3, bigEndian: false },
      domain: { type: 2, pageShift: 12, xenMajor: 4, xenMinor: 21 },
      records,
    })
    expect(
      E.isLeft(
        encode(s([{ _tag: 'PageData', pfns: [], data: new Uint8Array(0) }, { _tag: 'End' }])),
      ),
    ).toBe(true)
    expect(
      E.isLeft(
        encode(
          s([
            { _tag: 'PageData', pfns: [{ pfn: 1n << 52n, type: 0xe }], data: new Uint8Array(0) },
            { _tag: 'End' },
          ]),
        ),
      ),
    ).toBe(true)
    expect(E.isLeft(encode(s([{ _tag: 'End' }, { _tag: 'StaticDataEnd' }])))).toBe(true)
    expect(
      E.isLeft(encode(s([{ _tag: 'Other', type: 1, body: new Uint8Array(0) }, { _tag: 'End' }]))),
    ).toBe(true)
  })
})
