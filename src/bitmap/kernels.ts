/**
 * Word kernels over ranges of `Uint32Array`s (internal): counting, scanning, listing set
 * bits, shifting and combining little-endian 32-bit bitmap words (page `p` of a range is
 * bit `p % 32` of word `p / 32`).
 *
 * Long ranges run in a tiny WebAssembly module assembled below from bytes written in this
 * file (no `.wasm` file, no dependency). The module defines its own fixed memory of three
 * scratch areas of `CHUNK_WORDS` (32768) words each: the caller's words are copied in with
 * `TypedArray.prototype.set` (a `memcpy`), a kernel runs over them 64 bits (128 with SIMD,
 * when the host validates a SIMD module) at a time, and results are copied out the same
 * way. Short ranges, where a call and the copies cost more than they save, and hosts
 * without WebAssembly (or whose WebAssembly rejects the module) use plain JavaScript loops
 * with identical results; {@link forceJs} selects those for tests and benchmarks.
 *
 * Offsets and lengths are in 32-bit words and may be any integers (odd ones too): a scratch
 * copy always starts at an aligned address, and is padded to a whole number of 64-byte
 * blocks with words that cannot change the result (a scan instead drops any answer past
 * the range's end).
 *
 * @module
 */
import { ctz, popcount } from './bits.js'

// ---------------------------------------------------------------------------------------
// A minimal WebAssembly binary emitter.

/** Value types. */
const I32 = 0x7f
const I64 = 0x7e
const V128 = 0x7b
type ValType = typeof I32 | typeof I64 | typeof V128

/** Unsigned LEB128. */
const uleb = (n: number): number[] => {
  const out: number[] = []
  let v = n >>> 0
  for (;;) {
    const b = v & 0x7f
    v >>>= 7
    if (v === 0) {
      out.push(b)
      return out
    }
    out.push(b | 0x80)
  }
}

/** Signed LEB128 of a 32-bit integer (also an `i64.const` of one: the decoder sign-extends). */
const sleb = (n: number): number[] => {
  const out: number[] = []
  let v = n | 0
  for (;;) {
    const b = v & 0x7f
    v >>= 7
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b)
      return out
    }
    out.push(b | 0x80)
  }
}

/** A vector: its length, then its items. */
const vec = (items: readonly (readonly number[])[]): number[] => [
  ...uleb(items.length),
  ...items.flat(),
]

/** A name: its UTF-8 bytes as a vector (ASCII here). */
const name = (s: string): number[] => vec([...s].map((c) => [c.charCodeAt(0)]))

/** A section: its id, its size, its contents. */
const section = (id: number, contents: readonly number[]): number[] => [
  id,
  ...uleb(contents.length),
  ...contents,
]

/** An instruction sequence. */
type Code = readonly number[]

/** Structured control (block types are always empty: results go through locals). */
const block = (...body: Code[]): number[] => [0x02, 0x40, ...body.flat(), 0x0b]
const loop = (...body: Code[]): number[] => [0x03, 0x40, ...body.flat(), 0x0b]
const if_ = (...body: Code[]): number[] => [0x04, 0x40, ...body.flat(), 0x0b]
const br = (depth: number): number[] => [0x0c, ...uleb(depth)]
const brIf = (depth: number): number[] => [0x0d, ...uleb(depth)]
const ret: Code = [0x0f]
/** `c ? x : y` for operands `x, y, c` (any one numeric type), without a branch. */
const select: Code = [0x1b]

/** Locals. */
const get = (i: number): number[] => [0x20, ...uleb(i)]
const set = (i: number): number[] => [0x21, ...uleb(i)]
const tee = (i: number): number[] => [0x22, ...uleb(i)]

/** A memory access: opcode, log2 alignment, constant offset. */
const mem = (opcode: number, align: number, offset: number): number[] => [
  opcode,
  ...uleb(align),
  ...uleb(offset),
]

const i32 = {
  load: (offset: number): number[] => mem(0x28, 2, offset),
  store: (offset: number): number[] => mem(0x36, 2, offset),
  const: (v: number): number[] => [0x41, ...sleb(v)],
  eqz: [0x45],
  sub: [0x6b],
  ltU: [0x49],
  geU: [0x4f],
  add: [0x6a],
  ctz: [0x68],
  and: [0x71],
  or: [0x72],
  shl: [0x74],
  shrU: [0x76],
  wrapI64: [0xa7],
} as const

const i64 = {
  load: (offset: number): number[] => mem(0x29, 3, offset),
  store: (offset: number): number[] => mem(0x37, 3, offset),
  const: (v: number): number[] => [0x42, ...sleb(v)],
  eqz: [0x50],
  ctz: [0x7a],
  popcnt: [0x7b],
  add: [0x7c],
  sub: [0x7d],
  and: [0x83],
  or: [0x84],
  xor: [0x85],
  shl: [0x86],
  shrU: [0x88],
  extendI32U: [0xad],
} as const

