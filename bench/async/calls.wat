;; Async call round trips (bench/async/async_bench.c runs them).
;;   inc(x: u32) -> u32              sync lift: the host's sync baseline
;;   now(x: u32) -> u32              async, callback-lifted: task.return(x + 1) and EXIT in its first call
;;   loop-sync(n: u32) -> u32        $Caller calls $Callee.inc n times (sync lower of a sync lift)
;;   loop-now(n: u32) -> u32         $Caller calls $Callee.now n times through `canon lower ... async`;
;;                                   each returns RETURNED at once (no subtask, no wait)
;;   loop-yield(n: u32) -> u32       $Caller (callback-lifted) calls $Callee.yield1 n times through
;;                                   `canon lower ... async`; yield1 returns YIELD before task.return,
;;                                   so each call is a STARTED subtask: join a waitable set, WAIT, the
;;                                   SUBTASK event, subtask.drop
;; Each loop returns the sum of the results (checked by the driver).
(component
  (component $Callee
    (core module $M
      (import "" "task.return" (func $ret (param i32)))
      (global $x (mut i32) (i32.const 0))
      (func (export "inc") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func (export "now") (param i32) (result i32)
        (call $ret (i32.add (local.get 0) (i32.const 1)))
        (i32.const 0))
      (func (export "yield1") (param i32) (result i32)
        (global.set $x (local.get 0))
        (i32.const 1))
      (func (export "yield1-cb") (param i32 i32 i32) (result i32)
        (call $ret (i32.add (global.get $x) (i32.const 1)))
        (i32.const 0))
      (func (export "cb") (param i32 i32 i32) (result i32) unreachable))
    (canon task.return (result u32) (core func $ret))
    (core instance $i (instantiate $M (with "" (instance (export "task.return" (func $ret))))))
    (func (export "inc") (param "x" u32) (result u32) (canon lift (core func $i "inc")))
    (func (export "now") async (param "x" u32) (result u32)
      (canon lift (core func $i "now") async (callback (core func $i "cb"))))
    (func (export "yield1") async (param "x" u32) (result u32)
      (canon lift (core func $i "yield1") async (callback (core func $i "yield1-cb")))))

  (component $Caller
    (import "inc" (func $inc (param "x" u32) (result u32)))
    (import "now" (func $now async (param "x" u32) (result u32)))
    (import "yield1" (func $yield1 async (param "x" u32) (result u32)))
    (core module $Mem (memory (export "mem") 1))
    (core instance $mem (instantiate $Mem))
    (core module $M
      (import "" "mem" (memory 1))
      (import "" "inc" (func $inc (param i32) (result i32)))
      (import "" "now" (func $now (param i32 i32) (result i32)))
      (import "" "yield1" (func $yield1 (param i32 i32) (result i32)))
      (import "" "task.return" (func $ret (param i32)))
      (import "" "ws.new" (func $wsnew (result i32)))
      (import "" "join" (func $join (param i32 i32)))
      (import "" "drop" (func $drop (param i32)))
      (global $n (mut i32) (i32.const 0))
      (global $i (mut i32) (i32.const 0))
      (global $sum (mut i32) (i32.const 0))
      (global $ws (mut i32) (i32.const 0))
      (func (export "loop-sync") (param $n i32) (result i32)
        (local $i i32) (local $sum i32)
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $sum (i32.add (local.get $sum) (call $inc (local.get $i))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))
        (local.get $sum))
      (func (export "loop-now") (param $n i32) (result i32)
        (local $i i32) (local $sum i32)
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (if (i32.ne (call $now (local.get $i) (i32.const 0)) (i32.const 2)) (then unreachable))
            (local.set $sum (i32.add (local.get $sum) (i32.load (i32.const 0))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))
        (local.get $sum))
      ;; starts calls until one does not return at once (WAIT) or n are done (EXIT)
      (func $go (result i32)
        (local $r i32)
        (loop $next
          (if (i32.ge_u (global.get $i) (global.get $n))
            (then
              (call $ret (global.get $sum))
              (return (i32.const 0))))
          (local.set $r (call $yield1 (global.get $i) (i32.const 0)))
          (if (i32.ne (i32.and (local.get $r) (i32.const 15)) (i32.const 2))
            (then
              (if (i32.ne (i32.and (local.get $r) (i32.const 15)) (i32.const 1)) (then unreachable))
              (call $join (i32.shr_u (local.get $r) (i32.const 4)) (global.get $ws))
              (return (i32.or (i32.const 2) (i32.shl (global.get $ws) (i32.const 4))))))
          (global.set $sum (i32.add (global.get $sum) (i32.load (i32.const 0))))
          (global.set $i (i32.add (global.get $i) (i32.const 1)))
          (br $next))
        (unreachable))
      (func (export "loop-yield") (param $n i32) (result i32)
        (global.set $n (local.get $n))
        (global.set $i (i32.const 0))
        (global.set $sum (i32.const 0))
        (global.set $ws (call $wsnew))
        (call $go))
      (func (export "loop-yield-cb") (param $ev i32) (param $h i32) (param $st i32) (result i32)
        (if (i32.ne (local.get $ev) (i32.const 1)) (then unreachable))
        (if (i32.ne (local.get $st) (i32.const 2)) (then unreachable))
        (call $join (local.get $h) (i32.const 0))
        (call $drop (local.get $h))
        (global.set $sum (i32.add (global.get $sum) (i32.load (i32.const 0))))
        (global.set $i (i32.add (global.get $i) (i32.const 1)))
        (call $go)))
    (core func $inc' (canon lower (func $inc)))
    (core func $now' (canon lower (func $now) async (memory (core memory $mem "mem"))))
    (core func $yield1' (canon lower (func $yield1) async (memory (core memory $mem "mem"))))
    (canon task.return (result u32) (core func $ret))
    (canon waitable-set.new (core func $wsnew))
    (canon waitable.join (core func $join))
    (canon subtask.drop (core func $drop))
    (core instance $i (instantiate $M (with "" (instance
      (export "mem" (memory $mem "mem")) (export "inc" (func $inc')) (export "now" (func $now'))
      (export "yield1" (func $yield1')) (export "task.return" (func $ret)) (export "ws.new" (func $wsnew))
      (export "join" (func $join)) (export "drop" (func $drop))))))
    (func (export "loop-sync") (param "n" u32) (result u32) (canon lift (core func $i "loop-sync")))
    (func (export "loop-now") (param "n" u32) (result u32) (canon lift (core func $i "loop-now")))
    (func (export "loop-yield") async (param "n" u32) (result u32)
      (canon lift (core func $i "loop-yield") async (callback (core func $i "loop-yield-cb")))))

  (instance $callee (instantiate $Callee))
  (instance $caller (instantiate $Caller
    (with "inc" (func $callee "inc")) (with "now" (func $callee "now")) (with "yield1" (func $callee "yield1"))))
  (export "inc" (func $callee "inc"))
  (export "now" (func $callee "now"))
  (export "loop-sync" (func $caller "loop-sync"))
  (export "loop-now" (func $caller "loop-now"))
  (export "loop-yield" (func $caller "loop-yield")))
