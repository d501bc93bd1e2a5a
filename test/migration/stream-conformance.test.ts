// The precopy model against real streams: QEMU 7.2 and 10.0 recordings
// (test/fixtures/migration/, made by tools/record-qemu.mjs's migration mode), read with the
// minimal independent reader of stream-reader.ts. The first pass of each stream must send
// exactly the pages the model's first pass sends, in the model's order (blocks in QEMU's
// RAM list order, pages ascending), every page once; and the last record of every page
// written through qtest before or during the migration must carry the written bytes.
import { describe, expect, it } from 'vitest'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import * as mig from '../../src/migration/migration-bitmap.js'
import { parse as parseRamblock } from '../../src/qemu/info-ramblock.js'
import { FIXTURES } from '../helpers.js'
import { checkWrittenPages, inferPasses, loadRecording } from './written-pages.js'
import { laterPasses, modelFirstPass } from './model-pass.js'

const ROOT = join(FIXTURES, 'migration')
const recordings = ['qemu-7.2', 'qemu-10.0'].flatMap((v) =>
  readdirSync(join(ROOT, v)).map((s) => `${v}/${s}`),
)

describe.each(recordings)('recorded stream %s', (name) => {
  const rec = loadRecording(join(ROOT, name))
  const last = rec.scenario.states.length - 1
  const ramblock = rec.state(last, 'ramblock.txt')

  it("lists the blocks the model migrates (every named block of the source's info ramblock), with their used lengths, in RAM list order: max_length never grows", () => {
    const list = parseRamblock(ramblock)
    if (E.isLeft(list)) throw new Error(list.left.message)
    const byId = new Map(list.right.blocks.map((b) => [b.idstr, b]))
    const migrated = mig.start()(list.right)
    if (E.isLeft(migrated)) throw new Error(migrated.left.message)
    expect(rec.stream.blocks.map((b) => b.idstr).sort()).toEqual(
      migrated.right.blocks.map((b) => b.idstr).sort(),
    )
    for (const b of rec.stream.blocks) expect(b.usedLength).toBe(byId.get(b.idstr)?.usedLength)
    const max = rec.stream.blocks.map((b) => byId.get(b.idstr)!.maxLength)
    max.forEach((m, i) => i > 0 && expect(m <= max[i - 1]!).toBe(true))
  })

  it("sends in its first pass exactly the model's first pass, in the model's order, every page once", () => {
    const model = modelFirstPass(rec, ramblock)
    const passes = inferPasses(rec.stream)
    const first = passes[0]!.map((r) => [r.block, r.offset])
    expect(first.length).toBe(model.length)
    expect(first).toEqual(model)
    expect(new Set(first.map(([b, o]) => `${b}@${o}`)).size).toBe(first.length)
  })

  // A paused guest dirties nothing itself: after the first pass, each pass sends exactly the
  // pages written since the sync before it, in the model's order rotated to where the walk
  // stopped (model-pass.ts laterPasses).
  it.runIf(!rec.scenario.migration?.cont)(
    "sends in each later pass the pages written since the sync before it, in the model order rotated to where the walk stopped (its last page, or the end of that page's block)",
    () => {
      const r = laterPasses(rec, modelFirstPass(rec, ramblock))
      expect(r.straddling).toBe(0)
      for (const p of r.passes)
        expect(p.candidates, `pass after sync ${p.sync}`).toContainEqual(p.got)
      expect(r.end).toBe(rec.stream.records.length)
    },
  )

  it('carries, in the last record of every page written before or during the migration, the written bytes', () => {
    const checks = checkWrittenPages(rec)
    expect(checks.length).toBeGreaterThan(0)
    expect(checks.filter((c) => !c.ok)).toEqual([])
  })
})
