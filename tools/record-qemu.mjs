#!/usr/bin/env node
/*
 * record-qemu.mjs: record QEMU memory maps for the ramaddr test fixtures.
 *
 * Usage:
 *   node tools/record-qemu.mjs --scenarios FILE.json --name NAME --out DIR
 *        [--accel tcg|kvm] [--qemu BINARY] [--root DIR] [--timeout SECONDS] [--force]
 *        [--gzip]
 *
 * The scenario NAME is looked up in FILE.json (an array of
 * { name, description, [binary,] args, steps }). The QEMU binary is --qemu, else
 * the scenario's binary (e.g. qemu-system-aarch64), else qemu-system-x86_64.
 * QEMU is started paused and without default devices:
 *
 *   qemu-system-x86_64 -S -nodefaults -display none -accel ACCEL <args>
 *       -qtest unix:TMP/qtest.sock -qtest-log none
 *       -qmp unix:TMP/qmp.sock,server=on,wait=off
 *       [-trace kvm_set_user_memory,file=TMP/kvm-trace.log]    (KVM only)
 *
 * With --root DIR, QEMU runs inside the root file system DIR (e.g. a Debian
 * trixie root holding a later QEMU): `chroot DIR BINARY ...`, with TMP under
 * DIR/tmp (QEMU sees it as /tmp/...). DIR/proc, DIR/dev and DIR/sys must be
 * mounted for QEMU; those that are not are mounted in a private mount namespace
 * of QEMU's own (`unshare --mount --propagation private`), so they vanish with
 * it and nothing outside is mounted or unmounted.
 *
 * Two sockets drive it, both in a fresh temporary directory TMP:
 *
 * - qtest (TMP/qtest.sock). The recorder listens; QEMU connects to it while it
 *   starts. The protocol is line based text: the recorder sends a command such
 *   as `outl 0xcf8 0x80001010` and QEMU answers `OK` (or `OK <value>`, or
 *   `FAIL ...`). Lines starting with `IRQ` are asynchronous notices and are
 *   skipped. A PCI config-space write is done the way firmware does it with
 *   configuration mechanism #1: the address
 *   0x80000000 | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc) goes to port
 *   0xCF8, then the value goes to port 0xCFC + (reg & 3) with an access of the
 *   step's size (outb/outw/outl). An mmio-write step is one qtest memory write
 *   (writeb/writew/writel/writeq ADDR VALUE) into the address space of the first
 *   CPU: on machines without port 0xCF8 (Arm and RISC-V virt) PCI config space
 *   is written through the PCIe ECAM window this way.
 *
 * - QMP (TMP/qmp.sock). QEMU listens; the recorder connects, reads the greeting,
 *   sends `qmp_capabilities`, and then issues commands, one JSON object per
 *   line, each tagged with an `id`. Replies are `{"return": ...}` or
 *   `{"error": ...}` carrying the same id; `{"event": ...}` lines are skipped.
 *   HMP commands (`info mtree`, `gpa2hva`, ...) go through
 *   `human-monitor-command`, whose return value is the monitor's text with
 *   `\r\n` line endings; it is written to the fixtures unchanged.
 *
 * For every state (00 = the machine as created, N = after step N) the recorder
 * saves NN-mtree.txt, NN-mtree-D.txt, NN-mtree-f.txt, NN-ramblock.txt,
 * NN-pci.txt and NN-probes.json (gpa2hva for the first, middle and last page
 * of each ram/rom/romd range in the flat view of address space "memory"), and at the
 * end scenario.json (which names the binary and target when the scenario does).
 * Under KVM, QEMU writes the trace event
 * kvm_set_user_memory to a file; the lines added since the previous state are
 * that state's kvm_slot_ops.
 *
 * Migration mode: a scenario with a `migration` object
 *   { cont?, settleMs?, capabilities?, parameters?, before?: [OP], during?: [OP], converge?,
 *     after?: [OP] }
 * is migrated to a file after its steps (and their states) are recorded:
 *   1. `cont` if cont (the firmware then runs under TCG and dirties pages itself), then
 *      sleep settleMs;
 *   2. the `before` operations;
 *   3. QMP migrate-set-capabilities with `capabilities` (e.g. [{"capability": "xbzrle",
 *      "state": true}]), then migrate-set-parameters with `parameters` (e.g.
 *      {"max-bandwidth": 1048576, "downtime-limit": 1}: a slow migration that completes
 *      only when a bitmap sync finds no page dirty);
 *   4. QMP migrate to TMP/stream.bin: `exec:cat > TMP/stream.bin` on QEMU < 9,
 *      `file:TMP/stream.bin` on QEMU >= 9 (10.0);
 *   5. the `during` operations, each checked to end while the migration is still active;
 *   6. migrate-set-parameters with `converge` (e.g. {"downtime-limit": 20000}), then
 *      query-migrate every 50 ms until `completed` (anything but an active status, or
 *      --timeout, fails);
 *   7. one more state (after: {"op": "migration"}), then the `after` operations;
 *   8. waits until the stream file ends with its vmdesc (a `cat` may still be writing).
 * OP is a step (pci-write, mmio-write, hmp) or
 *   {"op": "write", "gpa": A, "length": 1..65536, "seed": 0..65535}: one qtest
 *      `write 0x<A> <LENGTH> 0x<HEX>` of pattern rq1: the little-endian 64-bit words
 *      0x5251_0000_0000_0000 | seed << 32 | k, k = 0, 1, ..., cut to length bytes;
 *   {"op": "wait-syncs", "count": N} (during only): poll query-migrate until
 *      ram.dirty-sync-count >= N;
 *   {"op": "batch", "writes": [WRITE, ...]}: the writes sent to qtest at once (pipelined),
 *      then their answers read; one query-migrate before and one after the whole batch
 *      (each write is logged with those, and `batch`: the n of the batch's first write);
 *   {"op": "wait-transferred", "bytes": N} (during only): poll until ram.transferred >= N
 *      (e.g. to write pages the first pass has already sent);
 *   {"op": "sleep", "ms": N}.
 * It adds stream.bin (stream.bin.gz with --gzip), writes.json (every operation but the
 * waits and sleeps, in order, with its phase, before/during/after, and query-migrate's
 * status, dirty-sync-count and transferred bytes just before and just after it) and a `migration` key in scenario.json
 * (the scenario's object, uri, stream, streamBytes, and the final query-migrate answer).
 *
 * Nothing is written to DIR unless the whole recording succeeds. QEMU is
 * killed and TMP removed on exit, also on error. Every socket read has a
 * timeout, so a stuck QEMU makes the recorder fail instead of hang.
 */