/** SIMD instructions: the 0xfd prefix, then the opcode as a LEB128. */
const simd = (opcode: number, ...imm: number[]): number[] => [0xfd, ...uleb(opcode), ...imm]
const v128 = {
  load: (offset: number): number[] => simd(0x00, ...uleb(4), ...uleb(offset)),
  /** A load from an address only known to be 8-byte aligned. */
  loadUnaligned: (offset: number): number[] => simd(0x00, ...uleb(3), ...uleb(offset)),
  store: (offset: number): number[] => simd(0x0b, ...uleb(4), ...uleb(offset)),
  not: simd(0x4d),
  and: simd(0x4e),
  andnot: simd(0x4f),
  or: simd(0x50),
  anyTrue: simd(0x53),
  /** A load from an address only known to be 4-byte aligned. */
  loadWords: (offset: number): number[] => simd(0x00, ...uleb(2), ...uleb(offset)),
  i32x4Shl: simd(0xab),
  i32x4ShrU: simd(0xad),
} as const

/**
 * `while (p < end) { body; p += step }`, each `[local, step]` of `more` stepped as well
 * (locals by index, an unsigned compare): the loop the listing and shifting kernels run.
 */
const stepLoop = (
  p: number,
  end: number,
  step: number,
  body: Code,
  more: readonly (readonly [number, number])[] = [],
): number[] =>
  block(
    loop(
      get(p),
      get(end),
      i32.geU,
      brIf(1),
      body,
      ...[[p, step] as const, ...more].map(([l, d]) => [
        ...get(l),
        ...i32.const(d),
        ...i32.add,
        ...set(l),
      ]),
      br(0),
    ),
  )

/** A function to emit: its signature, extra locals (after the params) and body. */
interface Func {
  readonly name: string
  readonly params: readonly ValType[]
  readonly result: ValType
  readonly locals: readonly ValType[]
  readonly body: Code
}

/** A module of `funcs` (all exported) and one fixed memory of `pages` (exported). */
const emitModule = (funcs: readonly Func[], pages: number): Uint8Array => {
  const types = section(
    1,
    vec(funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec([[f.result]])])),
  )
  const functions = section(3, vec(funcs.map((_, i) => uleb(i))))
  const memory = section(5, vec([[0x01, ...uleb(pages), ...uleb(pages)]]))
  const exports = section(
    7,
    vec([
      [...name('memory'), 0x02, 0],
      ...funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]),
    ]),
  )
  const code = section(
    10,
    vec(
      funcs.map((f) => {
        const body = [...vec(f.locals.map((t) => [1, t])), ...f.body, 0x0b]
        return [...uleb(body.length), ...body]
      }),
    ),
  )
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...types,
    ...functions,
    ...memory,
    ...exports,
    ...code,
  ])
}

// ---------------------------------------------------------------------------------------
// The kernels.

/** Words copied into wasm memory per kernel call: 32768 (128 KiB). */
const CHUNK_WORDS = 1 << 15
/** Scratch copies are padded to a multiple of this many words (64 bytes, a SIMD kernel's step). */
const BLOCK_WORDS = 16
/**
 * Scratch areas (word indexes into wasm memory): `A`, the first operand and the results;
 * `S`, the words `setBitsOf` lists; `B`, the second operand, or the list. A scan reads up to 60 bytes past the
 * end of its range, so `A` and `S` are followed by another area rather than the end.
 */
const A_AT = 0
const S_AT = CHUNK_WORDS
const B_AT = 2 * CHUNK_WORDS
/** Byte distance from an `A` word to the same `B` word: a constant load offset in the kernels. */
const B_OFFSET = (B_AT - A_AT) * 4
/** 64 KiB wasm pages: the three scratch areas, 384 KiB; never grown. */
const MEM_PAGES = (3 * CHUNK_WORDS * 4) / 65536

/** `popcnt(p, end)`: the set bits of the bytes `[p, end)` (a multiple of 32): four i64 per step. */
const popcntFunc = (): Func => {
  const [p, end, acc] = [0, 1, 2]
  return {
    name: 'popcnt',
    params: [I32, I32],
    result: I32,
    locals: [I64],
    body: [
      ...block(
        get(p),
        get(end),
        i32.geU,
        brIf(0),
        loop(
          get(acc),
          get(p),
          i64.load(0),
          i64.popcnt,
          get(p),
          i64.load(8),
          i64.popcnt,
          i64.add,
          get(p),
          i64.load(16),
          i64.popcnt,
          get(p),
          i64.load(24),
          i64.popcnt,
          i64.add,
          i64.add,
          i64.add,
          set(acc),
          get(p),
          i32.const(32),
          i32.add,
          tee(p),
          get(end),
          i32.ltU,
          brIf(0),
        ),
      ),
      ...get(acc),
      ...i32.wrapI64,
    ],
  }
}

/** How a binary kernel combines `a` (in the `A` area) and `b` (the same offset in `B`). */
type BinaryOp = 'or' | 'and' | 'andNot' | 'adds' | 'meets'

/**
 * The lanes a binary kernel works in: i64 (scalar) or v128 (SIMD). `andNot` takes `x, y`
 * and leaves `x & ~y`; `nonZero` turns the accumulator into an i32 that is 1 when any of
 * its bits is set.
 */
