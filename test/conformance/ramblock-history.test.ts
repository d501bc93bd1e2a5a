// Conformance of the RAM list with recorded QEMU runs whose RAMBlocks come and go: memory
// backends added (object_add), deleted (object_del) and claimed by a pc-dimm (device_add).
// The test replays each step through the library (add an unnamed block, remove by offset,
// setIdstr), keeping its own map from backend id to the offset the library gave it, and
// compares the list, byte for byte as `info ramblock` prints it, with every recorded
// state. It checks find_ram_offset's choice of gap once a block has been freed (which the
// ascending-offset replay of ramblock.test.ts cannot), list order with unnamed blocks,
// and the naming of a backend's block when a device registers it.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import type { RamAddr } from '../../src/addresses/kinds.js'
import { format, parse } from '../../src/qemu/info-ramblock.js'
import { add, remove, setIdstr, type RamList } from '../../src/ramblock/ram-list.js'
import { fixture, scenarios, stateId } from '../helpers.js'

interface Step {
  readonly op: string
  readonly command?: string
}

/** `256M` and the like (QEMU's size suffixes, powers of 1024) as bytes. */
const sizeOf = (s: string): bigint => {
  const m = /^(\d+)([KMGT])?$/.exec(s)
  if (m === null) throw new Error(`not a size: ${s}`)
  return BigInt(m[1] as string) << BigInt(10 * ' KMGT'.indexOf(m[2] ?? ' '))
}

/** `key=value` options of a QOM/qdev option string (`memory-backend-ram,id=m1,size=256M`). */
const optionsOf = (s: string): Map<string, string> =>
  new Map(
    s
      .split(',')
      .slice(1)
      .map((kv) => kv.split('=') as [string, string]),
  )

const must = <A>(e: E.Either<{ readonly message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}

const recorded = (text: string): RamList => must(parse(text))

const withBackendSteps = scenarios().filter((s) => {
  const meta = JSON.parse(readFileSync(join(s.dir, 'scenario.json'), 'utf8')) as {
    states: ReadonlyArray<{ after?: Step }>
  }
  return meta.states.some((st) => st.after?.command?.startsWith('object_del') === true)
})

describe('RAMBlocks that come and go (object_add, object_del, device_add pc-dimm)', () => {
  it('has such recordings: Q35 from QEMU 7.2 and 10.0, Arm virt from both', () => {
    expect(withBackendSteps.map((s) => `${s.recording}/${s.name}`).sort()).toEqual([
      'ramaddr-10.0/q35-memory-hotplug',
      'ramaddr-7.2/q35-memory-hotplug',
      'ramaddr-targets/10.0.13-aarch64-virt-memory-hotplug',
      'ramaddr-targets/7.2.22-aarch64-virt-memory-hotplug',
    ])
  })
  for (const s of withBackendSteps) {
    it(`${s.recording}/${s.name}: every state's info ramblock is the replayed list`, () => {
      const meta = JSON.parse(readFileSync(join(s.dir, 'scenario.json'), 'utf8')) as {
        args: ReadonlyArray<string>
        states: ReadonlyArray<{ after?: Step }>
      }
      let list = recorded(fixture(s, 0, 'ramblock.txt'))
      // backends on the command line: each is the one unnamed block of its size in state 00
      const ids = new Map<string, RamAddr>()
      for (const a of meta.args.filter((x) => x.startsWith('memory-backend-'))) {
        const o = optionsOf(a)
        const size = sizeOf(o.get('size') ?? '')
        const found = list.blocks.filter((b) => b.idstr === '' && b.maxLength === size)
        expect(found).toHaveLength(1)
        ids.set(o.get('id') ?? '', (found[0] as (typeof found)[number]).offset)
      }
      for (let n = 1; n < s.states; n++) {
        const cmd = meta.states[n]?.after?.command ?? ''
        const [verb = '', arg = ''] = cmd.split(' ')
        const o = optionsOf(arg)
        const id = verb === 'object_del' ? arg : (o.get('id') ?? '')
        if (verb === 'object_add') {
          const before = new Set(list.blocks.map((b) => b.offset))
          list = must(add({ idstr: '', usedLength: sizeOf(o.get('size') ?? '') })(list))
          const added = list.blocks.find((b) => !before.has(b.offset))
          ids.set(id, (added as (typeof list.blocks)[number]).offset)
        } else if (verb === 'object_del') {
          list = must(remove(ids.get(id) as RamAddr)(list))
        } else if (verb === 'device_add' && arg.startsWith('pc-dimm,')) {
          // a pc-dimm has no device path: its backend's block takes the region's name
          const mem = o.get('memdev') ?? ''
          list = must(setIdstr(ids.get(mem) as RamAddr, mem)(list))
        } else throw new Error(`a step this test does not replay: ${cmd}`)
        const want = recorded(fixture(s, n, 'ramblock.txt'))
        expect(format()(list), `${stateId(n)} after ${cmd}`).toBe(format()(want))
      }
    })
  }
})
