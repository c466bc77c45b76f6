/* Unit tests for threads and suspension in Component Model async
 * (src/component/async_thread.c, src/base/kb_fiber.c): each thread on its
 * own fiber. Components in the text format that use thread.new-indirect,
 * thread.index, thread.suspend-then-resume chains, thread.resume-later with
 * thread.yield, many threads at once; a caller that goes on while its
 * callee waits in the middle of its core code (stackful wait); the
 * cancellation of a suspended subtask; a trap inside a thread (and the
 * instance locked down after it); an instance freed while threads are
 * suspended in the middle of their bodies; the cap on live threads; a
 * sync task running on an async task's fiber whose host call completes
 * later (the loop waits on the OS on that fiber); tasks that yield in a
 * loop until a host timer fires (the loop polls the OS while busy). Every
 * run uses a counting allocator: nothing may leak. */
#include "kumi_async.h"
#include "component/inst.h"
#include "text/text.h"

#include "../test.h"

/* One instance with a function table of thread bodies. */
static const char threads[] =
    "(component\n"
    "  (core module $Tbl (table (export \"t\") 4 funcref))\n"
    "  (core instance $tbl (instantiate $Tbl))\n"
    "  (core module $M\n"
    "    (import \"\" \"t\" (table 4 funcref))\n"
    "    (import \"\" \"new\" (func $new (param i32 i32) (result i32)))\n"
    "    (import \"\" \"index\" (func $index (result i32)))\n"
    "    (import \"\" \"later\" (func $later (param i32)))\n"
    "    (import \"\" \"suspend\" (func $suspend (result i32)))\n"
    "    (import \"\" \"switch\" (func $switch (param i32) (result i32)))\n"
    "    (import \"\" \"yield\" (func $yield (result i32)))\n"
    "    (import \"\" \"yswitch\" (func $yswitch (param i32) (result i32)))\n"
    "    (import \"\" \"ret\" (func $ret (param i32)))\n"
    "    (global $log (mut i32) (i32.const 0))\n"
    "    (global $count (mut i32) (i32.const 0))\n"
    "    (global $next (mut i32) (i32.const 0))\n"
    "    (global $main (mut i32) (i32.const 0))\n"
    "    (global $t1 (mut i32) (i32.const 0))\n"
    "    (global $t2 (mut i32) (i32.const 0))\n"
    "    ;; chain: log the closure digit, switch to the next thread (or back to main)\n"
    "    (func $link (param $d i32)\n"
    "      (global.set $log (i32.add (i32.mul (global.get $log) (i32.const 10)) (local.get $d)))\n"
    "      (if (i32.eq (local.get $d) (i32.const 1))\n"
    "        (then (drop (call $switch (global.get $t2))))\n"
    "        (else (drop (call $switch (global.get $main)))))\n"
    "      ;; resumed once more at the end: log again\n"
    "      (global.set $log (i32.add (i32.mul (global.get $log) (i32.const 10)) (i32.add (local.get $d) (i32.const 4)))))\n"
    "    (func $count1 (param i32)\n"
    "      (drop (call $yield))\n"
    "      (global.set $count (i32.add (global.get $count) (i32.const 1))))\n"
    "    (func $park (param i32) (drop (call $suspend)) unreachable)\n"
    "    (func $boom (param i32) unreachable)\n"
    "    (elem (table 0) (i32.const 0) func $link $count1 $park $boom)\n"
    "    (func (export \"chain\") (result i32)\n"
    "      (global.set $main (call $index))\n"
    "      (global.set $t1 (call $new (i32.const 0) (i32.const 1)))\n"
    "      (global.set $t2 (call $new (i32.const 0) (i32.const 2)))\n"
    "      (if (i32.eq (global.get $t1) (global.get $t2)) (then unreachable))\n"
    "      (drop (call $switch (global.get $t1)))\n"
    "      (global.set $log (i32.add (i32.mul (global.get $log) (i32.const 10)) (i32.const 9)))\n"
    "      ;; both threads are suspended in the middle: finish them in order\n"
    "      (drop (call $yswitch (global.get $t1)))\n"
    "      (drop (call $yswitch (global.get $t2)))\n"
    "      (global.get $log))\n"
    "    ;; stackful: n threads made ready, each yields once then counts\n"
    "    (func (export \"many\") (param $n i32)\n"
    "      (local $i i32)\n"
    "      (loop $l\n"
    "        (call $later (call $new (i32.const 1) (local.get $i)))\n"
    "        (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
    "        (br_if $l (i32.lt_u (local.get $i) (local.get $n))))\n"
    "      (loop $w\n"
    "        (if (i32.lt_u (global.get $count) (local.get $n))\n"
    "          (then (drop (call $yield)) (br $w))))\n"
    "      (call $ret (global.get $count)))\n"
    "    ;; callback task: parks n threads in the middle of their bodies, returns\n"
    "    (func (export \"park\") (param $n i32) (result i32)\n"
    "      (local $i i32)\n"
    "      (loop $l\n"
    "        (drop (call $yswitch (call $new (i32.const 2) (i32.const 0))))\n"
    "        (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
    "        (br_if $l (i32.lt_u (local.get $i) (local.get $n))))\n"
    "      (call $ret (local.get $n))\n"
    "      (i32.const 0))\n"
    "    (func (export \"boom\") (result i32)\n"
    "      (drop (call $switch (call $new (i32.const 3) (i32.const 0))))\n"
    "      (i32.const 1))\n"
    "    (func (export \"flood\") (result i32)\n"
    "      (loop $l (drop (call $new (i32.const 2) (i32.const 0))) (br $l))\n"
    "      (i32.const 0))\n"
    "    (func (export \"cb\") (param i32 i32 i32) (result i32) unreachable))\n"
    "  (core type $start (func (param i32)))\n"
    "  (alias core export $tbl \"t\" (core table $t))\n"
    "  (core func $new (canon thread.new-indirect $start (core table $t)))\n"
    "  (canon thread.index (core func $index))\n"
    "  (canon thread.resume-later (core func $later))\n"
    "  (canon thread.suspend (core func $suspend))\n"
    "  (canon thread.suspend-then-resume (core func $switch))\n"
    "  (canon thread.yield (core func $yield))\n"
    "  (canon thread.yield-then-resume (core func $yswitch))\n"
    "  (canon task.return (result u32) (core func $ret))\n"
    "  (core instance $i (instantiate $M (with \"\" (instance\n"
    "    (export \"t\" (table $t)) (export \"new\" (func $new)) (export \"index\" (func $index))\n"
    "    (export \"later\" (func $later)) (export \"suspend\" (func $suspend))\n"
    "    (export \"switch\" (func $switch)) (export \"yield\" (func $yield)) (export \"yswitch\" (func $yswitch))\n"
    "    (export \"ret\" (func $ret))))))\n"
    "  (func (export \"chain\") (result u32) (canon lift (core func $i \"chain\")))\n"
    "  (func (export \"many\") async (param \"n\" u32) (result u32) (canon lift (core func $i \"many\") async))\n"
    "  (func (export \"park\") async (param \"n\" u32) (result u32)\n"
    "    (canon lift (core func $i \"park\") async (callback (core func $i \"cb\"))))\n"
    "  (func (export \"boom\") (result u32) (canon lift (core func $i \"boom\")))\n"
    "  (func (export \"flood\") (result u32) (canon lift (core func $i \"flood\"))))\n";

