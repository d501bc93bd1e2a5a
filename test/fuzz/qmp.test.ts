// The QMP client and `ramaddr qmp` against a scripted peer that answers with fuzzed lines:
// random JSON, errors of any shape (null, strings, numbers, deep nesting), half lines,
// garbage, silence. Each connection must end in an Either (or exit 0/1/2 for the CLI)
// with a one-line, bounded error, within its timeout; never a throw or an uncaught
// exception. `npm test` runs a few inputs, `npm run fuzz` (FUZZ_RUNS) many.
import { afterAll, describe, expect, it } from 'vitest'
import { fc } from '@fast-check/vitest'
import { createServer, type Server } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { connect, hmp } from '../../src/node/qmp.js'
import { readMessage } from '../../src/node/qmp-message.js'
import { runAsync } from '../../src/cli/main.js'
import type { Io } from '../../src/cli/io.js'

const RUNS = Math.max(5, Math.floor(Number(process.env.FUZZ_RUNS ?? 25) / 10))
const LIMIT = process.env.FUZZ_TIME_LIMIT_S
const TIMEOUT = 300

const dir = mkdtempSync(join(tmpdir(), 'ramaddr-qmp-fuzz-'))
const path = join(dir, 'qmp.sock')

/** What the peer does: its greeting line, and the line it answers each command with. */
let script = { greeting: '', reply: (_id: string): string => '' }
const server: Server = createServer((sock) => {
  sock.on('error', () => {})
  if (script.greeting !== '') sock.write(script.greeting)
  let buf = ''
  sock.on('data', (d) => {
    buf += d.toString()
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i)
      buf = buf.slice(i + 1)
      let id = ''
      try {
        id = String((JSON.parse(line) as { id?: unknown }).id)
      } catch {
        // the client only sends JSON
      }
      const out = line.includes('qmp_capabilities')
        ? JSON.stringify({ return: {}, id }) + '\r\n'
        : script.reply(id)
      if (out !== '') sock.write(out)
    }
  })
})
await new Promise<void>((res) => server.listen(path, res))
afterAll(() => {
  server.close()
  rmSync(dir, { recursive: true, force: true })
})

const deepJson = (n: number): string => '['.repeat(n) + ']'.repeat(n)
const payload: fc.Arbitrary<(id: string) => string> = fc.oneof(
  fc
    .json({ maxDepth: 3 })
    .map((j) => (id: string) => `{"error": ${j}, "id": ${JSON.stringify(id)}}\r\n`),
  fc
    .json({ maxDepth: 3 })
    .map((j) => (id: string) => `{"return": ${j}, "id": ${JSON.stringify(id)}}\r\n`),
  fc
    .string({ maxLength: 300 })
    .map(
      (desc) => (id: string) =>
        JSON.stringify({ error: { class: 'GenericError', desc }, id }) + '\r\n',
    ),
  fc.constantFrom(
    (id: string) => `{"error": {"class": "X", "desc": ${deepJson(100_000)}}, "id": "${id}"}\n`,
    (id: string) => `{"error": ${deepJson(5_000)}, "id": "${id}"}\n`,
    (id: string) => `{"return": "${'x'.repeat(100_000)}", "id": "${id}"}\n`,
    (id: string) => `{"error": null, "id": "${id}"}\n`,
    (id: string) => `{"return": ${deepJson(100_000)}, "id": "${id}"}\n`,
    (id: string) => `{"return": [${'1,'.repeat(100_000)}1], "id": "${id}"}\n`,
    () => '{"event": "STOP"}\n',
    () => 'not json at all\n',
    () => '{"half": ',
    () => '',
  ),
  fc.string({ unit: 'binary', maxLength: 100 }).map((s) => () => s + '\n'),
)
/** Answers that end each command at once (the CLI waits its 10 s timeout on silence). */
const answering: fc.Arbitrary<(id: string) => string> = fc.oneof(
  fc
    .json({ maxDepth: 3 })
    .map((j) => (id: string) => `{"error": ${j}, "id": ${JSON.stringify(id)}}\r\n`),
  fc
    .string({ maxLength: 300 })
    .map(
      (desc) => (id: string) =>
        JSON.stringify({ error: { class: 'GenericError', desc }, id }) + '\r\n',
    ),
  fc.constantFrom(
    (id: string) => `{"error": {"class": "X", "desc": ${deepJson(100_000)}}, "id": "${id}"}\n`,
    (id: string) => `{"return": "${'x'.repeat(100_000)}", "id": "${id}"}\n`,
    (id: string) => `{"return": 5, "id": "${id}"}\n`,
    () => 'not json at all\n',
  ),
)
const greeting = fc.oneof(
  fc.constant('{"QMP": {"version": {}, "capabilities": []}}\r\n'),
  fc.constant('{"QMP": {"version": {}, "capabilities": []}}\r\n'),
  fc.json({ maxDepth: 2 }).map((j) => `${j}\n`),
  fc.constantFrom('', 'garbage\n', `{"QMP": ${deepJson(100_000)}}\n`),
)

const oneLine = (m: string): void => {
  expect(m).not.toMatch(/\n/)
  expect(m.length).toBeLessThanOrEqual(1000)
}

const options = {
  numRuns: RUNS,
  ...(LIMIT === undefined
    ? {}
    : { interruptAfterTimeLimit: Number(LIMIT) * 1000, markInterruptAsFailure: false }),
}

