/**
 * A live QEMU over QMP (a Unix socket): the adapter layer's only effect. Commands run
 * through `human-monitor-command`, so a running machine gives the same `info mtree -D`,
 * `info mtree -f` and `info ramblock` text the parsers read from files. Every call is a
 * `TaskEither`: connection, protocol and command failures are values, with a timeout on
 * every answer.
 *
 * Protocol (docs/interop/qmp-spec.rst): the server greets with `{"QMP": …}`; the client
 * must send `qmp_capabilities` first; each command gets a `return` or an `error` object,
 * matched here by `id`; asynchronous `event` messages are skipped.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import { asText, oneLine, readMessage } from './qmp-message.js'
import { createConnection, type Socket } from 'node:net'

/** What can go wrong talking to QEMU. */
export type QmpError =
  | { readonly _tag: 'ConnectFailed'; readonly path: string; readonly message: string }
  | { readonly _tag: 'Timeout'; readonly what: string; readonly message: string }
  | { readonly _tag: 'Protocol'; readonly message: string }
  | { readonly _tag: 'CommandFailed'; readonly command: string; readonly message: string }
  | { readonly _tag: 'Closed'; readonly message: string }

/** An open QMP session. */
export interface QmpSession {
  readonly path: string
  /** Sends one command and waits for its answer. */
  readonly execute: (
    command: string,
    args?: Readonly<Record<string, unknown>>,
  ) => TE.TaskEither<QmpError, unknown>
  /** Closes the socket; later commands fail with `Closed`. */
  readonly close: () => void
}

type Pending = {
  resolve: (v: E.Either<QmpError, unknown>) => void
  timer: NodeJS.Timeout
  command: string
}

/**
 * Connects to a QMP socket, reads the greeting and negotiates capabilities.
 * `timeoutMs` bounds every wait (default 10 s).
 */
export const connect =
  (path: string, timeoutMs = 10_000): TE.TaskEither<QmpError, QmpSession> =>
  () =>
    new Promise((resolve) => {
      const socket: Socket = createConnection({ path })
      let buffer = ''
      let greeted = false
      let nextId = 1
      let closed = false
      const pending = new Map<string, Pending>()
      const fail = (e: QmpError): void => {
        for (const p of pending.values()) {
          clearTimeout(p.timer)
          p.resolve(E.left(e))
        }
        pending.clear()
      }
      const greetTimer = setTimeout(() => {
        socket.destroy()
        resolve(
          E.left({
            _tag: 'Timeout',
            what: 'greeting',
            message: `no QMP greeting from ${path} within ${timeoutMs} ms`,
          }),
        )
      }, timeoutMs)
      const execute =
        (
          command: string,
          args?: Readonly<Record<string, unknown>>,
        ): TE.TaskEither<QmpError, unknown> =>
        () =>
          new Promise((res) => {
            if (closed)
              return res(E.left({ _tag: 'Closed', message: `QMP connection to ${path} is closed` }))
            const id = `ramaddr-${nextId++}`
            const timer = setTimeout(() => {
              pending.delete(id)
              res(
                E.left({
                  _tag: 'Timeout',
                  what: command,
                  message: `no answer to ${command} within ${timeoutMs} ms`,
                }),
              )
            }, timeoutMs)
            pending.set(id, { resolve: res, timer, command })
            socket.write(
              JSON.stringify({
                execute: command,
                ...(args === undefined ? {} : { arguments: args }),
                id,
              }) + '\n',
            )
          })
      const session: QmpSession = {
        path,
        execute,
        close: () => {
          closed = true
          socket.end()
          socket.destroy()
        },
      }
      socket.setEncoding('utf8')
      socket.on('error', (err) => {
        clearTimeout(greetTimer)
        closed = true
        fail({ _tag: 'Closed', message: `QMP connection to ${path} failed: ${err.message}` })
        if (!greeted)
          resolve(
            E.left({
              _tag: 'ConnectFailed',
              path,
              message: `cannot connect to QMP socket ${path}: ${err.message}`,
            }),
          )
      })
      socket.on('close', () => {
        closed = true
        fail({ _tag: 'Closed', message: `QEMU closed the QMP connection ${path}` })
      })
      socket.on('data', (chunk: string) => {
        buffer += chunk
        for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
          const line = buffer.slice(0, nl).trim()
          buffer = buffer.slice(nl + 1)
          if (line === '') continue
          const msg = readMessage(line)
          if (msg._tag === 'NotJson') {
            fail({ _tag: 'Protocol', message: msg.message })
            continue
          }
          if (msg._tag === 'NotObject') continue
          if (!greeted && msg.greeting) {
            greeted = true
            clearTimeout(greetTimer)
            void execute('qmp_capabilities')().then((r) =>
              resolve(E.isLeft(r) ? (session.close(), r) : E.right(session)),
            )
            continue
          }
          if (msg.event) continue
          const id = msg.id
          const p = id === undefined ? undefined : pending.get(id)
          if (p === undefined || id === undefined) continue
          pending.delete(id)
          clearTimeout(p.timer)
          p.resolve(
            pipe(
              msg.answer,
              E.mapLeft((f): QmpError => ({
                _tag: 'CommandFailed',
                command: p.command,
                message: `${p.command}: ${f.class}: ${f.desc}`,
              })),
            ),
          )
        }
      })
    })

/** Runs an HMP command through `human-monitor-command` and returns its text. */
export const hmp =
  (commandLine: string) =>
  (session: QmpSession): TE.TaskEither<QmpError, string> =>
    pipe(
      session.execute('human-monitor-command', { 'command-line': commandLine }),
      TE.chain((r) =>
        typeof r === 'string'
          ? TE.right(r)
          : TE.left<QmpError, string>({
              _tag: 'Protocol',
              message: `human-monitor-command returned ${oneLine(asText(r))}`,
            }),
      ),
    )

/** The monitor text a translator needs, read from a live QEMU. */
export interface LiveDump {
  readonly mtreeD: string
  readonly mtreeF: string
  readonly ramblock: string
}

/**
 * Reads `info mtree -D`, `info mtree -f` and `info ramblock` from a running QEMU, then
 * closes the session. Parse them with `mtree.parse`, `mtreeFlat.parse` and
 * `infoRamblock.parse`, learning from the flat view (`learn.learn`).
 */
export const dump = (path: string, timeoutMs?: number): TE.TaskEither<QmpError, LiveDump> =>
  pipe(
    connect(path, timeoutMs),
    TE.chain((s) =>
      pipe(
        TE.Do,
        TE.bind('mtreeD', () => hmp('info mtree -D')(s)),
        TE.bind('mtreeF', () => hmp('info mtree -f')(s)),
        TE.bind('ramblock', () => hmp('info ramblock')(s)),
        TE.bimap(
          (e) => {
            s.close()
            return e
          },
          (d) => {
            s.close()
            return d
          },
        ),
      ),
    ),
  )