/* $C.wait-flag waits (stackful, yielding in the middle of its core code)
 * until $C.signal sets a flag; $C.sleepy waits cancellably on an empty
 * set. $D calls them with async lowers and goes on meanwhile. */
static const char pair[] =
    "(component\n"
    "  (component $C\n"
    "    (core module $M\n"
    "      (import \"\" \"ret\" (func $ret (param i32)))\n"
    "      (import \"\" \"yield\" (func $yield (result i32)))\n"
    "      (import \"\" \"ws.new\" (func $wsnew (result i32)))\n"
    "      (import \"\" \"wait\" (func $wait (param i32 i32) (result i32)))\n"
    "      (import \"\" \"cancel\" (func $cancel))\n"
    "      (memory 1)\n"
    "      (global $flag (mut i32) (i32.const 0))\n"
    "      (func (export \"wait-flag\") (param $x i32)\n"
    "        (local $n i32)\n"
    "        (loop $w\n"
    "          (if (i32.eqz (global.get $flag))\n"
    "            (then (drop (call $yield)) (local.set $n (i32.add (local.get $n) (i32.const 1))) (br $w))))\n"
    "        (if (i32.eqz (local.get $n)) (then unreachable))\n"
    "        (call $ret (i32.add (local.get $x) (global.get $flag)))\n"
    "        (global.set $flag (i32.const 0)))\n"
    "      (func (export \"signal\") (param i32) (global.set $flag (local.get 0)))\n"
    "      (func (export \"sleepy\")\n"
    "        (if (i32.ne (call $wait (call $wsnew) (i32.const 0)) (i32.const 6)) (then unreachable))\n"
    "        (call $cancel)))\n"
    "    (canon task.return (result u32) (core func $ret))\n"
    "    (canon thread.yield (core func $yield))\n"
    "    (canon waitable-set.new (core func $wsnew))\n"
    "    (core module $Mem (memory (export \"mem\") 1))\n"
    "    (core instance $mem (instantiate $Mem))\n"
    "    (canon waitable-set.wait cancellable (memory (core memory $mem \"mem\")) (core func $wait))\n"
    "    (canon task.cancel (core func $cancel))\n"
    "    (core instance $i (instantiate $M (with \"\" (instance\n"
    "      (export \"ret\" (func $ret)) (export \"yield\" (func $yield)) (export \"ws.new\" (func $wsnew))\n"
    "      (export \"wait\" (func $wait)) (export \"cancel\" (func $cancel))))))\n"
    "    (func (export \"wait-flag\") async (param \"x\" u32) (result u32) (canon lift (core func $i \"wait-flag\") async))\n"
    "    (func (export \"signal\") (param \"v\" u32) (canon lift (core func $i \"signal\")))\n"
    "    (func (export \"sleepy\") async (canon lift (core func $i \"sleepy\") async)))\n"
    "  (instance $c (instantiate $C))\n"
    "  (component $D\n"
    "    (import \"wait-flag\" (func $wf async (param \"x\" u32) (result u32)))\n"
    "    (import \"signal\" (func $sig (param \"v\" u32)))\n"
    "    (import \"sleepy\" (func $sl async))\n"
    "    (core module $Mem (memory (export \"mem\") 1))\n"
    "    (core instance $mem (instantiate $Mem))\n"
    "    (core module $M\n"
    "      (import \"\" \"mem\" (memory 1))\n"
    "      (import \"\" \"wf\" (func $wf (param i32 i32) (result i32)))\n"
    "      (import \"\" \"wf-sync\" (func $wf-sync (param i32) (result i32)))\n"
    "      (import \"\" \"sig\" (func $sig (param i32)))\n"
    "      (import \"\" \"sl\" (func $sl (result i32)))\n"
    "      (import \"\" \"ws.new\" (func $wsnew (result i32)))\n"
    "      (import \"\" \"join\" (func $join (param i32 i32)))\n"
    "      (import \"\" \"wait\" (func $wait (param i32 i32) (result i32)))\n"
    "      (import \"\" \"subcancel\" (func $subcancel (param i32) (result i32)))\n"
    "      (import \"\" \"ret\" (func $ret (param i32)))\n"
    "      (func (export \"goes-on\")\n"
    "        (local $r i32) (local $ws i32)\n"
    "        ;; the callee blocks in the middle of its core code: STARTED\n"
    "        (local.set $r (call $wf (i32.const 40) (i32.const 64)))\n"
    "        (if (i32.ne (i32.and (local.get $r) (i32.const 15)) (i32.const 1)) (then unreachable))\n"
    "        ;; the caller goes on: a sync call into the same callee instance\n"
    "        (call $sig (i32.const 2))\n"
    "        (local.set $ws (call $wsnew))\n"
    "        (call $join (i32.shr_u (local.get $r) (i32.const 4)) (local.get $ws))\n"
    "        (if (i32.ne (call $wait (local.get $ws) (i32.const 0)) (i32.const 1)) (then unreachable))\n"
    "        (if (i32.ne (i32.load (i32.const 4)) (i32.const 2)) (then unreachable))\n"
    "        (call $ret (i32.load (i32.const 64))))\n"
    "      (func (export \"sync-waits\") (result i32) (call $wf-sync (i32.const 1)))\n"
    "      (func (export \"cancel\")\n"
    "        (local $r i32)\n"
    "        (local.set $r (call $sl))\n"
    "        (if (i32.ne (i32.and (local.get $r) (i32.const 15)) (i32.const 1)) (then unreachable))\n"
    "        (call $ret (call $subcancel (i32.shr_u (local.get $r) (i32.const 4))))))\n"
    "    (canon lower (func $wf) async (memory (core memory $mem \"mem\")) (core func $wf'))\n"
    "    (canon lower (func $wf) (core func $wf-sync'))\n"
    "    (canon lower (func $sig) (core func $sig'))\n"
    "    (canon lower (func $sl) async (memory (core memory $mem \"mem\")) (core func $sl'))\n"
    "    (canon waitable-set.new (core func $wsnew))\n"
    "    (canon waitable.join (core func $join))\n"
    "    (canon waitable-set.wait (memory (core memory $mem \"mem\")) (core func $wait))\n"
    "    (canon subtask.cancel (core func $subcancel))\n"
    "    (canon task.return (result u32) (core func $ret))\n"
    "    (core instance $i (instantiate $M (with \"\" (instance\n"
    "      (export \"mem\" (memory $mem \"mem\")) (export \"wf\" (func $wf')) (export \"wf-sync\" (func $wf-sync'))\n"
    "      (export \"sig\" (func $sig')) (export \"sl\" (func $sl')) (export \"ws.new\" (func $wsnew))\n"
    "      (export \"join\" (func $join)) (export \"wait\" (func $wait)) (export \"subcancel\" (func $subcancel))\n"
    "      (export \"ret\" (func $ret))))))\n"
    "    (func (export \"goes-on\") async (result u32) (canon lift (core func $i \"goes-on\") async))\n"
    "    (func (export \"sync-waits\") (result u32) (canon lift (core func $i \"sync-waits\")))\n"
    "    (func (export \"cancel\") async (result u32) (canon lift (core func $i \"cancel\") async)))\n"
    "  (instance $d (instantiate $D (with \"wait-flag\" (func $c \"wait-flag\")) (with \"signal\" (func $c \"signal\"))\n"
    "    (with \"sleepy\" (func $c \"sleepy\"))))\n"
    "  (func (export \"goes-on\") (alias export $d \"goes-on\"))\n"
    "  (func (export \"sync-waits\") (alias export $d \"sync-waits\"))\n"
    "  (func (export \"cancel\") (alias export $d \"cancel\")))\n";

