/**
 * `ramaddr translate … GPA…` and `ramaddr gpas … RAMADDR…`.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { toHex } from '../addresses/hex.js'
import { Gpa, RamAddr } from '../addresses/kinds.js'
import { blockAt } from '../ramblock/ram-list.js'
import { make, gpasOfRamAddr, translationOfGpa, type AddressMap } from '../translate/address-map.js'
import { lastOption, parseArgs, type Args } from './args.js'
import { inputError, usageError, type Failure, type Io } from './io.js'
import { loadRamList, loadTopology, parseAddressArg } from './load.js'
import { applyMoves } from './flatview-cmd.js'
import * as O from 'fp-ts/lib/Option.js'

/** Usage of `translate`. */
export const TRANSLATE_USAGE = `usage: ramaddr translate --mtree TREE --ramblock RAMBLOCK [--learn FLAT] [--as NAME]
                         [--move REGION=ADDR]… [--strict] [--json] GPA…

For each guest-physical address, the region that backs it, the offset in that region
and the ram_addr_t (QEMU's address_space_translate, then ram_block->offset + offset).
JSON: [{"gpa", "region", "offset", "ramAddr"}] in input order; region and offset are
null where nothing is mapped, ramAddr where no RAM backs the GPA (MMIO); "hva" where
the ramblock dump has QEMU 8.0's HVA column (GPA -> HVA from the dump alone); "assumed": true
where the answer rests on an alias target the dump does not print (--strict refuses).
`

/** Usage of `gpas`. */
export const GPAS_USAGE = `usage: ramaddr gpas --mtree TREE --ramblock RAMBLOCK [--learn FLAT] [--as NAME]
                    [--move REGION=ADDR]… [--strict] [--json] RAMADDR…

For each ram_addr_t, every guest-physical address that maps it now (zero, one or
several: through aliases the same RAM can appear at more than one GPA).
JSON: [{"ramAddr", "block", "offset", "gpas": [...]}] in input order.
`

const SPEC = { flags: ['json', 'strict'], options: ['mtree', 'ramblock', 'learn', 'as', 'move'] }

const loadMap = (args: Args, io: Io): E.Either<Failure, AddressMap> =>
  pipe(
    E.Do,
    E.bind('topology', () =>
      pipe(loadTopology(args, io), E.chain(applyMoves(args.options.get('move') ?? []))),
    ),
    E.bind('ramList', () => loadRamList(args, io)),
    E.chain(({ topology, ramList }) =>
      pipe(
        make({ topology, ramList, addressSpace: lastOption(args, 'as') ?? 'memory' }),
        E.mapLeft((e) => inputError(e.message)),
      ),
    ),
  )

const addresses = (what: string, args: Args): E.Either<Failure, ReadonlyArray<bigint>> => {
  if (args.positionals.length === 0) return E.left(usageError(`expected at least one ${what}`))
  return E.sequenceArray(args.positionals.map((p) => parseAddressArg(what, p)))
}

/** Runs `translate`. */
export const translateCommand = (argv: ReadonlyArray<string>, io: Io): E.Either<Failure, string> =>
  pipe(
    parseArgs(SPEC)(argv),
    E.chain((args) =>
      pipe(
        addresses('GPA', args),
        E.chain((gs) =>
          pipe(
            loadMap(args, io),
            E.map((map) => {
              const rows = gs.map((g) => {
                const x = translationOfGpa(Gpa.unsafe(g))(map)
                return {
                  gpa: toHex(g),
                  region: x._tag === 'Unassigned' ? null : x.region.name,
                  offset: x._tag === 'Unassigned' ? null : toHex(x.offsetInRegion),
                  ramAddr: x._tag === 'Ram' ? toHex(x.ramAddr) : null,
                  block: x._tag === 'Ram' ? x.block.idstr : null,
                  ...(x._tag === 'Ram' && O.isSome(x.hva) ? { hva: toHex(x.hva.value) } : {}),
                  ...(x._tag !== 'Unassigned' && x.region.opaque === true
                    ? { assumed: true as const }
                    : {}),
                }
              })
              if (args.flags.has('json'))
                return (
                  JSON.stringify(
                    rows.map(({ block: _b, ...r }) => r),
                    null,
                    1,
                  ) + '\n'
                )
              return rows
                .map(
                  (r) =>
                    (r.region === null
                      ? `${r.gpa}: unassigned`
                      : r.ramAddr === null
                        ? `${r.gpa}: ${r.region} @${r.offset} (MMIO, no RAM)`
                        : `${r.gpa}: ${r.region} @${r.offset} -> ram_addr ${r.ramAddr} (${blockLabel(r.block ?? '')})${r.hva === undefined ? '' : ` hva ${r.hva}`}`) +
                    (r.assumed === true ? ` [assumed: ${r.region} is not in the dump]\n` : '\n'),
                )
                .join('')
            }),
          ),
        ),
      ),
    ),
  )

/**
 * A block's name in text output: `<unnamed>` for a block no device has named yet (QEMU's
 * `info ramblock` leaves its name blank; JSON output keeps the empty idstr).
 */
const blockLabel = (idstr: string): string => (idstr === '' ? '<unnamed>' : idstr)

/** Runs `gpas`. */
export const gpasCommand = (argv: ReadonlyArray<string>, io: Io): E.Either<Failure, string> =>
  pipe(
    parseArgs(SPEC)(argv),
    E.chain((args) =>
      pipe(
        addresses('RAMADDR', args),
        E.chain((rs) =>
          pipe(
            loadMap(args, io),
            E.chain((map) =>
              pipe(
                loadRamList(args, io),
                E.map((list) => {
                  const rows = rs.map((r) => {
                    const addr = RamAddr.unsafe(r)
                    const at = blockAt(addr)(list)
                    return {
                      ramAddr: toHex(r),
                      block: O.isSome(at) ? at.value.block.idstr : null,
                      offset: O.isSome(at) ? toHex(at.value.offset) : null,
                      gpas: gpasOfRamAddr(addr)(map).map(toHex),
                    }
                  })
                  if (args.flags.has('json')) return JSON.stringify(rows, null, 1) + '\n'
                  return rows
                    .map(
                      (r) =>
                        `${r.ramAddr}${r.block === null ? ' (no RAMBlock)' : ` (${blockLabel(r.block)} @${r.offset})`}: ${r.gpas.length === 0 ? 'not mapped' : r.gpas.join(' ')}\n`,
                    )
                    .join('')
                }),
              ),
            ),
          ),
        ),
      ),
    ),
  )
