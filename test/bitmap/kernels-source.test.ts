// The WebAssembly kernels come from a source a person can read: src/bitmap/kernels.wasm.ts
// must be exactly what tools/build-kernels.mjs (wabt) makes of src/bitmap/kernels.wat today,
// and hold the two builds kernels.ts loads.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { SCALAR_WASM, SIMD_WASM } from '../../src/bitmap/kernels.wasm.js'
import { ROOT } from '../helpers.js'

/** The parts of the WebAssembly API used here (the project's `lib` has no DOM types). */
interface WasmLike {
  readonly validate: (bytes: Uint8Array) => boolean
  readonly Module: { new (bytes: Uint8Array): object; exports(m: object): { name: string }[] }
}
const wasm = (globalThis as unknown as { WebAssembly: WasmLike }).WebAssembly
const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'))

it('kernels.wasm.ts is regenerated from kernels.wat unchanged', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'tools', 'build-kernels.mjs'), '--check'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
  expect(r.stderr).toBe('')
  expect(r.status).toBe(0)
})

it('holds two valid builds exporting the memory and the three kernels', () => {
  for (const hex of [SIMD_WASM, SCALAR_WASM]) {
    expect(wasm.validate(bytes(hex))).toBe(true)
    expect(wasm.Module.exports(new wasm.Module(bytes(hex))).map((e) => e.name)).toEqual([
      'memory',
      'popcnt',
      'or',
      'list',
    ])
  }
  expect(SCALAR_WASM).not.toBe(SIMD_WASM)
})
