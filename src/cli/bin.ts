/**
 * The process entry of `bin/ramaddr`. The top-level help and `--version` load only their
 * text; a command loads the CLI.
 *
 * @module
 */
import { USAGE, VERSION } from './usage.js'
import type { Command } from './command.js'

/**
 * The synchronous commands, each loaded on its own (in the bundle, a module's code runs
 * only when it is imported): a command does not pay for the others' start-up.
 */
const LAZY: Readonly<Record<string, () => Promise<Command>>> = {
  ramblock: () =>
    import('./ramblock-cmd.js').then((m) => ({ usage: m.RAMBLOCK_USAGE, run: m.ramblockCommand })),
  flatview: () =>
    import('./flatview-cmd.js').then((m) => ({ usage: m.FLATVIEW_USAGE, run: m.flatviewCommand })),
  translate: () =>
    import('./translate-cmd.js').then((m) => ({
      usage: m.TRANSLATE_USAGE,
      run: m.translateCommand,
    })),
  gpas: () =>
    import('./translate-cmd.js').then((m) => ({ usage: m.GPAS_USAGE, run: m.gpasCommand })),
  'kvm-slots': () =>
    import('./kvm-slots-cmd.js').then((m) => ({
      usage: m.KVM_SLOTS_USAGE,
      run: m.kvmSlotsCommand,
    })),
}

const argv = process.argv.slice(2)
const first = argv[0]
if (first === undefined) {
  process.stderr.write(USAGE)
  process.exitCode = 2
} else if (argv.length === 1 && (first === '-h' || first === '--help' || first === 'help')) {
  process.stdout.write(USAGE)
} else if (argv.length === 1 && first === '--version') {
  process.stdout.write(VERSION + '\n')
} else if (Object.hasOwn(LAZY, first)) {
  const [command, { runCommand }, { nodeIo }] = await Promise.all([
    (LAZY[first] as () => Promise<Command>)(),
    import('./command.js'),
    import('./io.js'),
  ])
  process.exitCode = runCommand(first, command, argv.slice(1), nodeIo)
} else {
  const [{ runAsync }, { nodeIo }] = await Promise.all([import('./main.js'), import('./io.js')])
  process.exitCode = await runAsync(argv, nodeIo)
}
