/* Unit tests for Component Model async in the component runtime
 * (src/component/async_*.c): async-lifted exports with a callback driven
 * by the host (kumi_component_func_call runs the event loop), task.return,
 * YIELD with context.get/set kept per task, async-lowered calls between
 * two components (STARTED subtask, waitable set, SUBTASK event with the
 * RETURNED state, results stored at the return pointer, subtask.drop), a
 * sync-lowered call that blocks on an async callee, streams and futures
 * within one instance (partial copies, progress events), and the traps: exit
 * without task.return, a bad callback code, dropping an unresolved
 * subtask, blocking a non-async task, and a deadlock; 2 x 100,000 async
 * calls in bounded memory (tasks and subtasks are freed once done). Every run uses a
 * counting allocator: nothing may leak; an allocation failure at any point
 * is an error, never a crash. */
#include "text/text.h"

#include "../test.h"

static const char single[] =
    "(component\n"
    "  (core module $M\n"
    "    (import \"\" \"task.return\" (func $ret (param i32)))\n"
    "    (import \"\" \"context.get\" (func $cget (result i32)))\n"
    "    (import \"\" \"context.set\" (func $cset (param i32)))\n"
    "    (import \"\" \"ws.new\" (func $wsnew (result i32)))\n"
    "    (global $n (mut i32) (i32.const 0))\n"
    "    (func (export \"now\") (param i32) (result i32)\n"
    "      (call $ret (i32.add (local.get 0) (i32.const 1)))\n"
    "      (i32.const 0))\n"
    "    (func (export \"yield3\") (param i32) (result i32)\n"
    "      (call $cset (local.get 0))\n"
    "      (i32.const 1))\n"
    "    (func (export \"yield3-cb\") (param i32 i32 i32) (result i32)\n"
    "      (if (i32.or (local.get 0) (i32.or (local.get 1) (local.get 2))) (then unreachable))\n"
    "      (global.set $n (i32.add (global.get $n) (i32.const 1)))\n"
    "      (if (i32.lt_u (global.get $n) (i32.const 3)) (then (return (i32.const 1))))\n"
    "      (call $ret (i32.mul (call $cget) (global.get $n)))\n"
    "      (i32.const 0))\n"
    "    (func (export \"noreturn\") (result i32) (i32.const 0))\n"
    "    (func (export \"badcode\") (result i32) (i32.const 3))\n"
    "    (func (export \"stuck\") (result i32) (i32.or (i32.const 2) (i32.shl (call $wsnew) (i32.const 4))))\n"
    "    (func (export \"cb\") (param i32 i32 i32) (result i32) unreachable))\n"
    "  (canon task.return (result u32) (core func $ret))\n"
    "  (canon context.get i32 0 (core func $cget))\n"
    "  (canon context.set i32 0 (core func $cset))\n"
    "  (canon waitable-set.new (core func $wsnew))\n"
    "  (core instance $i (instantiate $M (with \"\" (instance\n"
    "    (export \"task.return\" (func $ret)) (export \"context.get\" (func $cget))\n"
    "    (export \"context.set\" (func $cset)) (export \"ws.new\" (func $wsnew))))))\n"
    "  (func (export \"now\") async (param \"x\" u32) (result u32)\n"
    "    (canon lift (core func $i \"now\") async (callback (core func $i \"cb\"))))\n"
    "  (func (export \"yield3\") async (param \"x\" u32) (result u32)\n"
    "    (canon lift (core func $i \"yield3\") async (callback (core func $i \"yield3-cb\"))))\n"
    "  (func (export \"noreturn\") async (canon lift (core func $i \"noreturn\") async (callback (core func $i \"cb\"))))\n"
    "  (func (export \"badcode\") async (canon lift (core func $i \"badcode\") async (callback (core func $i \"cb\"))))\n"
    "  (func (export \"stuck\") async (canon lift (core func $i \"stuck\") async (callback (core func $i \"cb\")))))\n";

