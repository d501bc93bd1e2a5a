// The decoder (src/migration/stream) against the recorder's streams
// (test/fixtures/migration/qemu-{7.2,10.0}/*/stream.bin.gz) as test/migration/stream-reader.ts
// reads them: two readers written apart, record by record (kind, block, offset, byte offset,
// fill, bytes), the block list and the machine. The decoder's own fixtures (streams/) are
// checked against a third reading in streams.test.ts.
import { describe, expect, it } from 'vitest'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import * as E from 'fp-ts/lib/Either.js'
import { decode } from '../../../src/migration/stream/decoder.js'
import type { PageRecord } from '../../../src/migration/stream/events.js'
import { readStream } from '../stream-reader.js'
import { FIXTURES } from '../../helpers.js'

const ROOT = join(FIXTURES, 'migration')
const RECORDINGS = ['qemu-7.2', 'qemu-10.0'].flatMap((v) =>
  readdirSync(join(ROOT, v), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(v, d.name)),
)

const bytesOf = (dir: string): Uint8Array => {
  const gz = join(ROOT, dir, 'stream.bin.gz')
  return new Uint8Array(
    existsSync(gz) ? gunzipSync(readFileSync(gz)) : readFileSync(join(ROOT, dir, 'stream.bin')),
  )
}

const hex = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : Buffer.from(b).toString('hex')

describe('decoder vs the recorder-side reader, on recorded QEMU streams', () => {
  it('there are twelve recordings, six per QEMU version', () => {
    expect(RECORDINGS.filter((r) => r.startsWith('qemu-7.2/')).length).toBe(6)
    expect(RECORDINGS.filter((r) => r.startsWith('qemu-10.0/')).length).toBe(6)
  })

  for (const dir of RECORDINGS)
    it(`${dir}: the same records, blocks and machine`, () => {
      const bytes = bytesOf(dir)
      const theirs = readStream(bytes)
      const r = decode(bytes)
      if (E.isLeft(r)) throw new Error(`${dir}: ${r.left.message}`)
      const events = r.right
      const pages = events.filter((e): e is PageRecord => e._tag === 'Page')
      expect(pages.length).toBe(theirs.records.length)
      expect(pages.length).toBeGreaterThan(4000)
      pages.forEach((p, i) => {
        const t = theirs.records[i]
        expect({
          at: p.at,
          kind: p.kind,
          block: p.block,
          offset: p.offset,
          fill: p.kind === 'zero' ? p.fill : undefined,
          data: p.kind === 'zero' ? undefined : hex(p.data),
        }).toEqual({
          at: t?.at,
          kind: t?.kind,
          block: t?.block,
          offset: t?.offset,
          fill: t?.kind === 'zero' ? t.fill : undefined,
          data: t?.kind === 'zero' ? undefined : hex(t?.data),
        })
      })
      const blocks = events.flatMap((e) =>
        e._tag === 'RamBlocks'
          ? e.blocks.map((b) => ({ idstr: b.idstr, usedLength: b.usedLength }))
          : [],
      )
      expect(blocks).toEqual(
        theirs.blocks.map((b) => ({ idstr: b.idstr, usedLength: b.usedLength })),
      )
      const config = events.find((e) => e._tag === 'Configuration')
      expect(config && 'machine' in config ? config.machine : undefined).toBe(theirs.machine)
    })
})
