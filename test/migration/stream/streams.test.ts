// The decoder against streams QEMU 7.2 and 10.0 wrote (test/fixtures/migration/streams):
// every record as an independent reading of analyze-migration.py's logic sees it, the
// sections and block sizes QEMU's own analyze-migration.py listed, the page counters
// QEMU's query-migrate reported, the block sizes of the source's `info ramblock`, and the
// bytes the test wrote through qtest during the migration.
import { describe, expect, it } from 'vitest'
import { fc } from '@fast-check/vitest'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { decoder, decode } from '../../../src/migration/stream/decoder.js'
import type { StreamEvent } from '../../../src/migration/stream/events.js'
import { summarizer, ramAddrOf } from '../../../src/migration/stream/summary.js'
import { parse as parseRamblock } from '../../../src/qemu/info-ramblock.js'
import { count, toPages } from '../../../src/bitmap/index.js'
import { FIXTURES } from '../../helpers.js'
import { readFixture, readIndependently } from './reader.js'

const DIR = join(FIXTURES, 'migration', 'streams')
const NAMES = readdirSync(DIR)
  .filter((f) => f.endsWith('.bin.gz'))
  .map((f) => f.replace(/\.bin\.gz$/, ''))
  .sort()

interface Facts {
  readonly qemu: string
  readonly queryMigrate: {
    readonly normal: number
    readonly duplicate: number
    readonly normalBytes: number
    readonly dirtySyncCount: number
    readonly xbzrleBytes?: number
    readonly xbzrleOverflow?: number
  }
  readonly analyzeMigration?: {
    readonly sections: ReadonlyArray<[string, number]>
    readonly sectionSizes: Readonly<Record<string, string>>
  }
}
const FACTS = JSON.parse(readFileSync(join(DIR, 'facts.json'), 'utf8')) as Record<string, Facts>

const bytesOf = new Map(NAMES.map((n) => [n, readFixture(join(DIR, `${n}.bin.gz`))]))
const stream = (name: string): Uint8Array => bytesOf.get(name) as Uint8Array

const decoded = (name: string): ReadonlyArray<StreamEvent> => {
  const r = decode(stream(name))
  if (E.isLeft(r)) throw new Error(`${name}: ${r.left.message}`)
  return r.right
}

const pages = (events: ReadonlyArray<StreamEvent>) =>
  events.flatMap((e) => (e._tag === 'Page' ? [e] : []))

/** An event as plain data (page bytes as a checksum), to compare decodings. */
const plain = (e: StreamEvent): string => {
  if (e._tag !== 'Page')
    return JSON.stringify(e, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))
  let sum = 0
  for (const b of e.data ?? []) sum = (sum * 31 + b) >>> 0
  return `${e.at} ${e.kind} ${e.block} ${e.offset} ${e.data === undefined ? '-' : sum} ${e.dataBytes} ${e.fill}`
}

