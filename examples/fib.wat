;; fib: the example of the README.
;;   kumi run --invoke fib examples/fib.wasm 20    prints 6765
;; Made into fib.wasm with `wat2wasm fib.wat -o fib.wasm` (both are committed,
;; so building kumi needs no wabt).
(module
  ;; Naive doubly recursive Fibonacci: fib(0) = 0, fib(1) = 1.
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else
        (i32.add
          (call $fib (i32.sub (local.get $n) (i32.const 1)))
          (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
)
