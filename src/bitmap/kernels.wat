;; Word kernels for src/bitmap/kernels.ts, in the WebAssembly text format. tools/build-kernels.mjs
;; compiles this file twice with wabt (npm) into src/bitmap/kernels.wasm.ts: once as written
;; (SIMD) and once with every line marked ";;simd" dropped and every line marked ";;scalar"
;; uncommented, for hosts that reject SIMD.
;;
;; Memory: two areas of 128 KiB, A at byte 0 and B at byte 131072. The caller copies its words
;; in (TypedArray.prototype.set), pads them with zero words to a multiple of 64 bytes, and
;; passes the byte range [p, end) of A, p < end; a kernel reads B at the same offset. Each loop
;; does 64 bytes per step and tests its end at the bottom (one branch a step): with a test at
;; the top and 16 bytes a step, counting ran 1.6x slower (bench/bitmap.mjs, count).
(module
  (memory (export "memory") 4)

  ;; popcnt(p, end): the set bits of bytes [p, end) of A. i64.popcnt counts eight bytes per
  ;; instruction (x86 POPCNT), where JavaScript needs a dozen operations per 32-bit word; two
  ;; sums, so that the adds of one half of a step need not wait for the other's.
  (func (export "popcnt") (param $p i32) (param $end i32) (result i32)
    (local $n i64)
    (local $m i64)
    (loop $next
      (local.set $n
        (i64.add
          (local.get $n)
          (i64.add
            (i64.add
              (i64.popcnt (i64.load (local.get $p)))
              (i64.popcnt (i64.load offset=8 (local.get $p))))
            (i64.add
              (i64.popcnt (i64.load offset=16 (local.get $p)))
              (i64.popcnt (i64.load offset=24 (local.get $p)))))))
      (local.set $m
        (i64.add
          (local.get $m)
          (i64.add
            (i64.add
              (i64.popcnt (i64.load offset=32 (local.get $p)))
              (i64.popcnt (i64.load offset=40 (local.get $p))))
            (i64.add
              (i64.popcnt (i64.load offset=48 (local.get $p)))
              (i64.popcnt (i64.load offset=56 (local.get $p)))))))
      (br_if $next
        (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 64))) (local.get $end))))
    (i32.wrap_i64 (i64.add (local.get $n) (local.get $m))))

  ;; or(p, end): A |= B over bytes [p, end), and whether B had a bit A lacked (any B & ~A),
  ;; tested in the same pass. SIMD: four 16-byte lanes a step; scalar: eight bytes a step.
  (func (export "or") (param $p i32) (param $end i32) (result i32)
    (local $adds v128) ;;simd
    (local $a v128) ;;simd
    (local $b v128) ;;simd
    ;;scalar (local $adds i64)
    ;;scalar (local $a i64)
    ;;scalar (local $b i64)
    (loop $next
      (local.set $a (v128.load (local.get $p))) ;;simd
      (local.set $b (v128.load offset=131072 (local.get $p))) ;;simd
      (local.set $adds (v128.or (local.get $adds) (v128.andnot (local.get $b) (local.get $a)))) ;;simd
      (v128.store (local.get $p) (v128.or (local.get $a) (local.get $b))) ;;simd
      (local.set $a (v128.load offset=16 (local.get $p))) ;;simd
      (local.set $b (v128.load offset=131088 (local.get $p))) ;;simd
      (local.set $adds (v128.or (local.get $adds) (v128.andnot (local.get $b) (local.get $a)))) ;;simd
      (v128.store offset=16 (local.get $p) (v128.or (local.get $a) (local.get $b))) ;;simd
      (local.set $a (v128.load offset=32 (local.get $p))) ;;simd
      (local.set $b (v128.load offset=131104 (local.get $p))) ;;simd
      (local.set $adds (v128.or (local.get $adds) (v128.andnot (local.get $b) (local.get $a)))) ;;simd
      (v128.store offset=32 (local.get $p) (v128.or (local.get $a) (local.get $b))) ;;simd
      (local.set $a (v128.load offset=48 (local.get $p))) ;;simd
      (local.set $b (v128.load offset=131120 (local.get $p))) ;;simd
      (local.set $adds (v128.or (local.get $adds) (v128.andnot (local.get $b) (local.get $a)))) ;;simd
      (v128.store offset=48 (local.get $p) (v128.or (local.get $a) (local.get $b))) ;;simd
      (local.set $p (i32.add (local.get $p) (i32.const 64))) ;;simd
      ;;scalar (local.set $a (i64.load (local.get $p)))
      ;;scalar (local.set $b (i64.load offset=131072 (local.get $p)))
      ;;scalar (local.set $adds (i64.or (local.get $adds) (i64.and (local.get $b) (i64.xor (local.get $a) (i64.const -1)))))
      ;;scalar (i64.store (local.get $p) (i64.or (local.get $a) (local.get $b)))
      ;;scalar (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br_if $next (i32.lt_u (local.get $p) (local.get $end))))
    (v128.any_true (local.get $adds))) ;;simd
    ;;scalar (i64.ne (local.get $adds) (i64.const 0)))
)
