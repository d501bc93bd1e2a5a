/**
 * `info mtree -f` (QEMU 7.2 `mtree_info_flatview`, `mtree_print_flatview`): one block per
 * flat view, listing the address spaces that share it, the resolved root, and one line
 * per flat range:
 *
 *     FlatView #N
 *      AS "NAME", root: ROOT[, alias TARGET]
 *      Root memory region: NAME | (none)
 *       START-END (prio P, [nv-]TYPE): REGION[ @OFFSET][ KVM]…   | "  No rendered FlatView"
 *
 * TYPE is `rom` for a read-only range, else the region's type; P is the terminal region's
 * own priority; ` @OFFSET` appears when the range starts inside its region. With KVM,
 * ` KVM` follows a range once per listed address space whose KVM memory listener holds
 * a slot of exactly that start and size (`kvm_accel_has_memory`): only page-aligned
 * RAM, ROM, RAM-device and romd ranges get slots (`kvm_set_phys_mem`,
 * `kvm_align_section`). QEMU prints views in hash order; this printer prints them in
 * order of their first address space.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { toHex16 } from '../addresses/hex.js'
import { OWNER } from './mtree-line.js'
import type { FlatRange } from '../flatview/flat-range.js'
import { renderAll, type SharedView } from '../flatview/flatview.js'
import type { RenderOptions } from '../flatview/render.js'
import { isRam, isRomd, type Region, type RegionId } from '../region/region.js'
import type { Topology } from '../region/topology.js'
import { regionType } from './mtree-print.js'
import { at, splitLines, type TextError } from '../addresses/text-error.js'
import { addedIndent, dedent, isElision, isPrompt, normalise } from './paste.js'

/** Which accelerator's markers to print. */
export type Accel = 'tcg' | 'kvm'

/** How to print. */
export interface FlatPrintOptions extends RenderOptions {
  readonly accel?: Accel
  /** Address spaces with a KVM memory listener (default `memory` and `KVM-SMRAM`). */
  readonly kvmAddressSpaces?: ReadonlySet<string>
  readonly eol?: '\r\n' | '\n'
  /** The host page size KVM slots align to (default 4 KiB). */
  readonly hostPageSize?: bigint
}

const DEFAULT_KVM_AS: ReadonlySet<string> = new Set(['memory', 'KVM-SMRAM'])

/**
 * Whether KVM backs a flat range with a memslot of exactly its extent
 * (`kvm_set_phys_mem`: RAM, or a romd ROM device; `kvm_align_section`: whole host pages).
 */
export const hasKvmSlot = (r: FlatRange, mr: Region, hostPageSize = 0x1000n): boolean =>
  (isRam(mr) || isRomd(mr)) &&
  r.start % hostPageSize === 0n &&
  (r.end - r.start) % hostPageSize === 0n &&
  r.end > r.start

/** One range line (without indentation or line ending). */
export const rangeLine = (t: Topology, r: FlatRange, markers: string): string => {
  const mr = t.regions.get(r.region)
  const type = r.readonly ? 'rom' : mr === undefined ? 'i/o' : regionType(t, mr)
  const size = r.end - r.start
  const last = BigInt.asUintN(64, r.start + (size === 0n ? 0n : size - 1n))
  return `${toHex16(r.start)}-${toHex16(last)} (prio ${mr?.priority ?? 0}, ${r.nonvolatile ? 'nv-' : ''}${type}): ${mr?.name ?? '(unknown)'}${r.offsetInRegion !== 0n ? ' @' + toHex16(r.offsetInRegion) : ''}${markers}`
}

/** What an `AS` line says after `root: `: the root's name, and `, alias TARGET` for an alias root. */
export const asRootText = (t: Topology, rootId: RegionId): string => {
  const root = t.regions.get(rootId)
  const target =
    root?.kind === 'alias' && root.aliasTarget !== undefined
      ? t.regions.get(root.aliasTarget)
      : undefined
  return `${root?.name ?? ''}${target === undefined ? '' : `, alias ${target.name}`}`
}

