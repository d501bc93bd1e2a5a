// The model's first precopy pass for a recording's source, as (idstr, offset) pairs: the
// RAM list of its `info ramblock`, the blocks the stream lists as migratable.
import { either as E } from 'fp-ts'
import * as mig from '../../src/migration/migration-bitmap.js'
import { parse as parseRamblock } from '../../src/qemu/info-ramblock.js'
import type { Recording } from './written-pages.js'

export const modelFirstPass = (rec: Recording, ramblockText: string): Array<[string, bigint]> => {
  const list = parseRamblock(ramblockText)
  if (E.isLeft(list)) throw new Error(list.left.message)
  const migratable = new Set(rec.stream.blocks.map((b) => b.idstr))
  const mb = mig.start(12, (b) => migratable.has(b.idstr))(list.right)
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
