// Migration-stream decoding throughput: ratios against a baseline measured in the same
// run. Build first (`npm run build`), then `node bench/migration.mjs`.
//
// The recorded streams of test/fixtures/migration/streams are written, ungzipped, to a
// temporary file; each round reads that file once (readFileSync) and then, over the same
// bytes in the same 1 MiB chunks:
// - the baseline: a bare loop that reads every byte (sums them);
// - the decoder: ramaddr/migration's chunked decoder, emitting every event to a callback
//   that counts page records (the default 4096-page XBZRLE cache on, so every whole page
//   is also copied into it).
// The two are timed in pairs, a moment apart; the ratio printed is the median over the
// pairs of (baseline time / decoder time), i.e. the decoder's throughput as a fraction of
// the bare loop's, with the pairs' range in brackets. Goal: >= 0.5x, on the first line: a
// 1 GiB guest's stream (about 270 MiB) generated to the temporary file in QEMU's format
// (7.2/10.0: header, configuration, the RAM section's block list, a first pass with every
// page, 1 in 4 sent whole and the others zero, then a second pass re-sending 1 page in
// 10 whole, EOS and footers, device-free EOF). The recorded streams (0.3-1.1 MiB) follow
// for the record: on them a decoder's fixed set-up (its XBZRLE cache's arrays, about
// 0.7 ms) weighs as much as the decoding.
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { Buffer } from 'node:buffer'
import { URL } from 'node:url'
import { stream } from '../dist/migration/index.js'

const DIR = new URL('../test/fixtures/migration/streams/', import.meta.url)
const CHUNK = 1 << 20
const now = () => Number(process.hrtime.bigint()) / 1e6
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const bare = (bytes) => {
  let sum = 0
  for (let p = 0; p < bytes.length; p += CHUNK) {
    const c = bytes.subarray(p, p + CHUNK)
    for (let i = 0; i < c.length; i++) sum = (sum + c[i]) | 0
  }
  return sum
}

const decodeAll = (bytes) => {
  const d = stream.decoder()
  let pages = 0
  const emit = (e) => {
    if (e._tag === 'Page') pages++
  }
  for (let p = 0; p < bytes.length; p += CHUNK) {
    const r = d.push(bytes.subarray(p, p + CHUNK), emit)
    if (r._tag === 'Left') throw new Error(r.left.message)
  }
  const r = d.end(emit)
  if (r._tag === 'Left') throw new Error(r.left.message)
  return pages
}

/** A 1 GiB guest's stream in QEMU's format, written to `file` piece by piece. */
const generate = (file) => {
  const GUEST_PAGES = 1 << 18
  const fd = openSync(file, 'w')
  const parts = []
  let size = 0
  const put = (bytes) => {
    parts.push(bytes)
    size += bytes.length
    if (size > CHUNK) flush()
  }
  const flush = () => {
    writeSync(fd, Buffer.concat(parts))
    parts.length = 0
    size = 0
  }
  const be32 = (n) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255])
  const be64 = (n) => Buffer.concat([be32(Math.floor(n / 2 ** 32)), be32(n >>> 0)])
  const name = Buffer.from('pc.ram')
  const machine = Buffer.from('pc-q35-7.2')
  put(Buffer.concat([be32(0x5145564d), be32(3), Buffer.from([7]), be32(machine.length), machine]))
  const ramHeader = (type) =>
    type === 1
      ? Buffer.concat([
          Buffer.from([1]),
          be32(2),
          Buffer.from([3]),
          Buffer.from('ram'),
          be32(0),
          be32(4),
        ])
      : Buffer.concat([Buffer.from([type]), be32(2)])
  const eos = Buffer.concat([be64(0x10), Buffer.from([0x7e]), be32(2)])
  put(ramHeader(1))
  put(
    Buffer.concat([
      be64(GUEST_PAGES * 4096 + 0x04),
      Buffer.from([name.length]),
      name,
      be64(GUEST_PAGES * 4096),
      eos,
    ]),
  )
  const page = Buffer.alloc(4096)
  for (let i = 0; i < 4096; i++) page[i] = (i * 7) & 255
  const record = (n, whole, first) => {
    const flags = (whole ? 0x08 : 0x02) | (first ? 0 : 0x20)
    const head = be64(n * 4096 + flags)
    const id = first ? Buffer.concat([Buffer.from([name.length]), name]) : Buffer.alloc(0)
    return Buffer.concat([head, id, whole ? page : Buffer.from([0])])
  }
  const pass = (every, wholeEvery) => {
    let first = true
    for (let n = 0; n < GUEST_PAGES; n += every) {
      if (n % 4096 === 0) {
        if (!first) put(eos)
        put(ramHeader(2))
        first = true
      }
      put(record(n, (n / every) % wholeEvery === 0, first))
      first = false
    }
    put(eos)
  }
  pass(1, 4)
  pass(10, 1)
  put(ramHeader(3))
  put(eos)
  put(Buffer.from([0]))
  flush()
  closeSync(fd)
}

const dir = mkdtempSync(join(tmpdir(), 'ramaddr-bench-migration-'))
try {
  const names = [
    'generated 1 GiB guest',
    ...readdirSync(DIR)
      .filter((f) => f.endsWith('.bin.gz'))
      .sort(),
  ]
  let sink = 0
  console.log(
    'migration stream decoding: decoder throughput / bare byte loop (median of pairs [range]); goal >= 0.5x on the first line',
  )
  for (const name of names) {
    const generated = name.startsWith('generated')
    const file = join(dir, generated ? 'generated.bin' : name.replace(/\.gz$/, ''))
    if (generated) generate(file)
    else writeFileSync(file, gunzipSync(readFileSync(new URL(name, DIR))))
    const PAIRS = generated ? 7 : 15
    const REPEAT = generated ? 1 : 8
    const ratios = []
    let bareMs = 0
    let decMs = 0
    // REPEAT: decode a small file several times per timed run, to rise above timer noise
    for (let i = 0; i < PAIRS + 2; i++) {
      const bytes = new Uint8Array(readFileSync(file))
      let t = now()
      for (let k = 0; k < REPEAT; k++) sink += bare(bytes)
      const b = now() - t
      t = now()
      for (let k = 0; k < REPEAT; k++) sink += decodeAll(bytes)
      const d = now() - t
      if (i < 2) continue // warm-up
      ratios.push(b / d)
      bareMs += b
      decMs += d
    }
    const size = readFileSync(file).length
    const mbps = (ms) => ((size * REPEAT * PAIRS) / (ms / 1000) / 2 ** 20).toFixed(0)
    const sorted = [...ratios].sort((a, b) => a - b)
    console.log(
      `  ${name.replace(/\.bin\.gz$/, '').padEnd(18)} ${(size / 2 ** 20).toFixed(2)} MiB: ${median(ratios).toFixed(2)}x [${sorted[0].toFixed(2)}-${sorted.at(-1).toFixed(2)}]  (decoder ${mbps(decMs)} MiB/s, bare loop ${mbps(bareMs)} MiB/s)`,
    )
  }
  if (sink === 0.5) console.log(sink)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
