/* Exception handling in the core engine through the public API: tags,
 * throw, throw_ref, try_table (catch, catch_ref, catch_all, catch_all_ref),
 * exnref values, unwinding across wasm frames and instances, through a
 * host function, tag identity per instance, and the feature gate. The
 * modules are assembled here byte by byte (the text parser does not read
 * exception handling yet). Prints "N passed, N failed". */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../test.h"

/* ---- a tiny binary assembler -------------------------------------------------- */

typedef struct buf {
  uint8_t b[2048];
  size_t n;
} buf;

static void put_byte(buf *o, uint8_t v) {
  if (o->n < sizeof o->b) o->b[o->n++] = v;
}
static void put_bytes(buf *o, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) put_byte(o, p[i]);
}
static void put_u32(buf *o, uint32_t v) {
  do {
    uint8_t c = v & 0x7F;
    v >>= 7;
    put_byte(o, (uint8_t)(c | (v ? 0x80 : 0)));
  } while (v);
}
static void put_name(buf *o, const char *s) {
  put_u32(o, (uint32_t)strlen(s));
  put_bytes(o, (const uint8_t *)s, strlen(s));
}
static void section(buf *m, uint8_t id, const buf *content) {
  put_byte(m, id);
  put_u32(m, (uint32_t)content->n);
  put_bytes(m, content->b, content->n);
}
static void header(buf *m) {
  static const uint8_t h[8] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
  put_bytes(m, h, sizeof h);
}
/* A code section entry: no locals, then the body bytes (ending in 0x0B). */
static void code_entry(buf *c, const uint8_t *body, size_t n) {
  put_u32(c, (uint32_t)n + 1);
  put_byte(c, 0x00);
  put_bytes(c, body, n);
}
#define CODE(c, ...)                                      \
  do {                                                    \
    static const uint8_t body_[] = {__VA_ARGS__};         \
    code_entry((c), body_, sizeof body_);                 \
  } while (0)
static void export_entry(buf *e, const char *name, uint8_t kind, uint32_t index) {
  put_name(e, name);
  put_byte(e, kind);
  put_u32(e, index);
}

/* Types shared by the modules below. */
static void types(buf *m) {
  buf t = {{0}, 0};
  static const uint8_t ts[] = {
      6,                                  /* count */
      0x60, 1, 0x7F, 0,                   /* 0: (i32) -> () */
      0x60, 1, 0x7F, 1, 0x7F,             /* 1: (i32) -> (i32) */
      0x60, 0, 1, 0x69,                   /* 2: () -> (exnref) */
      0x60, 2, 0x7E, 0x7F, 0,             /* 3: (i64 i32) -> () */
      0x60, 1, 0x7F, 1, 0x7E,             /* 4: (i32) -> (i64) */
      0x60, 0, 2, 0x7E, 0x7F,             /* 5: () -> (i64 i32) */
  };
  put_bytes(&t, ts, sizeof ts);
  section(m, 1, &t);
}

/* The main module: imports host.call_wasm (type 0, function 0), defines
 * tags 0 (i32) and 1 (i64 i32), and functions 1..8. */