/* $C.slow(x) yields once, then returns 2x; $D calls it. */
static const char pair[] =
    "(component\n"
    "  (component $C\n"
    "    (core module $M\n"
    "      (import \"\" \"task.return\" (func $ret (param i32)))\n"
    "      (global $x (mut i32) (i32.const 0))\n"
    "      (func (export \"slow\") (param i32) (result i32) (global.set $x (local.get 0)) (i32.const 1))\n"
    "      (func (export \"slow-cb\") (param i32 i32 i32) (result i32)\n"
    "        (call $ret (i32.mul (global.get $x) (i32.const 2))) (i32.const 0)))\n"
    "    (canon task.return (result u32) (core func $ret))\n"
    "    (core instance $i (instantiate $M (with \"\" (instance (export \"task.return\" (func $ret))))))\n"
    "    (func (export \"slow\") async (param \"x\" u32) (result u32)\n"
    "      (canon lift (core func $i \"slow\") async (callback (core func $i \"slow-cb\")))))\n"
    "  (component $D\n"
    "    (import \"slow\" (func $slow async (param \"x\" u32) (result u32)))\n"
    "    (core module $Mem (memory (export \"mem\") 1))\n"
    "    (core instance $mem (instantiate $Mem))\n"
    "    (core module $M\n"
    "      (import \"\" \"mem\" (memory 1))\n"
    "      (import \"\" \"slow\" (func $slow (param i32 i32) (result i32)))\n"
    "      (import \"\" \"slow-sync\" (func $slow-sync (param i32) (result i32)))\n"
    "      (import \"\" \"task.return\" (func $ret (param i32)))\n"
    "      (import \"\" \"ws.new\" (func $wsnew (result i32)))\n"
    "      (import \"\" \"join\" (func $join (param i32 i32)))\n"
    "      (import \"\" \"drop\" (func $drop (param i32)))\n"
    "      (global $h (mut i32) (i32.const 0))\n"
    "      (func (export \"run\") (result i32)\n"
    "        (local $ws i32) (local $r i32)\n"
    "        (local.set $ws (call $wsnew))\n"
    "        (local.set $r (call $slow (i32.const 21) (i32.const 16)))\n"
    "        (if (i32.ne (i32.and (local.get $r) (i32.const 15)) (i32.const 1)) (then unreachable))\n"
    "        (global.set $h (i32.shr_u (local.get $r) (i32.const 4)))\n"
    "        (call $join (global.get $h) (local.get $ws))\n"
    "        (i32.or (i32.const 2) (i32.shl (local.get $ws) (i32.const 4))))\n"
    "      (func (export \"run-cb\") (param i32 i32 i32) (result i32)\n"
    "        (if (i32.ne (local.get 0) (i32.const 1)) (then unreachable))\n"
    "        (if (i32.ne (local.get 1) (global.get $h)) (then unreachable))\n"
    "        (if (i32.ne (local.get 2) (i32.const 2)) (then unreachable))\n"
    "        (call $join (global.get $h) (i32.const 0))\n"
    "        (call $drop (global.get $h))\n"
    "        (call $ret (i32.load (i32.const 16)))\n"
    "        (i32.const 0))\n"
    "      (func (export \"early-drop\") (result i32)\n"
    "        (call $drop (i32.shr_u (call $slow (i32.const 1) (i32.const 16)) (i32.const 4)))\n"
    "        (i32.const 0))\n"
    "      (func (export \"sync-run\") (result i32) (call $slow-sync (i32.const 5)))\n"
    "      (func (export \"cb\") (param i32 i32 i32) (result i32) unreachable))\n"
    "    (canon lower (func $slow) async (memory (core memory $mem \"mem\")) (core func $slow'))\n"
    "    (canon lower (func $slow) (core func $slow-sync))\n"
    "    (canon task.return (result u32) (core func $ret))\n"
    "    (canon waitable-set.new (core func $wsnew))\n"
    "    (canon waitable.join (core func $join))\n"
    "    (canon subtask.drop (core func $drop))\n"
    "    (core instance $i (instantiate $M (with \"\" (instance\n"
    "      (export \"mem\" (memory $mem \"mem\")) (export \"slow\" (func $slow'))\n"
    "      (export \"slow-sync\" (func $slow-sync)) (export \"task.return\" (func $ret))\n"
    "      (export \"ws.new\" (func $wsnew)) (export \"join\" (func $join)) (export \"drop\" (func $drop))))))\n"
    "    (func (export \"run\") async (result u32) (canon lift (core func $i \"run\") async (callback (core func $i \"run-cb\"))))\n"
    "    (func (export \"early-drop\") async (canon lift (core func $i \"early-drop\") async (callback (core func $i \"cb\"))))\n"
    "    (func (export \"sync-run\") async (result u32) (canon lift (core func $i \"sync-run\")))\n"
    "    (func (export \"sync-run-nonasync\") (result u32) (canon lift (core func $i \"sync-run\"))))\n"
    "  (instance $c (instantiate $C))\n"
    "  (instance $d (instantiate $D (with \"slow\" (func $c \"slow\"))))\n"
    "  (func (export \"run\") (alias export $d \"run\"))\n"
    "  (func (export \"early-drop\") (alias export $d \"early-drop\"))\n"
    "  (func (export \"sync-run\") (alias export $d \"sync-run\"))\n"
    "  (func (export \"sync-run-nonasync\") (alias export $d \"sync-run-nonasync\")))\n";

/* Streams and futures inside one instance: a u8 stream written (BLOCKED)
 * then read in two parts, the write's progress event through
 * waitable-set.poll, a future written then read, and the traps. */