import { Buffer } from 'node:buffer'
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdtemp, mkdir, readdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises'
import { createServer, createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { setTimeout, clearTimeout } from 'node:timers'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'

const PAGE = 0x1000n
const STATE_FILES = [
  ['mtree', 'mtree.txt', 'info mtree'],
  ['mtree-D', 'mtree-D.txt', 'info mtree -D'],
  ['mtree-f', 'mtree-f.txt', 'info mtree -f'],
  ['ramblock', 'ramblock.txt', 'info ramblock'],
  ['pci', 'pci.txt', 'info pci'],
]
const OUTPUT_FILE =
  /^(\d\d-(mtree|mtree-D|mtree-f|ramblock|pci)\.txt|\d\d-probes\.json|scenario\.json|stream\.bin(\.gz)?|writes\.json)$/
const TRACE_FILE = 'kvm-trace.log'
const DEFAULT_QEMU = 'qemu-system-x86_64'
/** What QEMU needs mounted in a --root: [mount point, mount arguments]. */
const ROOT_MOUNTS = [
  ['proc', ['-t', 'proc', 'proc']],
  ['dev', ['--bind', '/dev']],
  ['sys', ['-t', 'sysfs', 'sys']],
]

class RecorderError extends Error {}

/** A socket to QEMU closed or failed: often because QEMU is exiting with its own error. */
class ConnectionLost extends RecorderError {}

const fail = (message) => {
  throw new RecorderError(message)
}

// ---------------------------------------------------------------- command line

const USAGE =
  'usage: node tools/record-qemu.mjs --scenarios FILE.json --name NAME --out DIR ' +
  '[--accel tcg|kvm] [--qemu BINARY] [--root DIR] [--timeout SECONDS] [--force] [--gzip]'

function parseOptions(argv) {
  try {
    return parseArgs({
      args: argv,
      options: {
        scenarios: { type: 'string' },
        name: { type: 'string' },
        out: { type: 'string' },
        accel: { type: 'string', default: 'tcg' },
        qemu: { type: 'string' },
        root: { type: 'string' },
        timeout: { type: 'string', default: '30' },
        force: { type: 'boolean', default: false },
        gzip: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values
  } catch (err) {
    fail(`${err.message} (${USAGE})`)
  }
}

function parseCommandLine(argv) {
  const values = parseOptions(argv)
  if (values.help) return values
  for (const key of ['scenarios', 'name', 'out']) {
    if (!values[key]) fail(`missing --${key} (${USAGE})`)
  }
  if (!['tcg', 'kvm'].includes(values.accel)) {
    fail(`--accel must be tcg or kvm, not ${values.accel}`)
  }
  const timeout = Number(values.timeout)
  if (!(timeout > 0)) fail(`--timeout must be a positive number of seconds, not ${values.timeout}`)
  if (values.root === '') fail('--root needs a folder')
  return { ...values, timeoutMs: timeout * 1000 }
}

// ------------------------------------------------------------------- scenarios

async function loadScenario(file, name) {
  let list
  try {
    list = JSON.parse(await readFile(file, 'utf8'))
  } catch (err) {
    fail(`cannot read scenarios from ${file}: ${err.message}`)
  }
  if (!Array.isArray(list)) fail(`${file} does not hold an array of scenarios`)
  const scenario = list.find((s) => s && s.name === name)
  if (!scenario) fail(`no scenario named ${name} in ${file}`)
  if (!Array.isArray(scenario.args) || !scenario.args.every((a) => typeof a === 'string')) {
    fail(`scenario ${name}: args must be an array of strings`)
  }
  if (!Array.isArray(scenario.steps)) fail(`scenario ${name}: steps must be an array`)
  if ('binary' in scenario && (typeof scenario.binary !== 'string' || !scenario.binary)) {
    fail(`scenario ${name}: binary must be a non-empty string`)
  }
  scenario.steps.forEach((step, i) => checkStep(step, i + 1))
  if ('migration' in scenario) checkMigration(scenario.migration, `scenario ${name}: migration`)
  return scenario
}

/** Checks a scenario's `migration` object (see the header: migration mode). */
function checkMigration(m, where) {
  if (!m || typeof m !== 'object' || Array.isArray(m)) fail(`${where} must be an object`)
  const known = [
    'cont',
    'settleMs',
    'capabilities',
    'parameters',
    'before',
    'during',
    'converge',
    'after',
  ]
  const unknown = Object.keys(m).filter((k) => !known.includes(k))
  if (unknown.length > 0) fail(`${where}: unknown key(s) ${unknown.join(', ')}`)
  if ('cont' in m && typeof m.cont !== 'boolean') fail(`${where}: cont must be true or false`)
  if ('settleMs' in m && !(Number.isInteger(m.settleMs) && m.settleMs >= 0))
    fail(`${where}: settleMs must be a non-negative integer`)
  if ('capabilities' in m) {
    const ok = (c) => c && typeof c.capability === 'string' && typeof c.state === 'boolean'
    if (!Array.isArray(m.capabilities) || !m.capabilities.every(ok))
      fail(`${where}: capabilities must be an array of {"capability": NAME, "state": true|false}`)
  }
  for (const key of ['parameters', 'converge']) {
    if (key in m && (!m[key] || typeof m[key] !== 'object' || Array.isArray(m[key])))
      fail(`${where}: ${key} must be an object of migrate-set-parameters arguments`)
  }
  for (const phase of ['before', 'during', 'after']) {
    if (!(phase in m)) continue
    if (!Array.isArray(m[phase])) fail(`${where}: ${phase} must be an array of operations`)
    m[phase].forEach((op, i) => checkMigrationOp(op, `${where}.${phase}[${i}]`, phase))
  }
}

function checkMigrationOp(op, where, phase) {
  const what = `${where} (${JSON.stringify(op)})`
  if (op?.op === 'write') {
    const gpa = bigIntOf(op.gpa)
    if (gpa === null || gpa < 0n) fail(`${what}: gpa must be an address`)
    if (!(Number.isInteger(op.length) && op.length >= 1 && op.length <= 0x10000))
      fail(`${what}: length must be 1..65536`)
    if (!(Number.isInteger(op.seed) && op.seed >= 0 && op.seed <= 0xffff))
      fail(`${what}: seed must be 0..65535`)
  } else if (op?.op === 'wait-syncs') {
    if (phase !== 'during') fail(`${what}: wait-syncs only during the migration`)
    if (!(Number.isInteger(op.count) && op.count >= 1)) fail(`${what}: count must be >= 1`)
  } else if (op?.op === 'batch') {
    if (!Array.isArray(op.writes) || op.writes.length === 0)
      fail(`${what}: a batch needs writes: [{"op": "write", ...}, ...]`)
    op.writes.forEach((w, i) => {
      if (w?.op !== 'write') fail(`${what}: writes[${i}] is not a write`)
      checkMigrationOp(w, `${where}.writes[${i}]`, phase)
    })
  } else if (op?.op === 'wait-transferred') {
    if (phase !== 'during') fail(`${what}: wait-transferred only during the migration`)
    if (!(Number.isInteger(op.bytes) && op.bytes >= 1)) fail(`${what}: bytes must be >= 1`)
  } else if (op?.op === 'sleep') {
    if (!(Number.isInteger(op.ms) && op.ms >= 0 && op.ms <= 60000)) fail(`${what}: ms 0..60000`)
  } else {
    checkStep(op, where)
  }
}

function checkStep(step, n) {
  const where = typeof n === 'string' ? n : `step ${n} (${JSON.stringify(step)})`
  if (step?.op === 'pci-write') {
    const { bdf, reg, size, value } = step
    const ok = (v, max) => Number.isInteger(v) && v >= 0 && v <= max
    if (!Array.isArray(bdf) || bdf.length !== 3) fail(`${where}: bdf must be [bus, dev, fn]`)
    if (!ok(bdf[0], 255) || !ok(bdf[1], 31) || !ok(bdf[2], 7)) fail(`${where}: bad bdf`)
    if (![1, 2, 4].includes(size)) fail(`${where}: size must be 1, 2 or 4`)
    if (!ok(reg, 255) || (reg & 3) + size > 4)
      fail(`${where}: reg must lie in 0..255 within one dword`)
    if (!ok(value, 2 ** (8 * size) - 1)) fail(`${where}: value does not fit in ${size} byte(s)`)
  } else if (step?.op === 'mmio-write') {
    const { size } = step
    if (![1, 2, 4, 8].includes(size)) fail(`${where}: size must be 1, 2, 4 or 8`)
    const addr = bigIntOf(step.addr)
    const value = bigIntOf(step.value)
    if (addr === null || addr < 0n || addr + BigInt(size) > 1n << 64n) {
      fail(`${where}: addr must be a 64-bit address (a number, or a string for large ones)`)
    }
    if (addr % BigInt(size) !== 0n) fail(`${where}: addr must be aligned to size`)
    if (value === null || value < 0n || value >= 1n << BigInt(8 * size)) {
      fail(`${where}: value does not fit in ${size} byte(s)`)
    }
  } else if (step?.op === 'hmp') {
    if (typeof step.command !== 'string' || !step.command) fail(`${where}: hmp needs a command`)
  } else {
    fail(
      `${where}: unknown op (supported: pci-write, mmio-write, hmp; in a migration also write, batch, wait-syncs, wait-transferred, sleep)`,
    )
  }
}

/**
 * A step's integer: a JSON number that is a safe integer, or a string ("0x..." or
 * decimal) for values beyond 2^53. null if it is neither.
 */
function bigIntOf(v) {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : null
  if (typeof v === 'string' && /^(0x[0-9a-f]+|[0-9]+)$/i.test(v)) return BigInt(v)
  return null
}

/** Rejects with a RecorderError(message) unless promise settles within ms. */
async function withTimeout(promise, ms, message) {
  let timer
  const expired = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new RecorderError(message)), ms)
  })
  try {
    return await Promise.race([promise, expired])
  } finally {
    clearTimeout(timer)
  }
}