describe('QMP under fuzzing', () => {
  it('readMessage: any line a peer sends is read, within a bound, to bounded one-line texts', () => {
    const t0 = performance.now()
    let n = 0
    const member = fc.oneof(
      fc.json({ maxDepth: 4 }),
      fc.string({ unit: 'binary', maxLength: 40 }).map((x) => JSON.stringify(x)),
      fc.constantFrom(
        deepJson(100_000),
        `[${'1,'.repeat(100_000)}1]`,
        JSON.stringify('x\n'.repeat(50_000)),
        '{"class": null, "desc": {"a": [1, 2]}}',
        '{"class": "GenericError", "desc": "a\\r\\nb"}',
      ),
    )
    const errorObject = fc
      .tuple(member, member)
      .map(([c, d]) => `{"error": {"class": ${c}, "desc": ${d}}, "id": "r-1"}`)
    const line = fc.oneof(
      errorObject,
      fc
        .tuple(
          fc.subarray(['QMP', 'event', 'error', 'return', 'id', 'class']),
          fc.array(member, { minLength: 6, maxLength: 6 }),
        )
        .map(
          ([keys, vals]) => `{${keys.map((k, i) => `"${k}": ${vals[i] ?? 'null'}`).join(', ')}}`,
        ),
      member,
      fc.string({ unit: 'binary', maxLength: 200 }),
    )
    fc.assert(
      fc.property(line, (l) => {
        n++
        const t = performance.now()
        const m = readMessage(l)
        expect(performance.now() - t).toBeLessThan(2000)
        if (m._tag === 'NotJson') oneLine(m.message)
        if (m._tag === 'Object' && E.isLeft(m.answer)) {
          oneLine(m.answer.left.class)
          oneLine(m.answer.left.desc)
          expect(m.answer.left.desc.length).toBeLessThanOrEqual(201)
        }
      }),
      { ...options, numRuns: RUNS * 10 },
    )
    console.log(
      `fuzz qmp readMessage: ${n} inputs in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    )
  })

  it('a peer error whose desc is nested 100,000 deep is a one-line CommandFailed (found by this fuzzer: RangeError in the data handler, the command never answered)', async () => {
    script = {
      greeting: '{"QMP": {"version": {}, "capabilities": []}}\r\n',
      reply: (id) => `{"error": {"class": "X", "desc": ${deepJson(100_000)}}, "id": "${id}"}\n`,
    }
    const s = await connect(path, 2000)()
    if (E.isLeft(s)) throw new Error(s.left.message)
    const r = await hmp('info mtree')(s.right)()
    s.right.close()
    expect(E.isLeft(r) && r.left).toMatchObject({
      _tag: 'CommandFailed',
      message: `human-monitor-command: X: ${'['.repeat(40)}…`,
    })
  })

  it.each([
    [
      'nested 100,000 deep (JSON.stringify threw RangeError, rejecting the task)',
      deepJson(100_000),
    ],
    ['of 100,001 numbers (a 200 KB message)', `[${'1,'.repeat(100_000)}1]`],
  ])(
    'human-monitor-command returning a non-string %s is a bounded one-line Protocol error',
    async (_what, value) => {
      script = {
        greeting: '{"QMP": {"version": {}, "capabilities": []}}\r\n',
        reply: (id) => `{"return": ${value}, "id": "${id}"}\n`,
      }
      const s = await connect(path, 2000)()
      if (E.isLeft(s)) throw new Error(s.left.message)
      const r = await hmp('info mtree')(s.right)()
      s.right.close()
      expect(E.isLeft(r) && r.left._tag).toBe('Protocol')
      if (E.isLeft(r)) {
        oneLine(r.left.message)
        expect(r.left.message).toMatch(/^human-monitor-command returned \[\[?/)
      }
    },
  )

  it('the client: every answer is an Either with a one-line error', async () => {
    let n = 0
    const t0 = performance.now()
    await fc.assert(
      fc.asyncProperty(greeting, payload, async (g, reply) => {
        n++
        script = { greeting: g, reply }
        const s = await connect(path, TIMEOUT)()
        if (E.isLeft(s)) return oneLine(s.left.message)
        const r = await hmp('info mtree')(s.right)()
        s.right.close()
        if (E.isLeft(r)) oneLine(r.left.message)
      }),
      options,
    )
    console.log(`fuzz qmp client: ${n} inputs in ${((performance.now() - t0) / 1000).toFixed(0)} s`)
  }, 600_000)

  it('ramaddr qmp: exit 0, or 1 with one line, or 2', async () => {
    let n = 0
    const t0 = performance.now()
    await fc.assert(
      fc.asyncProperty(
        fc.constant('{"QMP": {"version": {}, "capabilities": []}}\r\n'),
        answering,
        fc.constantFrom('flatview', 'translate', 'ramblock', 'kvm-slots', 'gpas', 'nope'),
        async (g, reply, sub) => {
          n++
          script = { greeting: g, reply }
          let stderr = ''
          const io: Io = {
            readFile: () => E.left('no files'),
            stdout: () => {},
            stderr: (t) => {
              stderr += t
            },
          }
          const code = await runAsync(['qmp', path, sub, '0x0'], io)
          expect([0, 1, 2]).toContain(code)
          if (code === 1) oneLine(stderr.replace(/\n$/, ''))
        },
      ),
      options,
    )
    console.log(
      `fuzz qmp command: ${n} inputs in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    )
  }, 600_000)
})
