/* Runs the async scenarios of the Canonical ABI vectors
 * (../shared/canonical-abi/vectors/async.json, computed by the spec's
 * reference implementation; see its README) against kumi's component
 * runtime: for each vector a component is generated in the component text
 * format and run through kumi_component_func_call.
 *
 * The setup the vectors fix: the host calls a sync guest export func()
 * (one task runs every step, so context.get/set and backpressure carry
 * over between steps); the guest has an i32 memory of 512 bytes, utf8, and
 * a bump realloc from heap_start 256; each step calls one canon built-in
 * with the vector's immediates and core arguments, and the scenario stops
 * at the first trap.
 *
 * How the generated component does that:
 *  - every built-in step has its own `canon` definition (its type, async?,
 *    cancellable?, string-encoding; memory and realloc where the built-in
 *    takes them), imported by one core module whose export "run" performs
 *    the steps in order;
 *  - after each step "run" reports the step's core results to the host
 *    through an imported host function ("res": step, count, up to three
 *    values; waitable-set.poll's two u32s are loaded from its event
 *    pointer), and mem.read steps report their bytes ("bytes": step,
 *    list<u8>). These are sync calls to the host: they touch no handle
 *    table and no async state. A trap is located by the first step that
 *    reported nothing;
 *  - kumi's core memories have 64 KiB pages (no custom page sizes), so the
 *    vector's 512-byte memory is the last 512 bytes of a one-page memory:
 *    vector address p is BASE + p, and bounds checks against the end of
 *    memory behave as for a 512-byte memory. Pointers of element-less
 *    streams are never checked or used and are passed unchanged. The only
 *    address the runtime itself stores (error-context.debug-message's
 *    string pointer, which comes from realloc) is mapped back to a vector
 *    address before mem.read bytes are compared.
 *
 * A failing vector is reported with its name and step. Traps are checked
 * by kind too: each trapping scenario names (below) a fragment the trap
 * message must contain, chosen from the spec's reason for the trap.
 * Vectors kumi fails on purpose (where the conformance wast tests and the
 * reference disagree) are listed in `known` with the reason: they are
 * reported but do not fail the test (and a listed vector that passes is
 * reported too). Skips with
 * a message when the vectors are missing. */
#include "component/inst.h"
#include "text/text.h"

#include "../test.h"
#include "abi_json.h"

#include <inttypes.h>
#include <stdarg.h>

#define MEM_SIZE 512u
#define PAGE 65536u
#define BASE (PAGE - MEM_SIZE)
#define HEAP_START 256u

/* ---- expectations the JSON does not carry ---------------------------------------- */

/* The trap message fragment of each trapping scenario (the spec's reason). */
static const struct {
  const char *name, *fragment;
} trap_kinds[] = {
    {"stream-sync-copy-in-waitable-set", "waitable set"},
    {"stream-write-then-reader-dropped", "readable end dropped"},
    {"stream-read-on-writable-end", "expected stream or future end"},
    {"stream-write-on-readable-end", "expected stream or future end"},
    {"stream-wrong-type", "type mismatch"},
    {"stream-read-while-copying", "concurrent operations"},
    {"stream-cancel-when-idle", "no copy to cancel"},
    {"stream-u32-misaligned", "unaligned"},
    {"stream-u32-out-of-bounds", "out-of-bounds"},
    {"stream-too-long", "too long"},
    {"stream-string-same-instance", "intra-component stream"},
    {"future-drop-writable-before-write", "without first writing a value"},
    {"future-read-twice", "after previous read succeeded"},
    {"future-misaligned", "unaligned"},
    {"waitable-set-drop-nonempty", "with elements"},
    {"waitable-join-not-a-waitable", "not a waitable"},
    {"waitable-set-poll-empty", "not a waitable set"},
    {"error-context", "unknown handle"},
    {"backpressure", "backpressure underflow"},
};

/* Vectors that kumi fails on purpose, how (a fragment of the failure: any
 * other failure fails the test) and why. */
static const struct {
  const char *name, *how, *why;
} known[] = {
    {"stream-cancel-write", "step 5 (stream.cancel-write): got [50], expected [48]",
     "a cancel whose copy already has a progress event pending (its buffer still shared) gives CANCELLED with the "
     "count copied (CANCELLED|3<<4), as spec/async/cancel-stream.wast and big-interleaving-test.wast expect "
     "(0x42 after 4 bytes), where CanonicalABI.md's cancel_copy returns the pending event (COMPLETED|3<<4); "
     "CanonicalABI.md has no rule that tells the two scenarios apart (both: sync cancel, partial copy, buffer "
     "not full), so the conformance wast wins"},
};