interface Lanes {
  readonly type: ValType
  readonly bytes: number
  readonly load: (offset: number) => number[]
  readonly store: (offset: number) => number[]
  readonly or: Code
  readonly and: Code
  readonly andNot: Code
  readonly nonZero: Code
}

const I64_LANES: Lanes = {
  type: I64,
  bytes: 8,
  load: i64.load,
  store: i64.store,
  or: i64.or,
  and: i64.and,
  andNot: [...i64.const(-1), ...i64.xor, ...i64.and],
  nonZero: [...i64.eqz, ...i32.eqz],
}

const V128_LANES: Lanes = {
  type: V128,
  bytes: 16,
  load: v128.load,
  store: v128.store,
  or: v128.or,
  and: v128.and,
  andNot: v128.andnot,
  nonZero: v128.anyTrue,
}

/**
 * `op(p, end)` over the `A` bytes `[p, end)` and the `B` bytes `B_OFFSET` further on (the
 * length a multiple of four lanes: 32 bytes scalar, 64 with SIMD), storing the result over
 * `A` (except `adds`). Returns 1 when `or` or `adds` found a bit of `b` missing from `a`,
 * or when `and`/`andNot` stored a non-zero word; else 0. Four lanes per step.
 */
const binaryFunc = (op: BinaryOp, L: Lanes): Func => {
  const [p, end, acc, va, vb] = [0, 1, 2, 3, 4]
  /** One lane at `p + off`: `a` in `va`, `b` left on the stack. */
  const loads = (off: number): number[] => [
    ...get(p),
    ...L.load(off),
    ...set(va),
    ...get(p),
    ...L.load(off + B_OFFSET),
  ]
  /** `acc |= x`, `x` on the stack. */
  const accumulate: Code = [...get(acc), ...L.or, ...set(acc)]
  const lane = (off: number): number[] => {
    switch (op) {
      case 'adds':
        // acc |= b & ~a
        return [...loads(off), ...get(va), ...L.andNot, ...accumulate]
      case 'meets':
        // acc |= b & a
        return [...loads(off), ...get(va), ...L.and, ...accumulate]
      case 'or':
        // a = a | b; acc |= b & ~a (the old a)
        return [
          ...loads(off),
          ...set(vb),
          ...get(p),
          ...get(va),
          ...get(vb),
          ...L.or,
          ...L.store(off),
          ...get(vb),
          ...get(va),
          ...L.andNot,
          ...accumulate,
        ]
      case 'and':
      case 'andNot':
        // a = a & b (or a & ~b); acc |= the result
        return [
          ...loads(off),
          ...set(vb),
          ...get(p),
          ...get(va),
          ...get(vb),
          ...(op === 'and' ? L.and : L.andNot),
          ...tee(vb),
          ...L.store(off),
          ...get(vb),
          ...accumulate,
        ]
    }
  }
  const w = L.bytes
  return {
    name: op,
    params: [I32, I32],
    result: I32,
    locals: [L.type, L.type, L.type],
    body: [
      ...block(
        get(p),
        get(end),
        i32.geU,
        brIf(0),
        loop(
          lane(0),
          lane(w),
          lane(2 * w),
          lane(3 * w),
          get(p),
          i32.const(4 * w),
          i32.add,
          tee(p),
          get(end),
          i32.ltU,
          brIf(0),
        ),
      ),
      ...get(acc),
      ...L.nonZero,
    ],
  }
}

/**
 * `scan0(from, end)` (`ones` false) or `scan1(from, end)` (`ones` true): the word index
 * (byte address / 4) of the first 32-bit word at or after byte `from` (4-byte aligned) and
 * before byte `end` (`from < end`) that is not clear (not set), or -1. Tests the i64
 * holding `from` (masked below `from`), then blocks of 32 bytes from the next i64 (64 with
 * SIMD), combining them so that one branch per block tests them all, reading up to 60
 * bytes past `end`; then picks the first i64 of the block that differs without branching,
 * and the word within it by `i64.ctz` / 32, and drops an answer at or past `end`.
 */
