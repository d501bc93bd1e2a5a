/**
 * `ramaddr flatview --mtree TREE [--learn FLAT] [--accel tcg|kvm] [--as NAME]
 * [--move REGION=ADDR]… [--json]`.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { pipe } from 'fp-ts/lib/function.js'
import { toHex } from '../addresses/hex.js'
import { renderAll, type SharedView } from '../flatview/flatview.js'
import {
  asKey,
  asRootText,
  hasKvmSlot,
  viewLines,
  type FlatPrintOptions,
  type FlatViewBlock,
} from '../qemu/mtree-flat.js'
import { regionType } from '../qemu/mtree-print.js'
import { setAddress, type Topology } from '../region/topology.js'
import { resolveRef } from '../region/region-ref.js'
import { lastOption, parseArgs } from './args.js'
import { inputError, usageError, type Failure, type Io } from './io.js'
import { loadTree, parseAddressArg } from './load.js'

/** Usage text. */
export const FLATVIEW_USAGE = `usage: ramaddr flatview --mtree TREE [--learn FLAT] [--accel tcg|kvm] [--as NAME]
                        [--move REGION=ADDR]… [--strict] [--json]

Render every address space of an \`info mtree\` (or \`info mtree -D\`) dump of any QEMU
(2.x to 10.x, whole or partial) and print the flat views as \`info mtree -f\` does.
--learn takes \`info mtree -f\` of the same machine state: it learns which I/O regions
terminate and which are containers, reads the accelerator off its " KVM" markers, and
refuses a view the tree does not explain (another state); the views then print in its
order with its line ends, so the output is that text itself. --strict refuses a dump
that leaves anything to a guess (an alias target it does not print, a region kind only
a flat view can tell). --move sets the address, relative to its parent, of one region
(a BAR move), before rendering; moves apply in order. REGION is a name, a path
(system/pci-hole/vga.vram) or NAME@ADDR (where its offset 0 is now) where names repeat.
--accel kvm adds QEMU's " KVM" markers.
JSON: [{"addressSpaces", "root", "ranges": [{"start", "size", "region", "offset",
"priority", "type", "readonly", "kvm"}]}] with hex-string numbers.
`

/** Applies `REGION=ADDR` moves in order (REGION: a name, a path or NAME@ADDR; see `resolveRef`). */
export const applyMoves =
  (moves: ReadonlyArray<string>) =>
  (t: Topology): E.Either<Failure, Topology> =>
    moves.reduce<E.Either<Failure, Topology>>(
      (acc, move) =>
        pipe(
          acc,
          E.chain((cur) => {
            const eq = move.lastIndexOf('=')
            if (eq <= 0) return E.left(usageError(`--move ${move}: expected REGION=ADDR`))
            const name = move.slice(0, eq)
            return pipe(
              parseAddressArg(`--move ${move}`, move.slice(eq + 1)),
              E.chain((addr) =>
                pipe(
                  resolveRef(name)(cur),
                  E.chain((r) => setAddress(r.id, addr)(cur)),
                  E.mapLeft((e) => inputError(`--move ${move}: ${e.message}`)),
                ),
              ),
            )
          }),
        ),
      E.right(t),
    )

/**
 * Views in the order a parsed `info mtree -f` lists them, each with its address spaces in
 * the order listed there; views the listing lacks follow, in their own order. A view is
 * matched by its address spaces and ranges, so repeated names (one
 * `virtio-pci-cfg-mem-as` per device) find their own block.
 */