static const char *lookup(const char *name, bool want_known) {
  if (want_known) {
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
      if (!strcmp(known[i].name, name)) return known[i].why;
    return NULL;
  }
  for (size_t i = 0; i < sizeof trap_kinds / sizeof trap_kinds[0]; i++)
    if (!strcmp(trap_kinds[i].name, name)) return trap_kinds[i].fragment;
  return NULL;
}

/* How a known vector fails ("" when it is not listed). */
static const char *known_how(const char *name) {
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (!strcmp(known[i].name, name)) return known[i].how;
  return "";
}

/* ---- a text buffer ------------------------------------------------------------------ */

typedef struct sb {
  char *p;
  size_t n, cap;
  bool bad; /* out of memory, or something the generator cannot express */
  char why[200];
} sb;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void sbf(sb *b, const char *fmt, ...) {
  if (b->bad) return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
    va_end(ap);
    if (k < 0) {
      b->bad = true;
      return;
    }
    if (b->p && b->n + (size_t)k < b->cap) {
      b->n += (size_t)k;
      return;
    }
    size_t cap = b->cap ? b->cap * 2 : 4096;
    while (cap <= b->n + (size_t)k) cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q) {
      b->bad = true;
      return;
    }
    b->p = q;
    b->cap = cap;
  }
}

static void sb_fail(sb *b, const char *why, const jv *what) {
  if (b->bad) return;
  b->bad = true;
  snprintf(b->why, sizeof b->why, "%s%s%.*s", why, what ? ": " : "", what ? (int)what->n : 0, what ? what->s : "");
}

/* ---- types: the vectors' WIT-like syntax to the component text format ------------- */

static const char *const prims[] = {"bool", "s8",  "u8",  "s16", "u16",  "s32",    "u32",
                                    "s64",  "u64", "f32", "f64", "char", "string", "error-context"};

/* One type of s[*i..] (stream/future element types: primitives, list, option). */
static void type_text(sb *b, const char *s, size_t n, size_t *i, int depth) {
  if (depth > 16) {
    sb_fail(b, "type nested too deeply", NULL);
    return;
  }
  size_t st = *i;
  while (*i < n && ((s[*i] >= 'a' && s[*i] <= 'z') || (s[*i] >= '0' && s[*i] <= '9') || s[*i] == '-')) (*i)++;
  size_t wl = *i - st;
  const char *w = s + st;
  bool angle = *i < n && s[*i] == '<';
  for (size_t k = 0; k < sizeof prims / sizeof prims[0]; k++)
    if (strlen(prims[k]) == wl && !memcmp(prims[k], w, wl) && !angle) {
      sbf(b, "%s", prims[k]);
      return;
    }
  static const char *const ctors[] = {"list", "option", "stream", "future"};
  for (size_t k = 0; k < sizeof ctors / sizeof ctors[0]; k++) {
    if (strlen(ctors[k]) != wl || memcmp(ctors[k], w, wl)) continue;
    sbf(b, "(%s", ctors[k]);
    if (angle) {
      (*i)++;
      sbf(b, " ");
      type_text(b, s, n, i, depth + 1);
      if (*i >= n || s[*i] != '>') {
        sb_fail(b, "unexpected type syntax", NULL);
        return;
      }
      (*i)++;
    } else if (k < 2) {
      sb_fail(b, "list or option without an element type", NULL);
      return;
    }
    sbf(b, ")");
    return;
  }
  sb_fail(b, "a type this runner does not translate", NULL);
}

/* Does the stream/future type name an element type? */
static bool has_elem(const jv *t) { return t && t->k == J_STR && memchr(t->s, '<', t->n) != NULL; }

/* Does the element type hold strings or lists (then reading needs realloc)? */
static bool needs_realloc(const jv *t) {
  return t && t->k == J_STR && (strstr(t->s, "string") || strstr(t->s, "list") || strstr(t->s, "error-context"));
}

/* ---- built-ins ------------------------------------------------------------------------- */

enum { S_NONE, S_TYPE, S_COPY, S_CANCEL, S_POLL, S_ECNEW, S_ECMSG, S_CTX };

typedef struct builtin {
  const char *name;
  const char *params, *results; /* core types: 'i' i32, 'I' i64 */
  int ptr_arg;                  /* the argument that is a memory address (-1: none) */
  uint8_t shape;
} builtin;