typedef struct outcome {
  kumi_error_kind kind; /* 0: returned */
  char msg[200];
  bool has_u32;
  uint32_t u32;
  kumi_error_kind second_kind; /* the outcome of a second call (twice) */
  char second_msg[200];
} outcome;

/* Instantiates src with allocator a and calls export name (again when
 * twice, whatever the first call did); frees everything. */
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
  kumi_error *err = text_parse_component(a, src, strlen(src), &bin, &len);
  comp_features feats = comp_features_all(); /* threads, stackful lifts */
  kumi_component *c = err ? NULL : comp_rt_new(eng, bin, len, &feats, &err);
  kumi_component_instance *inst = c ? kumi_component_instantiate(st, c, &err) : NULL;
  for (int k = 0; inst && k < (twice ? 2 : 1); k++) {
    kumi_component_func *f = kumi_component_instance_func(inst, NULL, name);
    kumi_error *e = f ? NULL : kumi_error_new(st, KUMI_ERR_ARG, "no such export");
    kumi_cval r = kumi_cval_bool(false);
    if (f) e = kumi_component_func_call(st, f, args, nargs, &r, has_result ? 1 : 0);
    if (k == 0 && !e && has_result && r.kind == KUMI_CV_U32) {
      o.has_u32 = true;
      o.u32 = (uint32_t)r.of.u;
    }
    if (!e && has_result) kumi_cval_free(a, &r);
    if (k == 0) {
      err = e;
    } else if (e) {
      o.second_kind = kumi_error_kind_of(e);
      snprintf(o.second_msg, sizeof o.second_msg, "%s", kumi_error_message(e));
      kumi_error_free(e);
    }
  }
  if (err) {
    o.kind = kumi_error_kind_of(err);
    snprintf(o.msg, sizeof o.msg, "%s", kumi_error_message(err));
  }
  kumi_error_free(err);
  kumi_component_instance_free(inst);
  kumi_component_free(c);
  if (bin) kb_free(a, bin, len);
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

