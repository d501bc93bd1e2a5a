/**
 * `ramaddr draw --mtree TREE --ramblock RAMBLOCK [--learn FLAT] [--as NAME]
 * [--move REGION=ADDR]…`: an SVG picture of the map.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { picture } from '../draw/picture.js'
import { make } from '../translate/address-map.js'
import type { RamList } from '../ramblock/ram-list.js'
import type { Topology } from '../region/topology.js'
import { lastOption, parseArgs } from './args.js'
import { applyMoves } from './flatview-cmd.js'
import { inputError, usageError, type Failure, type Io } from './io.js'
import { loadRamList, loadTopology } from './load.js'

/** Usage text. */
export const DRAW_USAGE = `usage: ramaddr draw --mtree TREE --ramblock RAMBLOCK [--learn FLAT] [--as NAME]
                    [--move REGION=ADDR]… > map.svg

Draw the guest-physical map of address space NAME (default memory) beside ram_addr_t
space as SVG: a box per flat range (RAM and ROM coloured by their RAMBlock, I/O grey),
a box per RAMBlock, a band from each RAM-backed GPA range to the ram_addr_t it maps,
ranges seen through an alias dashed and labelled. With --move (REGION=ADDR, a BAR move,
as for flatview), the moved region's new place is highlighted and its old place shown.
The vertical scale is piecewise (log-like per range, gaps compressed), not linear.
`

const mapOf = (topology: Topology, ramList: RamList, as: string) =>
  pipe(
    make({ topology, ramList, addressSpace: as }),
    E.mapLeft((e) => inputError(e.message)),
  )

/** Runs the subcommand. */
export const drawCommand = (argv: ReadonlyArray<string>, io: Io): E.Either<Failure, string> =>
  pipe(
    parseArgs({ flags: ['strict'], options: ['mtree', 'ramblock', 'learn', 'as', 'move'] })(argv),
    E.chain((args) => {
      if (args.positionals.length > 0)
        return E.left(usageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`))
      const moves = args.options.get('move') ?? []
      const as = lastOption(args, 'as') ?? 'memory'
      return pipe(
        E.Do,
        E.bind('topology', () => loadTopology(args, io)),
        E.bind('ramList', () => loadRamList(args, io)),
        E.bind('moved', ({ topology }) => applyMoves(moves)(topology)),
        E.bind('after', ({ moved, ramList }) => mapOf(moved, ramList, as)),
        E.bind('before', ({ topology, ramList }) =>
          moves.length === 0 ? E.right(undefined) : mapOf(topology, ramList, as),
        ),
        E.map(({ after, before }) => picture(after, before, moves)),
      )
    }),
  )
