/**
 * `ramaddr kvm-slots --mtree TREE --ramblock RAMBLOCK [--learn FLAT] [--log NAME]…
 * [--json]`.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { pipe } from 'fp-ts/lib/function.js'
import { toHex } from '../addresses/hex.js'
import { fromRanges } from '../flatview/flatview.js'
import { commit, resolverOf } from '../kvm/index.js'
import { empty } from '../kvm/slot-table.js'
import { DIRTY_MEMORY_VGA } from '../region/region.js'
import { setDirtyLog, type Topology } from '../region/topology.js'
import { resolveRef } from '../region/region-ref.js'
import { make } from '../translate/address-map.js'
import { parseArgs } from './args.js'
import { inputError, usageError, type Failure, type Io } from './io.js'
import { loadRamList, loadTopology } from './load.js'

/** Usage text. */
export const KVM_SLOTS_USAGE = `usage: ramaddr kvm-slots --mtree TREE --ramblock RAMBLOCK [--learn FLAT] [--log NAME]… [--json]

The KVM memory slots QEMU 7.2 would hold for address space "memory": RAM, ROM and
romd sections shrunk to whole host pages, read-only for ROM, log-dirty where a dirty
client logs (vga.vram logs for VGA; --log NAME turns logging on for another region).
Slot ids are those of a listener registered on this view (lowest free, by address); a
running QEMU's ids also depend on the slots it created and freed before.
JSON: [{"slot", "gpa", "size", "flags", "ramAddr", "region"}], flags a number (bit 0
log-dirty, bit 1 read-only).
`

const withLogging =
  (names: ReadonlyArray<string>) =>
  (t: Topology): E.Either<Failure, Topology> =>
    names.reduce<E.Either<Failure, Topology>>(
      (acc, name) =>
        pipe(
          acc,
          E.chain((cur) =>
            pipe(
              resolveRef(name)(cur),
              E.chain((r) => setDirtyLog(r.id, r.dirtyLog | DIRTY_MEMORY_VGA)(cur)),
              E.mapLeft((e) => inputError(`--log ${name}: ${e.message}`)),
            ),
          ),
        ),
      E.right(t),
    )

/** Runs the subcommand. */
export const kvmSlotsCommand = (argv: ReadonlyArray<string>, io: Io): E.Either<Failure, string> =>
  pipe(
    parseArgs({ flags: ['json', 'strict'], options: ['mtree', 'ramblock', 'learn', 'log'] })(argv),
    E.chain((args) => {
      if (args.positionals.length > 0)
        return E.left(usageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`))
      return pipe(
        E.Do,
        E.bind('topology', () =>
          pipe(loadTopology(args, io), E.chain(withLogging(args.options.get('log') ?? []))),
        ),
        E.bind('ramList', () => loadRamList(args, io)),
        E.chain(({ topology, ramList }) =>
          pipe(
            make({ topology, ramList }),
            E.mapLeft((e) => inputError(e.message)),
          ),
        ),
        E.chain((map) =>
          pipe(
            commit(fromRanges(O.none, []), map.view, resolverOf(map))(empty()),
            E.mapLeft((e) => inputError(e.message)),
            E.map((r) => {
              const rows = r.changes.map((c) => {
                const range = map.view.ranges.find((x) => x.start <= c.op.gpa && c.op.gpa < x.end)
                return {
                  slot: c.op.slot,
                  gpa: toHex(c.op.gpa),
                  size: toHex(c.op.size),
                  flags: c.op.flags,
                  ramAddr: toHex(c.op.ramAddr),
                  region:
                    range === undefined
                      ? null
                      : (map.topology.regions.get(range.region)?.name ?? null),
                }
              })
              if (args.flags.has('json')) return JSON.stringify(rows, null, 1) + '\n'
              return rows
                .map(
                  (x) =>
                    `Slot#${x.slot} flags=0x${x.flags.toString(16)} gpa=${x.gpa} size=${x.size} ram_addr=${x.ramAddr} (${x.region ?? '?'})\n`,
                )
                .join('')
            }),
          ),
        ),
      )
    }),
  )
