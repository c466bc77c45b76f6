;; A stream<u8> between the host and a component, both ways
;; (bench/async/async_bench.c drives it through include/kumi_async.h).
;;   consume(s: stream<u8>, chunk: u32) -> u64
;;       host -> guest: the host made s (kumi_stream_new) and writes into it;
;;       the guest reads `chunk` bytes at a time until the host drops its
;;       end, and returns the bytes it read.
;;   pull(chunk: u32) -> u64
;;       host -> guest, the other way to get a host stream: the guest calls
;;       the host's async import source() (lowered async), which returns a
;;       stream the host made (kumi_stream_new); then as consume.
;;   produce(total: u64, chunk: u32) -> u64
;;       guest -> host: the guest makes a stream, passes its readable end to
;;       the host's async import sink(s) (lowered async: the host keeps it),
;;       writes `total` bytes `chunk` at a time, drops its end and waits for
;;       sink to return the bytes the host read, which it returns.
;; Both are callback (stackless) tasks. The first 4 bytes of each chunk are
;; a sequence number (the guest checks them when it reads; the host when
;; it reads). Chunks up to 1 MiB (the buffer is at 64 KiB).
(component
  (type $ST (stream u8))
  (import "kumi:bench/host" (instance $host
    (export "sink" (func async (param "s" (stream u8)) (result u64)))
    (export "source" (func async (result (stream u8))))))
  (alias export $host "sink" (func $sink))
  (alias export $host "source" (func $source))
  (core module $Mem (memory (export "mem") 20))
  (core instance $mem (instantiate $Mem))
  (core module $M
    (import "" "mem" (memory 20))
    (import "" "sink" (func $sink (param i32 i32) (result i32)))
    (import "" "source" (func $source (param i32) (result i32)))
    (import "" "stream.new" (func $snew (result i64)))
    (import "" "stream.read" (func $sread (param i32 i32 i32) (result i32)))
    (import "" "stream.write" (func $swrite (param i32 i32 i32) (result i32)))
    (import "" "stream.drop-readable" (func $sdropr (param i32)))
    (import "" "stream.drop-writable" (func $sdropw (param i32)))
    (import "" "task.return" (func $ret (param i64)))
    (import "" "ws.new" (func $wsnew (result i32)))
    (import "" "join" (func $join (param i32 i32)))
    (import "" "drop" (func $drop (param i32)))
    (global $s (mut i32) (i32.const 0))
    (global $ws (mut i32) (i32.const 0))
    (global $sub (mut i32) (i32.const 0))
    (global $left (mut i64) (i64.const 0))
    (global $got (mut i64) (i64.const 0))
    (global $chunk (mut i32) (i32.const 0))
    (global $seq (mut i32) (i32.const 0))

    ;; ---- consume: reads until a read blocks (WAIT) or the host dropped its end (EXIT)
    (func $pull (result i32)
      (local $r i32)
      (loop $next
        (local.set $r (call $sread (global.get $s) (i32.const 65536) (global.get $chunk)))
        (if (i32.eq (local.get $r) (i32.const -1))
          (then (return (i32.or (i32.const 2) (i32.shl (global.get $ws) (i32.const 4))))))
        (if (call $read-done (local.get $r)) (then (return (i32.const 0))))
        (br $next))
      (unreachable))
    (func $read-done (param $r i32) (result i32)
      (local $n i32)
      (local.set $n (i32.shr_u (local.get $r) (i32.const 4)))
      (if (local.get $n)
        (then
          (if (i32.ne (i32.load (i32.const 65536)) (global.get $seq)) (then unreachable))
          (global.set $seq (i32.add (global.get $seq) (i32.const 1)))
          (global.set $got (i64.add (global.get $got) (i64.extend_i32_u (local.get $n))))))
      (if (i32.eq (i32.and (local.get $r) (i32.const 15)) (i32.const 1))
        (then
          (call $sdropr (global.get $s))
          (call $ret (global.get $got))
          (return (i32.const 1))))
      (i32.const 0))
    (func $consume (export "consume") (param $s i32) (param $chunk i32) (result i32)
      (global.set $s (local.get $s))
      (global.set $chunk (local.get $chunk))
      (global.set $got (i64.const 0))
      (global.set $seq (i32.const 0))
      (global.set $ws (call $wsnew))
      (call $join (global.get $s) (global.get $ws))
      (call $pull))
    (func (export "pull") (param $chunk i32) (result i32)
      ;; the host returns its stream at once: RETURNED (2), the handle at 0
      (if (i32.ne (call $source (i32.const 0)) (i32.const 2)) (then unreachable))
      (call $consume (i32.load (i32.const 0)) (local.get $chunk)))
    (func (export "consume-cb") (param $ev i32) (param $h i32) (param $r i32) (result i32)
      (if (i32.ne (local.get $ev) (i32.const 2)) (then unreachable))
      (if (call $read-done (local.get $r)) (then (return (i32.const 0))))
      (call $pull))

    ;; ---- produce: writes until a write blocks (WAIT) or all is written;
    ;; then waits for the sink subtask (WAIT) and returns its result (EXIT)
    (func $pump (result i32)
      (local $n i32) (local $r i32)
      (loop $next
        (if (i64.eqz (global.get $left)) (then (return (call $finish))))
        (local.set $n (global.get $chunk))
        (if (i64.lt_u (global.get $left) (i64.extend_i32_u (local.get $n)))
          (then (local.set $n (i32.wrap_i64 (global.get $left)))))
        (i32.store (i32.const 65536) (global.get $seq))
        (global.set $seq (i32.add (global.get $seq) (i32.const 1)))
        (local.set $r (call $swrite (global.get $s) (i32.const 65536) (local.get $n)))
        (if (i32.eq (local.get $r) (i32.const -1))
          (then (return (i32.or (i32.const 2) (i32.shl (global.get $ws) (i32.const 4))))))
        (global.set $left (i64.sub (global.get $left) (i64.extend_i32_u (i32.shr_u (local.get $r) (i32.const 4)))))
        (if (i32.eq (i32.and (local.get $r) (i32.const 15)) (i32.const 1)) (then (return (call $finish))))
        (br $next))
      (unreachable))
    ;; drops the writable end; EXIT if sink has returned, else WAIT for it
    (func $finish (result i32)
      (if (global.get $s)
        (then
          (call $sdropw (global.get $s))
          (global.set $s (i32.const 0))))
      (if (i32.eqz (global.get $sub))
        (then
          (call $ret (i64.load (i32.const 0)))
          (return (i32.const 0))))
      (i32.or (i32.const 2) (i32.shl (global.get $ws) (i32.const 4))))
    (func (export "produce") (param $total i64) (param $chunk i32) (result i32)
      (local $p i64) (local $r i32)
      (local.set $p (call $snew))
      (global.set $s (i32.wrap_i64 (i64.shr_u (local.get $p) (i64.const 32))))
      (global.set $left (local.get $total))
      (global.set $chunk (local.get $chunk))
      (global.set $seq (i32.const 0))
      (global.set $ws (call $wsnew))
      (global.set $sub (i32.const 0))
      (local.set $r (call $sink (i32.wrap_i64 (local.get $p)) (i32.const 0)))
      (if (i32.eq (i32.and (local.get $r) (i32.const 15)) (i32.const 1))
        (then
          (global.set $sub (i32.shr_u (local.get $r) (i32.const 4)))
          (call $join (global.get $sub) (global.get $ws)))
        (else (if (i32.ne (local.get $r) (i32.const 2)) (then unreachable))))
      (call $join (global.get $s) (global.get $ws))
      (call $pump))
    (func (export "produce-cb") (param $ev i32) (param $h i32) (param $r i32) (result i32)
      (if (i32.eq (local.get $ev) (i32.const 1))
        (then
          ;; the sink subtask returned
          (if (i32.ne (local.get $r) (i32.const 2)) (then unreachable))
          (call $join (global.get $sub) (i32.const 0))
          (call $drop (global.get $sub))
          (global.set $sub (i32.const 0))
          (if (i32.eqz (global.get $s)) (then (call $ret (i64.load (i32.const 0))) (return (i32.const 0))))
          (return (i32.or (i32.const 2) (i32.shl (global.get $ws) (i32.const 4))))))
      (if (i32.ne (local.get $ev) (i32.const 3)) (then unreachable))
      (global.set $left (i64.sub (global.get $left) (i64.extend_i32_u (i32.shr_u (local.get $r) (i32.const 4)))))
      (if (i32.eq (i32.and (local.get $r) (i32.const 15)) (i32.const 1)) (then (return (call $finish))))
      (call $pump)))
  (core func $sink' (canon lower (func $sink) async (memory (core memory $mem "mem"))))
  (core func $source' (canon lower (func $source) async (memory (core memory $mem "mem"))))
  (canon stream.new $ST (core func $snew))
  (canon stream.read $ST async (memory (core memory $mem "mem")) (core func $sread))
  (canon stream.write $ST async (memory (core memory $mem "mem")) (core func $swrite))
  (canon stream.drop-readable $ST (core func $sdropr))
  (canon stream.drop-writable $ST (core func $sdropw))
  (canon task.return (result u64) (core func $ret))
  (canon waitable-set.new (core func $wsnew))
  (canon waitable.join (core func $join))
  (canon subtask.drop (core func $drop))
  (core instance $i (instantiate $M (with "" (instance
    (export "mem" (memory $mem "mem")) (export "sink" (func $sink')) (export "source" (func $source'))
    (export "stream.new" (func $snew)) (export "stream.read" (func $sread))
    (export "stream.write" (func $swrite)) (export "stream.drop-readable" (func $sdropr))
    (export "stream.drop-writable" (func $sdropw)) (export "task.return" (func $ret))
    (export "ws.new" (func $wsnew)) (export "join" (func $join)) (export "drop" (func $drop))))))
  (func (export "consume") async (param "s" $ST) (param "chunk" u32) (result u64)
    (canon lift (core func $i "consume") async (callback (core func $i "consume-cb"))))
  (func (export "pull") async (param "chunk" u32) (result u64)
    (canon lift (core func $i "pull") async (callback (core func $i "consume-cb"))))
  (func (export "produce") async (param "total" u64) (param "chunk" u32) (result u64)
    (canon lift (core func $i "produce") async (callback (core func $i "produce-cb")))))
