// Test helpers for recordings of tools/record-qemu.mjs's migration mode: the recording's
// files, the GPA -> (RAMBlock, offset) map of a recorded state (from its `info mtree -f`,
// read here with a regex, independently of src/), the bytes of pattern rq1, and the check
// that the last record of every page written before or during the migration carries the
// written bytes.
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { PAGE_SIZE, readStream, type PageRecord, type StreamContents } from './stream-reader.js'

export interface WriteEvent {
  readonly n: number
  readonly phase: 'before' | 'during' | 'after'
  readonly op: string
  readonly gpa?: string
  readonly length?: number
  readonly pattern?: string
  readonly seed?: number
  readonly progressBefore: { readonly status: string; readonly syncs: number }
  readonly progressAfter: { readonly status: string; readonly syncs: number }
}

export interface Recording {
  readonly dir: string
  readonly stream: StreamContents
  readonly writes: ReadonlyArray<WriteEvent>
  /** scenario.json. */
  readonly scenario: {
    readonly qemu: string
    readonly states: ReadonlyArray<{ readonly files: Record<string, string> }>
    readonly migration?: { readonly cont?: boolean }
  }
  /** State NN's file `suffix` (e.g. 'ramblock.txt'). */
  readonly state: (n: number, suffix: string) => string
}

/** Reads a recording folder (stream.bin or stream.bin.gz). */
export const loadRecording = (dir: string): Recording => {
  const files = readdirSync(dir)
  const raw = files.includes('stream.bin.gz')
    ? gunzipSync(readFileSync(join(dir, 'stream.bin.gz')))
    : readFileSync(join(dir, 'stream.bin'))
  return {
    dir,
    stream: readStream(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)),
    writes: JSON.parse(readFileSync(join(dir, 'writes.json'), 'utf8')) as WriteEvent[],
    scenario: JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8')) as Recording['scenario'],
    state: (n, suffix) =>
      readFileSync(join(dir, `${String(n).padStart(2, '0')}-${suffix}`), 'utf8'),
  }
}

/** The bytes of pattern rq1: LE 64-bit words 0x5251_0000_0000_0000 | seed << 32 | k. */
export const rq1 = (seed: number, length: number): Uint8Array => {
  const out = new Uint8Array(Math.ceil(length / 8) * 8)
  const view = new DataView(out.buffer)
  for (let k = 0; k < out.length / 8; k++)
    view.setBigUint64(k * 8, 0x5251000000000000n | (BigInt(seed) << 32n) | BigInt(k), true)
  return out.subarray(0, length)
}

interface FlatRange {
  readonly start: bigint
  readonly end: bigint
  readonly region: string
  readonly offset: bigint
}

const RANGE =
  /^ {2}([0-9a-f]{16})-([0-9a-f]{16}) \(prio -?\d+, (ram|rom)\): (\S+)(?: @([0-9a-f]{16}))?/

/** The RAM/ROM ranges of the FlatView of address space "memory" in an `info mtree -f`. */
export const memoryRanges = (mtreeF: string): ReadonlyArray<FlatRange> => {
  const block = mtreeF
    .split(/\r?\n\r?\n/)
    .find((b) => b.split(/\r?\n/).some((l) => l.startsWith(' AS "memory", root: ')))
  if (block === undefined) throw new Error('no FlatView for address space "memory"')
  const out: FlatRange[] = []
  for (const line of block.split(/\r?\n/)) {
    const m = RANGE.exec(line)
    if (m)
      out.push({
        start: BigInt(`0x${m[1]}`),
        end: BigInt(`0x${m[2]}`),
        region: m[4] as string,
        offset: m[5] === undefined ? 0n : BigInt(`0x${m[5]}`),
      })
  }
  return out
}

/** gpa -> (block idstr, offset in block) through the ranges; block = the idstr whose region is named so. */
export const locate =
  (ranges: ReadonlyArray<FlatRange>, idstrs: ReadonlyArray<string>) =>
  (gpa: bigint): { block: string; offset: bigint } => {
    const r = ranges.find((x) => gpa >= x.start && gpa <= x.end)
    if (r === undefined) throw new Error(`GPA 0x${gpa.toString(16)} is not RAM`)
    const block = idstrs.find((id) => id === r.region || id.endsWith(`/${r.region}`))
    if (block === undefined) throw new Error(`no block for region ${r.region}`)
    return { block, offset: gpa - r.start + r.offset }
  }

