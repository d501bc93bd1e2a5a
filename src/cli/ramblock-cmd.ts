/**
 * `ramaddr ramblock FILE [--json]` and `ramaddr ramblock --allocate NAME:USED[:MAX]…
 * [--json]`.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { parseSize } from '../addresses/size-text.js'
import { toJson } from '../ramblock/codec.js'
import { addAll, empty, type RAMBlockSpec, type RamList } from '../ramblock/ram-list.js'
import { format, parseDump, type RamblockDialect } from '../qemu/info-ramblock.js'
import { splitLines } from '../addresses/text-error.js'
import { lastOption, parseArgs, type Args } from './args.js'
import { inputError, usageError, type Failure, type Io } from './io.js'

/** Usage text. */
export const RAMBLOCK_USAGE = `usage: ramaddr ramblock FILE [--dialect classic|hva-ro] [--json]
       ramaddr ramblock --allocate NAME:USED[:MAX] [--allocate …] [--json]

Print an \`info ramblock\` dump of any QEMU (2.10 on), byte for byte in the dialect it
came in (classic, or hva-ro with the HVA and RO columns of QEMU 8.0 on) or in the one
--dialect names (FILE - reads standard input), or allocate
blocks in the given order on a fresh RAM list, as QEMU's find_ram_offset does, and
print the table QEMU would. Sizes are hex (0x…) or decimal with K/M/G/T suffixes; they
are read from the right, so NAME may contain colons (0000:00:02.0/vga.vram:16M).
A block given MAX is resizeable, as fw_cfg ROM blobs are. An empty NAME (:256M) is a
memory backend's block that no device has named yet (QEMU prints its name blank).
`

/**
 * A `NAME:USED[:MAX]` allocation argument. The size fields are read from the right: the
 * last field is a size; the one before it is too when it parses as a size and the name
 * left over is not empty. An empty name (`:256M`) is a block no device has named yet.
 *
 * @example
 * import * as cli from 'ramaddr/cli'
 * import * as either from 'fp-ts/lib/Either.js'
 * assert.deepEqual(cli.parseAllocation('0000:00:02.0/vga.vram:16M'), either.right({ idstr: '0000:00:02.0/vga.vram', usedLength: 0x1000000n }))
 * assert.deepEqual(cli.parseAllocation('/rom@etc/acpi/tables:128K:2M'), either.right({ idstr: '/rom@etc/acpi/tables', usedLength: 0x20000n, maxLength: 0x200000n }))
 */
export const parseAllocation = (arg: string): E.Either<string, RAMBlockSpec> => {
  const parts = arg.split(':')
  if (parts.length < 2) return E.left(`--allocate ${arg}: expected NAME:USED[:MAX]`)
  const lastText = parts[parts.length - 1] ?? ''
  const last = parseSize(lastText)
  if (E.isLeft(last)) return E.left(`--allocate ${arg}: ${last.left}`)
  if (parts.length >= 3) {
    const prev = parseSize(parts[parts.length - 2] ?? '')
    const name = parts.slice(0, -2).join(':')
    if (E.isRight(prev) && name.length > 0)
      return E.right({ idstr: name, usedLength: prev.right, maxLength: last.right })
  }
  // an empty NAME (`:256M`) is a block no device has named yet, as a memory backend's
  return E.right({ idstr: parts.slice(0, -1).join(':'), usedLength: last.right })
}

const printList = (
  args: Args,
  list: RamList,
  eol: '\r\n' | '\n',
  dialect: RamblockDialect = 'classic',
): string =>
  args.flags.has('json')
    ? JSON.stringify(list.blocks.map(toJson), null, 1) + '\n'
    : format({ eol, dialect })(list)

/** Runs the subcommand; returns what to print on stdout. */
export const ramblockCommand = (argv: ReadonlyArray<string>, io: Io): E.Either<Failure, string> =>
  pipe(
    parseArgs({ flags: ['json'], options: ['allocate', 'dialect'] })(argv),
    E.chain((args) => {
      const dialectArg = lastOption(args, 'dialect')
      if (dialectArg !== undefined && dialectArg !== 'classic' && dialectArg !== 'hva-ro')
        return E.left(usageError(`--dialect must be classic or hva-ro, not ${dialectArg}`))
      const allocations = args.options.get('allocate') ?? []
      if (allocations.length > 0) {
        if (args.positionals.length > 0)
          return E.left(usageError('give either FILE or --allocate, not both'))
        const specs = allocations.map(parseAllocation)
        const bad = specs.find(E.isLeft)
        if (bad !== undefined) return E.left(usageError(bad.left))
        return pipe(
          empty(),
          addAll(specs.filter(E.isRight).map((s) => s.right)),
          E.bimap(
            (e) => inputError(e.message),
            (list) => printList(args, list, '\r\n', dialectArg),
          ),
        )
      }
      const [file, ...rest] = args.positionals
      if (file === undefined || rest.length > 0)
        return E.left(usageError('expected exactly one FILE (or --allocate)'))
      return pipe(
        io.readFile(file),
        E.mapLeft(inputError),
        E.chain((text) =>
          pipe(
            parseDump(text),
            E.bimap(
              (e) => inputError(`${file}: ${e.message}`),
              (dump) =>
                printList(args, dump.list, splitLines(text).eol, dialectArg ?? dump.dialect),
            ),
          ),
        ),
      )
    }),
  )