const scanFunc = (ones: boolean, withSimd: boolean): Func => {
  const [from, end, p, v, q] = [0, 1, 2, 3, 4]
  /** The i64 at `p + off`, set bits where it differs from the wanted words. */
  const d = (off: number): number[] => [
    ...get(p),
    ...i64.load(off),
    ...(ones ? [...i64.const(-1), ...i64.xor] : []),
  ]
  const nonZero: Code = [...i64.eqz, ...i32.eqz]
  /** An i32: whether the `bytes` at `p + off` hold a word that differs (`bytes` 32 or 64). */
  const blockDiffers = (off: number, bytes: number): number[] => {
    if (withSimd) {
      const loads = Array.from({ length: bytes / 16 }, (_, i) => [
        ...get(p),
        ...v128.loadUnaligned(off + 16 * i),
      ])
      const join = ones ? v128.and : v128.or
      const joined = loads.reduce((acc, l) => [...acc, ...l, ...join])
      return [...joined, ...(ones ? v128.not : []), ...v128.anyTrue]
    }
    const loads = Array.from({ length: bytes / 8 }, (_, i) => [...get(p), ...i64.load(off + 8 * i)])
    const join = ones ? i64.and : i64.or
    const joined = loads.reduce((acc, l) => [...acc, ...l, ...join])
    return [...joined, ...(ones ? [...i64.const(-1), ...i64.xor] : []), ...nonZero]
  }
  const step = withSimd ? 64 : 32
  return {
    name: ones ? 'scan1' : 'scan0',
    params: [I32, I32],
    result: I32,
    locals: [I32, I64, I32],
    body: [
      ...block(
        // the i64 holding `from`, without its low word when `from` is its high word
        get(from),
        i32.const(-8),
        i32.and,
        tee(p),
        tee(q),
        i64.load(0),
        ...(ones ? [i64.const(-1), i64.xor] : []),
        i64.const(-1),
        get(from),
        i32.const(4),
        i32.and,
        i32.const(3),
        i32.shl,
        i64.extendI32U,
        i64.shl,
        i64.and,
        tee(v),
        nonZero,
        brIf(0),
        get(p),
        i32.const(8),
        i32.add,
        set(p),
        block(
          loop(
            get(p),
            get(end),
            i32.geU,
            if_(i32.const(-1), ret),
            blockDiffers(0, step),
            brIf(1),
            get(p),
            i32.const(step),
            i32.add,
            set(p),
            br(0),
          ),
        ),
        withSimd
          ? // the 64-byte block's second half when its first half matches
            [
              ...get(p),
              ...i32.const(32),
              ...i32.add,
              ...get(p),
              ...blockDiffers(0, 32),
              ...i32.eqz,
              ...select,
              ...set(p),
            ]
          : [],
        // q = p + 8 * (index of the first of the block's four i64 that differs)
        get(p),
        d(0),
        nonZero,
        d(8),
        nonZero,
        i32.const(1),
        i32.shl,
        i32.or,
        d(16),
        nonZero,
        i32.const(2),
        i32.shl,
        i32.or,
        d(24),
        nonZero,
        i32.const(3),
        i32.shl,
        i32.or,
        i32.ctz,
        i32.const(3),
        i32.shl,
        i32.add,
        tee(q),
        i64.load(0),
        ...(ones ? [i64.const(-1), i64.xor] : []),
        set(v),
      ),
      // the word: q / 4, plus 1 when the i64's low word matches; none at or past `end`
      ...get(q),
      ...i32.const(2),
      ...i32.shrU,
      ...get(v),
      ...i64.ctz,
      ...i64.const(5),
      ...i64.shrU,
      ...i32.wrapI64,
      ...i32.add,
      ...tee(q),
      ...i32.const(-1),
      ...get(q),
      ...i32.const(2),
      ...i32.shl,
      ...get(end),
      ...i32.ltU,
      ...select,
    ],
  }
}

/**
 * `setbits(p, end, first)`: for each set bit of the 32-bit words at or after byte `p` and
 * before byte `end` (a multiple of 64 bytes past `p`), its bit index plus `first` (bit 0 of
 * the word at `p` is index `first`), stored as i32s from the start of area `B` in
 * increasing order; returns how many. Clear blocks cost one test (the OR of four i64s, or
 * with SIMD of four v128s); in a block that is not clear each i64 is tested, and an i64
 * that is not clear gives up its bits lowest first (count trailing zeros, clear the lowest
 * bit). The caller keeps the range short enough for `B` to hold every bit (1024 words).
 */
const setbitsFunc = (withSimd: boolean): Func => {
  const [p, end, first, q, v] = [0, 1, 2, 3, 4]
  const step = withSimd ? 64 : 32
  const load = (off: number): number[] => [...get(p), ...i64.load(off)]
  const vload = (off: number): number[] => [...get(p), ...v128.loadUnaligned(off)]
  /** The set bits of the i64 at `p + off`, stored one by one. */
  const bitsOf = (off: number): number[] => [
    ...load(off),
    ...tee(v),
    ...i64.eqz,
    ...i32.eqz,
    ...if_(
      loop(
        get(q),
        get(first),
        i32.const(off * 8),
        i32.add,
        get(v),
        i64.ctz,
        i32.wrapI64,
        i32.add,
        i32.store(0),
        get(q),
        i32.const(4),
        i32.add,
        set(q),
        // v &= v - 1: the lowest set bit cleared
        get(v),
        get(v),
        i64.const(1),
        i64.sub,
        i64.and,
        tee(v),
        i64.eqz,
        i32.eqz,
        brIf(0),
      ),
    ),
  ]
  /** An i32: whether the block at `p` holds a set bit. */
  const blockSet: Code = withSimd
    ? [
        ...vload(0),
        ...vload(16),
        ...v128.or,
        ...vload(32),
        ...v128.or,
        ...vload(48),
        ...v128.or,
        ...v128.anyTrue,
      ]
    : [...load(0), ...load(8), ...i64.or, ...load(16), ...i64.or, ...load(24), ...i64.or]
  const words = Array.from({ length: step / 8 }, (_, k) => bitsOf(8 * k))
  return {
    name: 'setbits',
    params: [I32, I32, I32],
    result: I32,
    locals: [I32, I64],
    body: [
      ...i32.const(B_AT * 4),
      ...set(q),
      ...stepLoop(
        p,
        end,
        step,
        [...blockSet, ...(withSimd ? [] : [...i64.eqz, ...i32.eqz]), ...if_(...words)],
        [[first, step * 8]],
      ),
      ...get(q),
      ...i32.const(B_AT * 4),
      ...i32.sub,
      ...i32.const(2),
      ...i32.shrU,
    ],
  }
}

