;; ticker: the component that examples/embed_async.c runs. Hand-written
;; against the Component Model's async ABI (a toolchain such as wit-bindgen
;; generates the same shapes). In WIT:
;;
;;   interface host {                                   // the host defines these
;;     log: func(msg: string);
;;     sleep: async func(ms: u32) -> u32;               // completes later, from a timer
;;     text: func() -> stream<u8>;                      // the host writes the bytes
;;     print: func(text: stream<u8>) -> future<u32>;    // the host reads them; the future
;;   }                                                  // gets how many it read
;;   world ticker {
;;     import host;
;;     export nap: async func(ms: u32) -> u32;    // sleep(ms)'s result
;;     export shout: async func() -> u32;         // text() upper-cased into print();
;;   }                                            // print's count
;;
;; Both exports are lifted with a callback (`canon lift ... async (callback
;; ...)`): the core function starts the work and returns WAIT with a
;; waitable set; the runtime calls the callback with each event of that set.
;; Codes (CanonicalABI.md): callback results EXIT 0, WAIT 2 | set << 4;
;; events SUBTASK 1, STREAM_READ 2, STREAM_WRITE 3, FUTURE_READ 4; subtask
;; states STARTED 1, RETURNED 2; copies return BLOCKED (-1) or
;; count << 4 | COMPLETED 0 / DROPPED 1 (a future: the result alone).
(component
  (import "kumi:example/host" (instance $host
    (export "log" (func (param "msg" string)))
    (export "sleep" (func async (param "ms" u32) (result u32)))
    (export "text" (func (result (stream u8))))
    (export "print" (func (param "text" (stream u8)) (result (future u32))))))
  (alias export $host "log" (func $log))
  (alias export $host "sleep" (func $sleep))
  (alias export $host "text" (func $text))
  (alias export $host "print" (func $print))

  (core module $Mem (memory (export "mem") 1))
  (core instance $mem (instantiate $Mem))
  (alias core export $mem "mem" (core memory $memory))

  (type $bytes (stream u8))
  (type $count (future u32))
  (core func $log_l (canon lower (func $log) (memory $memory)))
  ;; async: the call returns at once with a subtask; the result lands in memory later
  (core func $sleep_al (canon lower (func $sleep) async (memory $memory)))
  (core func $text_l (canon lower (func $text)))
  (core func $print_l (canon lower (func $print)))
  (core func $snew (canon stream.new $bytes))
  (core func $sread (canon stream.read $bytes async (memory $memory)))
  (core func $swrite (canon stream.write $bytes async (memory $memory)))
  (core func $sdropr (canon stream.drop-readable $bytes))
  (core func $sdropw (canon stream.drop-writable $bytes))
  (core func $fread (canon future.read $count async (memory $memory)))
  (core func $fdropr (canon future.drop-readable $count))
  (core func $ret (canon task.return (result u32)))
  (core func $wsnew (canon waitable-set.new))
  (core func $wsdrop (canon waitable-set.drop))
  (core func $join (canon waitable.join))
  (core func $subdrop (canon subtask.drop))
  (core func $cget (canon context.get i32 0))
  (core func $cset (canon context.set i32 0))

  (core module $Ticker
    (import "" "mem" (memory 1))
    (import "" "log" (func $log (param i32 i32)))
    (import "" "sleep" (func $sleep (param i32 i32) (result i32)))
    (import "" "text" (func $text (result i32)))
    (import "" "print" (func $print (param i32) (result i32)))
    (import "" "snew" (func $snew (result i64)))
    (import "" "sread" (func $sread (param i32 i32 i32) (result i32)))
    (import "" "swrite" (func $swrite (param i32 i32 i32) (result i32)))
    (import "" "sdropr" (func $sdropr (param i32)))
    (import "" "sdropw" (func $sdropw (param i32)))
    (import "" "fread" (func $fread (param i32 i32) (result i32)))
    (import "" "fdropr" (func $fdropr (param i32)))
    (import "" "ret" (func $ret (param i32)))
    (import "" "wsnew" (func $wsnew (result i32)))
    (import "" "wsdrop" (func $wsdrop (param i32)))
    (import "" "join" (func $join (param i32 i32)))
    (import "" "subdrop" (func $subdrop (param i32)))
    (import "" "cget" (func $cget (result i32)))
    (import "" "cset" (func $cset (param i32)))

    ;; 16: nap's log message; 64: the future's value; 128..135: shout's
    ;; buffer (small on purpose: several reads and writes); 256..: nap slots
    (data (i32.const 16) "working while the host sleeps")

    ;; ---- nap(ms): sleep(ms) lowered async; logs meanwhile ----
    ;; Several naps run at once, so each has a slot of its own, found again
    ;; through context.get: [0] sleep's result, [4] the waitable set.
    (global $next (mut i32) (i32.const 256))
    (global $free (mut i32) (i32.const 0))
    (func $slot_get (result i32)
      (local $s i32)
      (if (global.get $free) (then
        (local.set $s (global.get $free))
        (global.set $free (i32.load (local.get $s)))
        (return (local.get $s))))
      (local.set $s (global.get $next))
      (global.set $next (i32.add (local.get $s) (i32.const 8)))
      (local.get $s))
    (func $nap_finish (param $slot i32) (result i32)
      (call $ret (i32.load (local.get $slot)))
      (i32.store (local.get $slot) (global.get $free))
      (global.set $free (local.get $slot))
      (i32.const 0))                                          ;; EXIT
    (func (export "nap") (param $ms i32) (result i32)
      (local $slot i32) (local $r i32) (local $ws i32)
      (local.set $slot (call $slot_get))
      (call $cset (local.get $slot))
      (local.set $r (call $sleep (local.get $ms) (local.get $slot)))
      ;; the other work, done while the host's sleep is pending
      (call $log (i32.const 16) (i32.const 29))
      (if (i32.eq (local.get $r) (i32.const 2))              ;; RETURNED already
        (then (return (call $nap_finish (local.get $slot)))))
      (local.set $ws (call $wsnew))
      (i32.store offset=4 (local.get $slot) (local.get $ws))
      (call $join (i32.shr_u (local.get $r) (i32.const 4)) (local.get $ws))
      (i32.or (i32.const 2) (i32.shl (local.get $ws) (i32.const 4))))
    (func (export "nap-cb") (param $event i32) (param $sub i32) (param $state i32) (result i32)
      (local $slot i32)
      (local.set $slot (call $cget))
      (if (i32.ne (local.get $event) (i32.const 1)) (then unreachable))
      (if (i32.ne (local.get $state) (i32.const 2))         ;; not RETURNED yet: keep waiting
        (then (return (i32.or (i32.const 2) (i32.shl (i32.load offset=4 (local.get $slot)) (i32.const 4))))))
      (call $subdrop (local.get $sub))                       ;; also leaves the set
      (call $wsdrop (i32.load offset=4 (local.get $slot)))
      (call $nap_finish (local.get $slot)))

    ;; ---- shout(): text() upper-cased into print() ----
    ;; One shout at a time: its state is in globals.
    (global $in (mut i32) (i32.const 0))   ;; readable end of text()
    (global $out (mut i32) (i32.const 0))  ;; writable end given to print()
    (global $fut (mut i32) (i32.const 0))  ;; print()'s future
    (global $ws (mut i32) (i32.const 0))
    (global $pos (mut i32) (i32.const 0))  ;; buffer bytes written so far ...
    (global $len (mut i32) (i32.const 0))  ;; ... of those read
    (global $eof (mut i32) (i32.const 0))  ;; the host dropped text()'s stream
    (func (export "shout") (result i32)
      (local $p i64)
      (global.set $in (call $text))
      (local.set $p (call $snew))                            ;; readable | writable << 32
      (global.set $out (i32.wrap_i64 (i64.shr_u (local.get $p) (i64.const 32))))
      (global.set $fut (call $print (i32.wrap_i64 (local.get $p))))
      (global.set $ws (call $wsnew))
      (global.set $pos (i32.const 0))
      (global.set $len (i32.const 0))
      (global.set $eof (i32.const 0))
      (call $pump))
    ;; Copies until a copy blocks (then WAIT for it) or all is done.
    (func $pump (result i32)
      (local $r i32)
      (loop $more
        (if (i32.lt_u (global.get $pos) (global.get $len)) (then
          (local.set $r (call $swrite (global.get $out) (i32.add (i32.const 128) (global.get $pos))
                                      (i32.sub (global.get $len) (global.get $pos))))
          (if (i32.eq (local.get $r) (i32.const -1)) (then (return (call $wait_on (global.get $out)))))
          (call $wrote (local.get $r))
          (br $more)))
        (if (global.get $eof) (then (return (call $close))))
        (local.set $r (call $sread (global.get $in) (i32.const 128) (i32.const 8)))
        (if (i32.eq (local.get $r) (i32.const -1)) (then (return (call $wait_on (global.get $in)))))
        (call $got (local.get $r))
        (br $more))
      unreachable)
    (func $wait_on (param $h i32) (result i32)
      (call $join (local.get $h) (global.get $ws))
      (i32.or (i32.const 2) (i32.shl (global.get $ws) (i32.const 4))))
    ;; a read finished: upper-case what came
    (func $got (param $r i32)
      (local $k i32) (local $c i32)
      (global.set $pos (i32.const 0))
      (global.set $len (i32.shr_u (local.get $r) (i32.const 4)))
      (global.set $eof (i32.eq (i32.and (local.get $r) (i32.const 15)) (i32.const 1)))
      (block $done (loop $each
        (br_if $done (i32.ge_u (local.get $k) (global.get $len)))
        (local.set $c (i32.load8_u offset=128 (local.get $k)))
        (if (i32.lt_u (i32.sub (local.get $c) (i32.const 97)) (i32.const 26))
          (then (i32.store8 offset=128 (local.get $k) (i32.sub (local.get $c) (i32.const 32)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $each))))
    ;; a write finished (perhaps partly: the rest goes next)
    (func $wrote (param $r i32)
      (if (i32.and (local.get $r) (i32.const 15)) (then unreachable)) ;; the host stopped reading
      (global.set $pos (i32.add (global.get $pos) (i32.shr_u (local.get $r) (i32.const 4)))))
    ;; everything copied: dropping the writable end tells the host the text
    ;; is complete; it then resolves the future
    (func $close (result i32)
      (local $r i32)
      (call $sdropr (global.get $in))
      (call $sdropw (global.get $out))
      (local.set $r (call $fread (global.get $fut) (i32.const 64)))
      (if (i32.eq (local.get $r) (i32.const -1)) (then (return (call $wait_on (global.get $fut)))))
      (call $counted (local.get $r)))
    (func $counted (param $r i32) (result i32)
      (if (local.get $r) (then unreachable))                 ;; not COMPLETED
      (call $fdropr (global.get $fut))
      (call $wsdrop (global.get $ws))
      (call $ret (i32.load (i32.const 64)))
      (i32.const 0))                                          ;; EXIT
    (func (export "shout-cb") (param $event i32) (param $h i32) (param $r i32) (result i32)
      (if (i32.eq (local.get $event) (i32.const 2)) (then
        (call $got (local.get $r))
        (return (call $pump))))
      (if (i32.eq (local.get $event) (i32.const 3)) (then
        (call $wrote (local.get $r))
        (return (call $pump))))
      (if (i32.eq (local.get $event) (i32.const 4)) (then
        (return (call $counted (local.get $r)))))
      unreachable))

  (core instance $ticker (instantiate $Ticker (with "" (instance
    (export "mem" (memory $memory))
    (export "log" (func $log_l)) (export "sleep" (func $sleep_al))
    (export "text" (func $text_l)) (export "print" (func $print_l))
    (export "snew" (func $snew)) (export "sread" (func $sread)) (export "swrite" (func $swrite))
    (export "sdropr" (func $sdropr)) (export "sdropw" (func $sdropw))
    (export "fread" (func $fread)) (export "fdropr" (func $fdropr))
    (export "ret" (func $ret)) (export "wsnew" (func $wsnew)) (export "wsdrop" (func $wsdrop))
    (export "join" (func $join)) (export "subdrop" (func $subdrop))
    (export "cget" (func $cget)) (export "cset" (func $cset))))))

  (func (export "nap") async (param "ms" u32) (result u32)
    (canon lift (core func $ticker "nap") async (callback (core func $ticker "nap-cb"))))
  (func (export "shout") async (result u32)
    (canon lift (core func $ticker "shout") async (callback (core func $ticker "shout-cb")))))