// --------------------------------------------------------------- line sockets

/** Buffers a socket's input and hands it out line by line, each read with a timeout. */
class LineReader {
  constructor(socket, label, timeoutMs) {
    this.label = label
    this.timeoutMs = timeoutMs
    this.buffer = ''
    this.lines = []
    this.waiter = null
    this.closed = null
    socket.setEncoding('utf8')
    socket.on('data', (chunk) => this.onData(chunk))
    socket.on('error', (err) => this.onClose(`${label} socket error: ${err.message}`))
    socket.on('close', () => this.onClose(`${label} socket closed by QEMU`))
  }

  onData(chunk) {
    this.buffer += chunk
    let nl
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      this.lines.push(this.buffer.slice(0, nl))
      this.buffer = this.buffer.slice(nl + 1)
    }
    this.wake()
  }

  onClose(reason) {
    this.closed ??= reason
    this.wake()
  }

  wake() {
    const waiter = this.waiter
    if (!waiter) return
    if (this.lines.length > 0) waiter.resolve(this.lines.shift())
    else if (this.closed) waiter.reject(new ConnectionLost(this.closed))
    else return
    this.waiter = null
    clearTimeout(waiter.timer)
  }

  /** Resolves with the next line (without its '\n'). */
  readLine(what) {
    if (this.waiter) return Promise.reject(new Error(`${this.label}: concurrent reads`))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null
        reject(new RecorderError(`${this.label}: no answer within ${this.timeoutMs} ms to ${what}`))
      }, this.timeoutMs)
      this.waiter = { resolve, reject, timer }
      this.wake()
    })
  }
}