static void main_module(buf *m) {
  header(m);
  types(m);
  buf s = {{0}, 0};
  put_u32(&s, 1);
  put_name(&s, "host");
  put_name(&s, "call_wasm");
  put_byte(&s, 0x00);
  put_u32(&s, 0);
  section(m, 2, &s);
  s.n = 0;
  static const uint8_t funcs[] = {10, 0, 1, 1, 2, 1, 0, 4, 1, 0, 1};
  put_bytes(&s, funcs, sizeof funcs);
  section(m, 3, &s);
  s.n = 0;
  static const uint8_t tags[] = {2, 0x00, 0, 0x00, 3};
  put_bytes(&s, tags, sizeof tags);
  section(m, 13, &s);
  s.n = 0;
  put_u32(&s, 11);
  export_entry(&s, "tail_host", 0, 9);
  export_entry(&s, "wrap_tail", 0, 10);
  export_entry(&s, "throw_if", 0, 1);
  export_entry(&s, "catch", 0, 2);
  export_entry(&s, "via_host", 0, 3);
  export_entry(&s, "get_exn", 0, 4);
  export_entry(&s, "rethrow", 0, 5);
  export_entry(&s, "throw_null", 0, 6);
  export_entry(&s, "multi", 0, 7);
  export_entry(&s, "to_func", 0, 8);
  export_entry(&s, "tag", 4, 0);
  section(m, 7, &s);
  s.n = 0;
  put_u32(&s, 10);
  /* 1 throw_if (i32): if x, throw tag 0 (x) */
  CODE(&s, 0x20, 0, 0x04, 0x40, 0x20, 0, 0x08, 0, 0x0B, 0x0B);
  /* 2 catch (i32) -> i32: block i32 (try_table (catch 0 0) (call throw_if x)) 99 return end */
  CODE(&s, 0x02, 0x7F, 0x1F, 0x40, 1, 0x00, 0, 0, 0x20, 0, 0x10, 1, 0x0B, 0x41, 0xE3, 0x00, 0x0F, 0x0B, 0x0B);
  /* 3 via_host: the same, calling the host, which calls throw_if */
  CODE(&s, 0x02, 0x7F, 0x1F, 0x40, 1, 0x00, 0, 0, 0x20, 0, 0x10, 0, 0x0B, 0x41, 0xE3, 0x00, 0x0F, 0x0B, 0x0B);
  /* 4 get_exn () -> exnref: catch_all_ref of throw_if(5) */
  CODE(&s, 0x02, 0x69, 0x1F, 0x40, 1, 0x03, 0, 0x41, 5, 0x10, 1, 0x0B, 0xD0, 0x69, 0x0F, 0x0B, 0x0B);
  /* 5 rethrow (i32) -> i32: catch_all_ref, then throw_ref; 7 when nothing is thrown */
  CODE(&s, 0x02, 0x69, 0x1F, 0x40, 1, 0x03, 0, 0x20, 0, 0x10, 1, 0x0B, 0x41, 7, 0x0F, 0x0B, 0x0A, 0x0B);
  /* 6 throw_null (i32): throw_ref of a null exnref */
  CODE(&s, 0xD0, 0x69, 0x0A, 0x0B);
  /* 7 multi (i32) -> i64: 1000 below a block (i64 i32) that catches tag 1
   * thrown in the same frame with (7, x); then 1000 + 7 + x */
  CODE(&s, 0x42, 0xE8, 0x07, 0x02, 5, 0x1F, 0x40, 1, 0x00, 1, 0, 0x42, 7, 0x20, 0, 0x08, 1, 0x0B, 0x00, 0x0B, 0xAD,
       0x7C, 0x7C, 0x0B);
  /* 8 to_func (i32) -> i32: the catch label is the function's: returns x */
  CODE(&s, 0x1F, 0x40, 1, 0x00, 0, 0, 0x20, 0, 0x10, 1, 0x0B, 0x41, 0xE3, 0x00, 0x0B);
  /* 9 tail_host (i32): inside a try_table catching tag 0, return_call the
   * host (which calls throw_if): the tail call left the try_table, so its
   * catch must not apply */
  CODE(&s, 0x02, 0x7F, 0x1F, 0x40, 1, 0x00, 0, 0, 0x20, 0, 0x12, 0, 0x0B, 0x41, 0, 0x0B, 0x1A, 0x0B);
  /* 10 wrap_tail (i32) -> i32: catches tag 0 around tail_host; 99 if none */
  CODE(&s, 0x02, 0x7F, 0x1F, 0x40, 1, 0x00, 0, 0, 0x20, 0, 0x10, 9, 0x0B, 0x41, 0xE3, 0x00, 0x0F, 0x0B, 0x0B);
  section(m, 10, &s);
}

/* Imports tag a.tag (i32) and exports "throw" (i32): throws it. */
static void thrower_module(buf *m) {
  header(m);
  types(m);
  buf s = {{0}, 0};
  put_u32(&s, 1);
  put_name(&s, "a");
  put_name(&s, "tag");
  put_byte(&s, 0x04);
  put_byte(&s, 0x00);
  put_u32(&s, 0);
  section(m, 2, &s);
  s.n = 0;
  put_u32(&s, 1);
  put_u32(&s, 0);
  section(m, 3, &s);
  s.n = 0;
  put_u32(&s, 1);
  export_entry(&s, "throw", 0, 0);
  section(m, 7, &s);
  s.n = 0;
  put_u32(&s, 1);
  CODE(&s, 0x20, 0, 0x08, 0, 0x0B);
  section(m, 10, &s);
}

/* Imports tag a.tag and b.throw; "run" (i32) -> i32 catches the tag
 * around b.throw (returns x), 99 when nothing is thrown. */
