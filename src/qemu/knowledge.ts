/**
 * What `info mtree` cannot say about a region, read from QEMU's sources and applied by
 * name when a tree is parsed without a flat view of the same state to learn from. Each
 * fact names the QEMU file that makes the region so, and the releases and machines it was
 * read from and checked against (the recordings under `test/fixtures`). A flat view of
 * the same state (`learn`) overrides every one of them.
 *
 * Facts the text does show are not here: an alias's readability follows its target on
 * every machine that maps `isa-bios` (the alias is made read-only exactly when `pc.bios`
 * is: `x86_bios_rom_init` in hw/i386/x86.c, 7.2; hw/i386/x86-common.c, 10.0), so the
 * target's printed `rom`/`ram` decides, and `isapc` and `microvm` keep both writable.
 *
 * Without a fact, an `i/o` line with subregions is read as a pure container and one
 * without as an I/O region, as the fixtures README advises.
 *
 * @module
 */

/** Where a fact comes from: the QEMU source, releases and machines it was checked on. */
export interface FactSource {
  readonly names: ReadonlyArray<string>
  /** The QEMU source file (and function) that makes the regions so. */
  readonly source: string
  /** QEMU releases the fact was read from and checked against recordings of. */
  readonly releases: string
  /** Machines it applies to. */
  readonly machines: string
}

/** What the parser should assume for regions of some names. */
export interface RegionKnowledge {
  /** `i/o` regions with subregions that terminate (fill their gaps in the flat view). */
  readonly terminatingIo: ReadonlySet<string>
  /** Childless `i/o` regions that are pure containers (render nothing). */
  readonly containers: ReadonlySet<string>
  /** Aliases made read-only (`memory_region_set_readonly` on the alias) over a RAM target. */
  readonly readonlyAliases: ReadonlySet<string>
  /** Regions printed `X-X` that are 0 bytes long rather than 1 (`MR_SIZE(0)` is 0). */
  readonly zeroSize: ReadonlySet<string>
  /** Regions with explicit dirty logging for the VGA client (`memory_region_set_log`). */
  readonly vgaLogging: ReadonlySet<string>
}

/** The facts behind {@link QEMU}, one entry per group of names. */
export const FACTS: {
  readonly [K in keyof RegionKnowledge]: ReadonlyArray<FactSource>
} = {
  terminatingIo: [
    {
      names: ['io'],
      source:
        'hw/i386/pc_piix.c, hw/i386/pc_q35.c: the ISA I/O space is memory_region_init_io with unassigned ops',
      releases: '7.2, 10.0',
      machines: 'x86 pc, q35, isapc',
    },
    {
      names: ['rtc'],
      source: 'hw/rtc/mc146818rtc.c: memory_region_init_io with a coalesced rtc-index subregion',
      releases: '7.2, 10.0',
      machines: 'x86 pc, q35, isapc, microvm',
    },
    {
      names: ['vga.mmio'],
      source:
        'hw/display/vga-pci.c: the VGA BAR2 I/O region holding edid, ioports and bochs dispi windows',
      releases: '7.2, 10.0',
      machines: 'any with -device VGA',
    },
    {
      names: ['gpex_mmio_window', 'gpex_ioport_window'],
      source: 'hw/pci-host/gpex.c gpex_host_realize: memory_region_init_io with unassigned_io_ops',
      releases: '7.2, 10.0',
      machines: 'Arm virt, RISC-V virt, LoongArch virt',
    },
  ],
  containers: [
    {
      names: ['platform bus'],
      source:
        'hw/core/platform-bus.c platform_bus_realize: memory_region_init (devices plug in later)',
      releases: '7.2, 10.0',
      machines: 'Arm virt, RISC-V virt, ppc e500',
    },
    {
      names: ['gpex_mmio', 'gpex_ioport'],
      source:
        'hw/pci-host/gpex.c gpex_host_realize: memory_region_init of the PCI bus address spaces, inside the terminating windows',
      releases: '7.2, 10.0',
      machines: 'Arm virt, RISC-V virt, LoongArch virt, x86 microvm with PCIe',
    },
    {
      names: ['smram'],
      source:
        'hw/pci-host/q35.c mch_realize, hw/pci-host/i440fx.c: memory_region_init of 4 GiB holding the SMRAM windows (all disabled while SMRAM is closed)',
      releases: '7.2, 10.0',
      machines: 'x86 pc, q35',
    },
    {
      names: ['bus master container'],
      source:
        'hw/pci/pci.c do_pci_register_device: memory_region_init of UINT64_MAX holding the bus master alias',
      releases: '7.2, 10.0',
      machines: 'every PCI device',
    },
  ],
  readonlyAliases: [
    {
      names: ['pam-rom'],
      source: 'hw/pci-host/pam.c init_pam: the read-only view of RAM for PAM settings 1 and 2',
      releases: '7.2, 10.0',
      machines: 'x86 pc, q35',
    },
  ],
  zeroSize: [
    {
      names: ['tseg-blackhole', 'tseg-window'],
      source: 'hw/pci-host/q35.c: TSEG starts 0 bytes long',
      releases: '7.2, 10.0',
      machines: 'x86 q35',
    },
    {
      names: ['pci_bridge_io', 'pci_bridge_mem', 'pci_bridge_pref_mem'],
      source:
        'hw/pci/pci_bridge.c pci_bridge_init_alias: a closed window is a 0-byte alias (an open one is never 1 byte)',
      releases: '7.2, 10.0',
      machines: 'any with a PCI bridge',
    },
  ],
  vgaLogging: [
    {
      names: ['vga.vram'],
      source: 'hw/display/vga.c vga_common_init: memory_region_set_log for DIRTY_MEMORY_VGA',
      releases: '7.2, 10.0',
      machines: 'any with a VGA device',
    },
  ],
}

const namesOf = (facts: ReadonlyArray<FactSource>): ReadonlySet<string> =>
  new Set(facts.flatMap((f) => f.names))

/**
 * The facts of {@link FACTS}, as sets of names: the default knowledge of the parser.
 *
 * @example
 * import { mtree } from 'ramaddr'
 * assert.ok(mtree.QEMU.terminatingIo.has('gpex_mmio_window'))
 * assert.ok(!mtree.QEMU.readonlyAliases.has('isa-bios'))
 */
export const QEMU: RegionKnowledge = {
  terminatingIo: namesOf(FACTS.terminatingIo),
  containers: namesOf(FACTS.containers),
  readonlyAliases: namesOf(FACTS.readonlyAliases),
  zeroSize: namesOf(FACTS.zeroSize),
  vgaLogging: namesOf(FACTS.vgaLogging),
}

/** Knowing nothing: every default applies. */
export const NOTHING: RegionKnowledge = {
  terminatingIo: new Set(),
  containers: new Set(),
  readonlyAliases: new Set(),
  zeroSize: new Set(),
  vgaLogging: new Set(),
}