static const builtin builtins[] = {
    {"stream.new", "", "I", -1, S_TYPE},
    {"stream.read", "iii", "i", 1, S_COPY},
    {"stream.write", "iii", "i", 1, S_COPY},
    {"stream.cancel-read", "i", "i", -1, S_CANCEL},
    {"stream.cancel-write", "i", "i", -1, S_CANCEL},
    {"stream.drop-readable", "i", "", -1, S_TYPE},
    {"stream.drop-writable", "i", "", -1, S_TYPE},
    {"future.new", "", "I", -1, S_TYPE},
    {"future.read", "ii", "i", 1, S_COPY},
    {"future.write", "ii", "i", 1, S_COPY},
    {"future.cancel-read", "i", "i", -1, S_CANCEL},
    {"future.cancel-write", "i", "i", -1, S_CANCEL},
    {"future.drop-readable", "i", "", -1, S_TYPE},
    {"future.drop-writable", "i", "", -1, S_TYPE},
    {"waitable-set.new", "", "i", -1, S_NONE},
    {"waitable-set.poll", "ii", "i", 1, S_POLL},
    {"waitable-set.wait", "ii", "i", 1, S_POLL},
    {"waitable-set.drop", "i", "", -1, S_NONE},
    {"waitable.join", "ii", "", -1, S_NONE},
    {"error-context.new", "ii", "i", 0, S_ECNEW},
    {"error-context.debug-message", "ii", "", 1, S_ECMSG},
    {"error-context.drop", "i", "", -1, S_NONE},
    {"context.get", "", "i", -1, S_CTX},
    {"context.set", "i", "", -1, S_CTX},
    {"backpressure.inc", "", "", -1, S_NONE},
    {"backpressure.dec", "", "", -1, S_NONE},
    {"thread.yield", "", "i", -1, S_NONE},
};

static const builtin *builtin_of(const jv *name) {
  for (size_t k = 0; k < sizeof builtins / sizeof builtins[0]; k++)
    if (j_is(name, builtins[k].name)) return &builtins[k];
  return NULL;
}

static const char *core_type(char c) { return c == 'I' ? "i64" : "i32"; }

static const char *encoding_opt(const jv *e) {
  if (j_is(e, "utf16")) return "string-encoding=utf16";
  if (j_is(e, "latin1+utf16")) return "string-encoding=latin1+utf16";
  return "string-encoding=utf8";
}

/* The vector address p as a guest address (see the header). */
static uint32_t guest_addr(uint64_t p) { return (uint32_t)(p + BASE); }

/* ---- the component of one vector ---------------------------------------------------- */

static void gen_canon(sb *b, size_t i, const jv *st, const builtin *bi) {
  const jv *args = j_get(st, "args");
  switch (bi->shape) {
  case S_NONE: sbf(b, "  (canon %s (core func $b%zu))\n", bi->name, i); break;
  case S_TYPE: sbf(b, "  (canon %s $t%zu (core func $b%zu))\n", bi->name, i, i); break;
  case S_CANCEL:
    sbf(b, "  (canon %s $t%zu%s (core func $b%zu))\n", bi->name, i, j_true(j_get(st, "async")) ? " async" : "", i);
    break;
  case S_COPY:
    sbf(b, "  (canon %s $t%zu%s (memory (core memory $mem \"mem\"))%s (core func $b%zu))\n", bi->name, i,
        j_true(j_get(st, "async")) ? " async" : "",
        needs_realloc(j_get(st, "type")) && !strstr(bi->name, "write") ? " (realloc (core func $r \"realloc\"))" : "", i);
    break;
  case S_POLL:
    sbf(b, "  (canon %s%s (memory (core memory $mem \"mem\")) (core func $b%zu))\n", bi->name,
        j_true(j_get(st, "cancellable")) ? " cancellable" : "", i);
    break;
  case S_ECNEW:
    sbf(b, "  (canon %s (memory (core memory $mem \"mem\")) %s (core func $b%zu))\n", bi->name,
        encoding_opt(j_get(st, "encoding")), i);
    break;
  case S_ECMSG:
    sbf(b, "  (canon %s (memory (core memory $mem \"mem\")) (realloc (core func $r \"realloc\")) %s (core func $b%zu))\n",
        bi->name, encoding_opt(j_get(st, "encoding")), i);
    break;
  case S_CTX:
    if (!j_is(j_get(st, "type"), "i32") || !args || args->k != J_ARR || args->n < 1) {
      sb_fail(b, "context.get/set without type i32 and a slot", NULL);
      return;
    }
    sbf(b, "  (canon %s i32 %" PRIu64 " (core func $b%zu))\n", bi->name, j_u64(&args->items[0]), i);
    break;
  default: break;
  }
}