export const inViewOrder =
  (blocks: ReadonlyArray<FlatViewBlock>, t: Topology, options: FlatPrintOptions) =>
  (views: ReadonlyArray<SharedView>): ReadonlyArray<SharedView> => {
    const blockKey = (b: FlatViewBlock): string =>
      [
        ...b.addressSpaces.map((a) => asKey(a.name, a.root)).sort(),
        ...b.ranges.map((r) => r.text),
      ].join('\n')
    const viewKey = (v: SharedView): string =>
      [
        ...v.addressSpaces.map((a) => asKey(a.name, asRootText(t, a.root))).sort(),
        ...viewLines(t, v, options).filter(
          (l) => l.startsWith('  ') && l !== '  No rendered FlatView',
        ),
      ].join('\n')
    const free = views.map((v) => ({ v, key: viewKey(v), used: false }))
    const out: SharedView[] = []
    for (const b of blocks) {
      const k = blockKey(b)
      const hit = free.find((f) => !f.used && f.key === k)
      if (hit === undefined) continue
      hit.used = true
      // each address space takes the next listed place of its name and root (a block may
      // list one name twice: two bridges' pci_bridge_pci_mem)
      const places = new Map<string, number[]>()
      b.addressSpaces.forEach((a, i) => {
        const k = asKey(a.name, a.root)
        const same = places.get(k)
        if (same === undefined) places.set(k, [i])
        else same.push(i)
      })
      const ranked = hit.v.addressSpaces.map((a, i) => {
        const free_ = places.get(asKey(a.name, asRootText(t, a.root)))
        return { a, rank: free_?.shift() ?? b.addressSpaces.length + i }
      })
      out.push({
        view: hit.v.view,
        addressSpaces: ranked.sort((x, y) => x.rank - y.rank).map((x) => x.a),
      })
    }
    return [...out, ...free.filter((f) => !f.used).map((f) => f.v)]
  }

/** Runs the subcommand. */
export const flatviewCommand = (argv: ReadonlyArray<string>, io: Io): E.Either<Failure, string> =>
  pipe(
    parseArgs({ flags: ['json', 'strict'], options: ['mtree', 'learn', 'accel', 'as', 'move'] })(
      argv,
    ),
    E.chain((args) => {
      if (args.positionals.length > 0)
        return E.left(usageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`))
      const accelArg = lastOption(args, 'accel')
      if (accelArg !== undefined && accelArg !== 'tcg' && accelArg !== 'kvm')
        return E.left(usageError(`--accel must be tcg or kvm, not ${accelArg}`))
      const only = lastOption(args, 'as')
      return pipe(
        loadTree(args, io),
        E.chain((loaded) =>
          pipe(
            applyMoves(args.options.get('move') ?? [])(loaded.topology),
            E.map((t) => ({ t, accel: accelArg ?? loaded.accel ?? 'tcg', flat: loaded.flat })),
          ),
        ),
        E.chain(({ t, accel, flat }) => {
          const options = { accel: accel as 'tcg' | 'kvm', eol: '\n' as const }
          const rendered = renderAll({ tcg: accel === 'tcg' })(t)
          // with a learned view, views and their address spaces come in its order (QEMU
          // prints views in hash order): the output is then QEMU's text itself
          const all = flat === undefined ? rendered : inViewOrder(flat.blocks, t, options)(rendered)
          const views = all.filter(
            (v) => only === undefined || v.addressSpaces.some((a) => a.name === only),
          )
          if (only !== undefined && views.length === 0)
            return E.left(inputError(`no address space named ${JSON.stringify(only)}`))
          const eol = flat?.eol ?? '\n'
          if (!args.flags.has('json'))
            return E.right(
              views
                .map((v, i) =>
                  [`FlatView #${i}`, ...viewLines(t, v, options), ''].map((l) => l + eol).join(''),
                )
                .join(''),
            )
          const json = views.map((v) => ({
            addressSpaces: v.addressSpaces.map((a) => a.name),
            root: O.isSome(v.view.root) ? (t.regions.get(v.view.root.value)?.name ?? null) : null,
            ranges: v.view.ranges.map((r) => {
              const mr = t.regions.get(r.region)
              return {
                start: toHex(r.start),
                size: toHex(r.end - r.start),
                region: mr?.name ?? null,
                offset: toHex(r.offsetInRegion),
                priority: mr?.priority ?? 0,
                type: r.readonly ? 'rom' : mr === undefined ? 'i/o' : regionType(t, mr),
                readonly: r.readonly,
                kvm:
                  accel === 'kvm' &&
                  mr !== undefined &&
                  v.addressSpaces.some((a) => a.name === 'memory' || a.name === 'KVM-SMRAM') &&
                  hasKvmSlot(r, mr),
              }
            }),
          }))
          return E.right(JSON.stringify(json, null, 1) + '\n')
        }),
      )
    }),
  )