// ----------------------------------------------------------------------- qtest

/** Listens on path; resolves with a connection once QEMU has connected. */
function listenOnce(path) {
  const server = createServer()
  const connection = new Promise((resolve, reject) => {
    server.once('connection', (socket) => {
      server.close()
      resolve(socket)
    })
    server.once('error', reject)
  })
  const listening = new Promise((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
    server.listen(path)
  })
  return { server, listening, connection }
}

class Qtest {
  constructor(socket, timeoutMs) {
    this.socket = socket
    this.reader = new LineReader(socket, 'qtest', timeoutMs)
  }

  async command(line) {
    this.socket.write(`${line}\n`)
    for (;;) {
      const answer = await this.reader.readLine(`qtest command "${line}"`)
      if (answer.startsWith('IRQ')) continue
      if (answer === 'OK' || answer.startsWith('OK ')) return answer
      fail(`qtest command "${line}" failed: ${answer}`)
    }
  }

  /** Sends all lines at once, then reads their answers in order (each must be OK). */
  async pipeline(lines) {
    this.socket.write(lines.map((l) => `${l}\n`).join(''))
    for (const line of lines) {
      for (;;) {
        const answer = await this.reader.readLine(`qtest command "${line.slice(0, 60)}"`)
        if (answer.startsWith('IRQ')) continue
        if (answer === 'OK' || answer.startsWith('OK ')) break
        fail(`qtest command "${line.slice(0, 60)}..." failed: ${answer}`)
      }
    }
  }

  async pciWrite([bus, dev, fn], reg, size, value) {
    const address = (0x80000000 | (bus << 16) | (dev << 11) | (fn << 8) | (reg & 0xfc)) >>> 0
    const op = { 1: 'outb', 2: 'outw', 4: 'outl' }[size]
    await this.command(`outl 0xcf8 0x${address.toString(16)}`)
    await this.command(`${op} 0x${(0xcfc + (reg & 3)).toString(16)} 0x${value.toString(16)}`)
  }

  /** Writes the bytes (a Buffer) at gpa: `write 0x<GPA> <LENGTH> 0x<HEX>`. */
  async writeBytes(gpa, bytes) {
    await this.command(`write 0x${gpa.toString(16)} ${bytes.length} 0x${bytes.toString('hex')}`)
  }

  /** One memory write of size bytes, little-endian as the guest does it. */
  async mmioWrite(addr, size, value) {
    const op = { 1: 'writeb', 2: 'writew', 4: 'writel', 8: 'writeq' }[size]
    await this.command(`${op} 0x${addr.toString(16)} 0x${value.toString(16)}`)
  }
}

// ------------------------------------------------------------------------- QMP

async function connectWithRetry(path, timeoutMs, qemuExited) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await new Promise((resolve, reject) => {
        const socket = createConnection(path)
        socket.once('connect', () => resolve(socket))
        socket.once('error', reject)
      })
    } catch (err) {
      if (qemuExited()) fail('QEMU exited before its QMP socket accepted a connection')
      if (Date.now() > deadline) fail(`cannot connect to QMP socket ${path}: ${err.message}`)
      await sleep(50)
    }
  }
}

class Qmp {
  constructor(socket, timeoutMs) {
    this.socket = socket
    this.reader = new LineReader(socket, 'QMP', timeoutMs)
    this.nextId = 1
  }

  async readMessage(what) {
    const line = await this.reader.readLine(what)
    try {
      return JSON.parse(line)
    } catch {
      fail(`QMP sent something that is not JSON: ${line.slice(0, 200)}`)
    }
  }

  async handshake() {
    const greeting = await this.readMessage('the QMP greeting')
    if (!greeting.QMP) fail(`unexpected QMP greeting: ${JSON.stringify(greeting)}`)
    await this.execute('qmp_capabilities')
  }

  async execute(command, args) {
    const id = this.nextId++
    const request = { execute: command, id }
    if (args) request.arguments = args
    this.socket.write(`${JSON.stringify(request)}\n`)
    for (;;) {
      const reply = await this.readMessage(`QMP command ${command}`)
      if (reply.event || reply.id !== id) continue
      if (reply.error) fail(`QMP ${command} failed: ${reply.error.class}: ${reply.error.desc}`)
      return reply.return
    }
  }

  hmp(commandLine) {
    return this.execute('human-monitor-command', { 'command-line': commandLine })
  }
}

// ------------------------------------------------------------------------ QEMU

/** QEMU's arguments; tmp is the socket folder as QEMU sees it (inside the root, if any). */
function qemuArgs(scenario, accel, tmp) {
  const args = ['-S', '-nodefaults', '-display', 'none', '-accel', accel, ...scenario.args]
  args.push('-qtest', `unix:${join(tmp, 'qtest.sock')}`, '-qtest-log', 'none')
  args.push('-qmp', `unix:${join(tmp, 'qmp.sock')},server=on,wait=off`)
  if (accel === 'kvm') args.push('-trace', `kvm_set_user_memory,file=${join(tmp, TRACE_FILE)}`)
  return args
}