static void catcher_module(buf *m) {
  header(m);
  types(m);
  buf s = {{0}, 0};
  put_u32(&s, 2);
  put_name(&s, "a");
  put_name(&s, "tag");
  put_byte(&s, 0x04);
  put_byte(&s, 0x00);
  put_u32(&s, 0);
  put_name(&s, "b");
  put_name(&s, "throw");
  put_byte(&s, 0x00);
  put_u32(&s, 0);
  section(m, 2, &s);
  s.n = 0;
  put_u32(&s, 1);
  put_u32(&s, 1);
  section(m, 3, &s);
  s.n = 0;
  put_u32(&s, 1);
  export_entry(&s, "run", 0, 1);
  section(m, 7, &s);
  s.n = 0;
  put_u32(&s, 1);
  CODE(&s, 0x02, 0x7F, 0x1F, 0x40, 1, 0x00, 0, 0, 0x20, 0, 0x10, 0, 0x0B, 0x41, 0xE3, 0x00, 0x0F, 0x0B, 0x0B);
  section(m, 10, &s);
}

/* ---- the tests ------------------------------------------------------------------ */

/* host.call_wasm: calls the wasm function *env with its argument, and
 * passes any error (an exception included) back. */
static kumi_error *call_wasm(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  (void)results;
  kumi_func *f = *(kumi_func **)env;
  return kumi_func_call(kumi_caller_store(caller), f, args, 1, NULL, 0);
}

static kumi_error *call_i32(kumi_store *s, kumi_instance *inst, const char *name, int32_t x, kumi_val *out) {
  kumi_func *f = kumi_instance_func(inst, name);
  if (!f) return kumi_error_new(s, KUMI_ERR_ARG, "no such export");
  kumi_val arg = kumi_val_i32(x);
  return kumi_func_call(s, f, &arg, 1, out, out ? 1 : 0);
}

static void expect_i32(kumi_store *s, kumi_instance *inst, const char *name, int32_t x, int32_t want) {
  kumi_val r;
  memset(&r, 0, sizeof r);
  kumi_error *e = call_i32(s, inst, name, x, &r);
  CHECKF(!e && r.kind == KUMI_I32 && r.of.i32 == want, "%s(%d): %s, got %d, want %d", name, (int)x,
         e ? kumi_error_message(e) : "ok", (int)r.of.i32, (int)want);
  if (e) kumi_error_free(e);
}

static void expect_exception(kumi_store *s, kumi_instance *inst, const char *name, int32_t x, bool has_result) {
  kumi_val r;
  kumi_error *e = call_i32(s, inst, name, x, has_result ? &r : NULL);
  CHECKF(e && kumi_error_is_exception(e), "%s(%d): %s", name, (int)x, e ? kumi_error_message(e) : "no error");
  if (e) kumi_error_free(e);
}

static kumi_module *load(kumi_engine *eng, const buf *b) {
  kumi_error *e = NULL;
  kumi_module *m = kumi_module_new(eng, b->b, b->n, &e);
  CHECKF(m != NULL, "load: %s", e ? kumi_error_message(e) : "?");
  if (e) kumi_error_free(e);
  return m;
}

static kumi_instance *inst_of(kumi_linker *l, kumi_module *m) {
  kumi_error *e = NULL;
  kumi_instance *i = kumi_linker_instantiate(l, m, &e);
  CHECKF(i != NULL, "instantiate: %s", e ? kumi_error_message(e) : "?");
  if (e) kumi_error_free(e);
  return i;
}