describe('recorded migration streams', () => {
  it('there are streams of both versions', () => {
    expect(NAMES.filter((n) => FACTS[n]?.qemu === '7.2').length).toBeGreaterThanOrEqual(3)
    expect(NAMES.filter((n) => FACTS[n]?.qemu === '10.0').length).toBeGreaterThanOrEqual(3)
  })

  describe.each(NAMES)('%s', (name) => {
    const facts = FACTS[name] as Facts
    const events = decoded(name)
    const records = pages(events)

    it('decodes whole, with the end of the stream last', () => {
      expect(events[0]?._tag).toBe('Header')
      expect(events.at(-1)).toEqual({ _tag: 'End', at: stream(name).length })
      expect(events.filter((e) => e._tag === 'Eof')).toHaveLength(1)
      expect(events.filter((e) => e._tag === 'VmDescription')).toHaveLength(1)
    })

    it('reads every record as the independent reading does', () => {
      const other = readIndependently(stream(name))
      expect(
        records.map((r) => ({ block: r.block, offset: r.offset, kind: r.kind, at: r.at })),
      ).toEqual(other.records)
      const blocks = events.find((e) => e._tag === 'RamBlocks')
      expect(blocks?._tag === 'RamBlocks' ? blocks.blocks : undefined).toEqual(other.blocks)
      const started = events.flatMap((e) =>
        e._tag === 'Section' && (e.type === 'start' || e.type === 'full')
          ? [{ idstr: e.idstr, sectionId: e.sectionId, instance: e.instance, version: e.version }]
          : [],
      )
      expect(started).toEqual(other.sections)
    })

    it.runIf(facts.analyzeMigration !== undefined)(
      "lists the sections and block sizes QEMU's analyze-migration.py listed",
      () => {
        const am = facts.analyzeMigration as NonNullable<Facts['analyzeMigration']>
        const s = summarizer()
        events.forEach(s.add)
        const sum = s.result()
        if (E.isLeft(sum)) throw new Error('summary')
        expect(sum.right.sections.map((x) => [x.idstr, x.sectionId])).toEqual(am.sections)
        expect(
          Object.fromEntries(
            sum.right.blocks.map((b) => [
              b.idstr,
              '0x' + b.usedLength.toString(16).padStart(16, '0'),
            ]),
          ),
        ).toEqual(am.sectionSizes)
      },
    )

    it("counts the pages QEMU's query-migrate counted", () => {
      const q = facts.queryMigrate
      expect(records.filter((r) => r.kind === 'page')).toHaveLength(q.normal)
      expect(records.filter((r) => r.kind === 'zero')).toHaveLength(q.duplicate)
      expect(records.filter((r) => r.kind === 'page').length * 4096).toBe(q.normalBytes)
      if (q.xbzrleBytes !== undefined) {
        // ram.c save_xbzrle_page: the record's bytes but its 8-byte header
        let bytes = 0
        let prev: string | undefined
        for (const r of records) {
          if (r.kind === 'xbzrle')
            bytes += (prev === r.block ? 0 : 1 + r.block.length) + 3 + r.dataBytes
          prev = r.block
        }
        expect(bytes).toBe(q.xbzrleBytes)
        expect(q.xbzrleOverflow).toBe(0)
        expect(records.some((r) => r.kind === 'xbzrle')).toBe(true)
      }
    })

    it("sends every page of every block exactly once in its first pass (blocks as the source's info ramblock sizes them)", () => {
      const list = parseRamblock(readFileSync(join(DIR, `${name}.ramblock.txt`), 'utf8'))
      if (E.isLeft(list)) throw new Error(list.left.message)
      const s = summarizer(list.right)
      events.forEach(s.add)
      const sum = s.result()
      if (E.isLeft(sum)) throw new Error('summary')
      const first = sum.right.passes[0]
      expect(first).toBeDefined()
      if (first === undefined) return
      // the stream's blocks are the source's blocks with their used lengths
      expect(sum.right.blocks.map((b) => [b.idstr, b.usedLength])).toEqual(
        list.right.blocks.map((b) => [b.idstr, b.usedLength]),
      )
      const expected = list.right.blocks.reduce((n, b) => n + Number(b.usedLength / 4096n), 0)
      expect(first.pages).toBe(expected)
      expect(O.isSome(first.ramPages) ? count(first.ramPages.value) : -1).toBe(expected)
      // and each of them once: the first pass's records, distinct, cover every block's pages
      const firstRecords = records.filter((r) => r.at < (sum.right.passes[1]?.at ?? Infinity))
      const seen = new Set(firstRecords.map((r) => `${r.block}@${r.offset}`))
      expect(seen.size).toBe(firstRecords.length)
      for (const b of list.right.blocks)
        for (let off = 0n; off < b.usedLength; off += 4096n)
          expect(seen.has(`${b.idstr}@${off}`)).toBe(true)
      // the bitmap holds exactly the used pages of every block, by ram_addr_t
      if (O.isSome(first.ramPages)) {
        const want = list.right.blocks
          .flatMap((b) =>
            Array.from(
              { length: Number(b.usedLength / 4096n) },
              (_, i) => Number(b.offset / 4096n) + i,
            ),
          )
          .sort((a, b) => a - b)
        expect(toPages(first.ramPages.value)).toEqual(want)
      }
      // a ram_addr_t for every record
      for (const r of firstRecords.slice(0, 50))
        expect(O.isSome(ramAddrOf(list.right)(r))).toBe(true)
    })

    it('lists in the vmdesc the devices whose sections it skipped', () => {
      const vm = events.find((e) => e._tag === 'VmDescription')
      const desc = JSON.parse(vm?._tag === 'VmDescription' ? vm.json : '{}') as {
        devices: ReadonlyArray<{ name: string; instance_id: number }>
      }
      const skipped = events.flatMap((e) =>
        e._tag === 'Section' && e.type === 'full' && e.idstr !== 'ram'
          ? [`${e.idstr} ${e.instance}`]
          : [],
      )
      expect(skipped).toEqual(desc.devices.map((d) => `${d.name} ${d.instance_id}`))
    })

    it('gives the same events however the bytes are split', () => {
      const whole = events.map(plain)
      const bytes = stream(name)
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 20 }),
          (sizes) => {
            const d = decoder()
            const got: string[] = []
            const emit = (e: StreamEvent): void => {
              got.push(plain(e))
            }
            let p = 0
            let ok = true
            for (let i = 0; p < bytes.length; i++) {
              const n = sizes[i % sizes.length] as number
              ok = E.isRight(d.push(bytes.subarray(p, p + n), emit)) && ok
              p += n
            }
            expect(ok).toBe(true)
            expect(E.isRight(d.end(emit))).toBe(true)
            expect(got).toEqual(whole)
          },
        ),
        { numRuns: 4 },
      )
    })
  })

  it('gives the same events fed one byte at a time', () => {
    const name = 'q10-paused-16m'
    const bytes = stream(name)
    const d = decoder()
    const got: string[] = []
    const emit = (e: StreamEvent): void => {
      got.push(plain(e))
    }
    let ok = true
    for (let p = 0; p < bytes.length; p++)
      ok = E.isRight(d.push(bytes.subarray(p, p + 1), emit)) && ok
    expect(ok).toBe(true)
    expect(E.isRight(d.end(emit))).toBe(true)
    expect(got).toEqual(decoded(name).map(plain))
  })

  describe.each(NAMES.filter((n) => n.includes('qtest') || n.includes('xbzrle')))(
    '%s: the pages written through qtest during the migration',
    (name) => {
      // the recording wrote, every round r, the quadword r*1000+p at offset (r%8)*8 of
      // page p (p = 0..63) at GPA 0x100000 + p*0x7000: pc.ram offset = GPA below 2 GiB
      it('arrive with what was written last, XBZRLE deltas decoded', () => {
        const last = new Map<bigint, Uint8Array | undefined>()
        const d = decoder()
        const emit = (e: StreamEvent): void => {
          if (e._tag === 'Page' && e.block === 'pc.ram') last.set(e.offset, e.data?.slice())
        }
        d.push(stream(name), emit)
        expect(E.isRight(d.end(emit))).toBe(true)
        let rounds = 0
        for (let p = 0; p < 64; p++) {
          const data = last.get(BigInt(0x100000 + p * 0x7000))
          expect(data).toBeDefined()
          if (data === undefined) return
          const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
          for (let slot = 0; slot < 8; slot++) {
            const v = Number(view.getBigUint64(slot * 8, true))
            if (v === 0) continue
            expect((v - p) % 1000).toBe(0)
            const r = (v - p) / 1000
            expect(r % 8).toBe(slot)
            rounds = Math.max(rounds, r)
          }
        }
        expect(rounds).toBeGreaterThan(0)
      })
    },
  )
})