/**
 * The command that starts QEMU: the binary itself, or with a root `chroot ROOT BINARY`,
 * preceded by a private mount namespace that mounts what the root lacks. Every
 * program in the chain execs the next, so the child's pid is QEMU's.
 */
function qemuCommand(binary, args, root) {
  if (!root) return [binary, args]
  if (root.mounts.length === 0) return ['chroot', [root.dir, binary, ...args]]
  const mounts = root.mounts.map(
    ([point, how]) => `mount ${how.map(shellQuote).join(' ')} ${shellQuote(join(root.dir, point))}`,
  )
  // sh -c SCRIPT sh ROOT BINARY ARGS...: "$@" is then ROOT BINARY ARGS...
  const script = `set -e; ${mounts.join('; ')}; exec chroot "$@"`
  const sh = ['sh', '-c', script, 'sh', root.dir, binary, ...args]
  return ['unshare', ['--mount', '--propagation', 'private', '--', ...sh]]
}

const shellQuote = (s) => `'${s.replace(/'/g, `'\\''`)}'`

/** Starts QEMU; keeps the tail of its stderr for error messages. */
function startQemu(binary, args, root) {
  const [command, argv] = qemuCommand(binary, args, root)
  const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'] })
  const state = { child, stderr: '', exit: null, spawnError: null }
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk) => {
    state.stderr = (state.stderr + chunk).slice(-4000)
  })
  state.exited = new Promise((resolve) => {
    child.once('error', (err) => {
      state.spawnError = err
      resolve()
    })
    child.once('exit', (code, signal) => {
      state.exit = signal ? `signal ${signal}` : `status ${code}`
      resolve()
    })
  })
  return state
}

/** The Debian package that holds a qemu-system-* binary. */
function debianPackage(binary) {
  const target = targetOf(binary)
  if (['x86_64', 'i386'].includes(target)) return 'qemu-system-x86'
  if (['aarch64', 'arm'].includes(target)) return 'qemu-system-arm'
  const family = /^(ppc|mips|sparc|s390x)/.exec(target)
  if (family) return `qemu-system-${family[1]}`
  return 'qemu-system-misc'
}

/** qemu-system-aarch64 -> aarch64. */
const targetOf = (binary) => basename(binary).replace(/^qemu-system-/, '')

function describeQemuFailure(qemu, binary) {
  if (qemu.spawnError?.code === 'ENOENT') {
    const what = qemu.spawnError.path ?? binary
    if (what !== binary) return `cannot start QEMU: ${what} not found`
    return `QEMU not found: ${binary} (install it with: apt-get install ${debianPackage(binary)})`
  }
  if (qemu.spawnError) return `cannot start ${binary}: ${qemu.spawnError.message}`
  const stderr = qemu.stderr.trim().split('\n').filter(Boolean)
  const last = stderr.filter((l) => !l.includes('warning:')).pop() ?? stderr.pop() ?? ''
  return `QEMU exited with ${qemu.exit}${last ? `: ${last}` : ''}`
}

async function stopQemu(qemu) {
  if (qemu.exit === null && !qemu.spawnError) {
    qemu.child.kill('SIGKILL')
    await qemu.exited
  }
}

/** Races a promise against QEMU's exit, so a dying QEMU is reported as such. */
function unlessQemuDies(qemu, binary, promise) {
  const died = qemu.exited.then(() => fail(describeQemuFailure(qemu, binary)))
  return Promise.race([promise, died])
}

// ----------------------------------------------------------------------- probes

/** The lines of the FlatView that address space "memory" uses, from `info mtree -f`. */
function memoryFlatView(text) {
  const blocks = text.split('\r\n\r\n')
  const isMemory = (line) => line.startsWith(' AS "memory", root: ')
  const block = blocks.find((b) => b.split('\r\n').some(isMemory))
  if (!block) fail('info mtree -f shows no FlatView for address space "memory"')
  return block.split('\r\n')
}

const FLAT_RANGE = /^ {2}([0-9a-f]{16})-([0-9a-f]{16}) \(prio -?\d+, ([a-z/-]+)\): /

/** Range types that gpa2hva resolves: RAM, ROM, and ROM devices in ROM mode (flash). */
const PROBED = new Set(['ram', 'rom', 'romd'])

/**
 * First, middle and last page of each ram/rom/romd range; middle = start +
 * floor((pages - 1) / 2) pages. (Only other targets' flash is romd: x86 pc and q35
 * without pflash drives have none.)
 */
function probeAddresses(flatViewLines) {
  const addresses = []
  for (const line of flatViewLines) {
    const m = FLAT_RANGE.exec(line)
    if (!m || !PROBED.has(m[3])) continue
    const start = BigInt(`0x${m[1]}`)
    const lastPage = BigInt(`0x${m[2]}`) & ~(PAGE - 1n)
    const middle = start + ((lastPage - start) / PAGE / 2n) * PAGE
    addresses.push(start, middle, lastPage)
  }
  return addresses
}

const GPA2HVA = /^Host virtual address for (0x[0-9a-f]+) \((.*)\) is (0x[0-9a-f]+)$/

async function probe(qmp, gpa) {
  const raw = (await qmp.hmp(`gpa2hva 0x${gpa.toString(16)}`)).replace(/\r\n$/, '')
  const m = GPA2HVA.exec(raw)
  if (!m) fail(`gpa2hva 0x${gpa.toString(16)} answered: ${raw}`)
  return { gpa: m[1], region: m[2], hva: m[3], raw }
}

// ---------------------------------------------------------------------- record

const json = (value) => JSON.stringify(value, null, 1)
const stateNumber = (n) => String(n).padStart(2, '0')

/** Runs the HMP queries for one state; returns { files: {key: name}, contents: {name: text} }. */
async function recordState(qmp, n) {
  const nn = stateNumber(n)
  const files = {}
  const contents = {}
  let flat = null
  for (const [key, suffix, command] of STATE_FILES) {
    const name = `${nn}-${suffix}`
    const text = await qmp.hmp(command)
    if (typeof text !== 'string') fail(`${command} returned no text`)
    files[key] = name
    contents[name] = text
    if (key === 'mtree-f') flat = text
  }
  const probes = []
  for (const gpa of probeAddresses(memoryFlatView(flat))) probes.push(await probe(qmp, gpa))
  files.probes = `${nn}-probes.json`
  contents[files.probes] = json(probes)
  return { files, contents }
}

async function applyStep(step, n, qtest, qmp) {
  try {
    if (step.op === 'pci-write') {
      await qtest.pciWrite(step.bdf, step.reg, step.size, step.value)
    } else if (step.op === 'mmio-write') {
      await qtest.mmioWrite(bigIntOf(step.addr), step.size, bigIntOf(step.value))
    } else {
      const out = await qmp.hmp(step.command)
      if (/^Error\b|^unknown command/i.test(out)) fail(out.trim())
    }
  } catch (err) {
    if (err instanceof RecorderError)
      fail(`step ${n} (${JSON.stringify(step)}) failed: ${err.message}`)
    throw err
  }
}

/** Complete lines added to the KVM trace file since the previous call. */
function traceTail(path) {
  let consumed = 0
  return async () => {
    let text
    try {
      text = await readFile(path, 'utf8')
    } catch (err) {
      fail(`cannot read the KVM trace file: ${err.message}`)
    }
    const end = text.lastIndexOf('\n') + 1
    const fresh = text.slice(consumed, end)
    consumed = Math.max(consumed, end)
    return fresh.split('\n').filter((l) => l.startsWith('kvm_set_user_memory '))
  }
}

/** The QEMU binary: --qemu, else the scenario's binary, else qemu-system-x86_64. */
const binaryFor = (opts, scenario) => opts.qemu ?? scenario.binary ?? DEFAULT_QEMU

/**
 * tmp is the socket folder as the recorder sees it; with a root, QEMU sees it as
 * /tmp/<basename> (it lies in ROOT/tmp).
 */
async function record(opts, scenario, tmp, root, running) {
  const binary = binaryFor(opts, scenario)
  const qemuTmp = root ? `/tmp/${basename(tmp)}` : tmp
  const qtestListener = listenOnce(join(tmp, 'qtest.sock'))
  await qtestListener.listening
  const qemu = startQemu(binary, qemuArgs(scenario, opts.accel, qemuTmp), root)
  running.qemu = qemu
  try {
    const guard = (promise) => unlessQemuDies(qemu, binary, promise)
    const accepted = withTimeout(
      qtestListener.connection,
      opts.timeoutMs,
      `QEMU did not connect to the qtest socket within ${opts.timeoutMs} ms`,
    )
    const qtest = new Qtest(await guard(accepted), opts.timeoutMs)
    const qmpSocket = await guard(
      connectWithRetry(join(tmp, 'qmp.sock'), opts.timeoutMs, () => qemu.exit !== null),
    )
    const qmp = new Qmp(qmpSocket, opts.timeoutMs)
    return await guard(runScenario(opts, scenario, tmp, qemuTmp, qtest, qmp))
  } catch (err) {
    // Prefer QEMU's own message when it is on its way out.
    if (err instanceof ConnectionLost) await withTimeout(qemu.exited, 2000, '').catch(() => {})
    if (qemu.exit !== null || qemu.spawnError) fail(describeQemuFailure(qemu, binary))
    throw err
  } finally {
    qtestListener.server.close()
    await stopQemu(qemu)
  }
}

async function runScenario(opts, scenario, tmp, qemuTmp, qtest, qmp) {
  await qmp.handshake()
  const v = (await qmp.execute('query-version')).qemu
  const kvm = opts.accel === 'kvm'
  const slotOps = kvm ? traceTail(join(tmp, TRACE_FILE)) : null
  const states = []
  const contents = {}
  const steps = [null, ...scenario.steps]
  for (const [n, step] of steps.entries()) {
    if (step) await applyStep(step, n, qtest, qmp)
    const recorded = await recordState(qmp, n)
    Object.assign(contents, recorded.contents)
    const state = { after: step, files: recorded.files }
    if (kvm) state.kvm_slot_ops = await slotOps()
    states.push(state)
    process.stderr.write(`record-qemu: ${scenario.name} state ${stateNumber(n)} recorded\n`)
  }
  let migration = null
  if (scenario.migration) {
    const run = await runMigration(scenario.migration, v, qemuTmp, qtest, qmp, opts)
    const n = steps.length
    const recorded = await recordState(qmp, n)
    Object.assign(contents, recorded.contents)
    states.push({ after: { op: 'migration' }, files: recorded.files })
    process.stderr.write(`record-qemu: ${scenario.name} state ${stateNumber(n)} recorded\n`)
    await run.after()
    const stream = await readStream(tmp, opts.timeoutMs)
    const file = opts.gzip ? 'stream.bin.gz' : 'stream.bin'
    contents[file] = opts.gzip ? gzipSync(stream, { level: 9 }) : stream
    contents['writes.json'] = json(run.events)
    migration = {
      ...scenario.migration,
      uri: run.uri.replace(qemuTmp, 'TMP'),
      stream: file,
      streamBytes: stream.length,
      final: run.final,
    }
  }
  const header = kvm ? { accel: 'kvm' } : {}
  // A scenario that names its binary (another target) keeps it, and its target.
  const target = scenario.binary
    ? { binary: scenario.binary, target: targetOf(scenario.binary) }
    : {}
  const description = {
    ...header,
    name: scenario.name,
    ...target,
    qemu: `${v.major}.${v.minor}.${v.micro}`,
    args: scenario.args,
    description: scenario.description,
    states,
    ...(migration ? { migration } : {}),
  }
  contents['scenario.json'] = json(description)
  return contents
}

// ------------------------------------------------------------------- migration

/**
 * The bytes of a migration-mode write (pattern "rq1"): the 64-bit little-endian words
 * 0x5251_0000_0000_0000 | seed << 32 | k for k = 0, 1, 2, ..., cut to length bytes.
 * In memory each word reads k (4 bytes), seed (2 bytes), then "QR"; no page of it is zero.
 */
function patternBytes(seed, length) {
  const words = Math.ceil(length / 8)
  const buf = Buffer.alloc(words * 8)
  for (let k = 0; k < words; k++) {
    buf.writeBigUInt64LE(0x5251000000000000n | (BigInt(seed) << 32n) | BigInt(k), k * 8)
  }
  return buf.subarray(0, length)
}

const ACTIVE = new Set(['setup', 'active', 'pre-switchover', 'device', 'wait-unplug'])

/** query-migrate's status and RAM counters, trimmed to what writes.json records. */
async function progress(qmp) {
  const info = await qmp.execute('query-migrate')
  return {
    status: info.status ?? 'none',
    syncs: info.ram?.['dirty-sync-count'] ?? 0,
    transferred: info.ram?.transferred ?? 0,
  }
}

/** Whether buf is a whole stream: it ends with QEMU_VM_VMDESCRIPTION, a be32 length and that much JSON. */
function streamComplete(buf) {
  if (buf.length < 13 || buf.readUInt32BE(0) !== 0x5145564d) return false
  const from = Math.max(8, buf.length - (1 << 22))
  for (let i = buf.length - 6; i >= from; i--) {
    if (buf[i] !== 0x06 || buf[i + 5] !== 0x7b) continue
    if (buf.readUInt32BE(i + 1) !== buf.length - i - 5) continue
    try {
      JSON.parse(buf.subarray(i + 5).toString('utf8'))
      return true
    } catch {
      return false
    }
  }
  return false
}

/**
 * Migration mode: cont (optionally), the `before` operations, migrate-set-parameters,
 * migrate to TMP/stream.bin, the `during` operations while it runs, migrate-set-parameters
 * `converge`, wait for `completed`, then (after the caller recorded the end state) the
 * `after` operations. Returns { uri, events, final } and leaves the stream in tmp.
 */
async function runMigration(m, version, qemuTmp, qtest, qmp, opts) {
  const events = []
  const apply = async (phase, op, where) => {
    if (op.op === 'sleep') return sleep(op.ms)
    if (op.op === 'wait-syncs' || op.op === 'wait-transferred') {
      const [key, goal, what] =
        op.op === 'wait-syncs'
          ? ['syncs', op.count, 'bitmap syncs']
          : ['transferred', op.bytes, 'bytes transferred']
      const deadline = Date.now() + opts.timeoutMs
      for (;;) {
        const p = await progress(qmp)
        if (p[key] >= goal) return
        if (!ACTIVE.has(p.status))
          fail(`${where}: migration ${p.status} before ${goal} ${what} (had ${p[key]})`)
        if (Date.now() > deadline)
          fail(`${where}: fewer than ${goal} ${what} within ${opts.timeoutMs} ms`)
        await sleep(5)
      }
    }
    const before = await progress(qmp)
    if (op.op === 'batch') {
      const parts = op.writes.map((w) => [bigIntOf(w.gpa), patternBytes(w.seed, w.length), w])
      await qtest.pipeline(
        parts.map(
          ([gpa, bytes]) =>
            `write 0x${gpa.toString(16)} ${bytes.length} 0x${bytes.toString('hex')}`,
        ),
      )
      const after = await progress(qmp)
      const batch = events.length
      for (const [gpa, bytes, w] of parts) {
        const entry = {
          op: 'write',
          gpa: `0x${gpa.toString(16)}`,
          length: w.length,
          pattern: 'rq1',
          seed: w.seed,
          head: bytes.subarray(0, 16).toString('hex'),
          batch,
        }
        events.push({
          n: events.length,
          phase,
          ...entry,
          progressBefore: before,
          progressAfter: after,
        })
      }
      return
    }
    if (op.op === 'write') {
      const gpa = bigIntOf(op.gpa)
      const bytes = patternBytes(op.seed, op.length)
      await qtest.writeBytes(gpa, bytes)
      const entry = {
        op: 'write',
        gpa: `0x${gpa.toString(16)}`,
        length: op.length,
        pattern: 'rq1',
        seed: op.seed,
        head: bytes.subarray(0, 16).toString('hex'),
      }
      events.push({
        n: events.length,
        phase,
        ...entry,
        progressBefore: before,
        progressAfter: await progress(qmp),
      })
      return
    }
    await applyStep(op, where, qtest, qmp)
    events.push({
      n: events.length,
      phase,
      ...op,
      progressBefore: before,
      progressAfter: await progress(qmp),
    })
  }
  if (m.cont) await qmp.execute('cont')
  if (m.settleMs) await sleep(m.settleMs)
  for (const [i, op] of (m.before ?? []).entries()) await apply('before', op, `before[${i}]`)
  if (m.capabilities)
    await qmp.execute('migrate-set-capabilities', { capabilities: m.capabilities })
  if (m.parameters) await qmp.execute('migrate-set-parameters', m.parameters)
  const path = join(qemuTmp, 'stream.bin')
  const uri = version.major >= 9 ? `file:${path}` : `exec:cat > ${path}`
  await qmp.execute('migrate', { uri })
  for (const [i, op] of (m.during ?? []).entries()) {
    await apply('during', op, `during[${i}]`)
    const last = events.at(-1)
    if (last?.phase === 'during' && !ACTIVE.has(last.progressAfter.status))
      fail(
        `during[${i}]: the migration was ${last.progressAfter.status} by then (make it slower;` +
          ` before: ${JSON.stringify(last.progressBefore)})`,
      )
  }
  if (m.converge) await qmp.execute('migrate-set-parameters', m.converge)
  const deadline = Date.now() + opts.timeoutMs
  let final
  for (;;) {
    final = await qmp.execute('query-migrate')
    if (final.status === 'completed') break
    if (!ACTIVE.has(final.status))
      fail(`migration ${final.status}${final['error-desc'] ? `: ${final['error-desc']}` : ''}`)
    if (Date.now() > deadline) fail(`migration not completed within ${opts.timeoutMs} ms`)
    await sleep(50)
  }
  process.stderr.write(
    `record-qemu: migration completed after ${final.ram?.['dirty-sync-count']} bitmap syncs\n`,
  )
  const after = async () => {
    for (const [i, op] of (m.after ?? []).entries()) await apply('after', op, `after[${i}]`)
  }
  return { uri, events, final, after }
}

/** Waits until tmp/stream.bin is a whole stream (a pipe's `cat` may still be writing). */
async function readStream(tmp, timeoutMs) {
  const path = join(tmp, 'stream.bin')
  const deadline = Date.now() + timeoutMs
  for (;;) {
    let buf = null
    try {
      buf = await readFile(path)
    } catch (err) {
      if (err.code !== 'ENOENT') fail(`cannot read the migration stream: ${err.message}`)
    }
    if (buf && streamComplete(buf)) return buf
    if (Date.now() > deadline)
      fail(
        `the migration stream ${path} is incomplete (${buf?.length ?? 0} bytes, no vmdesc at its end)`,
      )
    await sleep(50)
  }
}

// ---------------------------------------------------------------------- output

/** The files of an earlier recording in dir, which --force allows to replace. */
async function checkOutput(dir, force) {
  let existing
  try {
    existing = await readdir(dir)
  } catch (err) {
    if (err.code === 'ENOENT') return []
    fail(`cannot read output directory ${dir}: ${err.message}`)
  }
  if (existing.length === 0) return []
  if (!force) fail(`output directory ${dir} is not empty (use --force to replace a recording)`)
  const foreign = existing.filter((f) => !OUTPUT_FILE.test(f))
  if (foreign.length > 0)
    fail(`output directory ${dir} holds files the recorder did not write: ${foreign.join(', ')}`)
  return existing
}

async function writeOutput(dir, stale, contents) {
  await mkdir(dir, { recursive: true })
  await Promise.all(stale.map((f) => rm(join(dir, f))))
  for (const [name, text] of Object.entries(contents)) await writeFile(join(dir, name), text)
}

// ------------------------------------------------------------------------ root

/** The mount points of this mount namespace (from /proc/self/mountinfo). */
async function mountPoints() {
  const text = await readFile('/proc/self/mountinfo', 'utf8')
  const unescape = (s) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)))
  return new Set(
    text
      .split('\n')
      .filter(Boolean)
      .map((line) => unescape(line.split(' ')[4])),
  )
}

/**
 * Checks a --root folder; returns { dir, mounts }: its real path and the mounts of
 * ROOT_MOUNTS it lacks, which qemuCommand makes in QEMU's private mount namespace.
 */
async function prepareRoot(path) {
  let dir
  try {
    dir = await realpath(resolve(path))
    if (!(await stat(join(dir, 'tmp'))).isDirectory()) fail(`--root ${path}: tmp is not a folder`)
  } catch (err) {
    if (err instanceof RecorderError) throw err
    fail(`--root ${path}: ${err.message}`)
  }
  if (process.getuid?.() !== 0) fail('--root needs root (chroot, mount)')
  const mounted = await mountPoints()
  const mounts = ROOT_MOUNTS.filter(([point]) => !mounted.has(join(dir, point)))
  if (mounts.length > 0) {
    const points = mounts.map(([point]) => join(dir, point)).join(', ')
    process.stderr.write(
      `record-qemu: ${points} not mounted: mounting in QEMU's own mount namespace\n`,
    )
  }
  return { dir, mounts }
}