/* $A.run (async-typed: on a fiber) sync-calls $S.mid (sync-typed: it runs
 * on A's fiber), which sync-calls the host's slow(x), completed by a timer:
 * run(x) = (2x + 1) * 10. */
static const char nested[] =
    "(component\n"
    "  (import \"slow\" (func $slow (param \"x\" u32) (result u32)))\n"
    "  (component $S\n"
    "    (import \"slow\" (func $slow (param \"x\" u32) (result u32)))\n"
    "    (core func $slow' (canon lower (func $slow)))\n"
    "    (core module $M\n"
    "      (import \"\" \"slow\" (func $slow (param i32) (result i32)))\n"
    "      (func (export \"mid\") (param i32) (result i32) (i32.add (call $slow (local.get 0)) (i32.const 1))))\n"
    "    (core instance $i (instantiate $M (with \"\" (instance (export \"slow\" (func $slow'))))))\n"
    "    (func (export \"mid\") (param \"x\" u32) (result u32) (canon lift (core func $i \"mid\"))))\n"
    "  (component $A\n"
    "    (import \"mid\" (func $mid (param \"x\" u32) (result u32)))\n"
    "    (core func $mid' (canon lower (func $mid)))\n"
    "    (core module $M\n"
    "      (import \"\" \"mid\" (func $mid (param i32) (result i32)))\n"
    "      (func (export \"run\") (param i32) (result i32) (i32.mul (call $mid (local.get 0)) (i32.const 10))))\n"
    "    (core instance $i (instantiate $M (with \"\" (instance (export \"mid\" (func $mid'))))))\n"
    "    (func (export \"run\") async (param \"x\" u32) (result u32) (canon lift (core func $i \"run\"))))\n"
    "  (instance $s (instantiate $S (with \"slow\" (func $slow))))\n"
    "  (instance $a (instantiate $A (with \"mid\" (func $s \"mid\"))))\n"
    "  (export \"run\" (func $a \"run\")))\n";

