/**
 * What the explorer shows, worked out from a machine with the library's public entries:
 * the picture of one address space (`ramaddr/draw`'s scene and layout), what a range or a
 * RAMBlock is (region, offset, `ram_addr_t`, HVA, every other GPA of the same
 * `ram_addr_t`), search answers, and what a BAR move changes (the view diff, the KVM slot
 * calls QEMU makes for it, and whether the `ram_addr_t` stayed).
 *
 * Pure: no DOM.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { pipe } from 'fp-ts/lib/function.js'
import {
  codec,
  errors,
  flatview,
  Gpa,
  machines,
  RamAddr,
  topology,
  translate,
  ramblock as rb,
  type ramblock,
} from '../../src/index.js'
import * as draw from '../../src/draw/index.js'
import * as kvm from '../../src/kvm/index.js'
import { problemOf, toDumps, type DumpTexts, type Problem } from './dumps.js'

const hex = codec.toHex

/** `1 GiB`, `64 KiB`, `4096 B`: a size in the largest binary unit that divides it. */
export const sizeText = (n: bigint): string => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB']
  let v = n
  let u = 0
  while (u < units.length - 1 && v >= 1024n && v % 1024n === 0n) {
    v /= 1024n
    u++
  }
  return `${v} ${units[u]}`
}

/** `0xa0000-0xbffff`: a half-open range as QEMU prints it, last byte inclusive. */
export const rangeText = (start: bigint, end: bigint): string => `${hex(start)}-${hex(end - 1n)}`

/** A loaded machine and what its dumps could not tell. */
export interface Loaded {
  readonly machine: machines.Machine
  /**
   * The RAM list. Without `info ramblock`, a stand-in (one block per RAM-backed region,
   * allocated by `ramblock.addAll`) so the GPA side can be drawn; its offsets are not
   * shown anywhere ({@link Loaded.ramKnown}).
   */
  readonly ramList: ramblock.RamList
  /** Whether `ram_addr_t` is known (`info ramblock` was given). */
  readonly ramKnown: boolean
  /** Plain statements of what the dumps left open. */
  readonly notes: ReadonlyArray<string>
}

/** One stand-in block per distinct RAM-backed region name, as large as its largest region. */
const standInRamList = (t: topology.Topology): E.Either<string, ramblock.RamList> => {
  const sizes = new Map<string, bigint>()
  for (const r of t.regions.values())
    if (topology.hasRamBlock(r) && r.placeholder !== true && r.size > 0n)
      sizes.set(r.name, (sizes.get(r.name) ?? 0n) > r.size ? (sizes.get(r.name) ?? 0n) : r.size)
  return pipe(
    rb.addAll([...sizes].map(([name, size]) => ({ idstr: name, usedLength: size, mr: name })))(
      rb.empty(),
    ),
    E.mapLeft((e) => errors.showError(e)),
  )
}

/** What the given dumps could not tell, in plain words. */
export const notesOf = (texts: DumpTexts, m: machines.Machine): ReadonlyArray<string> => {
  const notes: string[] = []
  if (texts.flat.trim() === '')
    notes.push(
      m.assumptions.length === 0
        ? 'No info mtree -f: nothing had to be assumed from the tree text, but nothing was checked against a flat view either; the accelerator (TCG or KVM) is unknown.'
        : `No info mtree -f: the tree text leaves ${m.assumptions.length} thing(s) open, assumed as follows (give info mtree -f of the same state to settle them); the accelerator is unknown.`,
    )
  for (const a of m.assumptions) notes.push(`info mtree, ${a.message}`)
  if (texts.ramblock.trim() === '')
    notes.push(
      'No info ramblock: there is no ram_addr_t to show; RAM is drawn in GPA space only, without RAMBlocks, and the search takes GPAs only.',
    )
  else if (m.ramList !== undefined && !m.ramList.blocks.some((b) => O.isSome(b.host)))
    notes.push(
      'info ramblock has no HVA column (QEMU before 8.0 prints none): host addresses are unknown.',
    )
  return notes
}

