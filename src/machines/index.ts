/**
 * Machines from their monitor text ({@link fromDumps}), and one recorded machine shipped
 * with the library (a QEMU 7.2 Q35 with VGA and virtio-net: {@link Q35}) to try it on.
 *
 * @category QEMU dumps
 * @module
 */
export {
  fromDumps,
  type Dumps,
  type Machine,
  type MachineOf,
  type DumpError,
} from '../qemu/machine.js'
export { Q35 } from './q35.js'
