/**
 * Naming one region where QEMU's names repeat: by unique name, by path, or by name and
 * address. QEMU identifies a region by its place (`MemoryRegion *`), not its name
 * (`memory_region_name` is free text; `pam-pci` appears 13 times on a PC, and a BAR region
 * `virtio-pci` roots QEMU 10's `virtio-pci-cfg-mem-as` while it sits in `memory` too).
 *
 * A reference is one of:
 * - `NAME`: the one region of that name (an alias's target is not counted twice);
 * - `A/B/…/NAME`: a path from a root region or an address space, through subregions and
 *   alias targets (`system/pci-hole/vga.vram`, `memory/pci-hole/vga.vram`); names that
 *   hold `/` themselves (`/rom@etc/acpi/tables`) are matched whole;
 * - `NAME@ADDR`: the region of that name whose offset 0 is at absolute address `ADDR`
 *   (hex or decimal), following containers up to its root.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { TopologyError } from './errors.js'
import type { Region, RegionId } from './region.js'
import * as O from 'fp-ts/lib/Option.js'
import type { AddressSpace, Topology } from './topology.js'

/** Every region named `name`, in id order. */
export const byName =
  (name: string) =>
  (t: Topology): ReadonlyArray<Region> =>
    [...t.regions.values()].filter((r) => r.name === name)

/** The address space named `name`. */
export const addressSpace =
  (name: string) =>
  (t: Topology): O.Option<AddressSpace> =>
    O.fromNullable(t.addressSpaces.find((a) => a.name === name))

/** The absolute address of a region's offset 0, following its containers to the top. */
export const absoluteAddress =
  (id: RegionId) =>
  (t: Topology): bigint => {
    let a = 0n
    for (
      let cur = t.regions.get(id);
      cur !== undefined;
      cur = cur.container === undefined ? undefined : t.regions.get(cur.container)
    )
      a += cur.addr
    return a
  }

/**
 * A region named by its id, or by a reference string that {@link resolveRef} resolves: a
 * unique name, a path, or `NAME@ADDR`. Every topology edit takes one.
 */
export type RegionRef = RegionId | string

const noSuch = (ref: string, what: string): TopologyError => ({
  _tag: 'NoSuchName',
  name: ref,
  message: `no region ${what} ${JSON.stringify(ref)}`,
})

const ambiguous = (ref: string, n: number, hint: string): TopologyError => ({
  _tag: 'AmbiguousName',
  name: ref,
  message: `${n} regions match ${JSON.stringify(ref)}; ${hint}`,
})

const HINT = 'name one by path (system/pci/NAME) or by address (NAME@0xADDR)'

/** The regions a path names, walking subregions and alias targets (iterative). */
const walkPath = (t: Topology, path: string): Region[] => {
  const found = new Set<RegionId>()
  const starts: Array<{ id: RegionId; rest: string }> = []
  for (const as of t.addressSpaces)
    if (path.startsWith(as.name + '/'))
      starts.push({ id: as.root, rest: path.slice(as.name.length + 1) })
  for (const r of t.regions.values())
    if (r.container === undefined && path.startsWith(r.name + '/'))
      starts.push({ id: r.id, rest: path.slice(r.name.length + 1) })
  const seen = new Set<string>()
  const stack = [...starts]
  while (stack.length > 0) {
    const { id, rest } = stack.pop() as { id: RegionId; rest: string }
    const key = `${id}\u0000${rest}`
    if (seen.has(key)) continue
    seen.add(key)
    const r = t.regions.get(id)
    if (r === undefined) continue
    const children = [...r.subregions]
    if (r.aliasTarget !== undefined) {
      const target = t.regions.get(r.aliasTarget)
      if (target !== undefined) {
        children.push(...target.subregions)
        if (rest === target.name) found.add(target.id)
        else if (rest.startsWith(target.name + '/'))
          stack.push({ id: target.id, rest: rest.slice(target.name.length + 1) })
      }
    }
    for (const cid of children) {
      const c = t.regions.get(cid)
      if (c === undefined) continue
      if (rest === c.name) found.add(c.id)
      else if (rest.startsWith(c.name + '/'))
        stack.push({ id: c.id, rest: rest.slice(c.name.length + 1) })
    }
  }
  return [...found].map((id) => t.regions.get(id) as Region)
}

const parseAddress = (text: string): bigint | undefined =>
  /^0[xX][0-9a-fA-F]{1,16}$/.test(text) || /^[0-9]{1,20}$/.test(text)
    ? BigInt(text) < 1n << 64n
      ? BigInt(text)
      : undefined
    : undefined

/**
 * The one region a reference names, or a typed error when none or several match.
 *
 * @example
 * import { mtree, topology } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * const t = mtree.parse([
 *   'address-space: memory',
 *   '  0000000000000000-ffffffffffffffff (prio 0, i/o): system',
 *   '    00000000fe000000-00000000fe003fff (prio 1, i/o): virtio-pci',
 *   '    00000000fe100000-00000000fe103fff (prio 1, i/o): virtio-pci',
 *   '',
 * ].join('\n'))
 * assert.ok(either.isRight(t))
 * assert.equal(either.isLeft(topology.resolveRef('virtio-pci')(t.right)), true)
 * const byAddr = topology.resolveRef('virtio-pci@0xfe100000')(t.right)
 * assert.ok(either.isRight(byAddr))
 * assert.equal(byAddr.right.addr, 0xfe100000n)
 * assert.equal(either.isLeft(topology.resolveRef('system/virtio-pci')(t.right)), true)
 */
export const resolveRef =
  (ref: string) =>
  (t: Topology): E.Either<TopologyError, Region> => {
    const named = byName(ref)(t)
    if (named.length === 1) return E.right(named[0] as Region)
    if (named.length > 1) return E.left(ambiguous(ref, named.length, HINT))
    const at = ref.lastIndexOf('@')
    if (at > 0) {
      const addr = parseAddress(ref.slice(at + 1))
      if (addr !== undefined) {
        const name = ref.slice(0, at)
        const base = name.includes('/') ? walkPath(t, name) : byName(name)(t)
        const here = base.filter((r) => BigInt.asUintN(64, absoluteAddress(r.id)(t)) === addr)
        if (here.length === 1) return E.right(here[0] as Region)
        if (here.length > 1)
          return E.left(ambiguous(ref, here.length, 'name one by path (system/pci/NAME)'))
        return E.left(noSuch(ref, 'at that address named by'))
      }
    }
    if (ref.includes('/')) {
      const found = walkPath(t, ref)
      if (found.length === 1) return E.right(found[0] as Region)
      if (found.length > 1)
        return E.left(ambiguous(ref, found.length, 'add an address (PATH@0xADDR)'))
      return E.left(noSuch(ref, 'on the path'))
    }
    return E.left(noSuch(ref, 'named'))
  }