/**
 * `shl(src, end, s)`: for each 32-bit word of area `A` from its start to byte `end` (past
 * it by up to 12 bytes), `(w[k] << s) | (w[k - 1] >>> (32 - s))` where `w[k]` is the word
 * at `src + 4k` (`0 < s < 32`): a stretch of words moved up `s` bits, the bits leaving one
 * word entering the next. With SIMD, four words per step (the source read at `src` and at
 * `src - 4`, four-byte aligned); scalar, one.
 */
const shlFunc = (withSimd: boolean): Func => {
  const [src, end, sh, dst, r] = [0, 1, 2, 3, 4]
  const step = withSimd ? 16 : 4
  // the lane ops: four words (SIMD) or one
  const [load, shl, shrU, or, store] = withSimd
    ? [v128.loadWords, v128.i32x4Shl, v128.i32x4ShrU, v128.or, v128.store]
    : [i32.load, i32.shl, i32.shrU, i32.or, i32.store]
  const body: Code = [
    ...get(dst),
    ...get(src),
    ...load(0),
    ...get(sh),
    ...shl,
    ...get(src),
    ...i32.const(4),
    ...i32.sub,
    ...load(0),
    ...get(r),
    ...shrU,
    ...or,
    ...store(0),
  ]
  return {
    name: 'shl',
    params: [I32, I32, I32],
    result: I32,
    locals: [I32, I32],
    body: [
      ...i32.const(A_AT * 4),
      ...set(dst),
      ...i32.const(32),
      ...get(sh),
      ...i32.sub,
      ...set(r),
      ...stepLoop(dst, end, step, body, [[src, step]]),
      ...get(dst),
    ],
  }
}

/** The module, with SIMD binary and scan kernels or scalar ones. */
const kernelModule = (withSimd: boolean): Uint8Array => {
  const lanes = withSimd ? V128_LANES : I64_LANES
  const binary = (op: BinaryOp): Func => binaryFunc(op, lanes)
  return emitModule(
    [
      popcntFunc(),
      scanFunc(false, withSimd),
      scanFunc(true, withSimd),
      binary('or'),
      binary('and'),
      binary('andNot'),
      binary('adds'),
      binary('meets'),
      setbitsFunc(withSimd),
      shlFunc(withSimd),
    ],
    MEM_PAGES,
  )
}

// ---------------------------------------------------------------------------------------
// Instantiation (lazy; never throws).

/** The part of the WebAssembly API used here (the project's `lib` has no DOM types). */
interface WasmApi {
  readonly validate: (bytes: Uint8Array) => boolean
  readonly Module: new (bytes: Uint8Array) => object
  readonly Instance: new (
    module: object,
    imports: object,
  ) => { readonly exports: Readonly<Record<string, unknown>> }
}

/** A kernel over the bytes `[p, end)` of its scratch area(s). */
type Kernel2 = (p: number, end: number) => number

/** An instance's memory (as words) and kernels. */
interface Kernels {
  readonly mem: Uint32Array
  readonly simd: boolean
  readonly popcnt: Kernel2
  readonly or: Kernel2
  readonly and: Kernel2
  readonly andNot: Kernel2
  readonly adds: Kernel2
  readonly meets: Kernel2
  readonly scan0: Kernel2
  readonly scan1: Kernel2
  /** The memory as i32s (for the indexes `setbits` writes). */
  readonly memI32: Int32Array
  readonly setbits: (p: number, end: number, first: number) => number
  readonly shl: (src: number, end: number, s: number) => number
}

/** Compiles and instantiates the module (SIMD or scalar kernels), or null if that fails. */
const instantiate = (withSimd: boolean): Kernels | null => {
  try {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly
    if (api === undefined) return null
    const bytes = kernelModule(withSimd)
    if (!api.validate(bytes)) return null
    const ex = new api.Instance(new api.Module(bytes), {}).exports
    const memory = ex['memory'] as { readonly buffer: ArrayBuffer } | undefined
    if (memory === undefined) return null
    const fn = (n: string): Kernel2 => {
      const f = ex[n]
      if (typeof f !== 'function') throw new Error(`no ${n}`)
      return f as Kernel2
    }
    return {
      mem: new Uint32Array(memory.buffer),
      simd: withSimd,
      popcnt: fn('popcnt'),
      or: fn('or'),
      and: fn('and'),
      andNot: fn('andNot'),
      adds: fn('adds'),
      meets: fn('meets'),
      scan0: fn('scan0'),
      scan1: fn('scan1'),
      memI32: new Int32Array(memory.buffer),
      setbits: fn('setbits'),
      shl: fn('shl'),
    }
  } catch {
    return null
  }
}

/** The kernels: undefined until first needed, null when WebAssembly is unavailable. */
let kernels: Kernels | null | undefined
/** Whether {@link forceJs} is on. */
let forced = false

