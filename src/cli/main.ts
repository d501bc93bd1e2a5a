/**
 * The `ramaddr` command line: subcommands over the library, `--json` where they print
 * data; exit 0 on success, 1 on bad input (one line on stderr), 2 on bad usage.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { USAGE, VERSION } from './usage.js'
import { EXIT_INPUT, EXIT_OK, EXIT_USAGE, type Failure, type Io } from './io.js'
import { flattenLines } from '../addresses/show-error.js'
import { RAMBLOCK_USAGE, ramblockCommand } from './ramblock-cmd.js'
import { FLATVIEW_USAGE, flatviewCommand } from './flatview-cmd.js'
import { GPAS_USAGE, TRANSLATE_USAGE, gpasCommand, translateCommand } from './translate-cmd.js'
import { KVM_SLOTS_USAGE, kvmSlotsCommand } from './kvm-slots-cmd.js'
import { QMP_USAGE, qmpCommand } from './qmp-cmd.js'
import { XEN_USAGE, xenCommand } from './xen-cmd.js'
import { DRAW_USAGE, drawCommand } from './draw-cmd.js'
import { MIRROR_USAGE, mirrorCommand } from './mirror-cmd.js'
import { MIGSTREAM_USAGE, migstreamCommand } from './migstream-cmd.js'

type Command = {
  readonly usage: string
  readonly run: (argv: ReadonlyArray<string>, io: Io) => E.Either<Failure, string>
}

const COMMANDS: Readonly<Record<string, Command>> = {
  ramblock: { usage: RAMBLOCK_USAGE, run: ramblockCommand },
  flatview: { usage: FLATVIEW_USAGE, run: flatviewCommand },
  translate: { usage: TRANSLATE_USAGE, run: translateCommand },
  gpas: { usage: GPAS_USAGE, run: gpasCommand },
  'kvm-slots': { usage: KVM_SLOTS_USAGE, run: kvmSlotsCommand },
  xen: { usage: XEN_USAGE, run: xenCommand },
  draw: { usage: DRAW_USAGE, run: drawCommand },
  mirror: { usage: MIRROR_USAGE, run: mirrorCommand },
}

/**
 * {@link run}, plus the commands that talk to a live QEMU (`qmp`), which are
 * asynchronous.
 */
export const runAsync = async (argv: ReadonlyArray<string>, io: Io): Promise<number> => {
  if (argv[0] === 'migstream') {
    const rest = argv.slice(1)
    if (rest.includes('-h') || rest.includes('--help')) {
      io.stdout(MIGSTREAM_USAGE)
      return EXIT_OK
    }
    return report('migstream', MIGSTREAM_USAGE, await migstreamCommand(rest, io), io)
  }
  if (argv[0] !== 'qmp') return run(argv, io)
  if (argv.includes('-h') || argv.includes('--help')) {
    io.stdout(QMP_USAGE)
    return EXIT_OK
  }
  return qmpCommand(argv.slice(1), io, run)
}

/**
 * Runs the CLI on `argv` (without the node and script paths) and returns the exit status.
 *
 * @example
 * import * as cli from 'ramaddr/cli'
 * let out = ''
 * const io = { readFile: () => { throw new Error('unused') }, stdout: (s) => { out += s }, stderr: () => {} }
 * assert.equal(cli.run(['ramblock', '--allocate', 'pc.ram:128M', '--json'], io), 0)
 * assert.deepEqual(JSON.parse(out), [{ name: 'pc.ram', pageSize: '0x1000', offset: '0x0', used: '0x8000000', max: '0x8000000' }])
 */
export const run = (argv: ReadonlyArray<string>, io: Io): number => {
  const [name, ...rest] = argv
  if (name === undefined) {
    io.stderr(USAGE)
    return EXIT_USAGE
  }
  if (name === '-h' || name === '--help' || name === 'help') {
    io.stdout(USAGE)
    return EXIT_OK
  }
  if (name === '--version') {
    io.stdout(VERSION + '\n')
    return EXIT_OK
  }
  // own keys only: a name like `valueOf` or `__proto__` is an unknown command, not Object.prototype's
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  if (name === 'migstream') {
    io.stderr(`ramaddr migstream: reads its stream asynchronously: call runAsync\n`)
    return EXIT_USAGE
  }
  if (command === undefined) {
    io.stderr(`ramaddr: unknown command ${JSON.stringify(name)} (try ramaddr --help)\n`)
    return EXIT_USAGE
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    io.stdout(command.usage)
    return EXIT_OK
  }
  return report(name, command.usage, command.run(rest, io), io)
}

/** Prints a command's result and returns the exit status. */
const report = (name: string, usage: string, result: E.Either<Failure, string>, io: Io): number => {
  if (E.isRight(result)) {
    io.stdout(result.right)
    return EXIT_OK
  }
  // one line, and a bounded one: a message quoting input never floods the terminal
  const flat = flattenLines(result.left.message)
  const oneLine = flat.length > 1000 ? flat.slice(0, 1000) + '…' : flat
  if (result.left._tag === 'Usage') {
    io.stderr(`ramaddr ${name}: ${oneLine}\n${usage}`)
    return EXIT_USAGE
  }
  io.stderr(`ramaddr ${name}: ${oneLine}\n`)
  return EXIT_INPUT
}