static void test_main(kumi_engine *eng) {
  buf b = {{0}, 0};
  main_module(&b);
  CHECK(b.n < sizeof b.b);
  kumi_module *m = load(eng, &b);
  kumi_store *s = kumi_store_new(eng, NULL);
  kumi_linker *l = kumi_linker_new(s);
  if (!m || !s || !l) return;
  kumi_func *target = NULL;
  static const kumi_valkind p_i32[] = {KUMI_I32};
  kumi_functype ft = {1, 0, p_i32, NULL};
  CHECK(kumi_linker_define_func(l, "host", "call_wasm", &ft, call_wasm, &target) == NULL);
  kumi_instance *inst = inst_of(l, m);
  if (inst) {
    target = kumi_instance_func(inst, "throw_if");
    /* catch with a payload, across a wasm frame */
    expect_i32(s, inst, "catch", 42, 42);
    expect_i32(s, inst, "catch", 0, 99);
    expect_i32(s, inst, "catch", -5, -5);
    /* the exception crosses the host function and is caught beyond it */
    expect_i32(s, inst, "via_host", 17, 17);
    expect_i32(s, inst, "via_host", 0, 99);
    /* a tail-called host function: the exception is the caller's */
    expect_exception(s, inst, "tail_host", 4, false);
    expect_i32(s, inst, "wrap_tail", 4, 4);
    expect_i32(s, inst, "wrap_tail", 0, 99);
    /* a catch whose label is the function's returns */
    expect_i32(s, inst, "to_func", 23, 23);
    expect_i32(s, inst, "to_func", 0, 99);
    /* uncaught: the call ends with an exception error */
    expect_exception(s, inst, "throw_if", 3, false);
    /* caught by catch_all_ref, thrown on by throw_ref */
    expect_exception(s, inst, "rethrow", 9, true);
    expect_i32(s, inst, "rethrow", 0, 7);
    /* the store stays usable after an uncaught exception */
    expect_i32(s, inst, "catch", 8, 8);
    /* an exnref reaches the host as a non-null opaque reference */
    kumi_func *g = kumi_instance_func(inst, "get_exn");
    kumi_val r;
    memset(&r, 0, sizeof r);
    kumi_error *e = g ? kumi_func_call(s, g, NULL, 0, &r, 1) : NULL;
    CHECK(g && !e && r.kind == KUMI_EXTERNREF && r.of.externref != NULL);
    if (e) kumi_error_free(e);
    /* throw_ref of null traps */
    e = call_i32(s, inst, "throw_null", 0, NULL);
    CHECK(e && kumi_error_kind_of(e) == KUMI_ERR_TRAP && kumi_error_trap_code(e) == KUMI_TRAP_NULL_REFERENCE);
    CHECK(e && !kumi_error_is_exception(e));
    if (e) kumi_error_free(e);
    /* a two-value payload into a block, with a value below the label kept */
    kumi_func *mf = kumi_instance_func(inst, "multi");
    kumi_val arg = kumi_val_i32(5);
    memset(&r, 0, sizeof r);
    e = mf ? kumi_func_call(s, mf, &arg, 1, &r, 1) : NULL;
    CHECKF(mf && !e && r.kind == KUMI_I64 && r.of.i64 == 1012, "multi: %lld", (long long)r.of.i64);
    if (e) kumi_error_free(e);
    /* the exported tag */
    kumi_extern x;
    CHECK(kumi_instance_export(inst, "tag", &x) && x.kind == KUMI_EXTERN_TAG && x.of.tag != NULL);
  }
  kumi_linker_free(l);
  kumi_store_free(s);
  kumi_module_free(m);
}

/* Tags link by identity: each instance of a module defines a new tag. */
static void test_identity(kumi_engine *eng) {
  buf tb = {{0}, 0}, cb = {{0}, 0}, mb = {{0}, 0};
  thrower_module(&tb);
  catcher_module(&cb);
  main_module(&mb);
  kumi_module *tm = load(eng, &tb), *cm = load(eng, &cb), *mm = load(eng, &mb);
  kumi_store *s = kumi_store_new(eng, NULL);
  if (!tm || !cm || !mm || !s) return;
  kumi_func *none = NULL;
  static const kumi_valkind p_i32[] = {KUMI_I32};
  kumi_functype ft = {1, 0, p_i32, NULL};
  kumi_instance *a[2] = {NULL, NULL}, *t[2] = {NULL, NULL};
  for (int i = 0; i < 2; i++) {
    kumi_linker *l = kumi_linker_new(s);
    CHECK(kumi_linker_define_func(l, "host", "call_wasm", &ft, call_wasm, &none) == NULL);
    a[i] = inst_of(l, mm);
    if (a[i]) CHECK(kumi_linker_define_instance(l, "a", a[i]) == NULL);
    if (a[i]) t[i] = inst_of(l, tm);
    kumi_linker_free(l);
  }
  if (a[0] && a[1] && t[0] && t[1]) {
    kumi_extern x0, x1;
    CHECK(kumi_instance_export(a[0], "tag", &x0) && kumi_instance_export(a[1], "tag", &x1) && x0.of.tag != x1.of.tag);
    for (int i = 0; i < 2; i++) {
      kumi_linker *l = kumi_linker_new(s);
      CHECK(kumi_linker_define_instance(l, "a", a[0]) == NULL);
      CHECK(kumi_linker_define_instance(l, "b", t[i]) == NULL);
      kumi_instance *c = inst_of(l, cm);
      if (c && i == 0) expect_i32(s, c, "run", 31, 31); /* thrown with a[0]'s tag: caught */
      if (c && i == 1) expect_exception(s, c, "run", 31, true); /* a[1]'s tag: not this catch's */
      kumi_linker_free(l);
    }
  }
  /* a function where the thrower wants a tag does not link */
  kumi_linker *l = kumi_linker_new(s);
  kumi_extern x;
  memset(&x, 0, sizeof x);
  if (a[0] && kumi_instance_export(a[0], "throw_if", &x)) {
    CHECK(kumi_linker_define(l, "a", "tag", x) == NULL);
    kumi_error *e = NULL;
    kumi_instance *bad = kumi_linker_instantiate(l, tm, &e);
    CHECK(bad == NULL);
    CHECK_ERR(e, KUMI_ERR_LINK, "incompatible import type");
  }
  kumi_linker_free(l);
  kumi_store_free(s);
  kumi_module_free(tm);
  kumi_module_free(cm);
  kumi_module_free(mm);
}