static const char streams[] =
    "(component\n"
    "  (core module $Mem (memory (export \"mem\") 1))\n"
    "  (core instance $mem (instantiate $Mem))\n"
    "  (core module $M\n"
    "    (import \"\" \"mem\" (memory 1))\n"
    "    (import \"\" \"stream.new\" (func $snew (result i64)))\n"
    "    (import \"\" \"stream.read\" (func $sread (param i32 i32 i32) (result i32)))\n"
    "    (import \"\" \"stream.write\" (func $swrite (param i32 i32 i32) (result i32)))\n"
    "    (import \"\" \"stream.drop-readable\" (func $sdropr (param i32)))\n"
    "    (import \"\" \"stream.drop-writable\" (func $sdropw (param i32)))\n"
    "    (import \"\" \"future.new\" (func $fnew (result i64)))\n"
    "    (import \"\" \"future.read\" (func $fread (param i32 i32) (result i32)))\n"
    "    (import \"\" \"future.write\" (func $fwrite (param i32 i32) (result i32)))\n"
    "    (import \"\" \"future.drop-writable\" (func $fdropw (param i32)))\n"
    "    (import \"\" \"ws.new\" (func $wsnew (result i32)))\n"
    "    (import \"\" \"ws.poll\" (func $poll (param i32 i32) (result i32)))\n"
    "    (import \"\" \"join\" (func $join (param i32 i32)))\n"
    "    (func (export \"copy\") (result i32)\n"
    "      (local $p i64) (local $r i32) (local $w i32) (local $ws i32)\n"
    "      (local.set $p (call $snew))\n"
    "      (local.set $r (i32.wrap_i64 (local.get $p)))\n"
    "      (local.set $w (i32.wrap_i64 (i64.shr_u (local.get $p) (i64.const 32))))\n"
    "      (i32.store (i32.const 64) (i32.const 0x04030201))\n"
    "      (if (i32.ne (call $swrite (local.get $w) (i32.const 64) (i32.const 4)) (i32.const -1)) (then unreachable))\n"
    "      (if (i32.ne (call $sread (local.get $r) (i32.const 128) (i32.const 3)) (i32.const 0x30)) (then unreachable))\n"
    "      (local.set $ws (call $wsnew))\n"
    "      (call $join (local.get $w) (local.get $ws))\n"
    "      (if (i32.ne (call $poll (local.get $ws) (i32.const 256)) (i32.const 3)) (then unreachable))\n"
    "      (if (i32.ne (i32.load (i32.const 256)) (local.get $w)) (then unreachable))\n"
    "      (if (i32.ne (i32.load (i32.const 260)) (i32.const 0x30)) (then unreachable))\n"
    "      (call $join (local.get $w) (i32.const 0))\n"
    "      (if (i32.ne (call $swrite (local.get $w) (i32.const 67) (i32.const 1)) (i32.const -1)) (then unreachable))\n"
    "      (if (i32.ne (call $sread (local.get $r) (i32.const 131) (i32.const 8)) (i32.const 0x10)) (then unreachable))\n"
    "      (call $join (local.get $w) (local.get $ws))\n"
    "      (if (i32.ne (call $poll (local.get $ws) (i32.const 256)) (i32.const 3)) (then unreachable))\n"
    "      (if (i32.ne (i32.load (i32.const 260)) (i32.const 0x10)) (then unreachable))\n"
    "      (if (i32.ne (call $poll (local.get $ws) (i32.const 256)) (i32.const 0)) (then unreachable))\n"
    "      (call $join (local.get $w) (i32.const 0))\n"
    "      (call $sdropr (local.get $r))\n"
    "      (call $sdropw (local.get $w))\n"
    "      (local.set $p (call $fnew))\n"
    "      (local.set $r (i32.wrap_i64 (local.get $p)))\n"
    "      (local.set $w (i32.wrap_i64 (i64.shr_u (local.get $p) (i64.const 32))))\n"
    "      (i32.store (i32.const 64) (i32.const 0x55))\n"
    "      (if (i32.ne (call $fread (local.get $r) (i32.const 200)) (i32.const -1)) (then unreachable))\n"
    "      (if (i32.ne (call $fwrite (local.get $w) (i32.const 64)) (i32.const 0)) (then unreachable))\n"
    "      (call $fdropw (local.get $w))\n"
    "      (i32.add (i32.load (i32.const 128)) (i32.load8_u (i32.const 200))))\n"
    "    (func (export \"busy-drop\") (result i32)\n"
    "      (local $w i32)\n"
    "      (local.set $w (i32.wrap_i64 (i64.shr_u (call $snew) (i64.const 32))))\n"
    "      (drop (call $swrite (local.get $w) (i32.const 0) (i32.const 4)))\n"
    "      (call $sdropw (local.get $w))\n"
    "      (i32.const 0))\n"
    "    (func (export \"future-undropped\") (result i32)\n"
    "      (call $fdropw (i32.wrap_i64 (i64.shr_u (call $fnew) (i64.const 32))))\n"
    "      (i32.const 0)))\n"
    "  (type $ST (stream u8))\n"
    "  (type $FT (future u8))\n"
    "  (canon stream.new $ST (core func $snew))\n"
    "  (canon stream.read $ST async (memory (core memory $mem \"mem\")) (core func $sread))\n"
    "  (canon stream.write $ST async (memory (core memory $mem \"mem\")) (core func $swrite))\n"
    "  (canon stream.drop-readable $ST (core func $sdropr))\n"
    "  (canon stream.drop-writable $ST (core func $sdropw))\n"
    "  (canon future.new $FT (core func $fnew))\n"
    "  (canon future.read $FT async (memory (core memory $mem \"mem\")) (core func $fread))\n"
    "  (canon future.write $FT async (memory (core memory $mem \"mem\")) (core func $fwrite))\n"
    "  (canon future.drop-writable $FT (core func $fdropw))\n"
    "  (canon waitable-set.new (core func $wsnew))\n"
    "  (canon waitable-set.poll (memory (core memory $mem \"mem\")) (core func $poll))\n"
    "  (canon waitable.join (core func $join))\n"
    "  (core instance $i (instantiate $M (with \"\" (instance\n"
    "    (export \"mem\" (memory $mem \"mem\"))\n"
    "    (export \"stream.new\" (func $snew)) (export \"stream.read\" (func $sread))\n"
    "    (export \"stream.write\" (func $swrite)) (export \"stream.drop-readable\" (func $sdropr))\n"
    "    (export \"stream.drop-writable\" (func $sdropw)) (export \"future.new\" (func $fnew))\n"
    "    (export \"future.read\" (func $fread)) (export \"future.write\" (func $fwrite))\n"
    "    (export \"future.drop-writable\" (func $fdropw)) (export \"ws.new\" (func $wsnew))\n"
    "    (export \"ws.poll\" (func $poll)) (export \"join\" (func $join))))))\n"
    "  (func (export \"copy\") (result u32) (canon lift (core func $i \"copy\")))\n"
    "  (func (export \"busy-drop\") (result u32) (canon lift (core func $i \"busy-drop\")))\n"
    "  (func (export \"future-undropped\") (result u32) (canon lift (core func $i \"future-undropped\"))))\n";

