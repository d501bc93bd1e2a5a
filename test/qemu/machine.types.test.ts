// Types (checked by `npm run typecheck`): machines.fromDumps carries whether `ramblock`
// was given, so a caller with info ramblock gets an AddressMap, not `AddressMap | undefined`.
import { expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { fromDumps } from '../../src/qemu/machine.js'
import { Q35 } from '../../src/machines/q35.js'
import type { AddressMap } from '../../src/translate/address-map.js'

it('with ramblock the map is there; without, the type says it may not be', () => {
  const m = fromDumps(Q35)
  if (E.isLeft(m)) throw new Error(m.left.message)
  const map: AddressMap = m.right.addressMap
  expect(map.addressSpace).toBe('memory')
  const n = fromDumps({ mtree: Q35.mtree })
  if (E.isLeft(n)) throw new Error(n.left.message)
  // @ts-expect-error without info ramblock there may be no map
  const none: AddressMap = n.right.addressMap
  expect(none).toBeUndefined()
})
