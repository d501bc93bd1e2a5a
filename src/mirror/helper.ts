/**
 * The migration helper's own memory in the mirror VM: a fixed entry point, its page
 * tables and one mailbox page per vCPU, placed high in the mirror's address space so it
 * never collides with the guest and stays put for the life of the VM (the thread's "put
 * the migration helper incredibly high in gPA space … a prebaked entry point and page
 * tables … the shared communication pages from neighboring high memory"). It is backed by
 * a RAMBlock of its own and is never dirty-tracked.
 *
 * Layout (this project's choice; no real helper defines one): code from the base (the
 * entry point is the base), then the page tables, then the mailboxes, the whole rounded up
 * to 2 MiB, the base 2 MiB-aligned.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { MirrorGpa } from '../addresses/kinds.js'
import type { AddrRange } from '../addresses/range.js'
import { toHex } from '../addresses/hex.js'
import type { Violation } from './violation.js'

const TWO_MIB = 0x200000n
const PAGE = 0x1000n

/** What the helper needs. */
export interface HelperSpec {
  /** vCPUs of the helper: one mailbox page each. */
  readonly vcpus: number
  /** Code and data from the entry point (default 2 MiB). */
  readonly codeSize?: bigint
  /** Page tables (default 64 KiB). */
  readonly pageTableSize?: bigint
  /** The RAMBlock that backs it (default `mirror-helper.ram`). */
  readonly block?: string
}

/** Where the helper's parts are. */
export interface HelperLayout {
  readonly block: string
  readonly base: MirrorGpa
  readonly size: bigint
  /** The fixed entry point. */
  readonly entry: MirrorGpa
  readonly pageTables: AddrRange<MirrorGpa>
  /** One page per vCPU. */
  readonly mailboxes: ReadonlyArray<AddrRange<MirrorGpa>>
}

const roundUp = (n: bigint, a: bigint): bigint => ((n + a - 1n) / a) * a

/** The helper's size: code, page tables and mailboxes, rounded up to 2 MiB. */
export const helperSize = (spec: HelperSpec): bigint =>
  roundUp(
    roundUp(spec.codeSize ?? TWO_MIB, PAGE) +
      roundUp(spec.pageTableSize ?? 0x10000n, PAGE) +
      BigInt(spec.vcpus) * PAGE,
    TWO_MIB,
  )

/** The layout with its base at `base`. */
export const layoutAt = (base: bigint, spec: HelperSpec): HelperLayout => {
  const code = roundUp(spec.codeSize ?? TWO_MIB, PAGE)
  const pt = roundUp(spec.pageTableSize ?? 0x10000n, PAGE)
  const ptStart = base + code
  const mbStart = ptStart + pt
  return {
    block: spec.block ?? 'mirror-helper.ram',
    base: base as MirrorGpa,
    size: helperSize(spec),
    entry: base as MirrorGpa,
    pageTables: { start: ptStart as MirrorGpa, end: ptStart + pt },
    mailboxes: Array.from({ length: spec.vcpus }, (_, i) => {
      const s = mbStart + BigInt(i) * PAGE
      return { start: s as MirrorGpa, end: s + PAGE }
    }),
  }
}

/**
 * Places the helper at the highest 2 MiB-aligned base below `limit` whose range avoids
 * every range in `avoid`: the top of the usable space unless something is there. The
 * answer depends only on the limit, the size and what must be avoided, so it is stable
 * as long as those are.
 *
 * @example
 * import * as mirror from 'ramaddr/mirror'
 * import * as either from 'fp-ts/lib/Either.js'
 * const h = mirror.placeHelper({ vcpus: 2 }, 1n << 43n, [])
 * assert.ok(either.isRight(h))
 * assert.equal(h.right.base, (1n << 43n) - 0x400000n) // 2 MiB code + 64 KiB tables + 2 pages -> 4 MiB
 * assert.equal(h.right.mailboxes[1].start, h.right.base + 0x200000n + 0x10000n + 0x1000n)
 */
export const placeHelper = (
  spec: HelperSpec,
  limit: bigint,
  avoid: ReadonlyArray<AddrRange<bigint>>,
): E.Either<Violation, HelperLayout> => {
  const size = helperSize(spec)
  const sorted = [...avoid].sort((a, b) => (a.end > b.end ? -1 : a.end < b.end ? 1 : 0))
  let top = limit
  for (;;) {
    const base = ((top - size) / TWO_MIB) * TWO_MIB
    if (top < size || base < 0n)
      return E.left({
        kind: 'helper-no-room',
        size,
        limit,
        message: `no ${toHex(size)}-byte 2 MiB-aligned gap below ${toHex(limit)} outside guest-visible memory for the helper`,
      })
    const hit = sorted.find((r) => r.start < base + size && base < r.end)
    if (hit === undefined) return E.right(layoutAt(base, spec))
    top = hit.start
  }
}
