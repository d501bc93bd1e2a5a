// The browser consumer: the README's first example through the root entry only, bundled
// by esbuild for the browser. `./q35.js` (written by the test) holds the recorded Q35
// machine's `info mtree -D` and `info ramblock` text. The outcome is left in
// `globalThis.result` for the page to read.
import { machines, mtree, infoRamblock, translate, Gpa, RamAddr } from 'ramaddr'
import * as either from 'fp-ts/lib/Either.js'
import { MTREE_D, RAMBLOCK } from './q35.js'

const steps = []
try {
  const tree = mtree.parse(MTREE_D)
  const blocks = infoRamblock.parse(RAMBLOCK)
  steps.push(`mtree ${tree._tag}`, `ramblock ${blocks._tag}`)
  if (either.isRight(tree) && either.isRight(blocks)) {
    const map = translate.make({ topology: tree.right, ramList: blocks.right })
    steps.push(`map ${map._tag}`)
    if (either.isRight(map)) {
      const x = translate.translationOfGpa(Gpa.unsafe(0xfd000010n))(map.right)
      steps.push(`translate ${x._tag} ${x._tag === 'Ram' ? x.ramAddr.toString(16) : ''}`)
      const gpas = translate.gpasOfRamAddr(RamAddr.unsafe(0x20020000n))(map.right)
      steps.push(`gpas ${gpas.map((g) => g.toString(16)).join(',')}`)
    }
  }
  // the shipped machine, checked against its own flat view, in the browser too
  const m = machines.fromDumps(machines.Q35)
  steps.push(`fromDumps ${m._tag} ${either.isRight(m) ? m.right.accel : m.left.message}`)
  globalThis.result = { steps }
} catch (e) {
  globalThis.result = { steps, error: String(e && e.stack ? e.stack : e) }
}