/** The kernels, instantiated on first use: with SIMD if the host takes it, else scalar. */
const loadKernels = (): Kernels | null => {
  if (kernels === undefined) kernels = instantiate(true) ?? instantiate(false)
  return kernels
}

/** The kernels to use for a range of `n` words, or null for the JS loops. */
const wasmFor = (n: number, threshold: number): Kernels | null =>
  n < threshold || forced ? null : kernels === undefined ? loadKernels() : kernels

/**
 * Whether the wasm kernels are in use (false: the JS fallback, because WebAssembly is
 * missing or rejected the module, or because {@link forceJs} is on). Compiles the module
 * on first call, as the first long range does.
 */
export const usingWasm = (): boolean => !forced && loadKernels() !== null

/**
 * Forces the JS fallback (true) or restores the default (false): the wasm kernels for long
 * ranges where WebAssembly works. For tests and benchmarks; results are the same either way.
 */
export const forceJs = (on: boolean): void => {
  forced = on
}

/**
 * Ranges shorter than these (in words) use the JS loops: below them a wasm call and its
 * copies cost more than the kernel saves. Measured on Node 20 (x86-64) over 1M words in
 * calls of n words, JS time / wasm time: popcount 1.5 at 64 words, 2.5 at 128; or/and
 * about 0.9 at 256 and 1.2 at 512; addsBits (b adding nothing: a whole read) 1.1 at 256;
 * a search for a word 256 words on 2.0. Listing the words that are not clear takes the
 * search's threshold.
 */
const POPCOUNT_MIN = 64
const BINARY_MIN = 512
const ADDS_MIN = 256
const SEARCH_MIN = 256
const SETBITS_MIN = 64
const SHIFT_MIN = 256
/** Words a search reads in JS before copying a chunk to wasm: most searches end within them. */
const SCAN_PROBE = 64
/** Words a search copies to wasm first; each copy after doubles, up to `CHUNK_WORDS`. */
const SCAN_FIRST_COPY = 1024

/**
 * Copies `w[o .. o + n)` to scratch word `at` and pads it with `pad` to a whole block;
 * returns the byte address after the padded copy.
 */
const fill = (
  m: Uint32Array,
  at: number,
  w: Uint32Array,
  o: number,
  n: number,
  pad: number,
): number => {
  m.set(w.subarray(o, o + n), at)
  const end = at + ((n + BLOCK_WORDS - 1) & -BLOCK_WORDS)
  for (let i = at + n; i < end; i++) m[i] = pad
  return end * 4
}

/** The set bits of `w[o .. o + n)` (JS). */
const popcountJs = (w: Uint32Array, o: number, n: number): number => {
  let c = 0
  for (let i = o; i < o + n; i++) c += popcount(w[i] as number)
  return c
}

/**
 * Set bits in `w[o .. o + n)`: the dirty pages of a range. Long ranges are counted in wasm
 * with `i64.popcnt` (eight bytes per instruction, where JS needs a dozen operations per
 * word); short ones, and hosts without WebAssembly, by a JS bit-twiddling count.
 */
export const popcountWords = (w: Uint32Array, o: number, n: number): number => {
  const k = wasmFor(n, POPCOUNT_MIN)
  if (k === null) return popcountJs(w, o, n)
  let c = 0
  for (let i = 0; i < n; i += CHUNK_WORDS) {
    const len = Math.min(CHUNK_WORDS, n - i)
    c += k.popcnt(A_AT * 4, fill(k.mem, A_AT, w, o + i, len, 0))
  }
  return c
}

/** The first `i` in `[from, to)` with `w[o + i] !== x`, or -1 (JS). */
const scanJs = (w: Uint32Array, o: number, from: number, to: number, x: number): number => {
  for (let i = from; i < to; i++) if (w[o + i] !== x) return i
  return -1
}

/** The first `i` in `[from, n)` with `w[o + i] !== x` (0 or 0xffffffff), or -1. */
const firstNot = (w: Uint32Array, o: number, n: number, from: number, x: number): number => {
  if (from < 0) from = 0
  if (from >= n) return -1
  const k = wasmFor(n - from, SEARCH_MIN)
  if (k === null) return scanJs(w, o, from, n, x)
  const probeEnd = Math.min(n, from + SCAN_PROBE)
  const probed = scanJs(w, o, from, probeEnd, x)
  if (probed >= 0) return probed
  // copies of growing length: a search that ends soon copies little
  for (
    let i = probeEnd, size = SCAN_FIRST_COPY;
    i < n;
    i += size, size = Math.min(2 * size, CHUNK_WORDS)
  ) {
    const len = Math.min(size, n - i)
    k.mem.set(w.subarray(o + i, o + i + len), A_AT)
    const r = (x === 0 ? k.scan0 : k.scan1)(A_AT * 4, (A_AT + len) * 4)
    if (r >= 0) return i + r - A_AT
  }
  return -1
}

/**
 * The first index `i` in `[from, n)` with `w[o + i] !== 0`, or -1: the next word holding a
 * set page. Reads the first 64 words in JS (most searches end there), then copies the rest
 * into wasm in pieces of 1024 words doubling up to a chunk (a search that ends soon copies
 * little), where the kernel tests 64 bytes per branch (32 without SIMD) and finds the word
 * from the first non-zero i64; short ranges and hosts without WebAssembly use a JS loop.
 * `from` below 0 counts as 0. To find every set bit of a range, {@link setBitsOf} lists them
 * in one pass.
 */
