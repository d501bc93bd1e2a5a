/**
 * Ties RAM-backed regions to their RAMBlocks. In QEMU each RAM, ROM, ROM-device and
 * RAM-device region owns one RAMBlock (`mr->ram_block`); the monitor text only names
 * them: the block's idstr ends with the region name (`0000:00:02.0/vga.vram` backs
 * `vga.vram`; a memory backend's region and block are both named by its id).
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { hasRamBlock, type Region } from '../region/region.js'
import type { Topology } from '../region/topology.js'
import type { RamList } from '../ramblock/ram-list.js'
import type { TranslateError } from './errors.js'

/**
 * Sets `ramBlock` on every RAM-backed region from the block whose region name it bears.
 * A region name borne by two blocks (two devices of one kind) cannot be tied from text
 * alone and is an error, as is a RAM-backed region in an address space with no block.
 *
 * @example
 * import { translate, mtree, infoRamblock, topology } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * const t = mtree.parse('memory-region: pc.ram\n  0000000000000000-0000000007ffffff (prio 0, ram): pc.ram\n\n')
 * const l = infoRamblock.parse('              Block Name    PSize              Offset               Used              Total\n                  pc.ram    4 KiB  0x0000000000000000 0x0000000008000000 0x0000000008000000\n')
 * assert.ok(either.isRight(t) && either.isRight(l))
 * const linked = translate.attachRamBlocks(l.right)(t.right)
 * assert.ok(either.isRight(linked))
 * assert.equal(topology.byName('pc.ram')(linked.right)[0]?.ramBlock, 'pc.ram')
 */
export const attachRamBlocks =
  (list: RamList) =>
  (t: Topology): E.Either<TranslateError, Topology> => {
    const byRegion = new Map<string, string[]>()
    for (const b of list.blocks) {
      const same = byRegion.get(b.mr)
      if (same === undefined) byRegion.set(b.mr, [b.idstr])
      else same.push(b.idstr)
    }
    const regions = new Map(t.regions)
    for (const r of t.regions.values()) {
      if (!hasRamBlock(r) || r.placeholder === true || r.ramBlock !== undefined) continue
      const blocks = byRegion.get(r.name) ?? []
      if (blocks.length > 1)
        return E.left({
          _tag: 'AmbiguousRamBlock',
          region: r.name,
          message: `RAMBlocks ${blocks.join(', ')} all back regions named ${r.name}; the text does not say which is which`,
        })
      const idstr = blocks[0]
      if (idstr === undefined)
        return E.left({
          _tag: 'MissingRamBlock',
          region: r.name,
          message: `no RAMBlock backs the ${r.kind === 'ram' && r.readonly ? 'ROM' : 'RAM'} region ${r.name}`,
        })
      regions.set(r.id, { ...r, ramBlock: idstr } satisfies Region)
    }
    return E.right({ ...t, regions })
  }