typedef struct outcome {
  kumi_error_kind kind; /* 0: returned */
  char msg[200];
  bool has_u32;
  uint32_t u32;
} outcome;

/* Instantiates src (with allocator a) and calls export name twice when
 * twice is set (a second call in the same instance); the last outcome. */
static outcome run(const kumi_allocator *a, const char *src, const char *name, const kumi_cval *args, size_t nargs,
                   bool has_result, bool twice) {
  outcome o;
  memset(&o, 0, sizeof o);
  kumi_config cfg = {a, 0};
  kumi_engine *eng = kumi_engine_new(&cfg);
  kumi_store *st = eng ? kumi_store_new(eng, NULL) : NULL;
  if (!st) {
    o.kind = KUMI_ERR_OOM;
    kumi_engine_free(eng);
    return o;
  }
  uint8_t *bin = NULL;
  size_t len = 0;
  kumi_error *err = text_parse_component(a ? a : kb_default_allocator(), src, strlen(src), &bin, &len);
  kumi_component *c = err ? NULL : kumi_component_new(eng, bin, len, &err);
  kumi_component_instance *inst = c ? kumi_component_instantiate(st, c, &err) : NULL;
  for (int k = 0; inst && !err && k < (twice ? 2 : 1); k++) {
    kumi_component_func *f = kumi_component_instance_func(inst, NULL, name);
    if (!f) {
      err = kumi_error_new(st, KUMI_ERR_ARG, "no such export");
      break;
    }
    kumi_cval r = kumi_cval_bool(false);
    err = kumi_component_func_call(st, f, args, nargs, &r, has_result ? 1 : 0);
    if (!err && has_result && r.kind == KUMI_CV_U32) {
      o.has_u32 = true;
      o.u32 = (uint32_t)r.of.u;
    }
    if (!err && has_result) kumi_cval_free(a, &r);
  }
  if (err) {
    o.kind = kumi_error_kind_of(err);
    snprintf(o.msg, sizeof o.msg, "%s", kumi_error_message(err));
  }
  kumi_error_free(err);
  kumi_component_instance_free(inst);
  kumi_component_free(c);
  if (bin) kb_free(a ? a : kb_default_allocator(), bin, len);
  kumi_store_free(st);
  kumi_engine_free(eng);
  return o;
}

static bool traps_with(const outcome *o, const char *text) {
  bool ok = o->kind == KUMI_ERR_TRAP && strstr(o->msg, text);
  if (!ok) fprintf(stderr, "  got kind %d \"%s\", expected a trap \"%s\"\n", (int)o->kind, o->msg, text);
  return ok;
}

