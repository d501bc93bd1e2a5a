// The test reader on a stream built by hand from the format (migration/savevm.c,
// migration/ram.c, migration/xbzrle.c): what it lists, the XBZRLE decoding, a device
// section skipped by the vmdesc, and an error for every truncation.
import { describe, expect, it } from 'vitest'
import { readStream, summary } from './stream-reader.js'

const be16 = (v: number) => [(v >> 8) & 0xff, v & 0xff]
const be32 = (v: number) => [(v >>> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]
const be64 = (v: bigint) => [...be32(Number(v >> 32n)), ...be32(Number(v & 0xffffffffn))]
const str = (s: string) => [s.length, ...Buffer.from(s, 'latin1')]
const page = (b: number) => new Array<number>(4096).fill(b)

const vmdesc = JSON.stringify({
  devices: [
    {
      name: 'timer',
      instance_id: 0,
      vmsd_name: 'timer',
      version: 2,
      fields: [
        { name: 'a', type: 'int64', size: 8 },
        { name: 'b', type: 'uint8', size: 1, array_len: 3 },
      ],
      subsections: [{ vmsd_name: 'timer/x', version: 1, fields: [{ name: 'c', size: 2 }] }],
    },
  ],
})

const bytes = [
  ...be32(0x5145564d),
  ...be32(3),
  0x07, // configuration
  ...be32(6),
  ...Buffer.from('pc-q35'),
  0x01, // section start: ram
  ...be32(2),
  ...str('ram'),
  ...be32(0),
  ...be32(4),
  ...be64(0x3000n | 0x04n), // MEM_SIZE: 12 KiB
  ...str('pc.ram'),
  ...be64(0x2000n),
  ...str('pc.bios'),
  ...be64(0x1000n),
  ...be64(0x10n), // EOS
  0x7e,
  ...be32(2),
  0x02, // section part
  ...be32(2),
  ...be64(0x1000n | 0x08n), // PAGE pc.ram @0x1000
  ...str('pc.ram'),
  ...page(0xab),
  ...be64(0x0n | 0x02n | 0x20n), // ZERO, CONTINUE: pc.ram @0
  0,
  ...be64(0x0n | 0x08n), // PAGE pc.bios @0
  ...str('pc.bios'),
  ...page(0x11),
  ...be64(0x10n),
  0x7e,
  ...be32(2),
  0x08, // command
  ...be16(11),
  ...be16(0),
  0x03, // section end
  ...be32(2),
  // XBZRLE pc.ram @0x1000: keep 2 bytes, replace 3 with 1 2 3; skip 200 (2-byte ULEB), replace 1
  ...be64(0x1000n | 0x40n),
  ...str('pc.ram'),
  0x01,
  ...be16(9),
  2,
  3,
  1,
  2,
  3,
  0xc8,
  0x01,
  1,
  0xff,
  ...be64(0x10n),
  0x7e,
  ...be32(2),
  0x04, // full: timer
  ...be32(3),
  ...str('timer'),
  ...be32(0),
  ...be32(2),
  ...new Array<number>(8 + 3).fill(0x5a),
  0x05,
  ...str('timer/x'),
  ...be32(1),
  0x5a,
  0x5a,
  0x7e,
  ...be32(3),
  0x00, // EOF
  0x06,
  ...be32(vmdesc.length),
  ...Buffer.from(vmdesc),
]
const stream = Uint8Array.from(bytes)

describe('the test stream reader', () => {
  it('lists the blocks, sections, commands and page records, and decodes XBZRLE', () => {
    const s = readStream(stream)
    expect(s.machine).toBe('pc-q35')
    expect(s.blocks).toEqual([
      { idstr: 'pc.ram', usedLength: 0x2000n },
      { idstr: 'pc.bios', usedLength: 0x1000n },
    ])
    expect(s.sections.map((x) => `${x.type}:${x.idstr}`)).toEqual([
      'start:ram',
      'part:ram',
      'end:ram',
      'full:timer',
    ])
    expect(s.commands.map((c) => c.command)).toEqual([11])
    expect(s.records.map((r) => [r.block, r.offset, r.kind])).toEqual([
      ['pc.ram', 0x1000n, 'page'],
      ['pc.ram', 0n, 'zero'],
      ['pc.bios', 0n, 'page'],
      ['pc.ram', 0x1000n, 'xbzrle'],
    ])
    const x = s.records[3]!.data!
    const want = new Uint8Array(4096).fill(0xab)
    want.set([1, 2, 3], 2)
    want[5 + 200] = 0xff
    expect([...x]).toEqual([...want])
    // the PAGE record before it is unchanged
    expect(s.records[0]!.data![2]).toBe(0xab)
  })

  it('sums it up in the shape of migstream --json --pages, passes inferred from the walk', () => {
    const j = summary(readStream(stream))
    expect(j.blocks).toEqual([
      { idstr: 'pc.ram', usedLength: '0x2000' },
      { idstr: 'pc.bios', usedLength: '0x1000' },
    ])
    expect(j.sections).toEqual([
      { idstr: 'ram', instance: 0, version: 4 },
      { idstr: 'timer', instance: 0, version: 2 },
    ])
    expect([j.pages, j.zeroPages]).toEqual([4, 1])
    // pc.ram@0x1000, then back to pc.ram@0 (pass 2) and on to pc.bios, then back (pass 3)
    expect(j.passes).toEqual([
      { pages: 1, zeroPages: 0, byBlock: { 'pc.ram': { pages: 1, zeroPages: 0 } } },
      {
        pages: 2,
        zeroPages: 1,
        byBlock: { 'pc.ram': { pages: 1, zeroPages: 1 }, 'pc.bios': { pages: 1, zeroPages: 0 } },
      },
      { pages: 1, zeroPages: 0, byBlock: { 'pc.ram': { pages: 1, zeroPages: 0 } } },
    ])
    // header 8, configuration 11, START 17, MEM_SIZE + blocks 39, EOS 8, footer 5, PART 5
    expect(j.records[0]).toEqual({ block: 'pc.ram', offset: '0x1000', kind: 'page', at: 93 })
  })

  it('fails, never hangs, on every truncation', () => {
    for (let n = 0; n < stream.length; n++)
      expect(() => readStream(stream.subarray(0, n)), `prefix of ${n} bytes`).toThrow()
  })
})