/**
 * The machine of the reader's dumps (`machines.fromDumps`), or where the text went wrong.
 * Without `info ramblock` the map is built over an empty RAM list, so the GPA side still
 * shows.
 */
export const load = (texts: DumpTexts): E.Either<Problem, Loaded> => {
  if (texts.mtree.trim() === '')
    return E.left({ dump: 'mtree', message: 'info mtree -D is needed: paste or drop it here' })
  return pipe(
    machines.fromDumps(toDumps(texts)),
    E.mapLeft(problemOf),
    E.chain((machine) =>
      machine.ramList !== undefined
        ? E.right<Problem, Loaded>({
            machine,
            ramList: machine.ramList,
            ramKnown: true,
            notes: notesOf(texts, machine),
          })
        : pipe(
            standInRamList(machine.topology),
            E.bimap(
              (message): Problem => ({
                dump: 'ramblock',
                message: `without info ramblock the map cannot be drawn: ${message}`,
              }),
              (ramList): Loaded => ({
                machine,
                ramList,
                ramKnown: false,
                notes: notesOf(texts, machine),
              }),
            ),
          ),
    ),
  )
}

/** The address spaces the tree names, in its order, each once. */
export const addressSpaceNames = (t: topology.Topology): ReadonlyArray<string> => [
  ...new Set(t.addressSpaces.map((a) => a.name)),
]

/** A move applied to the picture: the region, where it went, and the map before. */
export interface Moved {
  readonly before: translate.AddressMap
  readonly label: string
}

/** One address space drawn: its map, the scene and the layout the page renders. */
export interface Picture {
  readonly map: translate.AddressMap
  /** Whether `ram_addr_t` is known; if not, the picture has no RAMBlock column. */
  readonly ramKnown: boolean
  readonly scene: draw.Scene
  readonly layout: draw.Layout
  /** GPA box starts, ascending, for hit tests. */
  readonly gpaStarts: ReadonlyArray<bigint>
  readonly moved?: Moved
}

/** The picture of `addressSpace` of a topology (a moved one, with the map before the move). */
export const pictureOf = (
  t: topology.Topology,
  ramList: ramblock.RamList,
  addressSpace: string,
  moved?: Moved,
  ramKnown = true,
): E.Either<string, Picture> =>
  pipe(
    translate.make({ topology: t, ramList, addressSpace }),
    E.mapLeft((e) => errors.showError(e)),
    E.map((map) => {
      const full = draw.scene(map, moved?.before, moved === undefined ? [] : [moved.label])
      const scene = ramKnown ? full : { ...full, blocks: [], links: [] }
      const layout = draw.layout(scene)
      return {
        map,
        ramKnown,
        scene,
        layout,
        gpaStarts: layout.gpa.map((p) => p.item.start),
        ...(moved === undefined ? {} : { moved }),
      }
    }),
  )

/** Index of the last element of ascending `xs` at or below `x`, or -1. */
export const lastAtOrBelow = (xs: ReadonlyArray<bigint>, x: bigint): number => {
  let lo = 0
  let hi = xs.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((xs[mid] as bigint) <= x) lo = mid + 1
    else hi = mid
  }
  return lo - 1
}

/** Index of the GPA box holding `gpa`, or -1. */
export const gpaBoxAt = (p: Picture, gpa: bigint): number => {
  const i = lastAtOrBelow(p.gpaStarts, gpa)
  const box = p.layout.gpa[i]
  return box !== undefined && gpa < box.item.end ? i : -1
}

/** Index of the RAMBlock box holding `ramAddr` (its reserved extent), or -1. */
export const blockBoxAt = (p: Picture, ramAddr: bigint): number =>
  p.layout.blocks.findIndex((b) => b.item.start <= ramAddr && ramAddr < b.item.start + b.item.max)

/** One row of the focus panel; `key` names it for tests and styles. */
export interface Field {
  readonly key: string
  readonly label: string
  readonly value: string
}