static bool returns(const outcome *o, uint32_t v) {
  bool ok = o->kind == 0 && o->has_u32 && o->u32 == v;
  if (!ok) fprintf(stderr, "  got kind %d \"%s\" value %u, expected %u\n", (int)o->kind, o->msg, o->u32, v);
  return ok;
}

/* $D.loop(n) (async-typed, lifted synchronously: it may block) makes 2n
 * async calls of $C: now(i) returns at once (RETURNED,
 * no subtask handle), slow(i) yields first (a STARTED subtask, waited for
 * in a waitable set, then dropped); it returns the sum of the results
 * (i + 1 and 2i). Memory must not grow with n. */
static const char many[] =
    "(component\n"
    "  (component $C\n"
    "    (core module $M\n"
    "      (import \"\" \"task.return\" (func $ret (param i32)))\n"
    "      (global $x (mut i32) (i32.const 0))\n"
    "      (func (export \"now\") (param i32) (result i32) (call $ret (i32.add (local.get 0) (i32.const 1))) (i32.const 0))\n"
    "      (func (export \"slow\") (param i32) (result i32) (global.set $x (local.get 0)) (i32.const 1))\n"
    "      (func (export \"slow-cb\") (param i32 i32 i32) (result i32)\n"
    "        (call $ret (i32.mul (global.get $x) (i32.const 2))) (i32.const 0)))\n"
    "    (canon task.return (result u32) (core func $ret))\n"
    "    (core instance $i (instantiate $M (with \"\" (instance (export \"task.return\" (func $ret))))))\n"
    "    (func (export \"now\") async (param \"x\" u32) (result u32)\n"
    "      (canon lift (core func $i \"now\") async (callback (core func $i \"slow-cb\"))))\n"
    "    (func (export \"slow\") async (param \"x\" u32) (result u32)\n"
    "      (canon lift (core func $i \"slow\") async (callback (core func $i \"slow-cb\")))))\n"
    "  (component $D\n"
    "    (import \"now\" (func $now async (param \"x\" u32) (result u32)))\n"
    "    (import \"slow\" (func $slow async (param \"x\" u32) (result u32)))\n"
    "    (core module $Mem (memory (export \"mem\") 1))\n"
    "    (core instance $mem (instantiate $Mem))\n"
    "    (core module $M\n"
    "      (import \"\" \"mem\" (memory 1))\n"
    "      (import \"\" \"now\" (func $now (param i32 i32) (result i32)))\n"
    "      (import \"\" \"slow\" (func $slow (param i32 i32) (result i32)))\n"
    "      (import \"\" \"task.return\" (func $ret (param i32)))\n"
    "      (import \"\" \"ws.new\" (func $wsnew (result i32)))\n"
    "      (import \"\" \"ws.wait\" (func $wait (param i32 i32) (result i32)))\n"
    "      (import \"\" \"join\" (func $join (param i32 i32)))\n"
    "      (import \"\" \"drop\" (func $drop (param i32)))\n"
    "      (func (export \"loop\") (param $n i32) (result i32)\n"
    "        (local $i i32) (local $sum i32) (local $ws i32) (local $r i32) (local $h i32)\n"
    "        (local.set $ws (call $wsnew))\n"
    "        (block $done (loop $l\n"
    "          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))\n"
    "          (if (i32.ne (call $now (local.get $i) (i32.const 16)) (i32.const 2)) (then unreachable))\n"
    "          (local.set $sum (i32.add (local.get $sum) (i32.load (i32.const 16))))\n"
    "          (local.set $r (call $slow (local.get $i) (i32.const 20)))\n"
    "          (if (i32.ne (i32.and (local.get $r) (i32.const 15)) (i32.const 1)) (then unreachable))\n"
    "          (local.set $h (i32.shr_u (local.get $r) (i32.const 4)))\n"
    "          (call $join (local.get $h) (local.get $ws))\n"
    "          (if (i32.ne (call $wait (local.get $ws) (i32.const 32)) (i32.const 1)) (then unreachable))\n"
    "          (if (i32.ne (i32.load (i32.const 32)) (local.get $h)) (then unreachable))\n"
    "          (if (i32.ne (i32.load (i32.const 36)) (i32.const 2)) (then unreachable))\n"
    "          (call $join (local.get $h) (i32.const 0))\n"
    "          (call $drop (local.get $h))\n"
    "          (local.set $sum (i32.add (local.get $sum) (i32.load (i32.const 20))))\n"
    "          (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
    "          (br $l)))\n"
    "        (local.get $sum))\n"
    "      (func (export \"drop-twice\") (result i32)\n"
    "        (local $ws i32) (local $h i32)\n"
    "        (local.set $ws (call $wsnew))\n"
    "        (local.set $h (i32.shr_u (call $slow (i32.const 1) (i32.const 20)) (i32.const 4)))\n"
    "        (call $join (local.get $h) (local.get $ws))\n"
    "        (drop (call $wait (local.get $ws) (i32.const 32)))\n"
    "        (call $drop (local.get $h))\n"
    "        ;; a new subtask may take the freed one's slot: the handle stays dead\n"
    "        (drop (call $now (i32.const 1) (i32.const 16)))\n"
    "        (call $drop (local.get $h))\n"
    "        (i32.const 0)))\n"
    "    (canon lower (func $now) async (memory (core memory $mem \"mem\")) (core func $now'))\n"
    "    (canon lower (func $slow) async (memory (core memory $mem \"mem\")) (core func $slow'))\n"
    "    (canon task.return (result u32) (core func $ret))\n"
    "    (canon waitable-set.new (core func $wsnew))\n"
    "    (canon waitable-set.wait (memory (core memory $mem \"mem\")) (core func $wait))\n"
    "    (canon waitable.join (core func $join))\n"
    "    (canon subtask.drop (core func $drop))\n"
    "    (core instance $i (instantiate $M (with \"\" (instance\n"
    "      (export \"mem\" (memory $mem \"mem\")) (export \"now\" (func $now')) (export \"slow\" (func $slow'))\n"
    "      (export \"task.return\" (func $ret)) (export \"ws.new\" (func $wsnew)) (export \"ws.wait\" (func $wait))\n"
    "      (export \"join\" (func $join)) (export \"drop\" (func $drop))))))\n"
    "    (func (export \"loop\") async (param \"n\" u32) (result u32) (canon lift (core func $i \"loop\")))\n"
    "    (func (export \"drop-twice\") async (result u32) (canon lift (core func $i \"drop-twice\"))))\n"
    "  (instance $c (instantiate $C))\n"
    "  (instance $d (instantiate $D (with \"now\" (func $c \"now\")) (with \"slow\" (func $c \"slow\"))))\n"
    "  (func (export \"loop\") (alias export $d \"loop\"))\n"
    "  (func (export \"drop-twice\") (alias export $d \"drop-twice\")))\n";