/* Without KUMI_FEATURE_EXCEPTIONS the tag section and the instructions are
 * malformed, as in WebAssembly 2.0. */
static void test_gate(void) {
  kumi_config cfg = {NULL, KUMI_FEATURES_EXACT | KUMI_FEATURE_SIMD};
  kumi_engine *eng = kumi_engine_new(&cfg);
  if (!eng) return;
  static const uint8_t type0[] = {1, 0x60, 1, 0x7F, 0};
  buf b = {{0}, 0}, s = {{0}, 0};
  header(&b);
  put_bytes(&s, type0, sizeof type0);
  section(&b, 1, &s);
  buf with_tag = b, with_try = b;
  static const uint8_t tag[] = {1, 0x00, 0};
  s.n = 0;
  put_bytes(&s, tag, sizeof tag);
  section(&with_tag, 13, &s);
  CHECK_ERR(kumi_module_validate(eng, with_tag.b, with_tag.n), KUMI_ERR_MALFORMED, "malformed section id");
  s.n = 0;
  put_u32(&s, 1);
  put_u32(&s, 0);
  section(&with_try, 3, &s);
  s.n = 0;
  put_u32(&s, 1);
  CODE(&s, 0x1F, 0x40, 0, 0x0B, 0x0B);
  section(&with_try, 10, &s);
  CHECK_ERR(kumi_module_validate(eng, with_try.b, with_try.n), KUMI_ERR_MALFORMED, "illegal opcode 1f");
  /* the same module is valid with exceptions */
  kumi_engine *full = kumi_engine_new(NULL);
  CHECK(full && kumi_module_validate(full, with_try.b, with_try.n) == NULL);
  kumi_engine_free(full);
  kumi_engine_free(eng);
}

/* Invalid uses are rejected by validation. */
static void test_invalid(kumi_engine *eng) {
  /* throw of an unknown tag; a catch label of the wrong type */
  static const uint8_t bodies[][12] = {
      {0x41, 1, 0x08, 0, 0x0B},                                 /* no tags: unknown tag 0 */
      {0x02, 0x40, 0x1F, 0x40, 1, 0x02, 0, 0x0B, 0x0B, 0x0B},  /* catch_all to (): fine */
      {0x02, 0x40, 0x1F, 0x40, 1, 0x03, 0, 0x0B, 0x0B, 0x0B},  /* catch_all_ref to (): mismatch */
      {0x41, 1, 0x0A, 0x0B},                                    /* throw_ref of an i32 */
  };
  static const size_t lens[] = {5, 10, 10, 4};
  static const bool valid[] = {false, true, false, false};
  for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
    buf m = {{0}, 0};
    header(&m);
    types(&m);
    buf s = {{0}, 0};
    put_u32(&s, 1);
    put_u32(&s, 0);
    section(&m, 3, &s);
    s.n = 0;
    put_u32(&s, 1);
    code_entry(&s, bodies[k], lens[k]);
    section(&m, 10, &s);
    kumi_error *e = kumi_module_validate(eng, m.b, m.n);
    CHECKF((e == NULL) == valid[k], "body %zu: %s", k, e ? kumi_error_message(e) : "valid");
    if (e) CHECK(kumi_error_kind_of(e) == KUMI_ERR_INVALID);
    if (e) kumi_error_free(e);
  }
  /* a tag type with results */
  buf m = {{0}, 0};
  header(&m);
  types(&m);
  buf s = {{0}, 0};
  static const uint8_t tag[] = {1, 0x00, 1};
  put_bytes(&s, tag, sizeof tag);
  section(&m, 13, &s);
  kumi_error *e = kumi_module_validate(eng, m.b, m.n);
  CHECK_ERR(e, KUMI_ERR_INVALID, "non-empty tag result type");
}

int main(void) {
  kumi_engine *eng = kumi_engine_new(NULL);
  CHECK(eng != NULL);
  if (eng) {
    test_main(eng);
    test_identity(eng);
    test_invalid(eng);
  }
  test_gate();
  kumi_engine_free(eng);
  return test_summary();
}
