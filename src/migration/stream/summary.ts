/**
 * A migration stream folded into what a migration engineer asks of it: the blocks and
 * sections, and the pages each pass sent, per RAMBlock, by `ram_addr_t` and by GPA.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { RamAddr, PageIndex, type Gpa } from '../../addresses/kinds.js'
import { fromRuns } from '../../bitmap/runs.js'
import type { PageBitmap } from '../../bitmap/bitmap.js'
import type { BitmapError } from '../../bitmap/errors.js'
import { lastRamPage, type RamList } from '../../ramblock/ram-list.js'
import { gpasOfRamAddr, type AddressMap } from '../../translate/address-map.js'
import type { PageRecord, StreamBlock, StreamEvent } from './events.js'

/** Page counts of one block (or of a whole pass). */
export interface PageCounts {
  /** Page records of any kind: every page sent, zero pages included. */
  readonly pages: number
  /** Of those, the zero pages (`RAM_SAVE_FLAG_ZERO`). */
  readonly zeroPages: number
  /** Of those, the XBZRLE deltas. */
  readonly xbzrlePages: number
  /** Bytes of page data: 4096 a whole page, the delta's length an XBZRLE one, 0 a zero page. */
  readonly dataBytes: number
}

/** One pass of the RAM walk, as inferred from the page records (see {@link summarizer}). */
export interface PassSummary extends PageCounts {
  /** The byte offset of the pass's first page record. */
  readonly at: number
  /** Counts per block idstr, in the order the pass first sent each block. */
  readonly byBlock: ReadonlyMap<string, PageCounts>
  /**
   * The pass's pages as a bitmap of `ram_addr_t` page indexes (page `i` is `ram_addr_t`
   * `i * 4096`), when a RAM list was given; pages of blocks it lacks are left out.
   */
  readonly ramPages: O.Option<PageBitmap>
}

/** A section header as the stream names it. */
export interface SectionName {
  readonly sectionId: number
  readonly idstr: string
  readonly instance: number
  readonly version: number
}

/** What {@link summarizer} gathers. */
export interface StreamSummary extends PageCounts {
  /** `QEMU_VM_FILE_VERSION` (3). */
  readonly version: number
  /** The configuration section's machine type, if the stream has one. */
  readonly machine: O.Option<string>
  /** The RAM section's block list. */
  readonly blocks: ReadonlyArray<StreamBlock>
  /** Every section started (`START` or `FULL`), in stream order: the RAM section and the devices. */
  readonly sections: ReadonlyArray<SectionName>
  readonly passes: ReadonlyArray<PassSummary>
  /** The vmdesc JSON, if the stream has one. */
  readonly vmdesc: O.Option<string>
  /** Blocks of the stream that the RAM list given lacks. */
  readonly missingBlocks: ReadonlyArray<string>
  /** Stream bytes read. */
  readonly bytes: number
}

/** A fold over a stream's events. */
export interface Summarizer {
  /** Takes the next event. */
  readonly add: (event: StreamEvent) => void
  /** The summary so far (a pass bitmap fails only for a RAM list too large for one). */
  readonly result: () => E.Either<BitmapError, StreamSummary>
}

interface MutableCounts {
  pages: number
  zeroPages: number
  xbzrlePages: number
  dataBytes: number
}

interface OpenPass extends MutableCounts {
  at: number
  byBlock: Map<string, MutableCounts>
  runs: Array<{ start: PageIndex; end: PageIndex }>
  closed: O.Option<PageBitmap> | undefined
}

const zero = (): MutableCounts => ({ pages: 0, zeroPages: 0, xbzrlePages: 0, dataBytes: 0 })

const count = (c: MutableCounts, r: PageRecord): void => {
  c.pages++
  if (r.kind === 'zero') c.zeroPages++
  else if (r.kind === 'xbzrle') c.xbzrlePages++
  c.dataBytes += r.dataBytes
}