/** What the panel shows about a box. */
export interface Info {
  readonly title: string
  readonly fields: ReadonlyArray<Field>
  /** Other GPA ranges that map the same `ram_addr_t` (empty: none, or not RAM). */
  readonly others: ReadonlyArray<string>
}

const othersOf = (
  map: translate.AddressMap,
  ramStart: bigint,
  ramEnd: bigint,
  own: { start: bigint; end: bigint } | undefined,
): ReadonlyArray<string> =>
  translate
    .gpaRangesOfRamRange({ start: RamAddr.unsafe(ramStart), end: ramEnd })(map)
    .filter((x) => own === undefined || x.gpa.end <= own.start || own.end <= x.gpa.start)
    .map((x) => {
      const t = translate.translationOfGpa(x.gpa.start)(map)
      const name = t._tag === 'Unassigned' ? '?' : t.region.name
      return `GPA ${rangeText(x.gpa.start, x.gpa.end)} → ram_addr_t ${rangeText(x.ram.start, x.ram.end)} (${name})`
    })

/** What the GPA box `i` is: region, offset, `ram_addr_t`, HVA and the other GPAs. */
export const gpaInfo = (p: Picture, i: number): O.Option<Info> => {
  const placed = p.layout.gpa[i]
  if (placed === undefined) return O.none
  const b = placed.item
  const len = b.end - b.start
  const gpaField: Field = { key: 'gpa', label: 'GPA', value: rangeText(b.start, b.end) }
  const sizeField: Field = { key: 'size', label: 'size', value: sizeText(len) }
  if (b.kind === 'ghost')
    return O.some({
      title: b.name,
      fields: [
        gpaField,
        sizeField,
        { key: 'note', label: 'now', value: 'unmapped: the move took the region away from here' },
      ],
      others: [],
    })
  const t = translate.translationOfGpa(Gpa.unsafe(b.start))(p.map)
  if (t._tag !== 'Ram')
    return O.some({
      title: b.name,
      fields: [
        gpaField,
        sizeField,
        { key: 'type', label: 'type', value: b.type },
        ...(t._tag === 'Mmio'
          ? [{ key: 'offset', label: 'offset in region', value: hex(t.offsetInRegion) }]
          : []),
        { key: 'ram_addr', label: 'ram_addr_t', value: 'none (no RAM behind it)' },
      ],
      others: [],
    })
  if (!p.ramKnown)
    return O.some({
      title: t.region.name,
      fields: [
        gpaField,
        sizeField,
        { key: 'region', label: 'region', value: `${t.region.name} (${b.type})` },
        { key: 'offset', label: 'offset in region', value: hex(t.offsetInRegion) },
        { key: 'ram_addr', label: 'ram_addr_t', value: 'unknown: no info ramblock was given' },
      ],
      others: [],
    })
  const ramEnd = t.ramAddr + len
  return O.some({
    title: t.region.name,
    fields: [
      gpaField,
      sizeField,
      { key: 'region', label: 'region', value: `${t.region.name} (${b.type})` },
      { key: 'offset', label: 'offset in region', value: hex(t.offsetInRegion) },
      { key: 'ram_addr', label: 'ram_addr_t', value: hex(t.ramAddr) },
      { key: 'ram_range', label: 'ram_addr_t range', value: rangeText(t.ramAddr, ramEnd) },
      { key: 'block', label: 'RAMBlock', value: t.block.idstr },
      {
        key: 'hva',
        label: 'HVA',
        value: O.isSome(t.hva)
          ? rangeText(t.hva.value, t.hva.value + len)
          : 'unknown (info ramblock has no HVA column)',
      },
      ...(b.aliasChain.length === 0
        ? []
        : [{ key: 'alias', label: 'through alias', value: b.aliasChain.join(' → ') }]),
      ...(t.readonly ? [{ key: 'access', label: 'access', value: 'read-only' }] : []),
    ],
    others: othersOf(p.map, t.ramAddr, ramEnd, b),
  })
}

