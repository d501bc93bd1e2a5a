/**
 * `npm start`: a tour of the library on a built-in default Q35 machine.
 *
 * @module
 */
import { either as E } from 'fp-ts'
import { pipe } from 'fp-ts/lib/function.js'
import { Q35_512M_VGA_NET } from '../machines/q35.js'
import { addAll, empty, lastRamPage } from '../ramblock/ram-list.js'
import { format } from '../qemu/info-ramblock.js'

const say = (s: string): void => {
  process.stdout.write(s + '\n')
}

say('ramaddr demo: a default Q35 machine')
say('  qemu-system-x86_64 -machine q35 -m 512M -device VGA -device virtio-net-pci')
say('')
say("RAMBlocks, allocated in creation order with QEMU 7.2's find_ram_offset")
say('(best-fit gap, every block start rounded up to 64 target pages = 256 KiB):')
say('')
pipe(
  empty(),
  addAll(Q35_512M_VGA_NET),
  E.match(
    (e) => {
      process.stderr.write(`demo failed: ${e.message}\n`)
      process.exitCode = 1
    },
    (list) => {
      say('$ info ramblock')
      process.stdout.write(format({ eol: '\n' })(list))
      say('')
      say(
        `last_ram_page = 0x${lastRamPage(list).toString(16)} (dirty bitmaps cover this many 4 KiB pages)`,
      )
      say('These offsets are exactly what QEMU 7.2 printed for this machine; see')
      say('test/fixtures/qemu-7.2/q35-512m-vga-net/00-ramblock.txt and the conformance tests.')
    },
  ),
)
