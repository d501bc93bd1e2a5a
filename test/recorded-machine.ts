// A recorded state as a machine: the fixtures' info mtree -D, info mtree -f and info
// ramblock of state `n` read together by fromDumps, as the conformance tests take them. Apart
// from helpers.ts, which every test imports, so that only these tests load the parsers.
import * as E from 'fp-ts/lib/Either.js'
import { fromDumps } from '../src/qemu/machine.js'
import { fixture, type Scenario } from './helpers.js'

/** State `n` of scenario `s` as a machine; a dump that does not read fails the test. */
export const recordedMachine = (s: Scenario, n: number) => {
  const m = fromDumps({
    mtree: fixture(s, n, 'mtree-D.txt'),
    flat: fixture(s, n, 'mtree-f.txt'),
    ramblock: fixture(s, n, 'ramblock.txt'),
  })
  if (E.isLeft(m)) throw new Error(m.left.message)
  return m.right
}
