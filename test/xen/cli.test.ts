// `ramaddr xen encode|decode` run in-process through cli.run with a fake Io, and the
// byte layout of what it writes checked against the spec's tables by hand.
import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { run } from '../../src/cli/main.js'
import type { Io } from '../../src/cli/io.js'

const fakeIo = (files: Record<string, string | Uint8Array>) => {
  const out = { text: '', err: '', bytes: [] as Uint8Array[] }
  const io: Io = {
    readFile: (p) => {
      const f = files[p]
      return typeof f === 'string' ? E.right(f) : E.left(`cannot read ${p}`)
    },
    readBytes: (p) => {
      const f = files[p]
      return f instanceof Uint8Array ? E.right(f) : E.left(`cannot read ${p}`)
    },
    stdout: (s) => {
      out.text += s
    },
    stderr: (s) => {
      out.err += s
    },
    stdoutBytes: (b) => {
      out.bytes.push(b)
    },
  }
  return { io, out }
}

const scenario = {
  host: [
    { gfn: '0x0', count: '0x4', mfn: '0x8000', type: 'ram_rw' },
    { gfn: '0x10', count: '0x1', mfn: '0xfee00', type: 'mmio_dm' },
  ],
  views: [
    {
      defaultAccess: 'rwx',
      ops: [
        { op: 'set_mem_access', gfn: '0x1', access: 'rx' },
        { op: 'change_gfn', gfn: '0x2', newGfn: '0x3' },
      ],
    },
  ],
}

describe('ramaddr xen', () => {
  it('encodes a scenario to the bytes the spec lays out', () => {
    const { io, out } = fakeIo({ 's.json': JSON.stringify(scenario) })
    expect(run(['xen', 'encode', 's.json'], io)).toBe(0)
    expect(out.err).toBe('')
    const b = out.bytes[0] as Uint8Array
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
    // image header, big-endian: marker, "XENF", version 3, options 0
    expect(dv.getBigUint64(0, false)).toBe(0xffffffffffffffffn)
    expect(dv.getUint32(8, false)).toBe(0x58454e46)
    expect(dv.getUint32(12, false)).toBe(3)
    expect(dv.getUint16(16, false)).toBe(0)
    // domain header, little-endian: HVM, page_shift 12
    expect(dv.getUint32(24, true)).toBe(2)
    expect(dv.getUint16(28, true)).toBe(12)
    // STATIC_DATA_END, empty
    expect([dv.getUint32(40, true), dv.getUint32(44, true)]).toEqual([0x10, 0])
    // PAGE_DATA: count 4, pfns 0..3 as XALLOC (0xe in bits 63-60), no data
    expect([dv.getUint32(48, true), dv.getUint32(52, true)]).toEqual([1, 8 + 4 * 8])
    expect(dv.getUint32(56, true)).toBe(4)
    for (let i = 0; i < 4; i++)
      expect(dv.getBigUint64(64 + 8 * i, true)).toBe((0xen << 60n) | BigInt(i))
    // ALTP2M_VIEW: 16-byte header, one remap (16), one access (16)
    const v = 96
    expect([dv.getUint32(v, true), dv.getUint32(v + 4, true)]).toEqual([0x7fffff01, 48])
    expect([dv.getUint16(v + 8, true), dv.getUint8(v + 10)]).toEqual([1, 7])
    expect([
      dv.getUint32(v + 12, true),
      dv.getUint32(v + 16, true),
      dv.getUint32(v + 20, true),
    ]).toEqual([1, 1, 0])
    expect([dv.getBigUint64(v + 24, true), dv.getBigUint64(v + 32, true)]).toEqual([2n, 3n])
    expect([dv.getBigUint64(v + 40, true), dv.getUint8(v + 48)]).toEqual([1n, 5])
    // END
    expect([dv.getUint32(v + 56, true), dv.getUint32(v + 60, true)]).toEqual([0, 0])
    expect(b.length).toBe(v + 64)
  })

  it('decodes what it encoded, as text and JSON', () => {
    const enc = fakeIo({ 's.json': JSON.stringify(scenario) })
    expect(run(['xen', 'encode', 's.json', '--soft'], enc.io)).toBe(0)
    const { io, out } = fakeIo({ stream: enc.out.bytes[0] as Uint8Array })
    expect(run(['xen', 'decode', 'stream'], io)).toBe(0)
    expect(out.text.split('\n')).toEqual([
      'image: version 3, little-endian',
      'domain: x86 HVM, page_shift 12, Xen 4.21',
      '0 STATIC_DATA_END (0x10)',
      '1 PAGE_DATA (0x1): 4 pfns 0x0..0x3, 0 bytes of data',
      '2 ALTP2M_DROPPED (ramaddr extension) (0xffffff01): views 1 dropped, guest notified',
      '3 END (0x0)',
      '',
    ])
    const j = fakeIo({ stream: enc.out.bytes[0] as Uint8Array })
    expect(run(['xen', 'decode', 'stream', '--json'], j.io)).toBe(0)
    const parsed = JSON.parse(j.out.text) as { records: Array<{ name: string; views?: number[] }> }
    expect(parsed.records[2]).toMatchObject({ type: '0xffffff01', views: [1], notify: true })
  })

  it('reports bad JSON with the io-ts path, bad streams with the byte offset', () => {
    const bad = {
      ...scenario,
      views: [{ ops: [{ op: 'change_gfn', gfn: '0x2', newGfn: 'three' }] }],
    }
    const a = fakeIo({ 's.json': JSON.stringify(bad) })
    expect(run(['xen', 'encode', 's.json'], a.io)).toBe(1)
    expect(a.out.err).toMatch(/^ramaddr xen: s\.json: .*at views\/0\/ops\/0\/newGfn: /)
    const esrch = {
      ...scenario,
      views: [{ ops: [{ op: 'change_gfn', gfn: '0x2', newGfn: '0x10' }] }],
    }
    const c = fakeIo({ 's.json': JSON.stringify(esrch) })
    expect(run(['xen', 'encode', 's.json'], c.io)).toBe(1)
    expect(c.out.err).toContain('views/0/ops/0: ')
    expect(c.out.err).toContain('-ESRCH')
    const b = fakeIo({ stream: new Uint8Array(30).fill(0xff) })
    expect(run(['xen', 'decode', 'stream'], b.io)).toBe(1)
    expect(b.out.err).toBe(
      'ramaddr xen: stream: at byte 8: id 0xffffffff is not 0x58454e46 ("XENF")\n',
    )
    expect(run(['xen', 'frob', 'x'], fakeIo({}).io)).toBe(2)
  })
})
