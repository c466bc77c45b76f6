;; The guest of embed.c. embed.c carries these same bytes as an array, so it
;; runs without any file; `embed examples/embed.wasm` loads them from disk.
;; Made with `wat2wasm --debug-names embed.wat -o embed.wasm` (the name
;; section gives trap backtraces their function names).
(module
  ;; Provided by the host (embed.c): prints an i32.
  (import "env" "log_i32" (func $log_i32 (param i32)))

  (memory (export "memory") 1)

  ;; squares(n): stores i*i at address 4*i for i in [0, n), logs each one
  ;; through the host, and returns their sum.
  (func $squares (export "squares") (param $n i32) (result i32)
    (local $i i32) (local $sq i32) (local $sum i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sq (i32.mul (local.get $i) (local.get $i)))
        (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $sq))
        (call $log_i32 (local.get $sq))
        (local.set $sum (i32.add (local.get $sum) (local.get $sq)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $sum))

  ;; div(a, b): signed division; traps when b is 0.
  (func $div (export "div") (param $a i32) (param $b i32) (result i32)
    (i32.div_s (local.get $a) (local.get $b)))
)
