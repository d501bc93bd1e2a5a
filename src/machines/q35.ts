/**
 * The RAMBlocks of a default Q35 machine as QEMU 7.2 creates them, in creation order:
 * `qemu-system-x86_64 -machine q35 -m 512M -device VGA,addr=02.0 -device
 * virtio-net-pci,addr=03.0` (recorded in test/fixtures/qemu-7.2/q35-512m-vga-net).
 *
 * @module
 */
import type { RAMBlockSpec } from '../ramblock/ram-list.js'
import type { Dumps } from '../qemu/machine.js'
import { Q35_MTREE_D, Q35_MTREE_F, Q35_RAMBLOCK } from './q35-recorded.js'

/** The blocks, in the order QEMU allocates them; fw_cfg ROM blobs are resizeable. */
export const Q35_512M_VGA_NET: ReadonlyArray<RAMBlockSpec> = [
  { idstr: 'pc.ram', usedLength: 0x20000000n },
  { idstr: 'pc.bios', usedLength: 0x40000n },
  { idstr: 'pc.rom', usedLength: 0x20000n },
  { idstr: '0000:00:02.0/vga.vram', usedLength: 0x1000000n },
  { idstr: '0000:00:02.0/vga.rom', usedLength: 0x10000n },
  { idstr: '0000:00:03.0/virtio-net-pci.rom', usedLength: 0x40000n },
  { idstr: '/rom@etc/acpi/tables', usedLength: 0x20000n, maxLength: 0x200000n },
  { idstr: '/rom@etc/table-loader', usedLength: 0x1000n, maxLength: 0x10000n },
  { idstr: '/rom@etc/acpi/rsdp', usedLength: 0x1000n, maxLength: 0x1000n },
]

/**
 * The three dumps of that machine at boot under QEMU 7.2 TCG (`info mtree -D`,
 * `info mtree -f`, `info ramblock`), ready for `machines.fromDumps`.
 */
export const Q35: Required<Dumps> = {
  mtree: Q35_MTREE_D,
  flat: Q35_MTREE_F,
  ramblock: Q35_RAMBLOCK,
}