/* spin(x) calls the host's slow-async(x) (completed by a timer) through an
 * async lower, then YIELDs until waitable-set.poll shows its event: the
 * loop must poll the OS while the task keeps being ready. Returns 2x. */
static const char spin[] =
    "(component\n"
    "  (import \"slow-async\" (func $slow async (param \"x\" u32) (result u32)))\n"
    "  (core module $Mem (memory (export \"mem\") 1))\n"
    "  (core instance $mem (instantiate $Mem))\n"
    "  (core func $slow' (canon lower (func $slow) async (memory $mem \"mem\")))\n"
    "  (core func $ret (canon task.return (result u32)))\n"
    "  (core func $wsnew (canon waitable-set.new))\n"
    "  (core func $poll (canon waitable-set.poll (memory $mem \"mem\")))\n"
    "  (core func $join (canon waitable.join))\n"
    "  (core func $drop (canon subtask.drop))\n"
    "  (core func $cget (canon context.get i32 0))\n"
    "  (core func $cset (canon context.set i32 0))\n"
    "  (core module $M\n"
    "    (import \"\" \"mem\" (memory 1))\n"
    "    (import \"\" \"slow\" (func $slow (param i32 i32) (result i32)))\n"
    "    (import \"\" \"ret\" (func $ret (param i32)))\n"
    "    (import \"\" \"wsnew\" (func $wsnew (result i32)))\n"
    "    (import \"\" \"poll\" (func $poll (param i32 i32) (result i32)))\n"
    "    (import \"\" \"join\" (func $join (param i32 i32)))\n"
    "    (import \"\" \"drop\" (func $drop (param i32)))\n"
    "    (import \"\" \"cget\" (func $cget (result i32)))\n"
    "    (import \"\" \"cset\" (func $cset (param i32)))\n"
    "    (func $area (param $h i32) (result i32) (i32.add (i32.const 64) (i32.shl (local.get $h) (i32.const 3))))\n"
    "    ;; per task (several run at once): context 0 = handle << 16 | set; the result at $area(set)\n"
    "    (func (export \"spin\") (param $x i32) (result i32)\n"
    "      (local $r i32) (local $h i32) (local $ws i32)\n"
    "      (local.set $ws (call $wsnew))\n"
    "      (local.set $r (call $slow (local.get $x) (call $area (local.get $ws))))\n"
    "      (if (i32.ne (i32.and (local.get $r) (i32.const 15)) (i32.const 1)) (then unreachable))\n"
    "      (local.set $h (i32.shr_u (local.get $r) (i32.const 4)))\n"
    "      (call $join (local.get $h) (local.get $ws))\n"
    "      (call $cset (i32.or (i32.shl (local.get $h) (i32.const 16)) (local.get $ws)))\n"
    "      (i32.const 1))\n"
    "    (func (export \"spin-cb\") (param i32 i32 i32) (result i32)\n"
    "      (local $h i32) (local $ws i32)\n"
    "      (local.set $h (i32.shr_u (call $cget) (i32.const 16)))\n"
    "      (local.set $ws (i32.and (call $cget) (i32.const 0xffff)))\n"
    "      (if (i32.eq (call $poll (local.get $ws) (i32.const 32)) (i32.const 1))\n"
    "        (then\n"
    "          (if (i32.ne (i32.load (i32.const 32)) (local.get $h)) (then unreachable))\n"
    "          (call $join (local.get $h) (i32.const 0))\n"
    "          (call $drop (local.get $h))\n"
    "          (call $ret (i32.load (call $area (local.get $ws))))\n"
    "          (return (i32.const 0))))\n"
    "      (i32.const 1)))\n"
    "  (core instance $i (instantiate $M (with \"\" (instance\n"
    "    (export \"mem\" (memory $mem \"mem\")) (export \"slow\" (func $slow')) (export \"ret\" (func $ret))\n"
    "    (export \"wsnew\" (func $wsnew)) (export \"poll\" (func $poll)) (export \"join\" (func $join))\n"
    "    (export \"drop\" (func $drop)) (export \"cget\" (func $cget)) (export \"cset\" (func $cset))))))\n"
    "  (func (export \"spin\") async (param \"x\" u32) (result u32)\n"
    "    (canon lift (core func $i \"spin\") async (callback (core func $i \"spin-cb\")))))\n";