/* 2 components: D's loop(n) makes n streams; for each it writes 4 bytes
 * (async: BLOCKED), passes the readable end to C's take, which reads them
 * (COMPLETED at once), drops its end and returns a byte; D then sees its
 * write's event in a waitable set (DROPPED after 4: the reader's drop came
 * before the event was delivered) and drops the writable end. Every end
 * and shared state is done with in the iteration: memory must not grow. */
static const char many_streams[] =
    "(component\n"
    "  (type $ST (stream u8))\n"
    "  (component $C\n"
    "    (type $ST (stream u8))\n"
    "    (core module $Mem (memory (export \"mem\") 1))\n"
    "    (core instance $mem (instantiate $Mem))\n"
    "    (core module $M\n"
    "      (import \"\" \"mem\" (memory 1))\n"
    "      (import \"\" \"read\" (func $read (param i32 i32 i32) (result i32)))\n"
    "      (import \"\" \"dropr\" (func $dropr (param i32)))\n"
    "      (func (export \"take\") (param $r i32) (result i32)\n"
    "        (if (i32.ne (call $read (local.get $r) (i32.const 100) (i32.const 8)) (i32.const 0x40)) (then unreachable))\n"
    "        (call $dropr (local.get $r))\n"
    "        (i32.load8_u (i32.const 103))))\n"
    "    (canon stream.read $ST async (memory (core memory $mem \"mem\")) (core func $read))\n"
    "    (canon stream.drop-readable $ST (core func $dropr))\n"
    "    (core instance $i (instantiate $M (with \"\" (instance\n"
    "      (export \"mem\" (memory $mem \"mem\")) (export \"read\" (func $read)) (export \"dropr\" (func $dropr))))))\n"
    "    (func (export \"take\") (param \"s\" $ST) (result u32) (canon lift (core func $i \"take\"))))\n"
    "  (component $D\n"
    "    (type $ST (stream u8))\n"
    "    (import \"take\" (func $take (param \"s\" $ST) (result u32)))\n"
    "    (core module $Mem (memory (export \"mem\") 1))\n"
    "    (core instance $mem (instantiate $Mem))\n"
    "    (core module $M\n"
    "      (import \"\" \"mem\" (memory 1))\n"
    "      (import \"\" \"take\" (func $take (param i32) (result i32)))\n"
    "      (import \"\" \"snew\" (func $snew (result i64)))\n"
    "      (import \"\" \"write\" (func $write (param i32 i32 i32) (result i32)))\n"
    "      (import \"\" \"dropw\" (func $dropw (param i32)))\n"
    "      (import \"\" \"ws.new\" (func $wsnew (result i32)))\n"
    "      (import \"\" \"ws.poll\" (func $poll (param i32 i32) (result i32)))\n"
    "      (import \"\" \"join\" (func $join (param i32 i32)))\n"
    "      (func (export \"loop\") (param $n i32) (result i32)\n"
    "        (local $i i32) (local $sum i32) (local $ws i32) (local $p i64) (local $r i32) (local $w i32)\n"
    "        (local.set $ws (call $wsnew))\n"
    "        (block $done (loop $l\n"
    "          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))\n"
    "          (local.set $p (call $snew))\n"
    "          (local.set $r (i32.wrap_i64 (local.get $p)))\n"
    "          (local.set $w (i32.wrap_i64 (i64.shr_u (local.get $p) (i64.const 32))))\n"
    "          (i32.store (i32.const 64) (i32.add (i32.const 0x00030201) (i32.shl (i32.and (local.get $i) (i32.const 0x7f)) (i32.const 24))))\n"
    "          (if (i32.ne (call $write (local.get $w) (i32.const 64) (i32.const 4)) (i32.const -1)) (then unreachable))\n"
    "          (local.set $sum (i32.add (local.get $sum) (call $take (local.get $r))))\n"
    "          (call $join (local.get $w) (local.get $ws))\n"
    "          (if (i32.ne (call $poll (local.get $ws) (i32.const 256)) (i32.const 3)) (then unreachable))\n"
    "          (if (i32.ne (i32.load (i32.const 256)) (local.get $w)) (then unreachable))\n"
    "          (if (i32.ne (i32.load (i32.const 260)) (i32.const 0x41)) (then unreachable))\n"
    "          (call $join (local.get $w) (i32.const 0))\n"
    "          (call $dropw (local.get $w))\n"
    "          (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
    "          (br $l)))\n"
    "        (local.get $sum)))\n"
    "    (canon lower (func $take) (core func $take'))\n"
    "    (canon stream.new $ST (core func $snew))\n"
    "    (canon stream.write $ST async (memory (core memory $mem \"mem\")) (core func $write))\n"
    "    (canon stream.drop-writable $ST (core func $dropw))\n"
    "    (canon waitable-set.new (core func $wsnew))\n"
    "    (canon waitable-set.poll (memory (core memory $mem \"mem\")) (core func $poll))\n"
    "    (canon waitable.join (core func $join))\n"
    "    (core instance $i (instantiate $M (with \"\" (instance\n"
    "      (export \"mem\" (memory $mem \"mem\")) (export \"take\" (func $take')) (export \"snew\" (func $snew))\n"
    "      (export \"write\" (func $write)) (export \"dropw\" (func $dropw)) (export \"ws.new\" (func $wsnew))\n"
    "      (export \"ws.poll\" (func $poll)) (export \"join\" (func $join))))))\n"
    "    (func (export \"loop\") (param \"n\" u32) (result u32) (canon lift (core func $i \"loop\"))))\n"
    "  (instance $c (instantiate $C))\n"
    "  (instance $d (instantiate $D (with \"take\" (func $c \"take\"))))\n"
    "  (func (export \"loop\") (alias export $d \"loop\")))\n";

