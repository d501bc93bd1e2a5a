import { readFileSync, readdirSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
/** The recorded QEMU fixtures. */
export const FIXTURES = join(ROOT, 'test', 'fixtures')

/** One recorded scenario: its folder and the number of states. */
export interface Scenario {
  readonly recording: string // qemu-7.2 or qemu-7.2-kvm
  readonly name: string
  readonly dir: string
  readonly states: number
}

/** Every recorded scenario under test/fixtures. */
export const scenarios = (): ReadonlyArray<Scenario> =>
  readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((rec) =>
      readdirSync(join(FIXTURES, rec.name), { withFileTypes: true })
        .filter(
          (d) => d.isDirectory() && existsSync(join(FIXTURES, rec.name, d.name, 'scenario.json')),
        )
        .map((d) => {
          const dir = join(FIXTURES, rec.name, d.name)
          const meta = JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8')) as {
            states: unknown[]
          }
          return { recording: rec.name, name: d.name, dir, states: meta.states.length }
        }),
    )

/** The state prefix `NN`. */
export const stateId = (n: number): string => String(n).padStart(2, '0')

/** A fixture file's text. */
export const fixture = (s: Scenario, n: number, kind: string): string =>
  readFileSync(join(s.dir, `${stateId(n)}-${kind}`), 'utf8')
