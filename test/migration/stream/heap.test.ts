// Memory stays bounded however long the stream: a generated 2 GiB stream (a 1 TiB RAMBlock
// sent page after page, whole pages with a zero page every eighth, records straddling the
// 1 MiB chunks) goes through the chunked decoder, and the heap (V8 heap plus ArrayBuffers)
// after the first 256 MiB grows by less than the bound below, far from the 2 GiB a decoder
// keeping records or page data would need. The XBZRLE cache's 64 MiB fill in the first
// 256 MiB.
import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { decoder } from '../../../src/migration/stream/decoder.js'
import type { StreamEvent } from '../../../src/migration/stream/events.js'

const GIB = 2 ** 30
const TOTAL = 2 * GIB
const CHUNK = 1 << 20
const BOUND = 96 * 2 ** 20

const be32 = (n: number): number[] => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]
const be64 = (n: number): number[] => [...be32(Math.floor(n / 2 ** 32)), ...be32(n >>> 0)]
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0))

/** The stream's bytes, produced a chunk at a time, never held whole. */
function* generated(): Generator<Uint8Array> {
  const name = ascii('pc.ram')
  const head = new Uint8Array([
    ...be32(0x5145564d),
    ...be32(3),
    1,
    ...be32(2),
    3,
    ...ascii('ram'),
    ...be32(0),
    ...be32(4),
    ...be64(2 ** 40 + 0x04),
    name.length,
    ...name,
    ...be64(2 ** 40),
    ...be64(0x10),
    0x7e,
    ...be32(2),
    2,
    ...be32(2),
  ])
  const tail = new Uint8Array([
    ...be64(0x10),
    0x7e,
    ...be32(2),
    3,
    ...be32(2),
    ...be64(0x10),
    0x7e,
    ...be32(2),
    0,
  ])
  const page = new Uint8Array(4096).map((_, i) => (i * 13) & 255)
  const chunk = new Uint8Array(CHUNK)
  let fill = 0
  let sent = head.length
  const out = function* (bytes: Uint8Array): Generator<Uint8Array> {
    let p = 0
    while (p < bytes.length) {
      const n = Math.min(bytes.length - p, CHUNK - fill)
      chunk.set(bytes.subarray(p, p + n), fill)
      fill += n
      p += n
      if (fill === CHUNK) {
        yield chunk
        fill = 0
      }
    }
  }
  yield* out(head)
  const header = new Uint8Array(8)
  const view = new DataView(header.buffer)
  for (let n = 0; sent < TOTAL; n++) {
    const zero = n % 8 === 7
    const flags = (zero ? 0x02 : 0x08) | (n === 0 ? 0 : 0x20)
    view.setUint32(0, Math.floor((n * 4096) / 2 ** 32))
    view.setUint32(4, ((n * 4096) >>> 0) + flags)
    yield* out(header)
    if (n === 0) yield* out(new Uint8Array([name.length, ...name]))
    yield* out(zero ? new Uint8Array([0]) : page)
    sent += 8 + (zero ? 1 : 4096)
  }
  yield* out(tail)
  if (fill > 0) yield chunk.subarray(0, fill)
}

describe('the chunked decoder on a generated 2 GiB stream', () => {
  it('keeps memory bounded', () => {
    const d = decoder()
    let pages = 0
    let zeros = 0
    const emit = (e: StreamEvent): void => {
      if (e._tag === 'Page') {
        pages++
        if (e.kind === 'zero') zeros++
      }
    }
    const used = (): number => {
      const m = process.memoryUsage()
      return m.heapUsed + m.arrayBuffers
    }
    let bytes = 0
    let warm = 0
    let peak = 0
    for (const chunk of generated()) {
      const r = d.push(chunk, emit)
      if (E.isLeft(r)) throw new Error(r.left.message)
      bytes += chunk.length
      if (bytes === 256 * CHUNK) warm = used()
      if (bytes > 256 * CHUNK && bytes % (32 * CHUNK) === 0) peak = Math.max(peak, used())
    }
    expect(E.isRight(d.end(emit))).toBe(true)
    expect(bytes).toBeGreaterThanOrEqual(TOTAL)
    expect(pages).toBeGreaterThan(TOTAL / 4104)
    expect(zeros).toBe(Math.floor(pages / 8))
    expect(peak - warm).toBeLessThan(BOUND)
  }, 300_000)
})
