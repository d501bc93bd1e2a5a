/**
 * The whole pipeline in one call: address map(s) in, SVG text out.
 *
 * @module
 */
import type { AddressMap } from '../translate/address-map.js'
import { layout } from './layout.js'
import { scene } from './scene.js'
import { toSvg } from './svg.js'

/**
 * The SVG picture of `after` (see {@link scene}); with `before`, the GPA ranges the
 * `moves` changed are highlighted.
 *
 * @example
 * import { mtree, infoRamblock, translate } from 'ramaddr'
 * import * as draw from 'ramaddr/draw'
 * import * as either from 'fp-ts/lib/Either.js'
 * const t = mtree.parse('address-space: memory\n  0000000000000000-0000000007ffffff (prio 0, ram): pc.ram\n\n')
 * const l = infoRamblock.parse('              Block Name    PSize              Offset               Used              Total\n                  pc.ram    4 KiB  0x0000000000000000 0x0000000008000000 0x0000000008000000\n')
 * assert.ok(either.isRight(t) && either.isRight(l))
 * const map = translate.make({ topology: t.right, ramList: l.right })
 * assert.ok(either.isRight(map))
 * const svg = draw.picture(map.right)
 * assert.match(svg, /<rect class="box gpa ram"/)
 * assert.match(svg, /<rect class="box ramblock"/)
 * assert.match(svg, /Scale is not linear/)
 */
export const picture = (
  after: AddressMap,
  before?: AddressMap,
  moves: ReadonlyArray<string> = [],
): string => toSvg(layout(scene(after, before, moves)))
