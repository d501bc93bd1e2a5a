/**
 * The top-level help and version: all that `ramaddr --help` loads.
 *
 * @module
 */

/** The top-level help. */
export const USAGE = `usage: ramaddr <command> [options]

Dumps of any QEMU from 2.0 to 10.x are read, whole or pasted in part (--strict refuses
what a partial dump leaves to a guess; --learn takes info mtree -f of the same state).

Commands:
  ramblock FILE [--json]                 print an \`info ramblock\` dump as QEMU does
  ramblock --allocate NAME:USED[:MAX]…   allocate RAMBlocks as QEMU 7.2 does
  flatview --mtree TREE […]              render flat views as \`info mtree -f\` does
  translate --mtree TREE --ramblock RB GPA…      GPA -> region, offset, ram_addr_t
  gpas --mtree TREE --ramblock RB RAMADDR…       ram_addr_t -> every GPA mapping it
  kvm-slots --mtree TREE --ramblock RB [--log NAME]…  the KVM memslots QEMU would hold
  mirror plan|after-move --mtree TREE --ramblock RB --scheme S …  a mirror VM's slots
  draw --mtree TREE --ramblock RB [--move REGION=ADDR]… > map.svg  GPA beside ram_addr_t, SVG
  migstream FILE|- [--ramblock RB [--mtree TREE]] [--json] [--pages]  a QEMU migration stream's passes
  xen encode FILE.json [--soft] | xen decode STREAM [--json]  Xen altp2m migration stream
  qmp SOCKET flatview|translate|gpas|kvm-slots|ramblock […]  the same on a live QEMU

Options:
  -h, --help     this help (also: ramaddr <command> --help)
  --version      the version

Exit status: 0 success, 1 bad input, 2 bad usage.
`

/** The package version (package.json's; a test keeps them equal). */
export const VERSION = '0.2.0'