/* The host of nested: slow(x) completes with 2x from a 1 ms timer. */
typedef struct slow_call {
  kumi_async_call *call;
  uint32_t x;
  int *completed;
} slow_call;

static void slow_fire(void *ud) {
  slow_call *p = ud;
  kumi_cval r = kumi_cval_int(KUMI_CV_U32, p->x * 2);
  kumi_async_call *c = p->call;
  (*p->completed)++;
  kb_free(kumi_async_call_allocator(c), p, sizeof *p);
  kumi_async_call_return(c, &r);
}

static kumi_error *host_slow(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  const kumi_allocator *a = kumi_async_call_allocator(call);
  if (nargs != 1 || args[0].kind != KUMI_CV_U32)
    return kb_error(a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "slow: bad arguments");
  kumi_async_loop *loop = kumi_async_call_loop(call);
  slow_call *p = loop ? kb_alloc(a, sizeof *p) : NULL;
  if (!p) return kb_error_oom();
  *p = (slow_call){call, (uint32_t)args[0].of.u, env};
  if (!kumi_async_timer(loop, 1000000u, slow_fire, p)) {
    kb_free(a, p, sizeof *p);
    return kb_error_oom();
  }
  return NULL;
}

typedef struct nested_done {
  const kumi_allocator *a;
  int done;
  uint32_t value;
  char msg[200];
} nested_done;