/** What the RAMBlock box `i` is, and every GPA range that maps it. */
export const blockInfo = (p: Picture, i: number): O.Option<Info> => {
  const placed = p.layout.blocks[i]
  if (placed === undefined) return O.none
  const b = placed.item
  const block = p.map.blocks.get(b.idstr)
  const host = block === undefined ? O.none : block.host
  return O.some({
    title: b.idstr,
    fields: [
      { key: 'ram_addr', label: 'ram_addr_t', value: hex(b.start) },
      { key: 'ram_range', label: 'ram_addr_t range', value: rangeText(b.start, b.start + b.max) },
      {
        key: 'size',
        label: 'used / max',
        value: `${sizeText(b.used)} / ${sizeText(b.max)}`,
      },
      {
        key: 'hva',
        label: 'HVA',
        value: O.isSome(host) ? hex(host.value) : 'unknown (info ramblock has no HVA column)',
      },
    ],
    others: othersOf(p.map, b.start, b.start + b.used, undefined),
  })
}

/** What a search found: the boxes to highlight and the answer in words. */
export interface Found {
  readonly gpaBoxes: ReadonlyArray<number>
  readonly blockBoxes: ReadonlyArray<number>
  readonly lines: ReadonlyArray<string>
}

/**
 * Looks up a GPA (`translate.translationOfGpa`) or a `ram_addr_t`
 * (`translate.gpasOfRamAddr`: every GPA that maps it) typed as `0x…` hex.
 */
export const search =
  (kind: 'gpa' | 'ram', text: string) =>
  (p: Picture): E.Either<string, Found> =>
    pipe(
      codec.parseHex(text.trim()),
      E.filterOrElse(
        () => kind === 'gpa' || p.ramKnown,
        () => 'no info ramblock was given: there is no ram_addr_t to search',
      ),
      E.map((a): Found => {
        if (kind === 'gpa') {
          const t = translate.translationOfGpa(Gpa.unsafe(a))(p.map)
          const box = gpaBoxAt(p, a)
          const gpaBoxes = box < 0 ? [] : [box]
          if (t._tag === 'Unassigned')
            return { gpaBoxes, blockBoxes: [], lines: [`GPA ${hex(a)}: unassigned`] }
          if (t._tag === 'Ram' && !p.ramKnown)
            return {
              gpaBoxes,
              blockBoxes: [],
              lines: [
                `GPA ${hex(a)}: ${t.region.name}+${hex(t.offsetInRegion)}, RAM (ram_addr_t unknown: no info ramblock)`,
              ],
            }
          if (t._tag === 'Mmio')
            return {
              gpaBoxes,
              blockBoxes: [],
              lines: [
                `GPA ${hex(a)}: ${t.region.name}+${hex(t.offsetInRegion)}, MMIO (no ram_addr_t)`,
              ],
            }
          const blk = blockBoxAt(p, t.ramAddr)
          return {
            gpaBoxes,
            blockBoxes: blk < 0 ? [] : [blk],
            lines: [
              `GPA ${hex(a)}: ${t.region.name}+${hex(t.offsetInRegion)} → ram_addr_t ${hex(t.ramAddr)} (${t.block.idstr}+${hex(t.ramAddr - t.block.offset)})${O.isSome(t.hva) ? `, HVA ${hex(t.hva.value)}` : ''}`,
            ],
          }
        }
        const gpas = translate.gpasOfRamAddr(RamAddr.unsafe(a))(p.map)
        const blk = blockBoxAt(p, a)
        const block = p.layout.blocks[blk]?.item
        const where =
          block === undefined ? 'in no RAMBlock' : `${block.idstr}+${hex(a - block.start)}`
        return {
          gpaBoxes: gpas.map((g) => gpaBoxAt(p, g)).filter((i) => i >= 0),
          blockBoxes: blk < 0 ? [] : [blk],
          lines:
            gpas.length === 0
              ? [`ram_addr_t ${hex(a)} (${where}): no GPA maps it in this address space`]
              : [
                  `ram_addr_t ${hex(a)} (${where}) is mapped at ${gpas.length} GPA(s):`,
                  ...gpas.map((g) => `GPA ${hex(g)}`),
                ],
        }
      }),
    )

