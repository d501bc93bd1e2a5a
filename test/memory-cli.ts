import * as E from 'fp-ts/lib/Either.js'
import { run } from '../src/cli/main.js'
import type { Io } from '../src/cli/io.js'

/** What an in-memory CLI run returned and wrote. */
export interface MemoryRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
  /** What it wrote with `stdoutBytes`, chunk by chunk (only with `keepBytes`). */
  readonly bytes: ReadonlyArray<Uint8Array>
  /** How many bytes it wrote with `stdoutBytes`. */
  readonly byteCount: number
  /** Wall time of the run, in milliseconds. */
  readonly ms: number
}

/**
 * Runs the CLI in-process (`cli.run`) on in-memory text files: `readFile` and `readBytes`
 * find a path among the table's own keys only (a path such as `valueOf` is a missing file,
 * as on a disk), and `readBytes` gives the text's UTF-8 bytes. Binary output is counted,
 * and kept only with `keepBytes` (a fuzzed `xen encode` may write gigabytes).
 */
export const runInMemory = (
  files: Readonly<Record<string, string>>,
  argv: ReadonlyArray<string>,
  keepBytes = false,
): MemoryRun => {
  let stdout = ''
  let stderr = ''
  const bytes: Uint8Array[] = []
  let byteCount = 0
  const text = (p: string): string | undefined => (Object.hasOwn(files, p) ? files[p] : undefined)
  const io: Io = {
    readFile: (p) => {
      const t = text(p)
      return t === undefined ? E.left(`cannot read ${p}: ENOENT`) : E.right(t)
    },
    readBytes: (p) => {
      const t = text(p)
      return t === undefined ? E.left(`cannot read ${p}`) : E.right(new TextEncoder().encode(t))
    },
    stdout: (t) => {
      stdout += t
    },
    stdoutBytes: (b) => {
      byteCount += b.length
      if (keepBytes) bytes.push(b.slice())
    },
    stderr: (t) => {
      stderr += t
    },
  }
  const t0 = performance.now()
  const code = run(argv, io)
  return { code, stdout, stderr, bytes, byteCount, ms: performance.now() - t0 }
}