/**
 * Whether page record `r` starts a new pass after `prev`: the walk went back in QEMU's
 * block order, or to the same or an earlier offset of the same block. QEMU's precopy
 * walk (ram.c `ram_find_and_save_block`, `find_dirty_block`) sends each pass's dirty
 * pages in block-list order, ascending offsets within a block, so going back means it
 * wrapped around. What the stream cannot tell: where the bitmap syncs were (`EOS` ends
 * every chunk of the RAM section, many per pass, and is no sync marker); a sync in the
 * middle of a sweep whose new dirty pages lie ahead of the walk is sent within the same
 * inferred pass; and a pass that sends only pages after the previous pass's last one
 * (one page, say) is not told from it.
 *
 * @example
 * import { stream } from 'ramaddr/migration'
 * const rec = (blockIndex, offset) => ({ blockIndex, offset })
 * // back within a block, or back in the block order: a new pass
 * assert.equal(stream.startsPass(rec(0, 0x2000n), rec(0, 0x1000n)), true)
 * assert.equal(stream.startsPass(rec(1, 0n), rec(0, 0x1000n)), true)
 * // on in the block, or to a later block
 * assert.equal(stream.startsPass(rec(0, 0x1000n), rec(0, 0x2000n)), false)
 * assert.equal(stream.startsPass(rec(0, 0x1000n), rec(1, 0n)), false)
 */
export const startsPass = (
  prev: Pick<PageRecord, 'blockIndex' | 'offset'>,
  r: Pick<PageRecord, 'blockIndex' | 'offset'>,
): boolean =>
  r.blockIndex < prev.blockIndex || (r.blockIndex === prev.blockIndex && r.offset <= prev.offset)

/**
 * A fold of a stream's events into a {@link StreamSummary}; given the source's RAM list
 * (`info ramblock`), each pass's pages also as a `ram_addr_t` page bitmap. It keeps counts
 * and, per pass, the runs of consecutive pages (few: a pass walks in order), never the
 * records. Passes are inferred as {@link startsPass} says.
 *
 * @example
 * import { stream } from 'ramaddr/migration'
 * import * as either from 'fp-ts/lib/Either.js'
 * const s = stream.summarizer()
 * s.add({ _tag: 'RamBlocks', at: 0, total: 0x2000n, blocks: [{ idstr: 'pc.ram', usedLength: 0x2000n }] })
 * const page = (at, offset) => ({ _tag: 'Page', at, kind: 'zero', block: 'pc.ram', blockIndex: 0, offset, data: undefined, encoded: undefined, fill: 0, dataBytes: 0 })
 * for (const [at, off] of [[1, 0n], [2, 0x1000n], [3, 0x1000n]]) s.add(page(at, off))
 * const r = s.result()
 * assert.ok(either.isRight(r))
 * assert.deepEqual(r.right.passes.map((p) => p.pages), [2, 1])
 */
