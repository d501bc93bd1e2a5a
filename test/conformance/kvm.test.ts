// Conformance of the KVM slot model with every KVM recording (QEMU 7.2 under KVM):
//  (i)  for every state, the slots QEMU holds after replaying the recorded
//       KVM_SET_USER_MEMORY_REGION calls (gpa, size, flags, and backing ram_addr_t found
//       from `ua` through the probes' HVAs) equal the slots the model derives from the
//       state's flat view;
//  (ii) for every step, starting from QEMU's table before it, the calls the model makes
//       for the view change equal the recorded ones, slot ids included.
import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as mtree from '../../src/qemu/mtree.js'
import { parse as parseRamblock } from '../../src/qemu/info-ramblock.js'
import * as translate from '../../src/translate/address-map.js'
import { Gpa } from '../../src/addresses/kinds.js'
import { commit, parseTraceLine, resolverOf, slotsOf, slotTable } from '../../src/kvm/index.js'
import type { SlotOp, SlotTable } from '../../src/kvm/slot-table.js'
import type { AddressMap } from '../../src/translate/address-map.js'
import { alignIds } from '../../src/region/correspond.js'
import type { Topology } from '../../src/region/topology.js'
import { fixture, scenarios, stateId, type Scenario } from '../helpers.js'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const must = <A>(r: E.Either<{ message: string }, A>, what: string): A => {
  if (E.isLeft(r)) throw new Error(`${what}: ${r.left.message}`)
  return r.right
}

const mapOf = (s: Scenario, n: number, reference?: Topology): AddressMap =>
  must(
    translate.make({
      topology: ((t) => (reference === undefined ? t : alignIds(reference)(t)))(
        must(mtree.parse(fixture(s, n, 'mtree-D.txt')), 'mtree'),
      ),
      ramList: must(parseRamblock(fixture(s, n, 'ramblock.txt')), 'ramblock'),
    }),
    'map',
  )

/** HVA -> ram_addr_t, from every state's probes: HVA - ram_addr_t is constant per block. */
const hvaTranslator = (s: Scenario) => {
  const windows: Array<{ host: bigint; ram: bigint; size: bigint }> = []
  for (let n = 0; n < s.states; n++) {
    const map = mapOf(s, n)
    const probes = JSON.parse(fixture(s, n, 'probes.json')) as Array<{ gpa: string; hva: string }>
    for (const p of probes) {
      const x = translate.translationOfGpa(Gpa.unsafe(BigInt(p.gpa)))(map)
      if (x._tag !== 'Ram') continue
      const host = BigInt(p.hva) - (x.ramAddr - x.block.offset)
      windows.push({ host, ram: x.block.offset, size: x.block.maxLength })
    }
  }
  return (ua: bigint): bigint => {
    const w = windows.find((v) => ua >= v.host && ua < v.host + v.size)
    if (w === undefined) throw new Error(`no RAMBlock holds ua=0x${ua.toString(16)}`)
    return w.ram + (ua - w.host)
  }
}

interface Meta {
  states: Array<{ kvm_slot_ops?: string[] }>
}

const recordedOps = (s: Scenario, n: number, toRam: (ua: bigint) => bigint): SlotOp[] => {
  const meta = JSON.parse(readFileSync(join(s.dir, 'scenario.json'), 'utf8')) as Meta
  return (meta.states[n]?.kvm_slot_ops ?? []).map((line, i) => {
    const t = must(parseTraceLine(i + 1, line), `state ${n} op ${i}`)
    expect(t.ret).toBe(0)
    return { slot: t.slot & 0xffff, flags: t.flags, gpa: t.gpa, size: t.size, ramAddr: toRam(t.ua) }
  })
}

const show = (
  ops: ReadonlyArray<{ slot?: number; flags: number; gpa: bigint; size: bigint; ramAddr: bigint }>,
) =>
  ops.map(
    (o) =>
      `${o.slot === undefined ? '' : `#${o.slot} `}flags=${o.flags} gpa=0x${o.gpa.toString(16)} size=0x${o.size.toString(16)} ram=0x${o.ramAddr.toString(16)}`,
  )

const kvmScenarios = scenarios().filter((s) => s.recording.endsWith('-kvm'))

describe('KVM recordings exist', () => {
  it('covers every shared KVM scenario', () => {
    expect(
      kvmScenarios
        .filter((s) => s.recording === 'qemu-7.2-kvm')
        .map((s) => s.name)
        .sort(),
    ).toEqual(['pc-128m', 'pc-5g-numa', 'q35-512m-vga-net'])
  })
})

for (const s of kvmScenarios) {
  describe(`${s.recording}/${s.name}`, () => {
    const toRam = hvaTranslator(s)
    const tables: SlotTable[] = []
    let table = slotTable.empty()
    for (let n = 0; n < s.states; n++) {
      for (const op of recordedOps(s, n, toRam)) table = must(slotTable.apply(op)(table), 'replay')
      tables.push(table)
    }
    for (let n = 0; n < s.states; n++) {
      it(`${stateId(n)}: QEMU's slots after the recorded calls are the model's slots for the view (i)`, () => {
        const qemu = slotTable
          .used(tables[n] as SlotTable)
          .map(({ gpa, size, flags, ramAddr }) => ({ gpa, size, flags, ramAddr }))
          .sort((a, b) => (a.gpa < b.gpa ? -1 : 1))
        expect(show(slotsOf()(mapOf(s, n)))).toEqual(show(qemu))
      })
      if (n > 0)
        it(`${stateId(n)}: the model's calls for step ${n} are QEMU's, slot ids included (ii)`, () => {
          const before = mapOf(s, n - 1)
          // each dump numbers its regions afresh: match them up as QEMU's objects are
          const after = mapOf(s, n, before.topology)
          const result = must(
            commit(
              before.view,
              after.view,
              resolverOf(after),
              {},
              resolverOf(before),
            )(tables[n - 1] as SlotTable),
            'commit',
          )
          expect(show(result.changes.map((c) => c.op))).toEqual(show(recordedOps(s, n, toRam)))
          expect(show(slotTable.used(result.table))).toEqual(
            show(slotTable.used(tables[n] as SlotTable)),
          )
        })
    }
  })
}
