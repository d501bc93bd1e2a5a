// A real QEMU, started paused: import its map live over QMP and check it against QEMU's own
// flat view and gpa2hva answers. Skips, saying why, where qemu-system-x86_64 is not
// installed (.ci/run installs Debian's qemu-system-x86) or /dev/kvm is not usable.
import { afterAll, describe, expect, it } from 'vitest'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { connect, dump, hmp } from '../../src/node/qmp.js'
import * as mtree from '../../src/qemu/mtree.js'
import * as mtreeFlat from '../../src/qemu/mtree-flat.js'
import { learn } from '../../src/qemu/learn.js'
import { parse as parseRamblock } from '../../src/qemu/info-ramblock.js'
import * as translate from '../../src/translate/address-map.js'
import { Gpa } from '../../src/addresses/kinds.js'

const QEMU = 'qemu-system-x86_64'
const haveQemu = spawnSync(QEMU, ['--version']).status === 0
const haveKvm = (() => {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK)
    return true
  } catch {
    return false
  }
})()
if (!haveQemu)
  console.warn(
    `live QEMU tests skipped: ${QEMU} is not installed (apt-get install -y qemu-system-x86)`,
  )
else if (!haveKvm)
  console.warn('live QEMU tests under KVM skipped: /dev/kvm is absent or not accessible')

const started: Array<{ proc: ChildProcess; dir: string }> = []
afterAll(() => {
  for (const s of started) {
    s.proc.kill('SIGKILL')
    rmSync(s.dir, { recursive: true, force: true })
  }
})

const start = async (accel: 'tcg' | 'kvm'): Promise<string> => {
  const dir = mkdtempSync(join(tmpdir(), 'ramaddr-live-'))
  const sock = join(dir, 'qmp.sock')
  const proc = spawn(
    QEMU,
    [
      '-S',
      '-nodefaults',
      '-display',
      'none',
      '-accel',
      accel,
      '-machine',
      'q35',
      '-m',
      '256M',
      '-device',
      'VGA',
      '-device',
      'virtio-net-pci',
      '-qmp',
      `unix:${sock},server=on,wait=off`,
    ],
    { stdio: 'ignore' },
  )
  started.push({ proc, dir })
  for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100))
  return sock
}

for (const accel of ['tcg', 'kvm'] as const)
  describe.skipIf(!haveQemu || (accel === 'kvm' && !haveKvm))(`a live QEMU 7.2 (${accel})`, () => {
    it('imports its map over QMP and renders exactly its flat view in every address space', async () => {
      const sock = await start(accel)
      const live = await dump(sock)()
      if (E.isLeft(live)) throw new Error(live.left.message)
      const flat = mtreeFlat.parse(live.right.mtreeF)
      const tree = mtree.parse(live.right.mtreeD)
      if (E.isLeft(flat) || E.isLeft(tree)) throw new Error('parse')
      expect(mtree.print({ disabled: true })(tree.right)).toBe(live.right.mtreeD)
      const t = learn(flat.right)(tree.right)
      const want = mtreeFlat.linesByAddressSpace(flat.right)
      const got = mtreeFlat.renderedLinesByAddressSpace({ accel })(t)
      expect(new Map([...got].sort())).toEqual(new Map([...want].sort()))
    })
    it("translates like QEMU's gpa2hva: HVA - ram_addr_t is constant per RAMBlock", async () => {
      const sock = await start(accel)
      const s = await connect(sock)()
      if (E.isLeft(s)) throw new Error(s.left.message)
      const text = async (cmd: string) => {
        const r = await hmp(cmd)(s.right)()
        if (E.isLeft(r)) throw new Error(r.left.message)
        return r.right
      }
      const tree = mtree.parse(await text('info mtree -D'))
      const list = parseRamblock(await text('info ramblock'))
      if (E.isLeft(tree) || E.isLeft(list)) throw new Error('parse')
      const map = translate.make({ topology: tree.right, ramList: list.right })
      if (E.isLeft(map)) throw new Error(map.left.message)
      const deltas = new Map<string, bigint>()
      for (const gpa of [0x0n, 0x9f000n, 0xc0000n, 0xe0000n, 0x100000n, 0xfffc0000n, 0xffff0000n]) {
        const x = translate.translationOfGpa(Gpa.unsafe(gpa))(map.right)
        expect(x._tag).toBe('Ram')
        if (x._tag !== 'Ram') continue
        const answer = await text(`gpa2hva 0x${gpa.toString(16)}`)
        const m = /is (0x[0-9a-f]+)/.exec(answer)
        expect(answer).toContain(`(${x.region.name})`)
        const d = BigInt(m?.[1] ?? '0') - x.ramAddr
        expect(deltas.get(x.block.idstr) ?? d).toBe(d)
        deltas.set(x.block.idstr, d)
      }
      const bad = await hmp('no-such-command')(s.right)()
      expect(E.isRight(bad) && bad.right).toContain('unknown command')
      s.right.close()
    })
  })

describe('QMP errors are values', () => {
  it('reports a missing socket without throwing', async () => {
    const r = await connect('/nonexistent/ramaddr.sock', 1000)()
    expect(E.isLeft(r) && r.left._tag).toBe('ConnectFailed')
  })
})