/* The core code of step i. */
static void gen_step(sb *b, size_t i, const jv *st, const builtin *bi) {
  const jv *name = j_get(st, "builtin");
  if (j_is(name, "mem.write")) {
    const jv *hex = j_get(st, "hex");
    uint64_t p = j_u64(j_get(st, "ptr"));
    if (!hex || hex->k != J_STR || hex->n % 2) {
      sb_fail(b, "mem.write without hex bytes", NULL);
      return;
    }
    for (size_t k = 0; k < hex->n / 2; k++) {
      unsigned v = 0;
      if (sscanf(hex->s + 2 * k, "%2x", &v) != 1) sb_fail(b, "bad hex", hex);
      sbf(b, "    (i32.store8 (i32.const %" PRIu32 ") (i32.const %u))\n", guest_addr(p + k), v);
    }
    sbf(b, "    (call $res (i32.const %zu) (i32.const 0) (i64.const 0) (i32.const 0) (i32.const 0))\n", i);
    return;
  }
  if (j_is(name, "mem.read")) {
    sbf(b, "    (call $bytes (i32.const %zu) (i32.const %" PRIu32 ") (i32.const %" PRIu64 "))\n", i,
        guest_addr(j_u64(j_get(st, "ptr"))), j_u64(j_get(st, "len")));
    return;
  }
  const jv *args = j_get(st, "args");
  size_t np = strlen(bi->params), skip = bi->shape == S_CTX ? 1 : 0; /* context.*: args[0] is the slot */
  if (!args || args->k != J_ARR || args->n != np + skip) {
    sb_fail(b, "core argument count does not match the built-in", name);
    return;
  }
  bool map_ptr = bi->ptr_arg >= 0 && (bi->shape != S_COPY || has_elem(j_get(st, "type")));
  sbf(b, "    ");
  size_t nr = strlen(bi->results);
  if (nr) sbf(b, "(local.set $r %s", bi->results[0] == 'I' ? "" : "(i64.extend_i32_u ");
  sbf(b, "(call $b%zu", i);
  for (size_t k = 0; k < np; k++) {
    uint64_t v = j_u64(&args->items[k + skip]);
    if (map_ptr && (int)k == bi->ptr_arg) v = guest_addr(v);
    if (bi->params[k] == 'I') sbf(b, " (i64.const %" PRIu64 ")", v);
    else sbf(b, " (i32.const %" PRIu32 ")", (uint32_t)v);
  }
  sbf(b, ")");
  if (nr) sbf(b, bi->results[0] == 'I' ? ")" : "))");
  sbf(b, "\n");
  if (bi->shape == S_POLL) {
    uint32_t p = guest_addr(j_u64(&args->items[1]));
    sbf(b,
        "    (call $res (i32.const %zu) (i32.const 3) (local.get $r) (i32.load (i32.const %" PRIu32
        ")) (i32.load (i32.const %" PRIu32 ")))\n",
        i, p, p + 4);
  } else {
    sbf(b, "    (call $res (i32.const %zu) (i32.const %zu) (local.get $r) (i32.const 0) (i32.const 0))\n", i, nr);
  }
}