/** A region the reader may move: its id and how the picker shows it. */
export interface Movable {
  readonly id: topology.RegionId
  readonly label: string
  readonly ram: boolean
}

/**
 * The regions mapped under the address space's root (not through aliases), RAM-backed
 * first: the candidates for a BAR move. The address shown is the region's `addr`, which is
 * what `topology.setAddress` sets (within its container).
 */
export const movables = (t: topology.Topology, addressSpace: string): ReadonlyArray<Movable> => {
  const as = t.addressSpaces.find((a) => a.name === addressSpace)
  if (as === undefined) return []
  const out: Movable[] = []
  const seen = new Set<topology.RegionId>()
  const walk = (id: topology.RegionId): void => {
    const r = t.regions.get(id)
    if (r === undefined || seen.has(id)) return
    seen.add(id)
    if (id !== as.root && r.placeholder !== true && r.name !== '')
      out.push({
        id,
        ram: topology.hasRamBlock(r),
        label: `${r.name} @ ${hex(r.addr)} (${sizeText(r.size)} ${r.kind}${r.enabled ? '' : ', disabled'})`,
      })
    for (const s of r.subregions) walk(s)
  }
  walk(as.root)
  return out.sort((a, b) => Number(b.ram) - Number(a.ram) || a.label.localeCompare(b.label))
}

/** One KVM slot call of a move, in words and as numbers. */
export interface SlotCall {
  readonly cause: string
  readonly slot: number
  readonly flags: number
  readonly gpa: bigint
  readonly size: bigint
  readonly ramAddr: bigint
  readonly text: string
}

/** What moving a region changed. */
export interface MoveResult {
  readonly topology: topology.Topology
  readonly label: string
  /** `flatview.diff` of the view before and after, in words. */
  readonly diff: ReadonlyArray<string>
  /** `kvm.commit` of the view change on the slot table the view before would hold. */
  readonly slots: ReadonlyArray<SlotCall>
  /** The region's `ram_addr_t` before and after (undefined: not RAM-backed). */
  readonly ramAddr: { readonly before: bigint; readonly after: bigint } | undefined
  /** One sentence on the `ram_addr_t`. */
  readonly stayed: string
}

const kvmCalls = (
  before: translate.AddressMap,
  after: translate.AddressMap,
  ramKnown: boolean,
): E.Either<string, ReadonlyArray<SlotCall>> =>
  pipe(
    kvm.commit(
      flatview.fromRanges(O.none, []),
      before.view,
      kvm.resolverOf(before),
    )(kvm.slotTable.empty()),
    E.chain((r0) =>
      kvm.commit(
        before.view,
        after.view,
        kvm.resolverOf(after),
        {},
        kvm.resolverOf(before),
      )(r0.table),
    ),
    E.bimap(
      (e) => e.message,
      (r) =>
        r.changes.map((c) => {
          const what =
            c.cause === 'del'
              ? `delete${c.syncBeforeDelete ? ' (dirty log synced first)' : ''}`
              : c.cause === 'add'
                ? 'add'
                : c.cause === 'logStart'
                  ? 'start dirty logging'
                  : 'stop dirty logging'
          return {
            cause: c.cause,
            slot: c.op.slot,
            flags: c.op.flags,
            gpa: c.op.gpa,
            size: c.op.size,
            ramAddr: c.op.ramAddr,
            text: `KVM_SET_USER_MEMORY_REGION slot ${c.op.slot} flags=0x${c.op.flags.toString(16)} gpa=${hex(c.op.gpa)} size=${hex(c.op.size)}${ramKnown ? ` ram_addr=${hex(c.op.ramAddr)}` : ''}: ${what}`,
          }
        }),
    ),
  )