/** The lines of one view block, without `FlatView #N` and the blank line after it. */
export const viewLines = (
  t: Topology,
  shared: SharedView,
  options: FlatPrintOptions = {},
): string[] => {
  const lines: string[] = []
  for (const as of shared.addressSpaces) lines.push(` ${asKey(as.name, asRootText(t, as.root))}`)
  const rootName = O.isSome(shared.view.root)
    ? (t.regions.get(shared.view.root.value)?.name ?? '')
    : '(none)'
  lines.push(` Root memory region: ${rootName}`)
  if (shared.view.ranges.length === 0) {
    lines.push('  No rendered FlatView')
    return lines
  }
  const kvmAs = options.kvmAddressSpaces ?? DEFAULT_KVM_AS
  const listeners =
    options.accel === 'kvm' ? shared.addressSpaces.filter((a) => kvmAs.has(a.name)).length : 0
  for (const r of shared.view.ranges) {
    const mr = t.regions.get(r.region)
    const kvm = listeners > 0 && mr !== undefined && hasKvmSlot(r, mr, options.hostPageSize)
    lines.push('  ' + rangeLine(t, r, kvm ? ' KVM'.repeat(listeners) : ''))
  }
  return lines
}

/**
 * `info mtree -f` text for every address space of the topology.
 *
 * @example
 * import { mtree } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * const t = mtree.parse([
 *   'address-space: memory',
 *   '  0000000000000000-ffffffffffffffff (prio 0, i/o): system',
 *   '    0000000000000000-0000000007ffffff (prio 0, ram): pc.ram',
 *   '    00000000000a0000-00000000000bffff (prio 1, i/o): vga-lowmem',
 *   '',
 * ].join('\n'))
 * assert.ok(either.isRight(t))
 * assert.equal(mtree.printFlat({ accel: 'kvm', eol: '\n' })(t.right), [
 *   'FlatView #0',
 *   ' AS "memory", root: system',
 *   ' Root memory region: system',
 *   '  0000000000000000-000000000009ffff (prio 0, ram): pc.ram KVM',
 *   '  00000000000a0000-00000000000bffff (prio 1, i/o): vga-lowmem',
 *   '  00000000000c0000-0000000007ffffff (prio 0, ram): pc.ram @00000000000c0000 KVM',
 *   '',
 *   '',
 * ].join('\n'))
 */
export const print =
  (options: FlatPrintOptions = {}) =>
  (t: Topology): string => {
    const eol = options.eol ?? '\r\n'
    const views = renderAll({ tcg: options.accel !== 'kvm', ...options })(t)
    return views
      .map((v, i) =>
        [`FlatView #${i}`, ...viewLines(t, v, options), ''].map((l) => l + eol).join(''),
      )
      .join('')
  }

/** A parsed range line. */
export interface FlatRangeLine {
  readonly line: number
  /** The line as QEMU 5.0 on prints it without `-o`: owner suffixes dropped, markers ` KVM`. */
  readonly text: string
  readonly start: bigint
  readonly end: bigint
  readonly priority: number
  readonly type: string
  readonly region: string
  readonly offset: bigint
  readonly markers: ReadonlyArray<string>
}

/** A parsed view block. */
export interface FlatViewBlock {
  readonly line: number
  readonly addressSpaces: ReadonlyArray<{ readonly name: string; readonly root: string }>
  readonly root: string
  readonly ranges: ReadonlyArray<FlatRangeLine>
}

const RANGE =
  /^ {2}([0-9a-f]{16})-([0-9a-f]{16}) \(prio (-?[0-9]{1,10}), ((?:nv-)?(?:ramd|romd|ram|rom|i\/o|container))\):(?: (.*))?$/

const MARKER = /^(.*) (KVM|HVF|WHPX|NVMM|Xen|kvm(?::tcg)?)$/

const parseRangeLine = (lineNo: number, text: string): E.Either<TextError, FlatRangeLine> => {
  const m = RANGE.exec(text)
  if (m === null)
    return E.left(at(lineNo, 1, 'a range line "  START-END (prio P, TYPE): NAME[ @OFFSET]"', text))
  let rest = m[5] ?? ''
  const markers: string[] = []
  // accelerator markers: ` KVM` (5.0 on; AccelClass name), ` kvm` (4.1, 4.2: the
  // -machine accel= text), read as KVM
  for (let k = MARKER.exec(rest); k !== null; k = MARKER.exec(rest)) {
    markers.unshift((k[2] ?? '').startsWith('kvm') ? 'KVM' : (k[2] ?? ''))
    rest = k[1] ?? ''
  }
  // -o: an owner suffix before the markers
  const owner = OWNER.exec(rest)
  if (owner !== null && owner.index > 0) rest = rest.slice(0, owner.index)
  const off = /^(.*) @([0-9a-f]{16})$/.exec(rest)
  if ((off === null ? rest : (off[1] ?? '')).length === 0)
    return E.left(at(lineNo, text.length + 1, 'a region name after "): "', ''))
  const start = BigInt('0x' + (m[1] ?? '0'))
  return E.right({
    line: lineNo,
    text: `${text.slice(0, text.indexOf('): ') + 3)}${rest}${markers.map((k) => ' ' + k).join('')}`,
    start,
    end: BigInt('0x' + (m[2] ?? '0')) + 1n,
    priority: Number(m[3]),
    type: m[4] ?? '',
    region: off === null ? rest : (off[1] ?? ''),
    offset: off === null ? 0n : BigInt('0x' + (off[2] ?? '0')),
    markers,
  })
}

