;; Word kernels for src/bitmap/kernels.ts, in the WebAssembly text format. tools/build-kernels.mjs
;; compiles this file twice with wabt (npm) into src/bitmap/kernels.wasm.ts: once as written
;; (SIMD) and once with every line marked ";;simd" dropped and every line marked ";;scalar"
;; uncommented, for hosts that reject SIMD.
;;
;; Memory: two areas of 128 KiB, A at byte 0 and B at byte 131072, then the list kernel's output
;; area L at byte 262144 (4 MiB and a word: every bit of A's 1,048,576, and one spare store).
;; The caller copies its words in (TypedArray.prototype.set), pads them with zero words to a
;; multiple of 64 bytes, and passes the byte range [p, end) of A, p < end; a kernel reads B at
;; the same offset. Each loop
;; does 64 bytes per step and tests its end at the bottom (one branch a step): with a test at
;; the top and 16 bytes a step, counting ran 1.6x slower (bench/bitmap.mjs, count).
(module
  (memory (export "memory") 69)

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

  ;; list(p, end, base): writes base + 8 * q + b (wrapping at 2^32) for each set bit b of the
  ;; eight bytes at each q in [p, end) of A, in increasing order, as i32s from byte 262144
  ;; (L), and returns how many. A block of 64 bytes with no set bit (most of a sparse log, or
  ;; of a finder's window of a mostly clear run) is skipped after one test of its eight words
  ;; ORed together; four 16-byte SIMD lanes instead measured no faster. In a block with a
  ;; bit, eight bytes a step, their lowest two set bits stored without a branch (the store is
  ;; made whether or not there is a bit, and the output moves on only when there is: at 1%
  ;; density most steps have none or one, and a branch on that would be mispredicted every
  ;; few steps); a loop takes the rest. A JavaScript ctz loop does 4 bytes a step with a
  ;; branch per set bit.
  (func (export "list") (param $p i32) (param $end i32) (param $base i32) (result i32)
    (local $x i64)
    (local $o i32)
    (local $b i32)
    (local $q i32)
    (local.set $o (i32.const 262144))
    (loop $block
      (local.set $q (i32.add (local.get $p) (i32.const 64)))
      (if (i64.eqz
            (i64.or
              (i64.or
                (i64.or (i64.load (local.get $p)) (i64.load offset=8 (local.get $p)))
                (i64.or (i64.load offset=16 (local.get $p)) (i64.load offset=24 (local.get $p))))
              (i64.or
                (i64.or (i64.load offset=32 (local.get $p)) (i64.load offset=40 (local.get $p)))
                (i64.or (i64.load offset=48 (local.get $p)) (i64.load offset=56 (local.get $p))))))
        (then (local.set $p (local.get $q)))
        (else
          (loop $next
            (local.set $x (i64.load (local.get $p)))
            (local.set $b (i32.add (local.get $base) (i32.shl (local.get $p) (i32.const 3))))
            (i32.store (local.get $o) (i32.add (local.get $b) (i32.wrap_i64 (i64.ctz (local.get $x)))))
            (local.set $o
              (i32.add (local.get $o) (i32.shl (i64.ne (local.get $x) (i64.const 0)) (i32.const 2))))
            (local.set $x (i64.and (local.get $x) (i64.sub (local.get $x) (i64.const 1))))
            (i32.store (local.get $o) (i32.add (local.get $b) (i32.wrap_i64 (i64.ctz (local.get $x)))))
            (local.set $o
              (i32.add (local.get $o) (i32.shl (i64.ne (local.get $x) (i64.const 0)) (i32.const 2))))
            (local.set $x (i64.and (local.get $x) (i64.sub (local.get $x) (i64.const 1))))
            (if (i64.ne (local.get $x) (i64.const 0))
              (then
                (loop $more
                  (i32.store
                    (local.get $o)
                    (i32.add (local.get $b) (i32.wrap_i64 (i64.ctz (local.get $x)))))
                  (local.set $o (i32.add (local.get $o) (i32.const 4)))
                  (br_if $more
                    (i64.ne
                      (local.tee $x (i64.and (local.get $x) (i64.sub (local.get $x) (i64.const 1))))
                      (i64.const 0))))))
            (br_if $next
              (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 8))) (local.get $q))))))
      (br_if $block (i32.lt_u (local.get $p) (local.get $end))))
    (i32.shr_u (i32.sub (local.get $o) (i32.const 262144)) (i32.const 2)))
)
