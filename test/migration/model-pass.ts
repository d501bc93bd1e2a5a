// The model's first precopy pass for a recording's source, as (idstr, offset) pairs: the
// RAM list of its `info ramblock`, the blocks the model takes as migratable (its default:
// every named block; stream-conformance.test.ts checks that the stream lists the same).
import * as E from 'fp-ts/lib/Either.js'
import * as mig from '../../src/migration/migration-bitmap.js'
import { parse as parseRamblock } from '../../src/qemu/info-ramblock.js'
import { writtenPieces, type Recording } from './written-pages.js'

export const modelFirstPass = (rec: Recording, ramblockText: string): Array<[string, bigint]> => {
  const list = parseRamblock(ramblockText)
  if (E.isLeft(list)) throw new Error(list.left.message)
  const mb = mig.start()(list.right)
  if (E.isLeft(mb)) throw new Error(mb.left.message)
  const sent = mig.sendAll()(mb.right)
  if (E.isLeft(sent)) throw new Error(sent.left.message)
  return sent.right.sent.map((p) => {
    const addr = BigInt(p) << 12n
    const b = list.right.blocks.find((x) => addr >= x.offset && addr - x.offset < x.maxLength)
    if (b === undefined) throw new Error(`page ${p} is in no block`)
    return [b.idstr, addr - b.offset]
  })
}

/** One later pass: the records the stream has there and what the model allows. */
export interface LaterPass {
  /** The sync (dirty-sync-count) that started the pass. */
  readonly sync: number
  readonly got: ReadonlyArray<string>
  readonly candidates: ReadonlyArray<ReadonlyArray<string>>
}

/**
 * For a paused guest (nothing dirties pages but the recorded writes): after the model's
 * first pass, the pass after bitmap sync k+1 sends exactly the pages written between syncs
 * k and k+1 (query-migrate's dirty-sync-count before and after each write), in the model's
 * order rotated to where the walk stopped — migration/ram.c ram_find_and_save_block resumes
 * at last_seen_block / last_page and find_dirty_block wraps to the list head — either at
 * the last page sent or, when the iteration went on to a fruitless search round before the
 * sync (not stopped by the rate limit), at the end of that page's block (the search leaves
 * last_page at the block's end). Keys are `idstr@offset`. `straddling` counts writes whose
 * sync count changed while they were made (they could go either way).
 */
export const laterPasses = (
  rec: Recording,
  model: ReadonlyArray<readonly [string, bigint]>,
): { passes: ReadonlyArray<LaterPass>; end: number; straddling: number } => {
  const index = new Map(model.map(([b, o], i) => [`${b}@${o}`, i]))
  const bySync = new Map<number, Set<string>>()
  let straddling = 0
  for (const p of writtenPieces(rec)) {
    if (p.write.phase !== 'during') continue
    const k = p.write.progressBefore.syncs
    if (p.write.progressAfter.syncs !== k) straddling++
    const set = bySync.get(k) ?? new Set<string>()
    set.add(p.key)
    bySync.set(k, set)
  }
  const keys = rec.stream.records.map((r) => `${r.block}@${r.offset}`)
  const at = (key: string): number => index.get(key) ?? -1
  let i = model.length
  const passes: LaterPass[] = []
  const last = Math.max(0, ...bySync.keys())
  for (let k = 1; k <= last; k++) {
    const dirty = [...(bySync.get(k) ?? [])].sort((a, b) => at(a) - at(b))
    const prev = keys[i - 1] ?? ''
    const stop = at(prev)
    const block = prev.slice(0, prev.lastIndexOf('@'))
    const blockEnd = model.findIndex(([b], j) => j > stop && b !== block)
    const rotated = (from: number) => {
      const f = dirty.findIndex((key) => at(key) >= from)
      return f < 0 ? dirty : [...dirty.slice(f), ...dirty.slice(0, f)]
    }
    passes.push({
      sync: k + 1,
      got: keys.slice(i, i + dirty.length),
      candidates: [rotated(stop), rotated(blockEnd < 0 ? model.length : blockEnd)],
    })
    i += dirty.length
  }
  return { passes, end: i, straddling }
}