static void gen_component(sb *b, const jv *steps) {
  sbf(b, "(component\n"
         "  (import \"res\" (func $res (param \"step\" u32) (param \"n\" u32) (param \"a\" u64) (param \"b\" u32)"
         " (param \"c\" u32)))\n"
         "  (import \"bytes\" (func $bytes (param \"step\" u32) (param \"b\" (list u8))))\n"
         "  (core module $Mem (memory (export \"mem\") 1 1))\n"
         "  (core instance $mem (instantiate $Mem))\n"
         "  (core module $R\n"
         "    (import \"\" \"mem\" (memory 1 1))\n"
         "    (global $next (mut i32) (i32.const %u))\n"
         "    (func (export \"realloc\") (param $op i32) (param $os i32) (param $al i32) (param $ns i32) (result i32)\n"
         "      (local $p i32)\n"
         "      (if (i32.and (i32.ne (local.get $op) (i32.const 0)) (i32.lt_u (local.get $ns) (local.get $os)))\n"
         "        (then (return (i32.and (i32.add (local.get $op) (i32.sub (local.get $al) (i32.const 1)))\n"
         "                               (i32.sub (i32.const 0) (local.get $al))))))\n"
         "      (local.set $p (i32.and (i32.add (global.get $next) (i32.sub (local.get $al) (i32.const 1)))\n"
         "                             (i32.sub (i32.const 0) (local.get $al))))\n"
         "      (if (i64.gt_u (i64.add (i64.extend_i32_u (local.get $p)) (i64.extend_i32_u (local.get $ns)))\n"
         "                    (i64.const %u)) (then unreachable))\n"
         "      (global.set $next (i32.add (local.get $p) (local.get $ns)))\n"
         "      (memory.copy (local.get $p) (local.get $op) (local.get $os))\n"
         "      (local.get $p)))\n"
         "  (core instance $r (instantiate $R (with \"\" (instance (export \"mem\" (memory $mem \"mem\"))))))\n"
         "  (canon lower (func $res) (core func $res'))\n"
         "  (canon lower (func $bytes) (memory (core memory $mem \"mem\")) (core func $bytes'))\n",
      BASE + HEAP_START, PAGE);
  for (size_t i = 0; i < steps->n; i++) {
    const jv *st = &steps->items[i];
    const builtin *bi = builtin_of(j_get(st, "builtin"));
    if (!bi) continue;
    const jv *t = j_get(st, "type");
    if (bi->shape == S_TYPE || bi->shape == S_COPY || bi->shape == S_CANCEL) {
      if (!t || t->k != J_STR) {
        sb_fail(b, "a stream or future built-in without a type", j_get(st, "builtin"));
        return;
      }
      size_t k = 0;
      sbf(b, "  (type $t%zu ", i);
      type_text(b, t->s, t->n, &k, 0);
      if (k != t->n) sb_fail(b, "unexpected type syntax", t);
      sbf(b, ")\n");
    }
    gen_canon(b, i, st, bi);
  }
  sbf(b, "  (core module $M\n"
         "    (import \"\" \"mem\" (memory 1 1))\n"
         "    (import \"\" \"res\" (func $res (param i32 i32 i64 i32 i32)))\n"
         "    (import \"\" \"bytes\" (func $bytes (param i32 i32 i32)))\n");
  for (size_t i = 0; i < steps->n; i++) {
    const builtin *bi = builtin_of(j_get(&steps->items[i], "builtin"));
    if (!bi) continue;
    sbf(b, "    (import \"\" \"b%zu\" (func $b%zu (param", i, i);
    for (const char *c = bi->params; *c; c++) sbf(b, " %s", core_type(*c));
    sbf(b, ") (result");
    for (const char *c = bi->results; *c; c++) sbf(b, " %s", core_type(*c));
    sbf(b, ")))\n");
  }
  sbf(b, "    (func (export \"run\") (local $r i64)\n");
  for (size_t i = 0; i < steps->n; i++) {
    const jv *st = &steps->items[i];
    const jv *name = j_get(st, "builtin");
    const builtin *bi = builtin_of(name);
    if (!bi && !j_is(name, "mem.write") && !j_is(name, "mem.read")) {
      sb_fail(b, "a built-in this runner does not know", name);
      return;
    }
    gen_step(b, i, st, bi);
  }
  sbf(b, "    ))\n"
         "  (core instance $i (instantiate $M (with \"\" (instance\n"
         "    (export \"mem\" (memory $mem \"mem\")) (export \"res\" (func $res')) (export \"bytes\" (func $bytes'))\n");
  for (size_t i = 0; i < steps->n; i++)
    if (builtin_of(j_get(&steps->items[i], "builtin"))) sbf(b, "    (export \"b%zu\" (func $b%zu))\n", i, i);
  sbf(b, "    ))))\n"
         "  (func (export \"func\") (canon lift (core func $i \"run\"))))\n");
}

/* ---- running one vector ---------------------------------------------------------------- */

typedef struct rec {
  bool has;
  uint32_t n;
  uint64_t v[3];
  uint8_t *bytes;
  size_t nbytes;
} rec;

typedef struct run_state {
  rec *steps;
  size_t nsteps, next;
  bool out_of_order;
} run_state;

static rec *take(run_state *r, const kumi_cval *step) {
  uint64_t i = step->of.u;
  if (i != r->next || i >= r->nsteps) {
    r->out_of_order = true;
    return NULL;
  }
  r->next++;
  r->steps[i].has = true;
  return &r->steps[i];
}

static kumi_error *h_res(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs, kumi_cval *result) {
  (void)a, (void)result;
  rec *s = nargs == 5 ? take(env, &args[0]) : NULL;
  if (s) {
    s->n = (uint32_t)args[1].of.u;
    s->v[0] = args[2].of.u;
    s->v[1] = args[3].of.u;
    s->v[2] = args[4].of.u;
  }
  return NULL;
}