/**
 * A line of a view block indented as QEMU indents it, whatever indentation a paste left
 * (stripped, collapsed, tabs): `info mtree -f` is flat, so each line's depth follows from
 * what it says (`FlatView #N` none, `AS …` and `Root memory region:` one space, range lines
 * two). Other lines are left as they are.
 */
const reindent = (l: string): string => {
  const t = l.replace(/^[ \t]+/, '')
  if (RANGE_BODY.test(t) || t.startsWith('No rendered FlatView') || t === 'Dispatch')
    return '  ' + t
  if (t.startsWith('AS "') || t.startsWith('Root memory region: ')) return ' ' + t
  return t.startsWith('FlatView #') || t.startsWith('address-space (flat view): ') ? t : l
}
const RANGE_BODY = /^[0-9a-f]{16}-[0-9a-f]{16} \(prio /

/**
 * Parses `info mtree -f` text into its view blocks; errors give line and column.
 *
 * @example
 * import { mtree } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * const v = mtree.parseFlat('FlatView #0\n AS "memory", root: system\n Root memory region: system\n  0000000000000000-000000000009ffff (prio 0, ram): pc.ram KVM\n\n')
 * assert.ok(either.isRight(v))
 * assert.deepEqual(v.right[0]?.ranges[0]?.markers, ['KVM'])
 */
export const parse = (text: string): E.Either<TextError, ReadonlyArray<FlatViewBlock>> => {
  const raw = splitLines(text).lines
  const indent = addedIndent(raw, (l) =>
    /^(FlatView #[0-9]+|address-space \(flat view\): .*)$/.test(l),
  )
  // as pasted: no prompts, elisions or a code block's indentation; line numbers kept
  const lines = raw.map((l) => reindent(dedent(normalise(l), indent)))
  const skip = (l: string): boolean => isPrompt(l) || isElision(l)
  const blocks: FlatViewBlock[] = []
  let i = 0
  while (i < lines.length) {
    const head = lines[i] ?? ''
    if (head === '' || skip(head)) {
      i++
      continue
    }
    // QEMU 2.9 and 2.10: one block per address space, no sharing, no root line
    const old = /^address-space \(flat view\): (.*)$/.exec(head)
    if (old !== null) {
      const name = old[1] ?? ''
      const line = i + 1
      i++
      const ranges: FlatRangeLine[] = []
      if (lines[i] === `  No rendered FlatView for address space '${name}'`) i++
      else
        for (; i < lines.length && lines[i] !== ''; i++) {
          const l = lines[i] ?? ''
          if (skip(l)) continue
          const r = parseRangeLine(i + 1, l)
          if (E.isLeft(r)) return r
          ranges.push(r.right)
        }
      blocks.push({ line, addressSpaces: [{ name, root: '' }], root: '', ranges })
      continue
    }
    if (!/^FlatView #[0-9]+$/.test(head)) {
      // text around the views (a sentence, a command line, -d's dispatch tables)
      if (
        blocks.length > 0 ||
        lines
          .slice(i + 1)
          .some((l) => /^(FlatView #[0-9]+|address-space \(flat view\): .*)$/.test(l))
      ) {
        i++
        continue
      }
      return E.left(at(i + 1, 1, '"FlatView #N"', head))
    }
    const line = i + 1
    i++
    const spaces: Array<{ name: string; root: string }> = []
    for (
      let m = /^ AS "(.*)", root: (.*)$/.exec(lines[i] ?? '');
      m !== null;
      m = /^ AS "(.*)", root: (.*)$/.exec(lines[i] ?? '')
    ) {
      spaces.push({ name: m[1] ?? '', root: m[2] ?? '' })
      i++
    }
    // (a paste may leave the AS lines out: the view then belongs to no known address space)
    const rootLine = /^ Root memory region: (.*)$/.exec(lines[i] ?? '')
    if (rootLine === null)
      return E.left(at(i + 1, 1, '" Root memory region: NAME"', lines[i] ?? ''))
    i++
    const ranges: FlatRangeLine[] = []
    if (lines[i] === '  No rendered FlatView') i++
    else
      for (; i < lines.length && lines[i] !== ''; i++) {
        const l = lines[i] ?? ''
        if (skip(l)) continue
        // info mtree -f -d: the dispatch tables follow the ranges
        if (/^ {2}Dispatch$/.test(l)) {
          while (i < lines.length && lines[i] !== '') i++
          break
        }
        const r = parseRangeLine(i + 1, l)
        if (E.isLeft(r)) return r
        ranges.push(r.right)
      }
    blocks.push({ line, addressSpaces: spaces, root: rootLine[1] ?? '', ranges })
  }
  if (blocks.length === 0) return E.left(at(1, 1, '"FlatView #N"', lines[0] ?? ''))
  return E.right(blocks)
}

/**
 * The key of an address space in {@link linesByAddressSpace}: its `AS` line without the
 * leading space, `AS "NAME", root: ROOT`, unique even where names repeat (intel-iommu
 * makes one `vtd-root` per device).
 */
export const asKey = (name: string, root: string): string => `AS "${name}", root: ${root}`

/** The range-line lists of each key, in the order given (a key repeats where names do). */
export const groupByKey = (
  entries: ReadonlyArray<readonly [string, ReadonlyArray<string>]>,
): Map<string, Array<ReadonlyArray<string>>> => {
  const byKey = new Map<string, Array<ReadonlyArray<string>>>()
  for (const [k, lines] of entries) {
    const list = byKey.get(k)
    if (list === undefined) byKey.set(k, [lines])
    else list.push(lines)
  }
  return byKey
}

/**
 * Keys that stay unique where address spaces repeat a name and root (QEMU 10 makes one
 * `virtio-pci-cfg-mem-as` rooted at a `virtio-pci` per virtio device; intel-iommu one
 * `vtd-root` per device): the first of a repeated key (in order of its lines) keeps it, the
 * others get ` #2`, ` #3`…, so two listings of the same machine key alike whatever order
 * they list the address spaces in.
 */
export const uniqueKeys = (
  entries: ReadonlyArray<readonly [string, ReadonlyArray<string>]>,
): Map<string, ReadonlyArray<string>> => {
  const out = new Map<string, ReadonlyArray<string>>()
  for (const [k, lists] of groupByKey(entries)) {
    if (lists.length === 1) {
      out.set(k, lists[0] as ReadonlyArray<string>)
      continue
    }
    const sorted = lists
      .map((l) => ({ l, s: l.join('\n') }))
      .sort((x, y) => (x.s < y.s ? -1 : x.s > y.s ? 1 : 0))
    sorted.forEach((x, i) => out.set(i === 0 ? k : `${k} #${i + 1}`, x.l))
  }
  return out
}

/** The range lines of each address space, by {@link asKey} (see {@link uniqueKeys}). */
export const linesByAddressSpace = (
  blocks: ReadonlyArray<FlatViewBlock>,
): ReadonlyMap<string, ReadonlyArray<string>> =>
  uniqueKeys(
    blocks.flatMap((b) =>
      b.addressSpaces.map(
        (a) => [asKey(a.name, a.root), b.ranges.map((r) => r.text.slice(2))] as const,
      ),
    ),
  )

/** The range lines this library renders for each address space, by {@link asKey} (see {@link uniqueKeys}). */
export const renderedLinesByAddressSpace =
  (options: FlatPrintOptions = {}) =>
  (t: Topology): ReadonlyMap<string, ReadonlyArray<string>> =>
    uniqueKeys(renderedAddressSpaces(options)(t))

/** Each address space's {@link asKey} and rendered range lines, in topology order. */
export const renderedAddressSpaces =
  (options: FlatPrintOptions = {}) =>
  (t: Topology): Array<readonly [string, ReadonlyArray<string>]> => {
    const out: Array<readonly [string, ReadonlyArray<string>]> = []
    for (const v of renderAll({ tcg: options.accel !== 'kvm', ...options })(t)) {
      const lines = viewLines(t, v, options)
        .filter((l) => l.startsWith('  ') && l !== '  No rendered FlatView')
        .map((l) => l.slice(2))
      for (const as of v.addressSpaces) out.push([asKey(as.name, asRootText(t, as.root)), lines])
    }
    return out
  }