static void on_done(void *ud, kumi_error *err, kumi_cval *result) {
  nested_done *d = ud;
  d->done++;
  if (err) snprintf(d->msg, sizeof d->msg, "%s", kumi_error_message(err));
  else if (result && result->kind == KUMI_CV_U32) d->value = (uint32_t)result->of.u;
  kumi_error_free(err);
  if (result) kumi_cval_free(d->a, result);
}

/* Runs export name of src (nested or spin): name(5) by
 * kumi_component_func_call, then name(7) and name(9) in flight together;
 * the results (0 on an error) and the host's count. */
static void run_nested(const kumi_allocator *a, const char *src, const char *name, uint32_t out[3], int *completed,
                       char *msg, size_t msglen) {
  out[0] = out[1] = out[2] = 0;
  *completed = 0;
  msg[0] = 0;
  kumi_config cfg = {a, 0};
  kumi_engine *eng = kumi_engine_new(&cfg);
  kumi_store *st = eng ? kumi_store_new(eng, NULL) : NULL;
  kumi_component_linker *l = st ? kumi_component_linker_new(eng) : NULL;
  uint8_t *bin = NULL;
  size_t len = 0;
  kumi_error *err = l ? NULL : kb_error_oom();
  if (!err) err = kumi_component_linker_define_async(l, NULL, "slow", "func(x: u32) -> u32", host_slow, completed);
  if (!err)
    err = kumi_component_linker_define_async(l, NULL, "slow-async", "async func(x: u32) -> u32", host_slow, completed);
  if (!err) err = text_parse_component(a, src, strlen(src), &bin, &len);
  kumi_component *c = err ? NULL : kumi_component_new(eng, bin, len, &err);
  kumi_component_instance *inst = c ? kumi_component_linker_instantiate(l, st, c, &err) : NULL;
  kumi_component_func *f = inst ? kumi_component_instance_func(inst, NULL, name) : NULL;
  if (inst && !f) err = kumi_error_new(st, KUMI_ERR_ARG, "no such export");
  if (f) {
    kumi_cval x = kumi_cval_int(KUMI_CV_U32, 5), r = kumi_cval_bool(false);
    err = kumi_component_func_call(st, f, &x, 1, &r, 1);
    if (!err && r.kind == KUMI_CV_U32) out[0] = (uint32_t)r.of.u;
    if (!err) kumi_cval_free(a, &r);
  }
  nested_done d[2];
  memset(d, 0, sizeof d);
  d[0].a = d[1].a = a;
  for (int k = 0; f && !err && k < 2; k++) {
    kumi_cval x = kumi_cval_int(KUMI_CV_U32, 7 + 2 * (uint32_t)k);
    err = kumi_component_func_call_async(st, f, &x, 1, on_done, &d[k]);
  }
  if (f && !err) err = kumi_component_instance_run(st, inst, true);
  for (int k = 0; k < 2; k++) {
    if (d[k].done == 1 && !d[k].msg[0]) out[1 + k] = d[k].value;
    else if (!msg[0]) snprintf(msg, msglen, "call %d: done %d times: %.100s", k, d[k].done, d[k].msg);
  }
  if (err) snprintf(msg, msglen, "%s", kumi_error_message(err));
  kumi_error_free(err);
  kumi_component_instance_free(inst);
  kumi_component_free(c);
  if (bin) kb_free(a, bin, len);
  kumi_component_linker_free(l);
  kumi_store_free(st);
  kumi_engine_free(eng);
}