static kumi_error *h_bytes(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs, kumi_cval *result) {
  (void)a, (void)result;
  rec *s = nargs == 2 ? take(env, &args[0]) : NULL;
  if (s && args[1].of.agg.len) {
    s->bytes = malloc(args[1].of.agg.len);
    if (!s->bytes) return NULL; /* reported as a mismatch */
    s->nbytes = args[1].of.agg.len;
    for (size_t k = 0; k < s->nbytes; k++) s->bytes[k] = (uint8_t)args[1].of.agg.items[k].of.u;
  }
  return NULL;
}

typedef struct verdict {
  bool ok;
  char why[400];
  char trap[200]; /* the expected trap's message, when there was one */
} verdict;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void fail(verdict *v, const char *fmt, ...) {
  if (!v->ok) return;
  v->ok = false;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->why, sizeof v->why, fmt, ap);
  va_end(ap);
}

/* Compares the bytes a mem.read reported with the expected hex; addresses
 * the runtime stored (debug-message string pointers, in slots) are mapped
 * back to vector addresses first. */
static void check_bytes(verdict *v, size_t i, const rec *r, const jv *want, uint64_t ptr, const uint64_t *slots,
                        size_t nslots) {
  if (!want || want->k != J_STR || want->n != 2 * r->nbytes) {
    fail(v, "step %zu (mem.read): got %zu bytes, expected %zu", i, r->nbytes, want ? want->n / 2 : 0);
    return;
  }
  uint8_t got[1024];
  if (r->nbytes > sizeof got) {
    fail(v, "step %zu (mem.read): too long for this runner", i);
    return;
  }
  if (r->nbytes) memcpy(got, r->bytes, r->nbytes);
  for (size_t s = 0; s < nslots; s++) {
    if (slots[s] < ptr || slots[s] + 4 > ptr + r->nbytes) continue;
    uint8_t *q = got + (slots[s] - ptr);
    uint32_t a = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
    if (a >= BASE) a -= BASE;
    for (int k = 0; k < 4; k++) q[k] = (uint8_t)(a >> (8 * k));
  }
  char hex[2049];
  for (size_t k = 0; k < r->nbytes; k++) snprintf(hex + 2 * k, 3, "%02x", got[k]);
  hex[2 * r->nbytes] = 0;
  if (memcmp(hex, want->s, want->n)) fail(v, "step %zu (mem.read): got %s, expected %.*s", i, hex, (int)want->n, want->s);
}

static void check_step(verdict *v, size_t i, const jv *st, const rec *r, const uint64_t *slots, size_t nslots) {
  const jv *name = j_get(st, "builtin");
  const jv *exp = j_get(st, "expect");
  if (exp && exp->k == J_STR) {
    fail(v, "step %zu (%.*s): returned, expected a trap", i, (int)name->n, name->s);
    return;
  }
  const jv *want = j_get(exp, "result");
  if (j_is(name, "mem.read")) {
    check_bytes(v, i, r, want, j_u64(j_get(st, "ptr")), slots, nslots);
    return;
  }
  if (j_is(name, "mem.write")) return;
  size_t wn = want && want->k == J_ARR ? want->n : 0;
  bool same = wn == r->n && wn <= 3;
  for (size_t k = 0; same && k < wn; k++) same = j_u64(&want->items[k]) == r->v[k];
  if (!same) {
    char got[100] = "", exp_s[100] = "";
    for (size_t k = 0; k < r->n && k < 3; k++)
      snprintf(got + strlen(got), sizeof got - strlen(got), "%s%" PRIu64, k ? ", " : "", r->v[k]);
    for (size_t k = 0; k < wn; k++)
      snprintf(exp_s + strlen(exp_s), sizeof exp_s - strlen(exp_s), "%s%" PRIu64, k ? ", " : "", j_u64(&want->items[k]));
    fail(v, "step %zu (%.*s): got [%s], expected [%s]", i, (int)name->n, name->s, got, exp_s);
  }
}