export const summarizer = (ramList?: RamList): Summarizer => {
  let version = 0
  let machine: O.Option<string> = O.none
  let blocks: ReadonlyArray<StreamBlock> = []
  const sections: SectionName[] = []
  const passes: OpenPass[] = []
  const totals = zero()
  let vmdesc: O.Option<string> = O.none
  let bytes = 0
  let prev: PageRecord | undefined
  let cur: OpenPass | undefined
  // stream block index -> the block's ram_addr_t page (or -1: not in the RAM list)
  let basePage: number[] = []
  const missing = new Set<string>()
  const shift = 12

  const add = (e: StreamEvent): void => {
    switch (e._tag) {
      case 'Header':
        version = e.version
        break
      case 'Configuration':
        machine = O.some(e.machine)
        break
      case 'Section':
        if (e.type === 'start' || e.type === 'full')
          sections.push({
            sectionId: e.sectionId,
            idstr: e.idstr,
            instance: e.instance,
            version: e.version,
          })
        break
      case 'RamBlocks':
        blocks = e.blocks
        basePage = e.blocks.map((b) => {
          const rb = ramList?.blocks.find((x) => x.idstr === b.idstr)
          if (ramList !== undefined && rb === undefined) missing.add(b.idstr)
          return rb === undefined ? -1 : Number(rb.offset >> BigInt(shift))
        })
        break
      case 'Page': {
        if (cur === undefined || (prev !== undefined && startsPass(prev, e))) {
          cur = { ...zero(), at: e.at, byBlock: new Map(), runs: [], closed: undefined }
          passes.push(cur)
        }
        prev = e
        count(totals, e)
        count(cur, e)
        let b = cur.byBlock.get(e.block)
        if (b === undefined) {
          b = zero()
          cur.byBlock.set(e.block, b)
        }
        count(b, e)
        const base = basePage[e.blockIndex] ?? -1
        if (ramList !== undefined && base >= 0) {
          const page = base + Number(e.offset >> BigInt(shift))
          const last = cur.runs[cur.runs.length - 1]
          if (last !== undefined && last.end === page) last.end = PageIndex.unsafe(page + 1)
          else cur.runs.push({ start: PageIndex.unsafe(page), end: PageIndex.unsafe(page + 1) })
        }
        break
      }
      case 'VmDescription':
        vmdesc = O.some(e.json)
        break
      case 'End':
        bytes = e.at
        break
      default:
        break
    }
  }

  const result = (): E.Either<BitmapError, StreamSummary> => {
    const built: PassSummary[] = []
    const size = ramList === undefined ? 0 : Number(lastRamPage(ramList))
    for (const p of passes) {
      let ramPages: O.Option<PageBitmap> = O.none
      if (ramList !== undefined) {
        const bm = fromRuns(size)(p.runs)
        if (E.isLeft(bm)) return bm
        ramPages = O.some(bm.right)
      }
      built.push({
        at: p.at,
        pages: p.pages,
        zeroPages: p.zeroPages,
        xbzrlePages: p.xbzrlePages,
        dataBytes: p.dataBytes,
        byBlock: new Map([...p.byBlock].map(([k, v]) => [k, { ...v }])),
        ramPages,
      })
    }
    return E.right({
      version,
      machine,
      blocks,
      sections: [...sections],
      ...totals,
      passes: built,
      vmdesc,
      missingBlocks: [...missing],
      bytes,
    })
  }

  return { add, result }
}

/**
 * The `ram_addr_t` of a page record's page, by its block in the source's RAM list (`info
 * ramblock`): the block's offset plus the record's offset (QEMU's `block->offset +
 * offset`, as `ramblock_recv_bitmap_set` indexes it); none if the list lacks the block.
 *
 * @example
 * import { stream } from 'ramaddr/migration'
 * import { ramblock } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import * as option from 'fp-ts/lib/Option.js'
 * const list = ramblock.addAll([{ idstr: 'pc.ram', usedLength: 0x1000000n }, { idstr: 'pc.bios', usedLength: 0x40000n }])(ramblock.empty())
 * assert.ok(either.isRight(list))
 * assert.deepEqual(stream.ramAddrOf(list.right)({ block: 'pc.bios', offset: 0x1000n }), option.some(0x1001000n))
 */
export const ramAddrOf =
  (list: RamList) =>
  (r: Pick<PageRecord, 'block' | 'offset'>): O.Option<RamAddr> => {
    const b = list.blocks.find((x) => x.idstr === r.block)
    return b === undefined ? O.none : O.some(RamAddr.unsafe(b.offset + r.offset))
  }

/**
 * The GPAs a page record's page is mapped at in `map` (the source's address map now),
 * ascending; none when the block is not in the map's RAM list or not mapped.
 *
 * @example
 * import { stream } from 'ramaddr/migration'
 * import { machines } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * const m = machines.fromDumps(machines.Q35)
 * assert.ok(either.isRight(m) && m.right.addressMap !== undefined)
 * assert.ok(stream.gpasOf(m.right.addressMap)({ block: 'pc.ram', offset: 0x1000n }).includes(0x1000n))
 */
export const gpasOf =
  (map: AddressMap) =>
  (r: Pick<PageRecord, 'block' | 'offset'>): ReadonlyArray<Gpa> =>
    O.match(
      (): ReadonlyArray<Gpa> => [],
      (a: RamAddr) => gpasOfRamAddr(a)(map),
    )(ramAddrOf(map.ramList)(r))
