;; strings: a self-contained component written in the component text format
;; (the README's first example runs it: kumi parses .wat itself).
;;   concat: func(parts: list<string>) -> string    joins the strings
;;   greet: func(name: string) -> string             "hello, " + name + "!"
;;   count: func(s: string, c: char) -> u32          how many times c occurs in s (as UTF-8)
(component
  (core module $M
    (memory (export "memory") 1)
    ;; a bump allocator that never frees: each call is short-lived
    (global $heap (mut i32) (i32.const 1024))
    (func $alloc (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $heap (i32.add (local.get $p) (local.get 3)))
      (block $fits
        (br_if $fits (i32.le_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536))))
        (if (i32.eq (memory.grow (i32.add (i32.const 1)
              (i32.shr_u (i32.sub (global.get $heap) (i32.mul (memory.size) (i32.const 65536))) (i32.const 16))))
              (i32.const -1))
          (then unreachable)))
      (local.get $p))
    ;; writes the result string (ptr, len) to the return area at 0 and returns it
    (func $ret (param $ptr i32) (param $len i32) (result i32)
      (i32.store (i32.const 0) (local.get $ptr))
      (i32.store (i32.const 4) (local.get $len))
      (i32.const 0))
    (func (export "concat") (param $list i32) (param $n i32) (result i32)
      (local $i i32) (local $total i32) (local $out i32) (local $at i32) (local $e i32)
      (loop $sum
        (if (i32.lt_u (local.get $i) (local.get $n))
          (then
            (local.set $total (i32.add (local.get $total)
              (i32.load offset=4 (i32.add (local.get $list) (i32.shl (local.get $i) (i32.const 3))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $sum))))
      (local.set $out (call $alloc (i32.const 0) (i32.const 0) (i32.const 1) (local.get $total)))
      (local.set $at (local.get $out))
      (local.set $i (i32.const 0))
      (loop $copy
        (if (i32.lt_u (local.get $i) (local.get $n))
          (then
            (local.set $e (i32.add (local.get $list) (i32.shl (local.get $i) (i32.const 3))))
            (memory.copy (local.get $at) (i32.load (local.get $e)) (i32.load offset=4 (local.get $e)))
            (local.set $at (i32.add (local.get $at) (i32.load offset=4 (local.get $e))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $copy))))
      (call $ret (local.get $out) (local.get $total)))
    (data (i32.const 16) "hello, ")
    (func (export "greet") (param $p i32) (param $n i32) (result i32)
      (local $out i32)
      (local.set $out (call $alloc (i32.const 0) (i32.const 0) (i32.const 1) (i32.add (local.get $n) (i32.const 8))))
      (memory.copy (local.get $out) (i32.const 16) (i32.const 7))
      (memory.copy (i32.add (local.get $out) (i32.const 7)) (local.get $p) (local.get $n))
      (i32.store8 (i32.add (local.get $out) (i32.add (local.get $n) (i32.const 7))) (i32.const 33))
      (call $ret (local.get $out) (i32.add (local.get $n) (i32.const 8))))
    ;; counts c by decoding s's UTF-8 (valid: the Canonical ABI checked it)
    (func (export "count") (param $p i32) (param $n i32) (param $c i32) (result i32)
      (local $end i32) (local $b i32) (local $cp i32) (local $k i32) (local $hits i32)
      (local.set $end (i32.add (local.get $p) (local.get $n)))
      (block $done
        (loop $next
          (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
          (local.set $b (i32.load8_u (local.get $p)))
          ;; lead byte: payload bits and continuation count
          (if (i32.lt_u (local.get $b) (i32.const 0x80))
            (then (local.set $cp (local.get $b)) (local.set $k (i32.const 0)))
            (else (if (i32.lt_u (local.get $b) (i32.const 0xe0))
              (then (local.set $cp (i32.and (local.get $b) (i32.const 0x1f))) (local.set $k (i32.const 1)))
              (else (if (i32.lt_u (local.get $b) (i32.const 0xf0))
                (then (local.set $cp (i32.and (local.get $b) (i32.const 0x0f))) (local.set $k (i32.const 2)))
                (else (local.set $cp (i32.and (local.get $b) (i32.const 0x07))) (local.set $k (i32.const 3))))))))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (block $cont
            (loop $more
              (br_if $cont (i32.eqz (local.get $k)))
              (local.set $cp (i32.or (i32.shl (local.get $cp) (i32.const 6))
                                     (i32.and (i32.load8_u (local.get $p)) (i32.const 0x3f))))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (local.set $k (i32.sub (local.get $k) (i32.const 1)))
              (br $more)))
          (if (i32.eq (local.get $cp) (local.get $c))
            (then (local.set $hits (i32.add (local.get $hits) (i32.const 1)))))
          (br $next)))
      (local.get $hits)))
  (core instance $m (instantiate $M))
  (func (export "concat") (param "parts" (list string)) (result string)
    (canon lift (core func $m "concat") (memory $m "memory") (realloc (func $m "realloc"))))
  (func (export "greet") (param "name" string) (result string)
    (canon lift (core func $m "greet") (memory $m "memory") (realloc (func $m "realloc"))))
  (func (export "count") (param "s" string) (param "c" char) (result u32)
    (canon lift (core func $m "count") (memory $m "memory") (realloc (func $m "realloc")))))
