/**
 * `ramaddr mirror plan …` and `ramaddr mirror after-move …`: a mirror VM's memslot table
 * for the main VM of an `info mtree` dump, its violations, and the repair after a move.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { toHex } from '../addresses/hex.js'
import type { Gpa } from '../addresses/kinds.js'
import { reportErrors } from '../addresses/report.js'
import { make as makePlatform, type Platform } from '../confidential/platform.js'
import { afterMove } from '../mirror/after-move.js'
import type { MirrorSlot } from '../mirror/mirror-slot.js'
import { plan, type Scheme } from '../mirror/plan.js'
import { TuplesCodec } from '../mirror/tuple.js'
import type { Violation } from '../mirror/violation.js'
import { make, type AddressMap } from '../translate/address-map.js'
import { lastOption, parseArgs, type Args } from './args.js'
import { applyMoves } from './flatview-cmd.js'
import * as jsonText from '../addresses/json-text.js'
import { inputError, usageError, type Failure, type Io } from './io.js'
import { loadRamList, loadTopology, parseAddressArg } from './load.js'

/** Usage text. */
export const MIRROR_USAGE = `usage: ramaddr mirror plan --mtree TREE --ramblock RAMBLOCK --scheme shifted|tuples
         [--shift N | --maxphyaddr N --reduction N [--cbitpos N]] [--tuples FILE]
         [--snp] [--vtom ADDR] [--helper-vcpus N | --no-helper] [--json]
       ramaddr mirror after-move (the same options) --move REGION=ADDR… [--json]

plan: the memslot table of a mirror VM for the main VM of the dump (address space
"memory"). Scheme "shifted" maps the main VM's RAM below 4 GiB 1:1 and every RAMBlock at
ram_addr_t + shift (--shift, or 2^(MAXPHYADDR - reduction - 1), or 4 GiB); scheme
"tuples" maps the (mainGpa, length, mirrorGpa) tuples of --tuples FILE, a JSON array of
{"mainGpa", "length", "mirrorGpa"} hex strings, over the RAM behind them. The helper's own
memory (--helper-vcpus mailboxes, default 1) goes at the top of the usable width, clear of
guest-visible memory. --snp checks SEV-SNP's one-GPA-per-page rule, --vtom the vTOM split.
On violations: exit 1; they are listed on stdout, one line each (with --json as
{"violations": [...]}), and stderr gets one line saying how many and the first. JSON table: [{"slot", "mirrorGpa", "size", "ramAddr", "source"}], hex strings,
source identity, shifted, tuple or helper.

after-move: applies --move REGION=ADDR to the dump and prints the tuples the move
invalidates and the mirror slot operations (size 0 deletes) that repair the plan.
`

const SPEC = {
  flags: ['json', 'snp', 'no-helper', 'strict'],
  options: [
    'mtree',
    'ramblock',
    'scheme',
    'shift',
    'maxphyaddr',
    'reduction',
    'cbitpos',
    'tuples',
    'vtom',
    'helper-vcpus',
    'move',
  ],
}

const intArg = (args: Args, name: string): E.Either<Failure, number | undefined> => {
  const v = lastOption(args, name)
  if (v === undefined) return E.right(undefined)
  return /^[0-9]{1,3}$/.test(v)
    ? E.right(Number(v))
    : E.left(usageError(`--${name}: expected a small decimal number, found ${JSON.stringify(v)}`))
}

const platformOf = (args: Args): E.Either<Failure, Platform | undefined> =>
  pipe(
    E.Do,
    E.bind('maxPhysAddr', () => intArg(args, 'maxphyaddr')),
    E.bind('reduction', () => intArg(args, 'reduction')),
    E.bind('cbitpos', () => intArg(args, 'cbitpos')),
    E.bind('vtom', () => {
      const v = lastOption(args, 'vtom')
      return v === undefined ? E.right(undefined) : parseAddressArg('--vtom', v)
    }),
    E.chain(({ maxPhysAddr, reduction, cbitpos, vtom }) => {
      const snp = args.flags.has('snp') || vtom !== undefined
      if (maxPhysAddr === undefined && reduction === undefined && !snp) return E.right(undefined)
      if ((maxPhysAddr === undefined) !== (reduction === undefined))
        return E.left(usageError('--maxphyaddr and --reduction go together'))
      const m = maxPhysAddr ?? 48
      const p: Platform = {
        kind: snp ? 'sev-snp' : 'sev',
        maxPhysAddr: m,
        reducedPhysBits: reduction ?? 1,
        cbitpos: cbitpos ?? m - 1,
        ...(vtom === undefined ? {} : { vtom: vtom as Gpa }),
      }
      return pipe(
        makePlatform(p),
        E.mapLeft((e) => inputError(e.message)),
      )
    }),
  )