/* A test_alloc that also records its peak of live bytes. */
typedef struct peak_alloc {
  test_alloc t;
  size_t peak;
} peak_alloc;

static void *peak_realloc(void *ud, void *p, size_t old_size, size_t new_size) {
  peak_alloc *c = ud;
  void *r = test_alloc_realloc(&c->t, p, old_size, new_size);
  if (c->t.live_bytes > c->peak) c->peak = c->t.live_bytes;
  return r;
}

/* Runs many's loop(n): its result (or ~0 on an error) and peak memory. */
static uint32_t run_loop(const char *src, uint32_t n, size_t *peak, bool *clean) {
  peak_alloc pa;
  memset(&pa, 0, sizeof pa);
  pa.t.fail_after = -1;
  kumi_allocator a = {peak_realloc, &pa};
  kumi_cval x = kumi_cval_int(KUMI_CV_U32, n);
  outcome o = run(&a, src, "loop", &x, 1, true, false);
  if (o.kind) fprintf(stderr, "  loop(%u): %s\n", n, o.msg);
  *peak = pa.peak;
  *clean = test_alloc_clean(&pa.t);
  return o.kind == 0 && o.has_u32 ? o.u32 : ~0u;
}

static uint32_t run_many(uint32_t n, size_t *peak, bool *clean) { return run_loop(many, n, peak, clean); }

