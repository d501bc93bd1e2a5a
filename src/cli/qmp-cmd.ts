/**
 * `ramaddr qmp SOCKET COMMAND [ARGS…]`: the map commands on a running QEMU, reading
 * `info mtree -D`, `info mtree -f` (to learn from) and `info ramblock` over QMP.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { dump } from '../node/qmp.js'
import { EXIT_INPUT, EXIT_USAGE, type Io } from './io.js'

/** Usage text. */
export const QMP_USAGE = `usage: ramaddr qmp SOCKET flatview|translate|gpas|kvm-slots|ramblock [ARGS…]

Run a map command on a live QEMU: its QMP socket (-qmp unix:PATH,server=on,wait=off)
gives info mtree -D, info mtree -f and info ramblock through human-monitor-command,
and the command runs on them as on files (--mtree, --learn and --ramblock are filled in).
Example: ramaddr qmp /tmp/qmp.sock translate --json 0xfd000000
`

const SUBCOMMANDS = ['flatview', 'translate', 'gpas', 'kvm-slots', 'ramblock']

/** Runs the subcommand, handing the text to `run` through an in-memory Io. */
export const qmpCommand = async (
  argv: ReadonlyArray<string>,
  io: Io,
  run: (argv: ReadonlyArray<string>, io: Io) => number,
): Promise<number> => {
  const [socket, sub, ...rest] = argv
  if (socket === undefined || sub === undefined || !SUBCOMMANDS.includes(sub)) {
    io.stderr(`ramaddr qmp: expected SOCKET and one of ${SUBCOMMANDS.join(', ')}\n${QMP_USAGE}`)
    return EXIT_USAGE
  }
  const live = await dump(socket)()
  if (E.isLeft(live)) {
    io.stderr(`ramaddr qmp: ${live.left.message}\n`)
    return EXIT_INPUT
  }
  const files: Record<string, string> = {
    'qmp:info-mtree-D': live.right.mtreeD,
    'qmp:info-mtree-f': live.right.mtreeF,
    'qmp:info-ramblock': live.right.ramblock,
  }
  const virtual: Io = {
    ...io,
    // own entries only: a path named like an Object.prototype member is a file
    readFile: (path) => {
      const text = Object.hasOwn(files, path) ? files[path] : undefined
      return text === undefined ? io.readFile(path) : E.right(text)
    },
  }
  const args =
    sub === 'ramblock'
      ? [sub, 'qmp:info-ramblock', ...rest]
      : sub === 'flatview'
        ? [sub, '--mtree', 'qmp:info-mtree-D', '--learn', 'qmp:info-mtree-f', ...rest]
        : [
            sub,
            '--mtree',
            'qmp:info-mtree-D',
            '--learn',
            'qmp:info-mtree-f',
            '--ramblock',
            'qmp:info-ramblock',
            ...rest,
          ]
  return run(args, virtual)
}