const schemeOf = (args: Args, io: Io): E.Either<Failure, Scheme> => {
  const kind = lastOption(args, 'scheme')
  if (kind === 'shifted') {
    const s = lastOption(args, 'shift')
    if (lastOption(args, 'tuples') !== undefined)
      return E.left(usageError('--tuples goes with --scheme tuples'))
    return s === undefined
      ? E.right({ kind: 'shifted' })
      : pipe(
          parseAddressArg('--shift', s),
          E.map((shift): Scheme => ({ kind: 'shifted', shift })),
        )
  }
  if (kind === 'tuples') {
    const file = lastOption(args, 'tuples')
    if (file === undefined) return E.left(usageError('--scheme tuples needs --tuples FILE'))
    if (lastOption(args, 'shift') !== undefined)
      return E.left(usageError('--shift goes with --scheme shifted'))
    return pipe(
      io.readFile(file),
      E.mapLeft(inputError),
      E.chain((text) =>
        pipe(
          jsonText.parse(text),
          E.mapLeft((e) => inputError(`${file}: not JSON: ${e.message}`)),
        ),
      ),
      E.chain((json) =>
        pipe(
          TuplesCodec.decode(json),
          E.mapLeft((errs) => {
            const lines = reportErrors(errs)
            const more = lines.length > 1 ? ` (and ${lines.length - 1} more)` : ''
            return inputError(`${file}: ${lines[0] ?? 'not a tuple list'}${more}`)
          }),
        ),
      ),
      E.map((tuples): Scheme => ({ kind: 'tuples', tuples })),
    )
  }
  return E.left(usageError('--scheme must be shifted or tuples'))
}

const loadMap = (args: Args, io: Io, moves: ReadonlyArray<string>) =>
  pipe(
    E.Do,
    E.bind('topology', () => loadTopology(args, io)),
    E.bind('ramList', () => loadRamList(args, io)),
    E.bind('before', ({ topology, ramList }) =>
      pipe(
        make({ topology, ramList }),
        E.mapLeft((e) => inputError(e.message)),
      ),
    ),
    E.bind('after', ({ topology, ramList }) =>
      moves.length === 0
        ? E.right(undefined)
        : pipe(
            applyMoves(moves)(topology),
            E.chain((t) =>
              pipe(
                make({ topology: t, ramList }),
                E.mapLeft((e) => inputError(e.message)),
              ),
            ),
          ),
    ),
  )

const slotJson = (s: MirrorSlot) => ({
  slot: s.slot,
  mirrorGpa: toHex(s.mirrorGpa),
  size: toHex(s.size),
  ramAddr: toHex(s.ramAddr),
  source: s.source,
})

/** A violation as JSON: its fields, bigints (also inside ranges) as hex strings. */
const violationJson = (v: Violation): Record<string, unknown> => {
  const conv = (x: unknown): unknown =>
    typeof x === 'bigint'
      ? toHex(x)
      : Array.isArray(x)
        ? x.map(conv)
        : typeof x === 'object' && x !== null
          ? Object.fromEntries(Object.entries(x).map(([k, y]) => [k, conv(y)]))
          : x
  return conv(v) as Record<string, unknown>
}