int main(void) {
  test_alloc ta;
  kumi_allocator a = test_alloc_init(&ta, -1);
  kumi_cval x = kumi_cval_int(KUMI_CV_U32, 41);

  outcome o = run(&a, single, "now", &x, 1, true, false);
  CHECKF(returns(&o, 42), "an async export that returns at once: task.return's value");
  CHECK(test_alloc_clean(&ta));

  x = kumi_cval_int(KUMI_CV_U32, 7);
  o = run(&a, single, "yield3", &x, 1, true, false);
  CHECKF(returns(&o, 21), "YIELD twice: NONE events, context kept per task (7 * 3)");
  CHECK(test_alloc_clean(&ta));

  o = run(&a, single, "noreturn", NULL, 0, false, false);
  CHECKF(traps_with(&o, "task.return"), "EXIT without task.return traps");
  o = run(&a, single, "badcode", NULL, 0, false, false);
  CHECKF(traps_with(&o, "unsupported callback code"), "callback code 3 traps");
  o = run(&a, single, "stuck", NULL, 0, false, false);
  CHECKF(traps_with(&o, "deadlock detected"), "WAIT on an empty set from the host: deadlock");
  CHECK(test_alloc_clean(&ta));

  o = run(&a, pair, "run", NULL, 0, true, true);
  CHECKF(returns(&o, 42), "async lower: STARTED, SUBTASK RETURNED event, result at the return pointer (twice)");
  CHECK(test_alloc_clean(&ta));
  o = run(&a, pair, "sync-run", NULL, 0, true, false);
  CHECKF(returns(&o, 10), "a sync lower of an async callee blocks until it returns");
  o = run(&a, pair, "sync-run-nonasync", NULL, 0, true, false);
  CHECKF(traps_with(&o, "cannot block a synchronous task before returning"), "a non-async task may not block");
  o = run(&a, pair, "early-drop", NULL, 0, false, false);
  CHECKF(traps_with(&o, "cannot drop a subtask which has not yet resolved"), "subtask.drop before it resolved");
  CHECK(test_alloc_clean(&ta));

  /* 01 02 03 then 04 land at 128..131; the future's 0x55 at 200 */
  o = run(&a, streams, "copy", NULL, 0, true, false);
  CHECKF(returns(&o, 0x04030201u + 0x55u), "stream copies in parts with progress events; a future");
  o = run(&a, streams, "busy-drop", NULL, 0, true, false);
  CHECKF(traps_with(&o, "cannot drop busy stream"), "dropping a writable end while it copies");
  o = run(&a, streams, "future-undropped", NULL, 0, true, false);
  CHECKF(traps_with(&o, "without first writing a value"), "dropping a future's writable end unwritten");
  CHECK(test_alloc_clean(&ta));

  /* 2 x 100,000 async calls: tasks and subtasks are freed as they go, so
   * the peak of live memory is that of 2 x 1,000 calls (slack: 16 KiB). */
  size_t peak_small = 0, peak_big = 0;
  bool clean_small = false, clean_big = false;
  uint32_t small = run_many(1000, &peak_small, &clean_small);
  uint32_t big = run_many(100000, &peak_big, &clean_big);
  uint32_t want_small = 0, want_big = 0;
  for (uint32_t i = 0; i < 100000; i++) {
    if (i < 1000) want_small += (i + 1) + 2 * i;
    want_big += (i + 1) + 2 * i;
  }
  CHECKF(small == want_small && big == want_big, "many async calls: sums %u %u, expected %u %u", small, big,
         want_small, want_big);
  CHECK(clean_small && clean_big);
  printf("  peak live bytes: %zu after 2x1000 async calls, %zu after 2x100000\n", peak_small, peak_big);
  CHECKF(peak_big <= peak_small + 16384, "memory bounded over 2x100000 async calls (peak %zu vs %zu)", peak_big,
         peak_small);

  /* 100,000 streams between two components: ends and shared states
   * are freed (their slots reused) as they go. */
  peak_small = peak_big = 0;
  clean_small = clean_big = false;
  small = run_loop(many_streams, 1000, &peak_small, &clean_small);
  big = run_loop(many_streams, 100000, &peak_big, &clean_big);
  want_small = want_big = 0;
  for (uint32_t i = 0; i < 100000; i++) {
    if (i < 1000) want_small += i & 0x7f;
    want_big += i & 0x7f;
  }
  CHECKF(small == want_small && big == want_big, "many streams: sums %u %u, expected %u %u", small, big, want_small,
         want_big);
  CHECK(clean_small && clean_big);
  printf("  peak live bytes: %zu after 1000 streams, %zu after 100000\n", peak_small, peak_big);
  CHECKF(peak_big <= peak_small + 16384, "memory bounded over 100000 streams (peak %zu vs %zu)", peak_big,
         peak_small);

  o = run(&a, many, "drop-twice", NULL, 0, true, false);
  CHECKF(traps_with(&o, "not a subtask"), "subtask.drop of a dropped (freed) subtask traps");
  CHECK(test_alloc_clean(&ta));

  /* Allocation failure anywhere: an error, never a crash or a leak. */
  long n = 0;
  for (long fail = 0; fail < 100000; fail++) {
    a = test_alloc_init(&ta, fail);
    o = run(&a, pair, "run", NULL, 0, true, true);
    bool clean = test_alloc_clean(&ta);
    CHECKF(clean, "no leak when allocation %ld fails", fail);
    n++;
    if (!clean || o.kind == 0) break;
  }
  CHECKF(o.kind == 0 && o.u32 == 42, "the run succeeds once allocations stop failing (%ld tries)", n);
  return test_summary();
}