// ------------------------------------------------------------------------ main

async function main() {
  const opts = parseCommandLine(process.argv.slice(2))
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`)
    return
  }
  const scenario = await loadScenario(opts.scenarios, opts.name)
  const stale = await checkOutput(opts.out, opts.force)
  const root = opts.root ? await prepareRoot(opts.root) : null
  const tmp = await mkdtemp(join(root ? join(root.dir, 'tmp') : tmpdir(), 'record-qemu-'))
  const running = { qemu: null }
  // Last-resort cleanup when the recorder itself is stopped or crashes.
  const emergencyCleanup = () => {
    if (running.qemu && running.qemu.exit === null) running.qemu.child.kill('SIGKILL')
    rmSync(tmp, { recursive: true, force: true })
  }
  const onSignal = (signal) => {
    process.stderr.write(`record-qemu: interrupted by ${signal}\n`)
    emergencyCleanup()
    process.exit(130)
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  process.once('exit', emergencyCleanup)
  try {
    const contents = await record(opts, scenario, tmp, root, running)
    await writeOutput(opts.out, stale, contents)
    const states = scenario.steps.length + (scenario.migration ? 2 : 1)
    process.stderr.write(
      `record-qemu: wrote ${states} state(s) of ${scenario.name} to ${opts.out}\n`,
    )
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
}

main().catch((err) => {
  const message = err instanceof RecorderError ? err.message : (err?.stack ?? String(err))
  process.stderr.write(`record-qemu: ${message}\n`)
  process.exitCode = process.exitCode || 1
})