const report = (io: Io, json: boolean, violations: ReadonlyArray<Violation>): Failure => {
  if (json) io.stdout(JSON.stringify({ violations: violations.map(violationJson) }, null, 1) + '\n')
  else io.stdout(violations.map((v) => `${v.kind}: ${v.message}\n`).join(''))
  const first = violations[0]
  const firstText = first === undefined ? '' : `${first.kind}: ${first.message}`
  return inputError(
    `${violations.length} violation${violations.length === 1 ? '' : 's'}, listed on standard output; the first: ${firstText.length > 200 ? firstText.slice(0, 200) + '…' : firstText}`,
  )
}

const slotLine = (s: MirrorSlot): string =>
  `Slot#${s.slot} mirror=${toHex(s.mirrorGpa)} size=${toHex(s.size)} ram_addr=${toHex(s.ramAddr)} ${s.source} (${s.block})\n`

/** Runs `mirror plan|after-move`. */
export const mirrorCommand = (argv: ReadonlyArray<string>, io: Io): E.Either<Failure, string> => {
  const [sub, ...rest] = argv
  if (sub !== 'plan' && sub !== 'after-move')
    return E.left(usageError('expected a subcommand: plan or after-move'))
  return pipe(
    parseArgs(SPEC)(rest),
    E.chain((args) => {
      if (args.positionals.length > 0)
        return E.left(usageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`))
      const moves = args.options.get('move') ?? []
      if (sub === 'plan' && moves.length > 0)
        return E.left(usageError('--move goes with mirror after-move'))
      if (sub === 'after-move' && moves.length === 0)
        return E.left(usageError('mirror after-move needs --move REGION=ADDR'))
      const json = args.flags.has('json')
      return pipe(
        E.Do,
        E.bind('platform', () => platformOf(args)),
        E.bind('scheme', () => schemeOf(args, io)),
        E.bind('vcpus', () => intArg(args, 'helper-vcpus')),
        E.bind('maps', () => loadMap(args, io, moves)),
        E.chain(({ platform, scheme, vcpus, maps }) => {
          const result = plan({
            map: maps.before,
            scheme,
            ...(platform === undefined ? {} : { platform }),
            ...(args.flags.has('no-helper') ? {} : { helper: { vcpus: vcpus ?? 1 } }),
          })
          if (sub === 'plan') {
            if (result.violations.length > 0) return E.left(report(io, json, result.violations))
            return E.right(
              json
                ? JSON.stringify(result.plan.slots.map(slotJson), null, 1) + '\n'
                : result.plan.slots.map(slotLine).join(''),
            )
          }
          return E.right(afterMoveOutput(maps.after as AddressMap, scheme, result, json))
        }),
      )
    }),
  )
}

const afterMoveOutput = (
  after: AddressMap,
  scheme: Scheme,
  before: ReturnType<typeof plan>,
  json: boolean,
): string => {
  const r = afterMove(after, scheme)(before.plan)
  if (json)
    return (
      JSON.stringify(
        {
          invalidated: r.invalidated.map((i) => ({
            tuple: i.tuple,
            changed: i.changed.map((c) => ({
              start: toHex(c.start),
              size: toHex(c.end - c.start),
            })),
          })),
          ops: r.ops.map((o) => ({
            slot: o.slot,
            mirrorGpa: toHex(o.mirrorGpa),
            size: toHex(o.size),
            ramAddr: toHex(o.ramAddr),
            flags: o.flags,
          })),
          violations: r.violations.map(violationJson),
        },
        null,
        1,
      ) + '\n'
    )
  return [
    ...r.invalidated.map(
      (i) =>
        `invalidated tuple ${i.tuple}: ${i.changed.map((c) => `${toHex(c.start)}-${toHex(c.end - 1n)}`).join(', ')}\n`,
    ),
    ...r.ops.map(
      (o) =>
        `${o.size === 0n ? 'delete' : 'add   '} Slot#${o.slot} mirror=${toHex(o.mirrorGpa)} size=${toHex(o.size)} ram_addr=${toHex(o.ramAddr)}\n`,
    ),
    ...r.violations.map((v) => `unrepaired ${v.kind}: ${v.message}\n`),
    ...(r.invalidated.length === 0 && r.ops.length === 0 ? ['no mirror slot changes\n'] : []),
  ].join('')
}
