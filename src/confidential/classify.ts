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
import type { TaggedError } from '../addresses/show-error.js'
import { PageIndex, RamAddr } from '../addresses/kinds.js'
import { PAGE_4K, pagesTouched } from '../addresses/page.js'
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
  /** The bitmap error this one wraps. */
  readonly cause?: TaggedError
}

/** Page bitmaps, one per skip reason, over all `ram_addr_t` pages. */
export interface Classification {
  readonly pages: number
  readonly discarded: PageBitmap
  readonly helper: PageBitmap
  readonly constant: PageBitmap
  readonly attributes?: MemoryAttributes
}

const fail = (e: string | TaggedError): E.Either<ClassifyError, never> =>
  E.left(
    typeof e === 'string'
      ? { _tag: 'ClassifyError', message: e }
      : { _tag: 'ClassifyError', message: e.message, cause: e },
  )

/** The 4 KiB `ram_addr_t` pages a range touches. */
const pagesOf = pagesTouched(PAGE_4K)

/** `[start, end)` of `ram_addr_t` (`start` a `ram_addr_t` sum known to be one). */
const ramRange = (start: bigint, end: bigint): AddrRange<RamAddr> => ({
  start: RamAddr.unsafe(start),
  end,
})

/**
 * Builds the per-page bitmaps. A discarded unit covers the `ram_addr_t` pages it spans
 * (offset within its block plus the block's offset); a helper block all of its used
 * length; a constant range every page it touches.
 */
export const classification = (input: ClassifyInput): E.Either<ClassifyError, Classification> => {
  const pages = Number(lastRamPage(input.ramList))
  const none = bitmap.empty(pages)
  if (E.isLeft(none)) return fail(none.left)
  const blockOf = (name: string) => input.ramList.blocks.find((b) => b.idstr === name)
  let disc = none.right
  for (const d of input.discard ?? []) {
    const b = blockOf(d.block)
    if (b === undefined)
      return fail(`discard manager on unknown RAMBlock ${JSON.stringify(d.block)}`)
    if (d.usableSize > b.maxLength)
      return fail(`discard manager on ${d.block} covers more than the block's max length`)
    for (const r of discarded(0n, d.usableSize)(d)) {
      const { start, end } = pagesOf(ramRange(b.offset + r.start, b.offset + r.end))
      const next = bitmap.setRange(start, end)(disc)
      if (E.isLeft(next)) return fail(next.left)
      disc = next.right
    }
  }
  let helper = none.right
  for (const name of input.helperBlocks ?? []) {
    const b = blockOf(name)
    if (b === undefined)
      return fail(`helper RAMBlock ${JSON.stringify(name)} is not in the RAM list`)
    const { start, end } = pagesOf(ramRange(b.offset, b.offset + b.usedLength))
    const next = bitmap.setRange(start, end)(helper)
    if (E.isLeft(next)) return fail(next.left)
    helper = next.right
  }
  let constant = none.right
  for (const r of input.constant ?? []) {
    const { start, end } = pagesOf(r)
    const next = bitmap.setRange(start, PageIndex.unsafe(Math.min(end, pages)))(constant)
    if (E.isLeft(next)) return fail(next.left)
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

const has = (bm: PageBitmap, p: PageIndex): boolean =>
  p < bm.pages && E.getOrElse(() => false)(bitmap.test(p)(bm))

/**
 * The class of one `ram_addr_t` page: helper, constant and discarded pages are skipped
 * (in that order of reasons); otherwise private pages are sent encrypted and the rest
 * plain.
 *
 * @example
 * import { ramblock, PageIndex } from 'ramaddr'
 * import * as confidential from 'ramaddr/confidential'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const l = pipe(ramblock.empty(), ramblock.add({ idstr: 'pc.ram', usedLength: 0x100000n, flags: { guestMemfd: true } }),
 *   either.chain(ramblock.add({ idstr: 'mh.ram', usedLength: 0x40000n })))
 * assert.ok(either.isRight(l))
 * const attrs = confidential.memoryAttributes.initial(l.right)
 * assert.ok(either.isRight(attrs))
 * const c = confidential.classify.classification({ ramList: l.right, attributes: attrs.right, helperBlocks: ['mh.ram'] })
 * assert.ok(either.isRight(c))
 * assert.deepEqual(confidential.classify.classOf(PageIndex.unsafe(0))(c.right), { _tag: 'Encrypted' })
 * assert.deepEqual(confidential.classify.classOf(PageIndex.unsafe(0x100))(c.right), { _tag: 'Skip', reason: 'helper' })
 */
export const classOf =
  (ramPage: PageIndex) =>
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
  (ramPage: PageIndex): boolean =>
    has(c.helper, ramPage) || has(c.constant, ramPage) || has(c.discarded, ramPage)

/** One precopy pass, with the pages it sent split by how they travel. */
export interface ClassifiedPass {
  readonly bitmap: MigrationBitmap
  readonly encrypted: ReadonlyArray<PageIndex>
  readonly plain: ReadonlyArray<PageIndex>
  /** Dirty pages cleared without being sent. */
  readonly skipped: number
}

/**
 * Sends every dirty page once (migration's `sendAll`) with skipped pages cleared, not
 * sent, and reports the pages sent encrypted and plain, in send order (`sendAll`'s).
 */
export const precopyPass =
  (c: Classification) =>
  (mb: MigrationBitmap): E.Either<MigrationError, ClassifiedPass> => {
    const dirtyBefore = mb.blocks.reduce(
      (n, b) =>
        n +
        E.getOrElse(() => 0)(
          bitmap.countRange(PageIndex.unsafe(0), PageIndex.unsafe(b.usedPages))(b.bmap),
        ),
      0,
    )
    return E.map(
      ({ bitmap: next, sent }: { bitmap: MigrationBitmap; sent: ReadonlyArray<PageIndex> }) => {
        const encrypted: PageIndex[] = []
        const plain: PageIndex[] = []
        for (const p of sent) (classOf(p)(c)._tag === 'Encrypted' ? encrypted : plain).push(p)
        return { bitmap: next, encrypted, plain, skipped: dirtyBefore - sent.length }
      },
    )(sendAll(skipOf(c))(mb))
  }
