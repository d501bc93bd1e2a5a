// The QMP client against a scripted peer (no QEMU needed): whatever a peer sends as an
// error, the client answers with a one-line error value and never throws.
import { afterAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { connect, hmp } from '../../src/node/qmp.js'

const dir = mkdtempSync(join(tmpdir(), 'ramaddr-qmp-peer-'))
const servers: Server[] = []
afterAll(() => {
  for (const s of servers) s.close()
  rmSync(dir, { recursive: true, force: true })
})

/** A peer that greets, accepts qmp_capabilities, then answers every command with `error`. */
const peer = async (name: string, error: unknown): Promise<string> => {
  const path = join(dir, name)
  const server = createServer((sock) => {
    sock.write(JSON.stringify({ QMP: { version: {}, capabilities: [] } }) + '\r\n')
    let buf = ''
    sock.on('data', (d) => {
      buf += d.toString()
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 1)
        const msg = JSON.parse(line) as { execute: string; id?: string }
        const reply =
          msg.execute === 'qmp_capabilities' ? { return: {}, id: msg.id } : { error, id: msg.id }
        sock.write(JSON.stringify(reply) + '\r\n')
      }
    })
  })
  servers.push(server)
  await new Promise<void>((res) => server.listen(path, res))
  return path
}

describe('QMP peer errors', () => {
  for (const [name, error, want] of [
    ['null', null, 'human-monitor-command: ?: ?'],
    ['string', 'boom', 'human-monitor-command: ?: ?'],
    ['array', [1, 2], 'human-monitor-command: ?: ?'],
    [
      'newline',
      { class: 'GenericError', desc: 'first line\nsecond line' },
      'human-monitor-command: GenericError: first line second line',
    ],
    ['numbers', { class: 7, desc: { a: 1 } }, 'human-monitor-command: 7: {"a":1}'],
  ] as const)
    it(`an error of ${name} is a one-line CommandFailed`, async () => {
      const s = await connect(await peer(name, error), 2000)()
      if (E.isLeft(s)) throw new Error(s.left.message)
      const r = await hmp('info mtree')(s.right)()
      s.right.close()
      expect(E.isLeft(r) && r.left._tag).toBe('CommandFailed')
      expect(E.isLeft(r) && r.left.message).toBe(want)
    })
  it('a very long desc is cut to one bounded line', async () => {
    const s = await connect(
      await peer('long', { class: 'GenericError', desc: 'x'.repeat(100_000) }),
      2000,
    )()
    if (E.isLeft(s)) throw new Error(s.left.message)
    const r = await hmp('info mtree')(s.right)()
    s.right.close()
    expect(E.isLeft(r) && r.left.message.length).toBeLessThan(300)
  })
})
