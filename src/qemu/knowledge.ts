/**
 * What `info mtree` does not say about a region, read from QEMU 7.2's sources and
 * applied by name when a tree is parsed. Each entry names the QEMU file that makes the
 * region so. A region not listed here defaults as the fixtures README advises: an `i/o`
 * region with subregions is a pure container, one without is an I/O region.
 *
 * @module
 */

/** What the parser should assume for regions of some names. */
export interface RegionKnowledge {
  /** `i/o` regions with subregions that terminate (fill their gaps in the flat view). */
  readonly terminatingIo: ReadonlySet<string>
  /** Aliases made read-only (`memory_region_set_readonly` on the alias). */
  readonly readonlyAliases: ReadonlySet<string>
  /** Regions printed `X-X` that are 0 bytes long rather than 1 (`MR_SIZE(0)` is 0). */
  readonly zeroSize: ReadonlySet<string>
  /** Regions with explicit dirty logging for the VGA client (`memory_region_set_log`). */
  readonly vgaLogging: ReadonlySet<string>
}

/**
 * QEMU 7.2 facts:
 * - `io`: the ISA I/O space, `memory_region_init_io` with unassigned ops (hw/i386/pc_piix.c,
 *   pc_q35.c), so port ranges no device claims show as `io @offset`;
 * - `rtc`: `memory_region_init_io` with a coalesced `rtc-index` subregion
 *   (hw/rtc/mc146818rtc.c);
 * - `vga.mmio`: the VGA BAR2 I/O region holding edid, ioports and bochs dispi windows
 *   (hw/display/vga-pci.c);
 * - `pam-rom` aliases are read-only (hw/pci-host/pam.c `init_pam`); so is `isa-bios`
 *   (hw/i386/x86.c `x86_bios_rom_init`);
 * - `tseg-blackhole` and `tseg-window` start 0 bytes long (hw/pci-host/q35.c), and a PCI
 *   bridge's closed window is a 0-byte alias (`pci_bridge_init_alias` in
 *   hw/pci/pci_bridge.c sizes it `limit + 1 - base`, or 0 when limit < base; an open
 *   window is never 1 byte);
 * - `vga.vram` logs dirty pages for the VGA client (hw/display/vga.c).
 */
export const QEMU_7_2: RegionKnowledge = {
  terminatingIo: new Set(['io', 'rtc', 'vga.mmio']),
  readonlyAliases: new Set(['pam-rom', 'isa-bios']),
  zeroSize: new Set([
    'tseg-blackhole',
    'tseg-window',
    'pci_bridge_io',
    'pci_bridge_mem',
    'pci_bridge_pref_mem',
  ]),
  vgaLogging: new Set(['vga.vram']),
}

/** Knowing nothing: every default applies. */
export const NOTHING: RegionKnowledge = {
  terminatingIo: new Set(),
  readonlyAliases: new Set(),
  zeroSize: new Set(),
  vgaLogging: new Set(),
}
