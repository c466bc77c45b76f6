;; Component call benchmarks (bench/component_calls.c runs them under kumi,
;; bench/component_calls.mjs under jco transpile + node).
;;   inc(x: u32) -> u32                 host -> guest: returns x + 1
;;   call-host(n: u32) -> u32           guest -> host: calls the imported get(i) n times, sums the results
;;   echo-loop(n: u32, len: u32) -> u32 component -> component: the inner caller sends a string of len
;;                                      bytes n times through the inner callee's echo(string) -> string
(component
  (import "kumi:bench/host" (instance $host
    (export "get" (func (param "x" u32) (result u32)))))
  (alias export $host "get" (func $get))

  ;; echo: a component that returns its argument
  (component $Callee
    (core module $M
      (memory (export "memory") 2)
      ;; one string is alive at a time, so every allocation can reuse the same bytes
      (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
      (func (export "echo") (param $p i32) (param $n i32) (result i32)
        (i32.store (i32.const 0) (local.get $p))
        (i32.store (i32.const 4) (local.get $n))
        (i32.const 0)))
    (core instance $m (instantiate $M))
    (func (export "echo") (param "s" string) (result string)
      (canon lift (core func $m "echo") (memory $m "memory") (realloc (func $m "realloc")))))

  ;; the caller: sends len bytes n times
  (component $Caller
    (import "echo" (func $echo (param "s" string) (result string)))
    (core module $Mem
      (memory (export "memory") 3)
      (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 98304)))
    (core instance $mem (instantiate $Mem))
    (core func $echo_lowered (canon lower (func $echo) (memory $mem "memory") (realloc (func $mem "realloc"))))
    (core module $M
      (import "mem" "memory" (memory 3))
      (import "inner" "echo" (func $echo (param i32 i32 i32)))
      (func (export "echo-loop") (param $n i32) (param $len i32) (result i32)
        (local $total i32)
        (memory.fill (i32.const 1024) (i32.const 97) (local.get $len))
        (block $done
          (loop $next
            (br_if $done (i32.eqz (local.get $n)))
            (call $echo (i32.const 1024) (local.get $len) (i32.const 0))
            (local.set $total (i32.add (local.get $total) (i32.load (i32.const 4))))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br $next)))
        (local.get $total)))
    (core instance $m (instantiate $M
      (with "mem" (instance $mem))
      (with "inner" (instance (export "echo" (func $echo_lowered))))))
    (func (export "echo-loop") (param "n" u32) (param "len" u32) (result u32)
      (canon lift (core func $m "echo-loop"))))

  (instance $callee (instantiate $Callee))
  (instance $caller (instantiate $Caller (with "echo" (func $callee "echo"))))

  (core func $get_lowered (canon lower (func $get)))
  (core module $M
    (import "host" "get" (func $get (param i32) (result i32)))
    (func (export "inc") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
    (func (export "call-host") (param $n i32) (result i32)
      (local $sum i32)
      (block $done
        (loop $next
          (br_if $done (i32.eqz (local.get $n)))
          (local.set $sum (i32.add (local.get $sum) (call $get (local.get $n))))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $next)))
      (local.get $sum)))
  (core instance $m (instantiate $M (with "host" (instance (export "get" (func $get_lowered))))))
  (func (export "inc") (param "x" u32) (result u32) (canon lift (core func $m "inc")))
  (func (export "call-host") (param "n" u32) (result u32) (canon lift (core func $m "call-host")))
  (export "echo-loop" (func $caller "echo-loop")))