export const firstNonZero = (w: Uint32Array, o: number, n: number, from: number): number =>
  firstNot(w, o, n, from, 0)

/**
 * The first index `i` in `[from, n)` with `w[o + i] !== 0xffffffff`, or -1: the next word
 * holding a clear page. Works as {@link firstNonZero} does, with a kernel that ANDs words
 * where that one ORs them.
 */
export const firstNonOnes = (w: Uint32Array, o: number, n: number, from: number): number =>
  firstNot(w, o, n, from, 0xffffffff)

/**
 * The first `i` in `[from, n)` where `b & (a ^ flip)` is not clear, or -1 (JS): with `flip`
 * -1, where `b` adds a bit to `a`; with 0, where they share a bit.
 */
const anyAtJs = (
  flip: number,
  a: Uint32Array,
  ao: number,
  b: Uint32Array,
  bo: number,
  from: number,
  n: number,
): number => {
  for (let i = from; i < n; i++)
    if (((b[bo + i] as number) & ((a[ao + i] as number) ^ flip)) !== 0) return i
  return -1
}

/**
 * Whether `b & (a ^ flip)` has a set bit over the range (see {@link anyAtJs}): the first
 * few words in JS (a random range answers there), then a chunk at a time in wasm with the
 * `adds` (`flip` -1) or `meets` (0) kernel.
 */
const anyBits = (
  flip: number,
  a: Uint32Array,
  ao: number,
  b: Uint32Array,
  bo: number,
  n: number,
): boolean => {
  const k = wasmFor(n, ADDS_MIN)
  if (k === null) return anyAtJs(flip, a, ao, b, bo, 0, n) >= 0
  const probeEnd = Math.min(n, SCAN_PROBE)
  if (anyAtJs(flip, a, ao, b, bo, 0, probeEnd) >= 0) return true
  const kernel = flip === 0 ? k.meets : k.adds
  for (let i = probeEnd; i < n; i += CHUNK_WORDS) {
    const len = Math.min(CHUNK_WORDS, n - i)
    const end = fill(k.mem, A_AT, a, ao + i, len, 0)
    fill(k.mem, B_AT, b, bo + i, len, 0)
    if (kernel(A_AT * 4, end) !== 0) return true
  }
  return false
}

/**
 * Whether `b[bo .. bo + n)` has any bit that `a[ao .. ao + n)` lacks: `any(b & ~a)`, the
 * test that a union would change `a`. Reads the first few words in JS (a random range
 * answers there), then compares a chunk at a time in wasm, 16 bytes per instruction with
 * SIMD; short ranges and hosts without WebAssembly use a JS loop.
 */
export const addsBits = (
  a: Uint32Array,
  ao: number,
  b: Uint32Array,
  bo: number,
  n: number,
): boolean => anyBits(-1, a, ao, b, bo, n)

/**
 * Whether the two ranges share a set bit: `any(a & b)`, the test that a difference would
 * change `a`. As {@link addsBits}, in JS first, then in wasm.
 */
export const meetsBits = (
  a: Uint32Array,
  ao: number,
  b: Uint32Array,
  bo: number,
  n: number,
): boolean => anyBits(0, a, ao, b, bo, n)

/**
 * `out[oo + i] = a[ao + i] | b[bo + i]` for `i < n`, but only when `b` adds a bit to `a`:
 * returns false and writes nothing when it does not (so an unchanged leaf can be kept).
 * `out` may be `a` or `b` at the same offset (or overlap neither). Long ranges are ORed in
 * wasm a chunk at a time (with the test folded into the same pass, SIMD when available);
 * short ones, and hosts without WebAssembly, in JS.
 */
export const orWords: WordsOp = (out, oo, a, ao, b, bo, n) => {
  const k = wasmFor(n, BINARY_MIN)
  if (k === null) {
    const first = anyAtJs(-1, a, ao, b, bo, 0, n)
    if (first < 0) return false
    // below `first`, b adds nothing: a | b = a
    if (out !== a || oo !== ao) for (let i = 0; i < first; i++) out[oo + i] = a[ao + i] as number
    for (let i = first; i < n; i++) out[oo + i] = (a[ao + i] as number) | (b[bo + i] as number)
    return true
  }
  const m = k.mem
  let adds = false
  for (let i = 0; i < n; i += CHUNK_WORDS) {
    const len = Math.min(CHUNK_WORDS, n - i)
    const end = fill(m, A_AT, a, ao + i, len, 0)
    fill(m, B_AT, b, bo + i, len, 0)
    if (k.or(A_AT * 4, end) === 0 && !adds) continue
    if (!adds) {
      adds = true
      // the chunks before this one: b added nothing, so a | b = a
      if (i > 0 && (out !== a || oo !== ao)) out.set(a.subarray(ao, ao + i), oo)
    }
    out.set(m.subarray(A_AT, A_AT + len), oo + i)
  }
  return adds
}

