/**
 * What migration does with each `ram_addr_t` page of a confidential guest: send it
 * encrypted (private guest RAM, through the migration helper), send it plain (shared
 * with the host), or skip it (discarded by a RamDiscardManager, owned by the migration
 * helper, or constant, like KVM's real-mode TSS and identity-map pages). Plugs into the
 * migration bitmap as the `skip` predicate, the way QEMU's
 * `migration_bitmap_clear_discarded_pages` clears discarded ranges from the initial
 * all-ones bitmap.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { RamAddr } from '../addresses/kinds.js'
import type { AddrRange } from '../addresses/range.js'
import * as bitmap from '../bitmap/index.js'
import type { PageBitmap } from '../bitmap/index.js'
import type { RamList } from '../ramblock/ram-list.js'
import { lastRamPage } from '../ramblock/ram-list.js'
import {
  sendAll,
  type MigrationBitmap,
  type MigrationError,
} from '../migration/migration-bitmap.js'
import { discarded, type DiscardManager } from './discard.js'
import type { MemoryAttributes } from './memory-attributes.js'

/** Why a page is not sent. */
export type SkipReason = 'discarded' | 'helper' | 'constant'

/** What migration does with a page. */
export type PageClass =
  | { readonly _tag: 'Encrypted' }
  | { readonly _tag: 'Plain' }
  | { readonly _tag: 'Skip'; readonly reason: SkipReason }

/** The sources of a classification. */
export interface ClassifyInput {
  readonly ramList: RamList
  /** Private pages; without it every page is plain. */
  readonly attributes?: MemoryAttributes
  /** Discard managers, each on the RAMBlock it names. */
  readonly discard?: ReadonlyArray<DiscardManager>
  /** RAMBlocks that belong to the migration helper (never sent, never dirty-tracked). */
  readonly helperBlocks?: ReadonlyArray<string>
  /** Constant pages by `ram_addr_t` (see `kvmConstantPages`). */
  readonly constant?: ReadonlyArray<AddrRange<RamAddr>>
}

/** A classification that could not be built. */
export interface ClassifyError {
  readonly _tag: 'ClassifyError'
  readonly message: string
}

/** Page bitmaps, one per skip reason, over all `ram_addr_t` pages. */
export interface Classification {
  readonly pages: number
  readonly discarded: PageBitmap
  readonly helper: PageBitmap
  readonly constant: PageBitmap
  readonly attributes?: MemoryAttributes
}

const SHIFT = 12n

const fail = (message: string): E.Either<ClassifyError, never> =>
  E.left({ _tag: 'ClassifyError', message })

const pagesOf = (r: { start: bigint; end: bigint }): [number, number] => [
  Number(r.start >> SHIFT),
  Number((r.end + (1n << SHIFT) - 1n) >> SHIFT),
]

/**
 * Builds the per-page bitmaps. A discarded unit covers the `ram_addr_t` pages it spans
 * (offset within its block plus the block's offset); a helper block all of its used
 * length; a constant range every page it touches.
 */
export const classification = (input: ClassifyInput): E.Either<ClassifyError, Classification> => {
  const pages = Number(lastRamPage(input.ramList))
  const none = bitmap.empty(pages)
  if (E.isLeft(none)) return fail(none.left.message)
  const blockOf = (name: string) => input.ramList.blocks.find((b) => b.idstr === name)
  let disc = none.right
  for (const d of input.discard ?? []) {
    const b = blockOf(d.block)
    if (b === undefined)
      return fail(`discard manager on unknown RAMBlock ${JSON.stringify(d.block)}`)
    if (d.usableSize > b.maxLength)
      return fail(`discard manager on ${d.block} covers more than the block's max length`)
    for (const r of discarded(0n, d.usableSize)(d)) {
      const [s, e] = pagesOf({ start: b.offset + r.start, end: b.offset + r.end })
      const next = bitmap.setRange(s, e)(disc)
      if (E.isLeft(next)) return fail(next.left.message)
      disc = next.right
    }
  }
  let helper = none.right
  for (const name of input.helperBlocks ?? []) {
    const b = blockOf(name)
    if (b === undefined)
      return fail(`helper RAMBlock ${JSON.stringify(name)} is not in the RAM list`)
    const [s, e] = pagesOf({ start: b.offset, end: b.offset + b.usedLength })
    const next = bitmap.setRange(s, e)(helper)
    if (E.isLeft(next)) return fail(next.left.message)
    helper = next.right
  }
  let constant = none.right
  for (const r of input.constant ?? []) {
    const [s, e] = pagesOf(r)
    const next = bitmap.setRange(s, Math.min(e, pages))(constant)
    if (E.isLeft(next)) return fail(next.left.message)
    constant = next.right
  }
  return E.right({
    pages,
    discarded: disc,
    helper,
    constant,
    ...(input.attributes === undefined ? {} : { attributes: input.attributes }),
  })
}