static verdict run_vector(const kumi_allocator *a, const jv *vec, bool *alloc_clean, test_alloc *ta) {
  verdict v = {true, "", ""};
  const jv *steps = j_get(vec, "steps");
  const jv *name = j_get(vec, "name");
  if (!steps || steps->k != J_ARR || !name || name->k != J_STR) {
    fail(&v, "malformed vector");
    return v;
  }
  sb text = {0};
  gen_component(&text, steps);
  if (text.bad) {
    fail(&v, "cannot generate the component: %s", text.why[0] ? text.why : "out of memory");
    free(text.p);
    return v;
  }
  run_state rs = {calloc(steps->n ? steps->n : 1, sizeof(rec)), steps->n, 0, false};
  uint64_t slots[16];
  size_t nslots = 0;
  for (size_t i = 0; i < steps->n && nslots < 16; i++)
    if (j_is(j_get(&steps->items[i], "builtin"), "error-context.debug-message"))
      slots[nslots++] = j_u64(&j_get(&steps->items[i], "args")->items[1]);

  kumi_config cfg = {a, 0};
  kumi_engine *eng = kumi_engine_new(&cfg);
  kumi_store *st = eng ? kumi_store_new(eng, NULL) : NULL;
  kumi_component_linker *l = eng ? kumi_component_linker_new(eng) : NULL;
  uint8_t *bin = NULL;
  size_t len = 0;
  kumi_component *c = NULL;
  kumi_component_instance *inst = NULL;
  kumi_error *err = NULL, *call_err = NULL;
  if (!st || !l || !rs.steps) err = kb_error_oom();
  if (!err) err = kumi_component_linker_define_func(l, NULL, "res", NULL, h_res, &rs);
  if (!err) err = kumi_component_linker_define_func(l, NULL, "bytes", NULL, h_bytes, &rs);
  if (!err) err = text_parse_component(a, text.p, text.n, &bin, &len);
  if (!err) {
    /* the built-ins the vectors use: sync copies and async cancels (more
     * async builtins), context slot 1 (threading), error contexts */
    comp_features feats = comp_features_default();
    feats.async_builtins = feats.threading = feats.error_context = true;
    c = comp_rt_new(eng, bin, len, &feats, &err);
  }
  if (c) inst = kumi_component_linker_instantiate(l, st, c, &err);
  if (inst) {
    kumi_component_func *f = kumi_component_instance_func(inst, NULL, "func");
    if (!f) err = kb_error(a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "no export func");
    else call_err = kumi_component_func_call(st, f, NULL, 0, NULL, 0);
  }
  if (err) {
    fail(&v, "setup failed: %s", kumi_error_message(err));
  } else {
    const jv *final = j_get(vec, "expect");
    long trap_step = -1;
    const jv *ft = j_get(final, "trap");
    if (ft && ft->k == J_STR && ft->n > 5 && !strncmp(ft->s, "step ", 5)) trap_step = strtol(ft->s + 5, NULL, 10);
    size_t done = rs.next;
    if (rs.out_of_order) fail(&v, "the guest reported steps out of order (runner bug)");
    for (size_t i = 0; i < done; i++) check_step(&v, i, &steps->items[i], &rs.steps[i], slots, nslots);
    if (!call_err) {
      if (done < steps->n) fail(&v, "only %zu of %zu steps ran", done, steps->n);
      else if (trap_step >= 0) fail(&v, "returned, expected a trap at step %ld", trap_step);
    } else {
      const char *msg = kumi_error_message(call_err);
      const char *frag = lookup(name->s, false);
      const jv *sn = done < steps->n ? j_get(&steps->items[done], "builtin") : NULL;
      if (kumi_error_kind_of(call_err) != KUMI_ERR_TRAP)
        fail(&v, "step %zu (%.*s): error \"%s\", expected %s", done, sn ? (int)sn->n : 0, sn ? sn->s : "", msg,
             (long)done == trap_step ? "a trap" : "a result");
      else if ((long)done != trap_step)
        fail(&v, "step %zu (%.*s): trapped \"%s\", expected %s", done, sn ? (int)sn->n : 0, sn ? sn->s : "", msg,
             trap_step >= 0 ? "a trap at a later step" : "no trap");
      else if (!frag)
        fail(&v, "step %zu traps (\"%s\") but this runner lists no trap kind for the vector", done, msg);
      else if (!strstr(msg, frag))
        fail(&v, "step %zu (%.*s): trapped \"%s\", expected a trap about \"%s\"", done, sn ? (int)sn->n : 0,
             sn ? sn->s : "", msg, frag);
      else
        snprintf(v.trap, sizeof v.trap, "step %zu traps: %s", done, msg);
    }
  }
  kumi_error_free(err);
  kumi_error_free(call_err);
  kumi_component_instance_free(inst);
  kumi_component_free(c);
  if (bin) kb_free(a, bin, len);
  kumi_component_linker_free(l);
  kumi_store_free(st);
  kumi_engine_free(eng);
  *alloc_clean = test_alloc_clean(ta);
  for (size_t i = 0; rs.steps && i < steps->n; i++) free(rs.steps[i].bytes);
  free(rs.steps);
  free(text.p);
  return v;
}

