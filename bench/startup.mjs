// Start-up: the CLI on the recorded Q35 against `node -e 0`, in paired runs (one of each,
// alternating, so both see the same machine load), as ratios of the medians: wall time
// and peak RSS. Each child reports its own peak RSS at exit through a preloaded module,
// the baseline too. Goal (issue 16): within 1.5x the time and 1.3x the RSS.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const BIN = join(ROOT, 'bin', 'ramaddr')
const q35 = join(ROOT, 'test', 'fixtures', 'qemu-7.2', 'q35-512m-vga-net')
const dir = mkdtempSync(join(tmpdir(), 'ramaddr-startup-'))
const probe = join(dir, 'rss.mjs')
const out = join(dir, 'rss.txt')
writeFileSync(
  probe,
  `import { appendFileSync } from 'node:fs'\nprocess.on('exit', () => appendFileSync(${JSON.stringify(out)}, process.resourceUsage().maxRSS + '\\n'))\n`,
)

const runOnce = (args) => {
  writeFileSync(out, '')
  const t0 = process.hrtime.bigint()
  const r = spawnSync(process.execPath, ['--import', probe, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return { ms, rssKiB: Number(readFileSync(out, 'utf8').trim()) }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const COMMANDS = [
  ['--help', [BIN, '--help']],
  ['ramblock', [BIN, 'ramblock', join(q35, '08-ramblock.txt')]],
  [
    'translate',
    [
      BIN,
      'translate',
      '--mtree',
      join(q35, '08-mtree-D.txt'),
      '--ramblock',
      join(q35, '08-ramblock.txt'),
      '0xfd000010',
    ],
  ],
  [
    'flatview --learn',
    [
      BIN,
      'flatview',
      '--mtree',
      join(q35, '08-mtree-D.txt'),
      '--learn',
      join(q35, '08-mtree-f.txt'),
    ],
  ],
]
const PAIRS = 15
console.log(`start-up: each command against node -e 0, ${PAIRS} paired runs, medians`)
for (const [name, args] of COMMANDS) {
  const base = []
  const cmd = []
  for (let i = 0; i < PAIRS; i++) {
    base.push(runOnce(['-e', '0']))
    cmd.push(runOnce(args))
  }
  const bt = median(base.map((r) => r.ms))
  const ct = median(cmd.map((r) => r.ms))
  const br = median(base.map((r) => r.rssKiB))
  const cr = median(cmd.map((r) => r.rssKiB))
  const tOk = ct / bt <= 1.5
  const rOk = cr / br <= 1.3
  console.log(
    `  ${name.padEnd(18)} ${ct.toFixed(0).padStart(4)} ms = ${(ct / bt).toFixed(2)}x (goal <= 1.5x) ${tOk ? 'OK' : 'ABOVE GOAL'}; ` +
      `${(cr / 1024).toFixed(0)} MiB = ${(cr / br).toFixed(2)}x RSS (goal <= 1.3x) ${rOk ? 'OK' : 'ABOVE GOAL'}` +
      `  [node -e 0: ${bt.toFixed(0)} ms, ${(br / 1024).toFixed(0)} MiB]`,
  )
}
rmSync(dir, { recursive: true, force: true })
