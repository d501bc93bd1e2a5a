;; Word kernels for src/bitmap/kernels.ts, in the WebAssembly text format. tools/build-kernels.mjs
;; compiles this file twice with wabt (npm) into src/bitmap/kernels.wasm.ts: once as written
;; (SIMD, 16 bytes per step) and once with every line marked ";;simd" dropped and every line
;; marked ";;scalar" uncommented (8 bytes per step), for hosts that reject SIMD.
;;
;; Memory: two areas of 128 KiB, A at byte 0 and B at byte 131072. The caller copies its words
;; in (TypedArray.prototype.set), pads them with zero words to a multiple of 16 bytes, and
;; passes the byte range [p, end) of A; a kernel reads B at the same offset.
(module
  (memory (export "memory") 4)

  ;; popcnt(p, end): the set bits of bytes [p, end) of A. i64.popcnt counts eight bytes per
  ;; instruction (x86 POPCNT), where JavaScript needs a dozen operations per 32-bit word.
  (func (export "popcnt") (param $p i32) (param $end i32) (result i32)
    (local $n i64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $n
          (i64.add
            (local.get $n)
            (i64.add
              (i64.popcnt (i64.load (local.get $p)))
              (i64.popcnt (i64.load offset=8 (local.get $p))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $next)))
    (i32.wrap_i64 (local.get $n)))

  ;; or(p, end): A |= B over bytes [p, end), and whether B had a bit A lacked (any B & ~A),
  ;; tested in the same pass.
  (func (export "or") (param $p i32) (param $end i32) (result i32)
    (local $adds v128) ;;simd
    (local $a v128) ;;simd
    (local $b v128) ;;simd
    ;;scalar (local $adds i64)
    ;;scalar (local $a i64)
    ;;scalar (local $b i64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $a (v128.load (local.get $p))) ;;simd
        (local.set $b (v128.load offset=131072 (local.get $p))) ;;simd
        (local.set $adds (v128.or (local.get $adds) (v128.andnot (local.get $b) (local.get $a)))) ;;simd
        (v128.store (local.get $p) (v128.or (local.get $a) (local.get $b))) ;;simd
        (local.set $p (i32.add (local.get $p) (i32.const 16))) ;;simd
        ;;scalar (local.set $a (i64.load (local.get $p)))
        ;;scalar (local.set $b (i64.load offset=131072 (local.get $p)))
        ;;scalar (local.set $adds (i64.or (local.get $adds) (i64.and (local.get $b) (i64.xor (local.get $a) (i64.const -1)))))
        ;;scalar (i64.store (local.get $p) (i64.or (local.get $a) (local.get $b)))
        ;;scalar (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $next)))
    (v128.any_true (local.get $adds))) ;;simd
    ;;scalar (i64.ne (local.get $adds) (i64.const 0)))
)