const has = (bm: PageBitmap, p: number): boolean =>
  p < bm.pages && E.getOrElse(() => false)(bitmap.test(p)(bm))

/**
 * The class of one `ram_addr_t` page: helper, constant and discarded pages are skipped
 * (in that order of reasons); otherwise private pages are sent encrypted and the rest
 * plain.
 *
 * @example
 * import { ramblock } from 'ramaddr'
 * import * as confidential from 'ramaddr/confidential'
 * import { either } from 'fp-ts'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const l = pipe(ramblock.empty(), ramblock.add({ idstr: 'pc.ram', usedLength: 0x100000n, flags: { guestMemfd: true } }),
 *   either.chain(ramblock.add({ idstr: 'mh.ram', usedLength: 0x40000n })))
 * assert.ok(either.isRight(l))
 * const attrs = confidential.memoryAttributes.initial(l.right)
 * assert.ok(either.isRight(attrs))
 * const c = confidential.classify.classification({ ramList: l.right, attributes: attrs.right, helperBlocks: ['mh.ram'] })
 * assert.ok(either.isRight(c))
 * assert.deepEqual(confidential.classify.classOf(0)(c.right), { _tag: 'Encrypted' })
 * assert.deepEqual(confidential.classify.classOf(0x100)(c.right), { _tag: 'Skip', reason: 'helper' })
 */
export const classOf =
  (ramPage: number) =>
  (c: Classification): PageClass => {
    if (has(c.helper, ramPage)) return { _tag: 'Skip', reason: 'helper' }
    if (has(c.constant, ramPage)) return { _tag: 'Skip', reason: 'constant' }
    if (has(c.discarded, ramPage)) return { _tag: 'Skip', reason: 'discarded' }
    if (c.attributes !== undefined && has(c.attributes.privatePages, ramPage))
      return { _tag: 'Encrypted' }
    return { _tag: 'Plain' }
  }

/** The `skip` predicate for the migration bitmap: the pages migration never sends. */
export const skipOf =
  (c: Classification) =>
  (ramPage: number): boolean =>
    has(c.helper, ramPage) || has(c.constant, ramPage) || has(c.discarded, ramPage)

/** One precopy pass, with the pages it sent split by how they travel. */
export interface ClassifiedPass {
  readonly bitmap: MigrationBitmap
  readonly encrypted: ReadonlyArray<number>
  readonly plain: ReadonlyArray<number>
  /** Dirty pages cleared without being sent. */
  readonly skipped: number
}

/**
 * Sends every dirty page once (migration's `sendAll`) with skipped pages cleared, not
 * sent, and reports the pages sent encrypted and plain, in `ram_addr_t` order.
 */
export const precopyPass =
  (c: Classification) =>
  (mb: MigrationBitmap): E.Either<MigrationError, ClassifiedPass> => {
    const dirtyBefore = mb.blocks.reduce(
      (n, b) => n + E.getOrElse(() => 0)(bitmap.countRange(0, b.usedPages)(b.bmap)),
      0,
    )
    return E.map(
      ({ bitmap: next, sent }: { bitmap: MigrationBitmap; sent: ReadonlyArray<number> }) => {
        const encrypted: number[] = []
        const plain: number[] = []
        for (const p of sent) (classOf(p)(c)._tag === 'Encrypted' ? encrypted : plain).push(p)
        return { bitmap: next, encrypted, plain, skipped: dirtyBefore - sent.length }
      },
    )(sendAll(skipOf(c))(mb))
  }