/**
 * A word operation writing `out[oo + i]` from `a[ao + i]` and `b[bo + i]` for `i < n`,
 * returning a flag (what the flag means is the operation's own).
 */
export type WordsOp = (
  out: Uint32Array,
  oo: number,
  a: Uint32Array,
  ao: number,
  b: Uint32Array,
  bo: number,
  n: number,
) => boolean

/**
 * `out = a & b` (`not` false) or `a & ~b` (true) over the range, and whether any result word
 * is non-zero: in wasm a chunk at a time for long ranges, else in JS.
 */
const andOp =
  (not: boolean): WordsOp =>
  (out, oo, a, ao, b, bo, n) => {
    let any = 0
    const k = wasmFor(n, BINARY_MIN)
    if (k === null) {
      const flip = not ? -1 : 0
      for (let i = 0; i < n; i++) {
        const r = (a[ao + i] as number) & ((b[bo + i] as number) ^ flip)
        out[oo + i] = r
        any |= r
      }
      return any !== 0
    }
    const kernel = not ? k.andNot : k.and
    for (let i = 0; i < n; i += CHUNK_WORDS) {
      const len = Math.min(CHUNK_WORDS, n - i)
      const end = fill(k.mem, A_AT, a, ao + i, len, 0)
      fill(k.mem, B_AT, b, bo + i, len, 0)
      any |= kernel(A_AT * 4, end)
      out.set(k.mem.subarray(A_AT, A_AT + len), oo + i)
    }
    return any !== 0
  }

/**
 * `out[oo + i] = a[ao + i] & b[bo + i]` for `i < n`, returning whether any result word is
 * non-zero (an intersection that leaves a leaf clear can share the clear leaf). `out` may
 * be `a` or `b` at the same offset. Long ranges in wasm a chunk at a time (SIMD when
 * available); short ones, and hosts without WebAssembly, in JS.
 */
export const andWords: WordsOp = andOp(false)

/**
 * `out[oo + i] = a[ao + i] & ~b[bo + i]` for `i < n` (a difference), returning whether any
 * result word is non-zero. As {@link andWords}, in wasm or JS.
 */
export const andNotWords: WordsOp = andOp(true)

/** Words per `setbits` call: every bit of them fits in area `B`. */
const SETBITS_WORDS = CHUNK_WORDS / 32

/**
 * Writes to `out` (from index 0) the index of every set bit of `w[o .. o + n)`, bit `b` of
 * word `o + i` being index `32 * i + b`, in increasing order, and returns how many: every
 * set page of a stretch of words in one pass, for a finder that then answers a walk's
 * calls from the list. `out` must have room for all of them (`32 * n` always does).
 * Long ranges are copied into wasm 1024 words at a time and listed there an i64 at a time,
 * clear blocks of 64 bytes skipped with one test; the indexes are copied out with one
 * `TypedArray.prototype.set` per piece.
 */
export const setBitsOf = (w: Uint32Array, o: number, n: number, out: Int32Array): number => {
  let c = 0
  const k = wasmFor(n, SETBITS_MIN)
  if (k === null) {
    for (let i = 0; i < n; i++)
      for (let x = w[o + i] as number; x !== 0; x &= x - 1) out[c++] = 32 * i + ctz(x)
    return c
  }
  for (let i = 0; i < n; i += SETBITS_WORDS) {
    const len = Math.min(SETBITS_WORDS, n - i)
    const end = fill(k.mem, S_AT, w, o + i, len, 0)
    const got = k.setbits(S_AT * 4, end, 32 * i)
    out.set(k.memI32.subarray(B_AT, B_AT + got), c)
    c += got
  }
  return c
}

/** Words per `shl` call: the source (one word more) and its padding fit in area `S`. */
const SHIFT_WORDS = CHUNK_WORDS - BLOCK_WORDS

/**
 * `out[at + k] = (src[j + k] << s) | (src[j + k - 1] >>> (32 - s))` for `j + k < end`
 * (`j >= 1`, `0 < s < 32`): the source words moved up `s` bits, for a fold of a log at a
 * page that is not a multiple of 32 (QEMU goes bit by bit there; whole words give the same
 * answer). Long ranges are copied into wasm (from word `j - 1`), shifted there four words
 * per instruction with SIMD, and copied back; short ones, and hosts without WebAssembly,
 * in JS.
 */
export const shiftWords = (
  out: Uint32Array,
  at: number,
  src: Uint32Array,
  j: number,
  end: number,
  s: number,
): void => {
  const k = wasmFor(end - j, SHIFT_MIN)
  if (k === null) {
    const r = 32 - s
    let prev = src[j - 1] as number
    for (let i = j; i < end; i++) {
      const x = src[i] as number
      out[at + i - j] = (x << s) | (prev >>> r)
      prev = x
    }
    return
  }
  for (let i = j; i < end; i += SHIFT_WORDS) {
    const len = Math.min(SHIFT_WORDS, end - i)
    fill(k.mem, S_AT, src, i - 1, len + 1, 0)
    k.shl((S_AT + 1) * 4, (A_AT + len) * 4, s)
    out.set(k.mem.subarray(A_AT, A_AT + len), at + i - j)
  }
}
