/**
 * `npm start`: a tour of the library on a built-in Q35 machine recorded from QEMU 7.2.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { pipe } from 'fp-ts/lib/function.js'
import { toHex } from '../addresses/hex.js'
import { Gpa, RamAddr } from '../addresses/kinds.js'
import { diff } from '../flatview/diff.js'
import { Q35_512M_VGA_NET } from '../machines/q35.js'
import { Q35_MTREE_D, Q35_RAMBLOCK } from '../machines/q35-recorded.js'
import { format, parse as parseRamblock } from '../qemu/info-ramblock.js'
import { viewLines } from '../qemu/mtree-flat.js'
import { parse as parseMtree } from '../qemu/mtree-parse.js'
import { addAll, blockAt, empty, lastRamPage } from '../ramblock/ram-list.js'
import { setAddress } from '../region/topology.js'
import { resolveRef } from '../region/region-ref.js'
import { make, gpasOfRamAddr, translationOfGpa, type AddressMap } from '../translate/address-map.js'
import * as tracker from '../dirty/tracker.js'
import { make as makePlatform } from '../confidential/platform.js'
import { plan } from '../mirror/plan.js'
import { mirrorGpasOfMain } from '../mirror/translate.js'

const say = (s = ''): void => {
  process.stdout.write(s + '\n')
}

const describe = (map: AddressMap, gpa: bigint): string => {
  const x = translationOfGpa(Gpa.unsafe(gpa))(map)
  const head = toHex(gpa).padStart(12)
  switch (x._tag) {
    case 'Unassigned':
      return `${head}  unassigned`
    case 'Mmio':
      return `${head}  ${x.region.name} +${toHex(x.offsetInRegion)} (MMIO: no RAM behind it)`
    case 'Ram':
      return `${head}  ${x.region.name} +${toHex(x.offsetInRegion)} -> ram_addr_t ${toHex(x.ramAddr)} (block ${x.block.idstr}${x.readonly ? ', read-only' : ''})`
  }
}

const run = (): E.Either<string, void> => {
  say('ramaddr demo: a Q35 machine as QEMU 7.2 builds it')
  say('  qemu-system-x86_64 -machine q35 -m 512M -device VGA -device virtio-net-pci')
  say()
  say("1. RAMBlocks, allocated in creation order with QEMU's find_ram_offset")
  say('   (best-fit gap after a block, starts rounded up to 64 target pages = 256 KiB):')
  say()
  const allocated = pipe(empty(), addAll(Q35_512M_VGA_NET))
  if (E.isLeft(allocated)) return E.left(allocated.left.message)
  process.stdout.write(format({ eol: '\n' })(allocated.right))
  say(`   last_ram_page = ${toHex(lastRamPage(allocated.right))}: identical to what QEMU printed.`)
  say()

  const t = parseMtree(Q35_MTREE_D)
  const list = parseRamblock(Q35_RAMBLOCK)
  if (E.isLeft(t)) return E.left(t.left.message)
  if (E.isLeft(list)) return E.left(list.left.message)
  const map = make({ topology: t.right, ramList: list.right })
  if (E.isLeft(map)) return E.left(map.left.message)
  say('2. Its guest-physical map after firmware-style BAR programming (info mtree -f, AS memory):')
  say()
  for (const l of viewLines(map.right.topology, {
    view: map.right.view,
    addressSpaces: [
      {
        name: 'memory',
        root: t.right.addressSpaces.find((a) => a.name === 'memory')?.root ?? (0 as never),
      },
    ],
  }))
    say(l)
  say()
  say('3. GPA -> region -> ram_addr_t:')
  for (const g of [0x0n, 0xe0000n, 0x7ff000n, 0xfd000000n, 0xfe000000n, 0x30000000n])
    say('  ' + describe(map.right, g))
  say()
  const bios = RamAddr.unsafe(0x20020000n)
  const at = blockAt(bios)(list.right)
  say(
    `4. ram_addr_t -> every GPA mapping it: ${toHex(bios)} (${O.isSome(at) ? `${at.value.block.idstr} +${toHex(at.value.offset)}` : '?'}) is seen at`,
  )
  say(
    `   ${gpasOfRamAddr(bios)(map.right).map(toHex).join(' and ')} (isa-bios alias and the BIOS window at 4 GiB)`,
  )
  say()
  say('5. Move the VGA framebuffer BAR from 0xfd000000 to 0xe0000000 (a PCI config write):')
  const moved = pipe(
    resolveRef('vga.vram')(t.right),
    E.chain((r) => setAddress(r.id, 0xe0000000n)(t.right)),
    E.mapLeft((e) => e.message),
    E.chain((t2) =>
      pipe(
        make({ topology: t2, ramList: list.right }),
        E.mapLeft((e) => e.message),
      ),
    ),
  )
  if (E.isLeft(moved)) return moved
  for (const c of diff(map.right.view)(moved.right.view))
    say(`   ${c.kind.padEnd(11)} ${toHex(c.start)}-${toHex(c.end - 1n)}`)
  say('   ' + describe(map.right, 0xfd000000n).trim() + '   (before)')
  say('   ' + describe(moved.right, 0xe0000000n).trim() + '   (after)')
  say('   The RAM moved in guest-physical space; its ram_addr_t, and so every dirty bitmap')
  say('   keyed by it, did not.')
  say()
  say('6. Dirty tracking through KVM across that move (dirty bitmap, manual protect):')
  // Dirty pages as runs of ram_addr_t: "start-end (n pages)".
  const pagesOf = (ps: ReadonlyArray<number>): string => {
    const runs: Array<[number, number]> = []
    for (const p of ps) {
      const last = runs[runs.length - 1]
      if (last !== undefined && last[1] === p) last[1] = p + 1
      else runs.push([p, p + 1])
    }
    return (
      runs
        .map(
          ([a, b]) =>
            `${toHex(BigInt(a) << 12n)}${b - a > 1 ? `-${toHex((BigInt(b) << 12n) - 1n)}` : ''} (${b - a} page${b - a > 1 ? 's' : ''})`,
        )
        .join(', ') || '(none)'
    )
  }
  const tracked = pipe(
    tracker.start({
      mode: { kind: 'bitmap', manualProtect: true, initiallySet: true },
    })(t.right, list.right),
    E.chain(tracker.migrationRound()),
    E.chain(({ tracker: tr, pages }) => {
      say(`   first round sends all ${pages.length} pages of RAM (the bitmap starts all dirty)`)
      return pipe(
        E.right(tr),
        E.chain(tracker.guestWrite(0, Gpa.unsafe(0x1000n))),
        E.chain(tracker.guestWrite(0, Gpa.unsafe(0xfd000000n))),
        E.chain(tracker.changeTopology(moved.right.topology)),
        E.chain(tracker.guestWrite(0, Gpa.unsafe(0xe0001000n))),
        E.chain(tracker.migrationRound()),
      )
    }),
    E.mapLeft((e) => e.message),
  )
  if (E.isLeft(tracked)) return tracked
  say('   guest writes GPA 0x1000, then 0xfd000000 (VGA BAR), the BAR moves, then 0xe0001000')
  say(`   next round's dirty ram_addr_t: ${pagesOf(tracked.right.pages)}`)
  say('   KVM deleted the VGA slot for the move; QEMU synced its log first, so nothing was lost,')
  say('   and both framebuffer writes land on vga.vram whatever its BAR said. (The whole')
  say('   framebuffer is dirty: the new slot starts all-dirty, KVM_DIRTY_LOG_INITIALLY_SET.)')
  say()
  say(
    '7. A mirror VM for SEV migration (MAXPHYADDR 48, reduction 5): RAMBlocks at ram_addr_t + 2^42',
  )
  const sev = makePlatform({ kind: 'sev', cbitpos: 47, reducedPhysBits: 5, maxPhysAddr: 48 })
  if (E.isLeft(sev)) return E.left(sev.left.message)
  const mirrored = plan({
    map: moved.right,
    scheme: { kind: 'shifted' },
    platform: sev.right,
    helper: { vcpus: 2 },
  })
  for (const sl of mirrored.plan.slots.filter((x) => x.source !== 'identity'))
    say(
      `   Slot#${String(sl.slot).padEnd(2)} mirror ${toHex(sl.mirrorGpa).padStart(15)} size ${toHex(sl.size).padStart(10)} <- ram_addr_t ${toHex(sl.ramAddr).padStart(10)} ${sl.source} ${sl.block}`,
    )
  say(
    `   (+ ${mirrored.plan.slots.filter((x) => x.source === 'identity').length} slots mapping the low 4 GiB 1:1; ${mirrored.violations.length} violations)`,
  )
  say(
    `   main GPA 0xe0000000 (the moved framebuffer) is mirror GPA ${mirrorGpasOfMain(Gpa.unsafe(0xe0000000n))(mirrored.plan).map(toHex).join(' and ')}`,
  )
  return E.right(undefined)
}

const result = run()
if (E.isLeft(result)) {
  process.stderr.write(`demo failed: ${result.left}\n`)
  process.exitCode = 1
}