/**
 * Moves region `ref` (a region id, as the picker's value) to `addrText` within its container (`topology.setAddress`, QEMU's
 * `memory_region_set_address`, as `ramaddr flatview --move` does) and says what changed in
 * the address space: the view diff, the KVM slot calls, and the region's `ram_addr_t`
 * before and after.
 */
export const moveRegion =
  (ref: number, addrText: string) =>
  (
    t: topology.Topology,
    ramList: ramblock.RamList,
    addressSpace: string,
    ramKnown = true,
  ): E.Either<string, MoveResult> => {
    const id = [...t.regions.keys()].find((k) => k === ref)
    if (id === undefined) return E.left(`no region with id ${ref}`)
    return pipe(
      E.Do,
      E.bind('addr', () => codec.parseHex(addrText.trim())),
      E.bind('before', () =>
        pipe(
          translate.make({ topology: t, ramList, addressSpace }),
          E.mapLeft((e) => errors.showError(e)),
        ),
      ),
      // the region as the map has it: tied to its RAMBlock
      E.bind('region', ({ before }) =>
        E.fromNullable(`no region with id ${ref}`)(before.topology.regions.get(id)),
      ),
      E.bind('moved', ({ addr }) =>
        pipe(
          topology.setAddress(id, addr)(t),
          E.mapLeft((e) => errors.showError(e)),
        ),
      ),
      E.bind('after', ({ moved }) =>
        pipe(
          translate.make({ topology: moved, ramList, addressSpace }),
          E.mapLeft((e) => errors.showError(e)),
        ),
      ),
      E.bind('slots', ({ before, after }) => kvmCalls(before, after, ramKnown)),
      E.map(({ addr, region, before, after, moved, slots }) => {
        const label = `${region.name}=${hex(addr)}`
        const nameIn = (m: translate.AddressMap, r: flatview.FlatRange | undefined): string =>
          r === undefined ? 'nothing' : (m.topology.regions.get(r.region)?.name ?? '?')
        const diff = flatview
          .diff(before.view)(after.view)
          .map(
            (c) =>
              `${c.kind} ${rangeText(c.start, c.end)}: ${nameIn(before, c.before)} → ${nameIn(after, c.after)}`,
          )
        const oldAt = topology.absoluteAddress(id)(t)
        const newAt = topology.absoluteAddress(id)(moved)
        const tb = translate.translationOfGpa(Gpa.unsafe(oldAt))(before)
        const ta = translate.translationOfGpa(Gpa.unsafe(newAt))(after)
        const block = region.ramBlock === undefined ? undefined : before.blocks.get(region.ramBlock)
        const movedBlock = after.topology.regions.get(id)?.ramBlock
        const blockAfter = movedBlock === undefined ? undefined : after.blocks.get(movedBlock)
        const ramAddr =
          block === undefined || blockAfter === undefined
            ? undefined
            : { before: block.offset, after: blockAfter.offset }
        const seen = (x: translate.Translation): string =>
          x._tag === 'Ram' && x.region.id === id ? hex(x.ramAddr) : 'not visible there'
        const stayed = !ramKnown
          ? `${region.name} moved from GPA ${hex(oldAt)} to ${hex(newAt)}; its ram_addr_t is unknown (no info ramblock), and a BAR move does not change it.`
          : block === undefined || ramAddr === undefined
            ? `${region.name} has no RAMBlock: there is no ram_addr_t to keep.`
            : ramAddr.before !== ramAddr.after
              ? `${region.name}'s ram_addr_t changed from ${hex(ramAddr.before)} to ${hex(ramAddr.after)}.`
              : `${region.name} keeps ram_addr_t ${hex(block.offset)} (RAMBlock ${block.idstr}): before the move GPA ${hex(oldAt)} gave ${seen(tb)}, after it GPA ${hex(newAt)} gives ${seen(ta)}. A BAR move changes the GPA, never the ram_addr_t.`
        return { topology: moved, label, diff, slots, ramAddr, stayed }
      }),
    )
  }