export interface PageCheck {
  readonly block: string
  readonly offset: bigint
  readonly ok: boolean
  readonly why?: string
  /** Index (in stream order) of the page's last record. */
  readonly last?: number
}

/**
 * For every page written before or during the migration (writes.json), whether the last
 * record of that page in the stream holds the bytes written last at each written byte.
 * GPAs are mapped with the last state before the migration until the first logged
 * config-space write, and with the state after the migration from then on.
 */
/** One page a write touched: the write, the page's key (`idstr@offset`), the bytes per in-page offset. */
export interface WrittenPiece {
  readonly write: WriteEvent
  readonly key: string
  readonly bytes: ReadonlyMap<number, number>
}

/**
 * The pages each write made before or during the migration touched, in order. GPAs are
 * mapped with the last state before the migration until the first logged config-space
 * write, and with the state after the migration from then on.
 */
export const writtenPieces = (rec: Recording): ReadonlyArray<WrittenPiece> => {
  const states = rec.scenario.states.length
  const idstrs = rec.stream.blocks.map((b) => b.idstr)
  const before = locate(memoryRanges(rec.state(states - 2, 'mtree-f.txt')), idstrs)
  const after = locate(memoryRanges(rec.state(states - 1, 'mtree-f.txt')), idstrs)
  let moved = false
  const out: WrittenPiece[] = []
  for (const w of rec.writes) {
    if (w.phase === 'after') continue
    if (w.op !== 'write') {
      moved = true
      continue
    }
    const bytes = rq1(w.seed as number, w.length as number)
    const gpa0 = BigInt(w.gpa as string)
    // one lookup per page piece: ranges are page aligned
    for (let i = 0; i < bytes.length;) {
      const { block, offset } = (moved ? after : before)(gpa0 + BigInt(i))
      const page = offset & ~BigInt(PAGE_SIZE - 1)
      const m = new Map<number, number>()
      const end = Math.min(bytes.length, i + PAGE_SIZE - Number(offset - page))
      for (let o = Number(offset - page); i < end; i++, o++) m.set(o, bytes[i] as number)
      out.push({ write: w, key: `${block}@${page}`, bytes: m })
    }
  }
  return out
}

/**
 * For every page written before or during the migration (writes.json), whether the last
 * record of that page in the stream holds the bytes written last at each written byte.
 */
export const checkWrittenPages = (rec: Recording): ReadonlyArray<PageCheck> => {
  // page key -> in-page offset -> byte
  const expected = new Map<string, Map<number, number>>()
  for (const p of writtenPieces(rec)) {
    const m = expected.get(p.key) ?? new Map<number, number>()
    for (const [o, v] of p.bytes) m.set(o, v)
    expected.set(p.key, m)
  }
  const last = new Map<string, number>()
  rec.stream.records.forEach((r: PageRecord, i) => last.set(`${r.block}@${r.offset}`, i))
  const out: PageCheck[] = []
  for (const [key, bytes] of expected) {
    const at = key.lastIndexOf('@')
    const block = key.slice(0, at)
    const offset = BigInt(key.slice(at + 1))
    const i = last.get(key)
    if (i === undefined) {
      out.push({ block, offset, ok: false, why: 'never sent' })
      continue
    }
    const r = rec.stream.records[i] as PageRecord
    const bad = [...bytes].find(([o, v]) => (r.kind === 'zero' ? v !== r.fill : r.data?.[o] !== v))
    out.push(
      bad === undefined
        ? { block, offset, ok: true, last: i }
        : {
            block,
            offset,
            ok: false,
            last: i,
            why: `byte ${bad[0]} differs (${r.kind} record at ${r.at})`,
          },
    )
  }
  return out
}

export { inferPasses } from './stream-reader.js'