int main(void) {
  test_alloc ta;
  kumi_allocator a = test_alloc_init(&ta, -1);

  outcome o = run(&a, threads, "chain", NULL, 0, true, false);
  CHECKF(returns(&o, 12956), "suspend-then-resume chain: 1, 2, main, then each finishes (5, 6)");
  CHECK(test_alloc_clean(&ta));

  kumi_cval n = kumi_cval_int(KUMI_CV_U32, 200);
  o = run(&a, threads, "many", &n, 1, true, false);
  CHECKF(returns(&o, 200), "200 threads made ready (resume-later), each yields once, then counts");
  CHECK(test_alloc_clean(&ta));

  n = kumi_cval_int(KUMI_CV_U32, 5);
  o = run(&a, threads, "park", &n, 1, true, true);
  CHECKF(returns(&o, 5), "a task returns while its threads are suspended in the middle of their bodies");
  CHECKF(o.second_kind == 0, "... and a second call parks 5 more (%s)", o.second_msg);
  CHECKF(test_alloc_clean(&ta), "the instance freed with 10 suspended threads: nothing leaks");

  o = run(&a, threads, "boom", NULL, 0, true, true);
  CHECKF(traps_with(&o, "unreachable"), "a trap inside a thread is the call's trap");
  CHECKF(o.second_kind == KUMI_ERR_TRAP && strstr(o.second_msg, "cannot enter component instance"),
         "after a trap the instance is locked down (%s)", o.second_msg);
  CHECK(test_alloc_clean(&ta));

  o = run(&a, threads, "flood", NULL, 0, true, false);
  CHECKF(traps_with(&o, "too many threads"), "making threads forever traps");
  CHECK(test_alloc_clean(&ta));

  o = run(&a, pair, "goes-on", NULL, 0, true, true);
  CHECKF(returns(&o, 42), "the caller goes on while its callee waits in its core code, then gets its result");
  CHECKF(o.second_kind == 0, "... twice (%s)", o.second_msg);
  CHECK(test_alloc_clean(&ta));

  o = run(&a, pair, "sync-waits", NULL, 0, true, false);
  CHECKF(traps_with(&o, "cannot block a synchronous task before returning"),
         "a sync task may not call an async function that could block when nothing else can run");

  o = run(&a, pair, "cancel", NULL, 0, true, false);
  CHECKF(returns(&o, 4), "subtask.cancel of a callee suspended in waitable-set.wait: TASK_CANCELLED, "
                         "CANCELLED_BEFORE_RETURNED");
  CHECK(test_alloc_clean(&ta));

  uint32_t got[3];
  int completed = 0;
  char msg[200];
  run_nested(&a, nested, "run", got, &completed, msg, sizeof msg);
  CHECKF(got[0] == 110 && got[1] == 150 && got[2] == 190 && completed == 3,
         "a sync task on an async task's fiber waits for a host call completed later: %u %u %u, %d completions (%s)",
         got[0], got[1], got[2], completed, msg);
  CHECK(test_alloc_clean(&ta));
  run_nested(&a, spin, "spin", got, &completed, msg, sizeof msg);
  CHECKF(got[0] == 10 && got[1] == 14 && got[2] == 18 && completed == 3,
         "tasks that YIELD until a host call's timer fires: the loop polls the OS meanwhile: %u %u %u (%s)", got[0],
         got[1], got[2], msg);
  CHECK(test_alloc_clean(&ta));

  /* Allocation failure anywhere: an error, never a crash or a leak. */
  long tries = 0;
  for (long fail = 0; fail < 100000; fail++) {
    a = test_alloc_init(&ta, fail);
    o = run(&a, pair, "goes-on", NULL, 0, true, false);
    bool clean = test_alloc_clean(&ta);
    CHECKF(clean, "no leak when allocation %ld fails", fail);
    tries++;
    if (!clean || o.kind == 0) break;
  }
  CHECKF(o.kind == 0 && o.u32 == 42, "the run succeeds once allocations stop failing (%ld tries)", tries);
  return test_summary();
}