static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *b = NULL;
  long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
  if (n >= 0 && fseek(f, 0, SEEK_SET) == 0) b = malloc((size_t)n + 1);
  if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
    free(b);
    b = NULL;
  }
  fclose(f);
  if (b) b[n] = 0;
  *len = b ? (size_t)n : 0;
  return b;
}

int main(void) {
  (void)j_i64; /* abi_json.h's reader for signed numbers: the async vectors have none */
  char path[1200];
  const char *env = getenv("KUMI_SHARED_DIR");
  if (env) {
    snprintf(path, sizeof path, "%s/canonical-abi/vectors/async.json", env);
  } else {
    /* __FILE__ is .../tests/component/this.c: ../shared is beside the tree */
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    for (int up = 0; up < 3; up++) {
      char *s = strrchr(dir, '/');
      if (s) *s = 0;
    }
    snprintf(path, sizeof path, "%s/../shared/canonical-abi/vectors/async.json", dir);
  }
  size_t len = 0;
  char *text = read_all(path, &len);
  if (!text) {
    printf("SKIP: no Canonical ABI async vectors at %s (set KUMI_SHARED_DIR)\n", path);
    return 0;
  }
  jdoc d;
  jv root;
  bool parsed = j_parse(&d, text, len, &root);
  CHECKF(parsed, "%s parses", path);
  const jv *vecs = parsed ? j_get(&root, "vectors") : NULL;
  CHECKF(vecs && vecs->k == J_ARR && vecs->n == j_u64(j_get(&root, "count")) && j_u64(j_get(&root, "mem_size")) == MEM_SIZE &&
             j_u64(j_get(&root, "heap_start")) == HEAP_START,
         "the header: count, mem_size %u and heap_start %u", MEM_SIZE, HEAP_START);
  long passed = 0, failed = 0, known_failed = 0;
  for (size_t k = 0; vecs && vecs->k == J_ARR && k < vecs->n; k++) {
    const jv *vec = &vecs->items[k];
    const jv *name = j_get(vec, "name");
    const char *nm = name && name->k == J_STR ? name->s : "?";
    test_alloc ta;
    kumi_allocator a = test_alloc_init(&ta, -1);
    bool clean = false;
    verdict v = run_vector(&a, vec, &clean, &ta);
    const char *why = lookup(nm, true);
    CHECKF(clean, "%s: nothing leaks", nm);
    if (v.ok) {
      passed++;
      printf("ok   %s%s%s%s\n", nm, v.trap[0] ? " (" : "", v.trap, v.trap[0] ? ")" : "");
      if (why) printf("     (listed as known to fail: %s; remove it from the list)\n", why);
    } else if (why && strstr(v.why, known_how(nm))) {
      known_failed++;
      printf("KNOWN %s: %s\n     (%s)\n", nm, v.why, why);
    } else {
      failed++;
      CHECKF(false, "%s: %s", nm, v.why);
      printf("FAIL %s: %s\n", nm, v.why);
    }
  }
  printf("async vectors: %ld passed, %ld failed, %ld known failures\n", passed, failed, known_failed);

  /* Allocation failure at any point of a run that uses the error-context
   * built-ins and the shared handle table: an error, never a crash or a
   * leak (every failure point of the last 300 allocations, where the call
   * runs, and a sample of the earlier ones). */
  for (size_t k = 0; vecs && vecs->k == J_ARR && k < vecs->n; k++) {
    const jv *vec = &vecs->items[k];
    if (!j_is(j_get(vec, "name"), "handles-shared-table") && !j_is(j_get(vec, "name"), "error-context")) continue;
    test_alloc ta;
    kumi_allocator a = test_alloc_init(&ta, -1);
    bool clean = false;
    verdict v = run_vector(&a, vec, &clean, &ta);
    long total = ta.allocs, tries = 0, leaks = 0;
    for (long fail = 0; v.ok && fail < total; fail += fail + 300 < total ? 37 : 1) {
      a = test_alloc_init(&ta, fail);
      (void)run_vector(&a, vec, &clean, &ta);
      tries++;
      if (!clean) leaks++;
    }
    printf("allocation failures: %s, %ld runs of %ld failure points\n", j_get(vec, "name")->s, tries, total);
    CHECKF(v.ok && leaks == 0, "%s: no leak when an allocation fails (%ld of %ld failure points leaked)",
           j_get(vec, "name")->s, leaks, tries);
  }
  if (parsed) j_free(&d);
  free(text);
  return test_summary();
}
