/* Unit tests for linking components to the host (kumi_component_linker,
 * src/component/linker*.c and inst_link.c): host functions in versioned
 * interfaces and at the top level, host resources shared between
 * interfaces (an eq-bound type export), semver matching, typed and untyped
 * host functions, link errors, traps and exit requests from the host,
 * destructors, and the allocator hook (no leaks, allocation failures
 * survived).
 *
 * The component is assembled here from bytes (the binary format of
 * Binary.md), its core module from text (src/text). It is:
 *
 *   (component
 *     (import "test:io/streams@S" (instance $s
 *       (export "stream" (type (sub resource)))
 *       (export "make" (func (param "x" u32) (result (own stream))))
 *       (export "[method]stream.get" (func (param "self" (borrow stream)) (result u32)))))
 *     (alias export $s "stream" (type $stream))
 *     (import "test:fs/types@F" (instance $fs
 *       (export "stream" (type (eq $stream)))
 *       (export "consume" (func (param "s" (own stream)) (result u32)))))
 *     (import "add" (func (param "a" u32) (param "b" u32) (result u32)))
 *     (import "thing" (type (sub resource)))
 *     ... core module using make/get/consume/add and resource.drop stream ...
 *     (export "run" (func (param "x" u32) (result u32)))       ;; get(make(x)) + consume(make(x))
 *     (export "run-drop" (func (param "x" u32) (result u32)))  ;; drop(make(x)); 7
 *     (export "run-add" (func (param "x" u32) (result u32)))   ;; add(x, 1000)
 *     (start $init))                                           ;; add(1, 2) */
#include "component/inst.h"
#include "text/text.h"

#include "../test.h"

/* ---- a byte builder --------------------------------------------------------- */

typedef struct bb {
  uint8_t *p;
  size_t len, cap;
} bb;

static void put(bb *b, uint8_t v) {
  if (b->len == b->cap) {
    b->cap = b->cap ? b->cap * 2 : 256;
    b->p = realloc(b->p, b->cap);
    if (!b->p) abort();
  }
  b->p[b->len++] = v;
}
static void put_u32(bb *b, uint32_t v) {
  do {
    uint8_t c = v & 0x7f;
    v >>= 7;
    put(b, (uint8_t)(c | (v ? 0x80 : 0)));
  } while (v);
}
static void put_bytes(bb *b, const void *p, size_t n) {
  for (size_t i = 0; i < n; i++) put(b, ((const uint8_t *)p)[i]);
}
static void put_name(bb *b, const char *s) {
  put_u32(b, (uint32_t)strlen(s));
  put_bytes(b, s, strlen(s));
}
/* nameattributes 0x00 */
static void put_ename(bb *b, const char *s) {
  put(b, 0x00);
  put_name(b, s);
}
static void section(bb *out, uint8_t id, bb *content) {
  put(out, id);
  put_u32(out, (uint32_t)content->len);
  put_bytes(out, content->p, content->len);
  free(content->p);
  memset(content, 0, sizeof *content);
}
/* A function type (0x40) with u32 parameters named by names (NULL-ended)
 * and a result valtype (0: none). */
static void functype(bb *b, const char *const *names, const uint8_t *types, uint8_t result) {
  put(b, 0x40);
  uint32_t n = 0;
  while (names[n]) n++;
  put_u32(b, n);
  for (uint32_t i = 0; i < n; i++) {
    put_name(b, names[i]);
    put(b, types[i]);
  }
  if (result) {
    put(b, 0x00);
    put(b, result);
  } else {
    put(b, 0x01);
    put(b, 0x00);
  }
}

static const char core_wat[] =
    "(module\n"
    "  (import \"h\" \"make\" (func $make (param i32) (result i32)))\n"
    "  (import \"h\" \"get\" (func $get (param i32) (result i32)))\n"
    "  (import \"h\" \"consume\" (func $consume (param i32) (result i32)))\n"
    "  (import \"h\" \"add\" (func $add (param i32 i32) (result i32)))\n"
    "  (import \"h\" \"drop\" (func $drop (param i32)))\n"
    "  (func (export \"run\") (param i32) (result i32) (local i32)\n"
    "    (local.set 1 (call $make (local.get 0)))\n"
    "    (i32.add (call $get (local.get 1)) (call $consume (local.get 1))))\n"
    "  (func (export \"run-drop\") (param i32) (result i32) (local i32)\n"
    "    (local.set 1 (call $make (local.get 0)))\n"
    "    (call $drop (local.get 1))\n"
    "    (i32.const 7))\n"
    "  (func (export \"run-add\") (param i32) (result i32)\n"
    "    (call $add (local.get 0) (i32.const 1000)))\n"
    "  (func (export \"init\") (drop (call $add (i32.const 1) (i32.const 2)))))\n";

enum { U32 = 0x79 };

/* The component above with streams version sv and fs version fv. */
static bb make_component(const char *sv, const char *fv) {
  bb out = {0}, s = {0};
  put_bytes(&out, "\0asm\x0d\0\x01\0", 8);
  char sname[64], fname[64];
  snprintf(sname, sizeof sname, "test:io/streams@%s", sv);
  snprintf(fname, sizeof fname, "test:fs/types@%s", fv);

  /* type 0: the streams instance type */
  put_u32(&s, 1);
  put(&s, 0x42);
  put_u32(&s, 7);
  put(&s, 0x04), put_ename(&s, "stream"), put(&s, 0x03), put(&s, 0x01); /* t0: (sub resource) */
  put(&s, 0x01), put(&s, 0x69), put_u32(&s, 0);                          /* t1: own t0 */
  put(&s, 0x01);
  functype(&s, (const char *const[]){"x", NULL}, (const uint8_t[]){U32}, 1); /* t2 */
  put(&s, 0x04), put_ename(&s, "make"), put(&s, 0x01), put_u32(&s, 2);
  put(&s, 0x01), put(&s, 0x68), put_u32(&s, 0); /* t3: borrow t0 */
  put(&s, 0x01);
  functype(&s, (const char *const[]){"self", NULL}, (const uint8_t[]){3}, U32); /* t4 */
  put(&s, 0x04), put_ename(&s, "[method]stream.get"), put(&s, 0x01), put_u32(&s, 4);
  section(&out, 7, &s);
  /* instance 0 */
  put_u32(&s, 1);
  put_ename(&s, sname), put(&s, 0x05), put_u32(&s, 0);
  section(&out, 10, &s);
  /* type 1: alias export instance 0 "stream" */
  put_u32(&s, 1);
  put(&s, 0x03), put(&s, 0x00), put_u32(&s, 0), put_name(&s, "stream");
  section(&out, 6, &s);
  /* type 2: the fs instance type; type 3: add; type 4: run; type 5: init */
  put_u32(&s, 4);
  put(&s, 0x42);
  put_u32(&s, 5);
  put(&s, 0x02), put(&s, 0x03), put(&s, 0x02), put_u32(&s, 1), put_u32(&s, 1); /* t0: alias outer 1 1 */
  put(&s, 0x04), put_ename(&s, "stream"), put(&s, 0x03), put(&s, 0x00), put_u32(&s, 0); /* t1: (eq t0) */
  put(&s, 0x01), put(&s, 0x69), put_u32(&s, 1); /* t2: own t1 */
  put(&s, 0x01);
  functype(&s, (const char *const[]){"s", NULL}, (const uint8_t[]){2}, U32); /* t3 */
  put(&s, 0x04), put_ename(&s, "consume"), put(&s, 0x01), put_u32(&s, 3);
  functype(&s, (const char *const[]){"a", "b", NULL}, (const uint8_t[]){U32, U32}, U32);
  functype(&s, (const char *const[]){"x", NULL}, (const uint8_t[]){U32}, U32);
  functype(&s, (const char *const[]){NULL}, NULL, 0);
  section(&out, 7, &s);
  /* instance 1, func 0 (add), type 6 (thing) */
  put_u32(&s, 3);
  put_ename(&s, fname), put(&s, 0x05), put_u32(&s, 2);
  put_ename(&s, "add"), put(&s, 0x01), put_u32(&s, 3);
  put_ename(&s, "thing"), put(&s, 0x03), put(&s, 0x01);
  section(&out, 10, &s);
  /* funcs 1..3: make, get, consume */
  put_u32(&s, 3);
  put(&s, 0x01), put(&s, 0x00), put_u32(&s, 0), put_name(&s, "make");
  put(&s, 0x01), put(&s, 0x00), put_u32(&s, 0), put_name(&s, "[method]stream.get");
  put(&s, 0x01), put(&s, 0x00), put_u32(&s, 1), put_name(&s, "consume");
  section(&out, 6, &s);
  /* core funcs 0..4: lowered make, get, consume, add; resource.drop stream */
  put_u32(&s, 5);
  const uint32_t lowered[4] = {1, 2, 3, 0};
  for (int i = 0; i < 4; i++) put(&s, 0x01), put(&s, 0x00), put_u32(&s, lowered[i]), put_u32(&s, 0);
  put(&s, 0x03), put_u32(&s, 1);
  section(&out, 8, &s);
  /* core instance 0: the imports of the core module */
  put_u32(&s, 1);
  put(&s, 0x01);
  put_u32(&s, 5);
  const char *const names[5] = {"make", "get", "consume", "add", "drop"};
  for (uint32_t i = 0; i < 5; i++) put_name(&s, names[i]), put(&s, 0x00), put_u32(&s, i);
  section(&out, 2, &s);
  /* core module 0 */
  uint8_t *mod = NULL;
  size_t mod_len = 0;
  kumi_error *e = text_parse_wat(kb_default_allocator(), core_wat, strlen(core_wat), &mod, &mod_len);
  if (e) {
    fprintf(stderr, "core module: %s\n", kumi_error_message(e));
    abort();
  }
  put_bytes(&s, mod, mod_len);
  kb_free(kb_default_allocator(), mod, mod_len);
  section(&out, 1, &s);
  /* core instance 1 */
  put_u32(&s, 1);
  put(&s, 0x00), put_u32(&s, 0), put_u32(&s, 1), put_name(&s, "h"), put(&s, 0x12), put_u32(&s, 0);
  section(&out, 2, &s);
  /* core funcs 5..8 */
  put_u32(&s, 4);
  const char *const runs[4] = {"run", "run-drop", "run-add", "init"};
  for (int i = 0; i < 4; i++) put(&s, 0x00), put(&s, 0x00), put(&s, 0x01), put_u32(&s, 1), put_name(&s, runs[i]);
  section(&out, 6, &s);
  /* funcs 4..7 */
  put_u32(&s, 4);
  for (uint32_t i = 0; i < 4; i++) put(&s, 0x00), put(&s, 0x00), put_u32(&s, 5 + i), put_u32(&s, 0), put_u32(&s, i < 3 ? 4 : 5);
  section(&out, 8, &s);
  /* (start 7): init, which calls the host's add */
  put_u32(&s, 7), put_u32(&s, 0), put_u32(&s, 0);
  section(&out, 9, &s);
  put_u32(&s, 3);
  for (uint32_t i = 0; i < 3; i++) put_ename(&s, runs[i]), put(&s, 0x01), put_u32(&s, 4 + i), put(&s, 0x00);
  section(&out, 11, &s);
  return out;
}

/* ---- the host ------------------------------------------------------------------ */

typedef struct host {
  kumi_store *store;
  int tag; /* told apart which definition ran */
  int made, gets, consumed, dtors, adds;
  uint32_t dtor_rep, consumed_rep;
  int fail_get; /* 1: trap, 2: exit 3 */
  kumi_component_func *reenter; /* make calls it first (a call back into the caller) */
  kumi_error_kind reenter_kind;
  int seen_tag;
} host;

static kumi_error *h_make(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  host *h = env;
  h->made++;
  h->seen_tag = h->tag;
  if (h->reenter) {
    kumi_cval x = kumi_cval_int(KUMI_CV_U32, 1), y = kumi_cval_bool(false);
    kumi_error *e = kumi_component_func_call(h->store, h->reenter, &x, 1, &y, 1);
    h->reenter_kind = e ? kumi_error_kind_of(e) : (kumi_error_kind)0;
    kumi_cval_free(a, &y);
    kumi_error_free(e);
  }
  if (n != 1 || args[0].kind != KUMI_CV_U32) return kumi_error_new(h->store, KUMI_ERR_TRAP, "make: bad args");
  *r = kumi_cval_handle(KUMI_CV_OWN, (uint32_t)args[0].of.u + 100);
  return NULL;
}
static kumi_error *h_get(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)a;
  host *h = env;
  h->gets++;
  if (h->fail_get == 1) return kumi_error_new(h->store, KUMI_ERR_TRAP, "boom");
  if (h->fail_get == 2) return kumi_error_new_exit(h->store, 3);
  if (n != 1 || args[0].kind != KUMI_CV_BORROW) return kumi_error_new(h->store, KUMI_ERR_TRAP, "get: bad args");
  *r = kumi_cval_int(KUMI_CV_U32, (int64_t)args[0].of.handle * 2);
  return NULL;
}
static kumi_error *h_consume(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)a;
  host *h = env;
  if (n != 1 || args[0].kind != KUMI_CV_OWN) return kumi_error_new(h->store, KUMI_ERR_TRAP, "consume: bad args");
  h->consumed++;
  h->consumed_rep = args[0].of.handle;
  *r = kumi_cval_int(KUMI_CV_U32, (int64_t)args[0].of.handle + 1);
  return NULL;
}
static kumi_error *h_add(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)a;
  host *h = env;
  if (n != 2) return kumi_error_new(h->store, KUMI_ERR_TRAP, "add: bad args");
  h->adds++;
  *r = kumi_cval_int(KUMI_CV_U32, (int64_t)(uint32_t)(args[0].of.u + args[1].of.u));
  return NULL;
}
static void h_dtor(void *env, uint32_t rep) {
  host *h = env;
  h->dtors++;
  h->dtor_rep = rep;
}

/* Defines the streams interface at version sv (typed or not), fs/types at
 * fv, and the top-level items. NULL skips an interface. */
static bool define_host(kumi_component_linker *l, host *h, const char *sv, const char *fv, bool typed) {
  char si[64], fi[64];
  bool ok = true;
  if (sv) {
    snprintf(si, sizeof si, "test:io/streams@%s", sv);
    ok = ok && !kumi_component_linker_define_resource(l, si, "stream", h_dtor, h);
    ok = ok && !kumi_component_linker_define_func(l, si, "make", typed ? "func(x: u32) -> stream" : NULL, h_make, h);
    ok = ok && !kumi_component_linker_define_func(l, si, "[method]stream.get",
                                                  typed ? "func(self: borrow<stream>) -> u32" : NULL, h_get, h);
  }
  if (fv) {
    snprintf(fi, sizeof fi, "test:fs/types@%s", fv);
    ok = ok && !kumi_component_linker_define_func(l, fi, "consume", NULL, h_consume, h);
  }
  return ok;
}

static bool define_top(kumi_component_linker *l, host *h, const char *add_type) {
  return !kumi_component_linker_define_func(l, NULL, "add", add_type, h_add, h) &&
         !kumi_component_linker_define_resource(l, NULL, "thing", NULL, h);
}

/* One engine, store, component and linker. */
typedef struct env {
  kumi_engine *eng;
  kumi_store *store;
  kumi_component *c;
  kumi_component_linker *l;
  kumi_component_instance *inst;
} env;

static bool env_new(env *e, const kumi_allocator *a, const char *sv, const char *fv) {
  memset(e, 0, sizeof *e);
  kumi_config cfg = {a, 0};
  e->eng = kumi_engine_new(&cfg);
  e->store = e->eng ? kumi_store_new(e->eng, NULL) : NULL;
  e->l = e->eng ? kumi_component_linker_new(e->eng) : NULL;
  bb b = make_component(sv, fv);
  kumi_error *err = NULL;
  comp_features feats = comp_features_default();
  feats.values = true; /* a start section needs the 🪙 feature */
  e->c = e->store ? comp_rt_new(e->eng, b.p, b.len, &feats, &err) : NULL;
  free(b.p);
  if (err && !a) fprintf(stderr, "component: %s\n", kumi_error_message(err));
  kumi_error_free(err);
  return e->c && e->l;
}

static void env_free(env *e) {
  kumi_component_instance_free(e->inst);
  kumi_component_linker_free(e->l);
  kumi_component_free(e->c);
  if (e->store) kumi_store_free(e->store);
  kumi_engine_free(e->eng);
}

/* Instantiates; returns the error kind (0: ok) and copies the message. */
static kumi_error_kind inst(env *e, char *msg, size_t cap) {
  kumi_error *err = NULL;
  e->inst = kumi_component_linker_instantiate(e->l, e->store, e->c, &err);
  kumi_error_kind k = err ? kumi_error_kind_of(err) : (kumi_error_kind)0;
  if (msg && cap) snprintf(msg, cap, "%s", err ? kumi_error_message(err) : "");
  kumi_error_free(err);
  if (!e->inst && !k) k = KUMI_ERR_OOM;
  return k;
}

/* Calls export name(x); *out its u32 result. */
static kumi_error *call(env *e, const char *name, uint32_t x, uint32_t *out) {
  kumi_component_func *f = kumi_component_instance_func(e->inst, NULL, name);
  if (!f) return kumi_error_new(e->store, KUMI_ERR_ARG, "no such export");
  kumi_cval arg = kumi_cval_int(KUMI_CV_U32, x), r = kumi_cval_bool(false);
  kumi_error *err = kumi_component_func_call(e->store, f, &arg, 1, &r, 1);
  if (!err) *out = r.kind == KUMI_CV_U32 ? (uint32_t)r.of.u : 0xdeadbeef;
  kumi_cval_free(NULL, &r);
  return err;
}

/* Links with the given versions; true when instantiation succeeds. */
static bool links(const char *import_sv, const char *host_sv, char *msg, size_t cap) {
  env e;
  host h = {0};
  bool ok = env_new(&e, NULL, import_sv, "0.2.3");
  h.store = e.store;
  ok = ok && define_host(e.l, &h, host_sv, "0.2.3", true) && define_top(e.l, &h, NULL);
  ok = ok && inst(&e, msg, cap) == 0;
  env_free(&e);
  return ok;
}

static void test_calls(void) {
  env e;
  host h = {0};
  CHECK(env_new(&e, NULL, "0.2.3", "0.2.3"));
  h.store = e.store;
  CHECK(define_host(e.l, &h, "0.2.12", "0.2.5", true));
  CHECK(define_top(e.l, &h, "func(a: u32, b: u32) -> u32"));
  char msg[1024];
  kumi_error_kind k = inst(&e, msg, sizeof msg);
  CHECKF(k == 0, "instantiate: %s", msg);
  CHECKF(h.adds == 1, "the start function ran at instantiation (%d)", h.adds);
  uint32_t r = 0;
  kumi_error *err = call(&e, "run", 5, &r);
  /* make(5) = rep 105; get = 210; consume takes rep 105 back: 106 */
  CHECKF(!err && r == 316, "run(5) = %u (%s)", r, err ? kumi_error_message(err) : "");
  kumi_error_free(err);
  CHECK(h.made == 1 && h.gets == 1 && h.consumed == 1 && h.consumed_rep == 105);
  CHECKF(h.dtors == 0, "a resource the host took back is not destroyed");
  err = call(&e, "run-drop", 9, &r);
  CHECK(!err && r == 7);
  kumi_error_free(err);
  CHECKF(h.dtors == 1 && h.dtor_rep == 109, "resource.drop runs the host dtor (%d, %u)", h.dtors, h.dtor_rep);
  err = call(&e, "run-add", 23, &r);
  CHECKF(!err && r == 1023, "top-level host function: %u", r);
  kumi_error_free(err);

  /* an exit request from the host ends the call; the instance stays usable */
  h.fail_get = 2;
  err = call(&e, "run", 1, &r);
  CHECK(err && kumi_error_kind_of(err) == KUMI_ERR_EXIT && kumi_error_exit_code(err) == 3);
  kumi_error_free(err);
  h.fail_get = 0;
  err = call(&e, "run-add", 1, &r);
  CHECK(!err && r == 1001);
  kumi_error_free(err);

  /* a host function calling back into the instance that called it traps
   * (may_enter); the outer call goes on */
  h.reenter = kumi_component_instance_func(e.inst, NULL, "run-add");
  h.reenter_kind = (kumi_error_kind)0;
  err = call(&e, "run", 5, &r);
  CHECKF(!err && r == 316 && h.reenter_kind == KUMI_ERR_TRAP, "reentry: %d", (int)h.reenter_kind);
  kumi_error_free(err);
  h.reenter = NULL;

  /* a trap in the host is a trap of the call, and a trap locks the
   * instance down (Explainer.md, component invariant 1) */
  h.fail_get = 1;
  err = call(&e, "run", 1, &r);
  CHECK(err && kumi_error_kind_of(err) == KUMI_ERR_TRAP && strstr(kumi_error_message(err), "boom"));
  kumi_error_free(err);
  h.fail_get = 0;
  err = call(&e, "run-add", 1, &r);
  CHECK(err && kumi_error_kind_of(err) == KUMI_ERR_TRAP && strstr(kumi_error_message(err), "cannot enter component instance"));
  kumi_error_free(err);
  env_free(&e);
}

static void test_semver(void) {
  char msg[1024];
  CHECKF(links("0.2.3", "0.2.12", msg, sizeof msg), "0.2.3 from 0.2.12: %s", msg);
  CHECK(!links("0.2.3", "0.3.0", msg, sizeof msg));
  CHECKF(strstr(msg, "test:io/streams@0.2.3") && strstr(msg, "0.3.0"), "the error names the import and what the linker has: %s", msg);
  CHECK(!links("0.2.12", "0.2.3", msg, sizeof msg)); /* lower */
  CHECKF(links("1.2.0", "1.5.1", msg, sizeof msg), "1.2.0 from 1.5.1: %s", msg);
  CHECK(!links("1.2.0", "1.1.9", msg, sizeof msg));
  CHECK(!links("1.2.0", "2.0.0", msg, sizeof msg));
  CHECK(!links("0.0.3", "0.0.4", msg, sizeof msg));
  CHECK(links("0.0.3", "0.0.3", msg, sizeof msg));
  CHECK(!links("1.0.0-rc.1", "1.0.0", msg, sizeof msg)); /* pre-releases match exactly only */
  CHECK(links("1.0.0-rc.1", "1.0.0-rc.1", msg, sizeof msg));
  CHECK(!links("1.0.0", "1.0.1-rc.1", msg, sizeof msg));

  /* exact preferred, else the highest compatible */
  const char *versions[3][4] = {
      {"0.2.3", "0.2.3", "0.2.12", "0.2.3"},  /* import, host A, host B, expected */
      {"0.2.3", "0.2.5", "0.2.12", "0.2.12"},
      {"0.2.3", "0.2.12", "0.2.4", "0.2.12"},
  };
  for (int i = 0; i < 3; i++) {
    env e;
    host a = {0}, b = {0};
    CHECK(env_new(&e, NULL, versions[i][0], "0.2.3"));
    a.store = b.store = e.store;
    a.tag = 1;
    b.tag = 2;
    CHECK(define_host(e.l, &a, versions[i][1], "0.2.3", true) && define_host(e.l, &b, versions[i][2], NULL, false) &&
          define_top(e.l, &a, NULL));
    CHECKF(inst(&e, msg, sizeof msg) == 0, "%s", msg);
    uint32_t r;
    kumi_error *err = call(&e, "run", 1, &r);
    CHECK(!err);
    kumi_error_free(err);
    int want = strcmp(versions[i][3], versions[i][1]) == 0 ? 1 : 2;
    CHECKF((want == 1 ? a.made : b.made) == 1 && (want == 1 ? b.made : a.made) == 0, "import %s picks %s",
           versions[i][0], versions[i][3]);
    env_free(&e);
  }
}

static void test_errors(void) {
  char msg[1024];
  env e;
  host h = {0};

  /* no host definitions: kumi_component_instantiate */
  CHECK(env_new(&e, NULL, "0.2.3", "0.2.3"));
  kumi_error *err = NULL;
  kumi_component_instance *ci = kumi_component_instantiate(e.store, e.c, &err);
  CHECK(!ci && err && kumi_error_kind_of(err) == KUMI_ERR_LINK && strstr(kumi_error_message(err), "test:io/streams@0.2.3"));
  kumi_error_free(err);
  env_free(&e);

  /* a mistyped host function */
  CHECK(env_new(&e, NULL, "0.2.3", "0.2.3"));
  h.store = e.store;
  CHECK(!kumi_component_linker_define_resource(e.l, "test:io/streams@0.2.3", "stream", NULL, NULL));
  CHECK(!kumi_component_linker_define_func(e.l, "test:io/streams@0.2.3", "make", "func(x: u32) -> u32", h_make, &h));
  CHECK(inst(&e, msg, sizeof msg) == KUMI_ERR_LINK);
  CHECKF(strstr(msg, "make") && strstr(msg, "func(x: u32) -> own<stream>") && strstr(msg, "func(x: u32) -> u32"),
         "the error names the item, the expected type and the host's: %s", msg);
  env_free(&e);

  /* a missing item */
  CHECK(env_new(&e, NULL, "0.2.3", "0.2.3"));
  CHECK(!kumi_component_linker_define_resource(e.l, "test:io/streams@0.2.3", "stream", NULL, NULL));
  CHECK(!kumi_component_linker_define_func(e.l, "test:io/streams@0.2.3", "make", NULL, h_make, &h));
  CHECK(inst(&e, msg, sizeof msg) == KUMI_ERR_LINK);
  CHECKF(strstr(msg, "[method]stream.get") && strstr(msg, "func(self: borrow<stream>) -> u32") && strstr(msg, "make"),
         "missing item: %s", msg);
  env_free(&e);

  /* a top-level function with the wrong type; a function for a resource */
  CHECK(env_new(&e, NULL, "0.2.3", "0.2.3"));
  CHECK(define_host(e.l, &h, "0.2.3", "0.2.3", true) && define_top(e.l, &h, "func(a: u32, b: u64) -> u32"));
  CHECK(inst(&e, msg, sizeof msg) == KUMI_ERR_LINK);
  CHECKF(strstr(msg, "\"add\"") && strstr(msg, "func(a: u32, b: u32) -> u32"), "top-level: %s", msg);
  env_free(&e);
  CHECK(env_new(&e, NULL, "0.2.3", "0.2.3"));
  CHECK(define_host(e.l, &h, "0.2.3", "0.2.3", true));
  CHECK(!kumi_component_linker_define_func(e.l, NULL, "add", NULL, h_add, &h));
  CHECK(!kumi_component_linker_define_func(e.l, NULL, "thing", NULL, h_add, &h));
  CHECK(inst(&e, msg, sizeof msg) == KUMI_ERR_LINK && strstr(msg, "thing"));

  /* the linker's own checks */
  err = kumi_component_linker_define_func(e.l, NULL, "add", NULL, h_add, &h);
  CHECK(err && kumi_error_kind_of(err) == KUMI_ERR_ARG); /* twice */
  kumi_error_free(err);
  err = kumi_component_linker_define_func(e.l, "x:y/z", "f", "func(a: u32 -> u32", h_add, &h);
  CHECK(err && kumi_error_kind_of(err) == KUMI_ERR_ARG); /* bad type syntax */
  kumi_error_free(err);
  err = kumi_component_linker_define_func(e.l, "x:y/z", "g", "func(a: r, b: borrow<r>, c: list<option<r>>) -> "
                                          "result<tuple<r, string>, list<u8>>", h_add, &h);
  CHECK(!err);
  kumi_error_free(err);
  err = kumi_component_linker_define_func(e.l, "x:y/z", "h", NULL, NULL, &h);
  CHECK(err && kumi_error_kind_of(err) == KUMI_ERR_ARG); /* no function */
  kumi_error_free(err);
  env_free(&e);

  /* a typed function naming a resource its interface lacks */
  CHECK(env_new(&e, NULL, "0.2.3", "0.2.3"));
  CHECK(define_host(e.l, &h, "0.2.3", NULL, true) && define_top(e.l, &h, NULL));
  CHECK(!kumi_component_linker_define_func(e.l, "test:fs/types@0.2.3", "consume", "func(s: own<nothing>) -> u32",
                                           h_consume, &h));
  CHECK(inst(&e, msg, sizeof msg) == KUMI_ERR_LINK);
  CHECKF(strstr(msg, "consume") && strstr(msg, "own<stream>"), "%s", msg);
  env_free(&e);

  /* ... but one the imported interface uses from another (an eq-bound type
   * export, as `use` in WIT) may be named */
  CHECK(env_new(&e, NULL, "0.2.3", "0.2.3"));
  h.store = e.store;
  CHECK(define_host(e.l, &h, "0.2.3", NULL, true) && define_top(e.l, &h, NULL));
  CHECK(!kumi_component_linker_define_func(e.l, "test:fs/types@0.2.3", "consume", "func(s: stream) -> u32", h_consume, &h));
  CHECKF(inst(&e, msg, sizeof msg) == 0, "%s", msg);
  uint32_t r = 0;
  h.consumed = 0;
  err = call(&e, "run", 1, &r);
  CHECK(!err && r == 101 * 2 + 102 && h.consumed == 1);
  kumi_error_free(err);
  env_free(&e);

  /* the anonymous-type syntax the linker takes */
  CHECK(env_new(&e, NULL, "0.2.3", "0.2.3"));
  err = kumi_component_linker_define_func(e.l, "x:y/z", "k",
                                          "func(e: enum{a, b}, f: flags{x, y}, v: variant{c, d(u32), e(r)}, "
                                          "q: record{l: u32, m: option<r>}, t: tuple<>) -> result",
                                          h_add, &h);
  CHECKF(!err, "%s", err ? kumi_error_message(err) : "");
  kumi_error_free(err);
  err = kumi_component_linker_define_func(e.l, "x:y/z", "l", "func() -> list<u8", h_add, &h);
  CHECK(err && kumi_error_kind_of(err) == KUMI_ERR_ARG);
  kumi_error_free(err);
  env_free(&e);
}

/* ---- a real WASI 0.2 command (wasi-testsuite, assemblyscript-wasip2-adapted,
 * fd_write-to-stdout.wasm: writes "hello" to stdout) against a tiny host:
 * interfaces at a newer patch version than the component's @0.2.12, typed
 * functions using a resource of another interface (`error` in wasi:io/
 * streams), strings of bytes in and out, own handles passed between
 * interfaces. Skipped when the shared data is not there. */

typedef struct wasi_host {
  kumi_store *store;
  char out[256];
  size_t out_len;
  int exit_code, dtors;
} wasi_host;

static kumi_error *w_handle(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)env, (void)a, (void)args, (void)n;
  *r = kumi_cval_handle(KUMI_CV_OWN, 1);
  return NULL;
}
static kumi_error *w_write(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  wasi_host *h = env;
  if (n != 2 || args[0].kind != KUMI_CV_BORROW || args[0].of.handle != 1 || args[1].kind != KUMI_CV_LIST)
    return kumi_error_new(h->store, KUMI_ERR_TRAP, "write: bad arguments");
  for (size_t i = 0; i < args[1].of.agg.len && h->out_len + 1 < sizeof h->out; i++)
    h->out[h->out_len++] = (char)args[1].of.agg.items[i].of.u;
  return kumi_cval_case(a, KUMI_CV_RESULT, 0, NULL, r) ? NULL : kumi_error_new(h->store, KUMI_ERR_OOM, "oom");
}
static kumi_error *w_check_write(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)args, (void)n;
  wasi_host *h = env;
  kumi_cval p = kumi_cval_int(KUMI_CV_U64, 4096);
  return kumi_cval_case(a, KUMI_CV_RESULT, 0, &p, r) ? NULL : kumi_error_new(h->store, KUMI_ERR_OOM, "oom");
}
static kumi_error *w_ok(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)args, (void)n;
  wasi_host *h = env;
  return kumi_cval_case(a, KUMI_CV_RESULT, 0, NULL, r) ? NULL : kumi_error_new(h->store, KUMI_ERR_OOM, "oom");
}
static kumi_error *w_empty(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)args, (void)n;
  wasi_host *h = env;
  return kumi_cval_agg(a, KUMI_CV_LIST, 0, r) ? NULL : kumi_error_new(h->store, KUMI_ERR_OOM, "oom");
}
static kumi_error *w_exit(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)a, (void)r;
  wasi_host *h = env;
  if (n != 1 || args[0].kind != KUMI_CV_RESULT) return kumi_error_new(h->store, KUMI_ERR_TRAP, "exit: bad arguments");
  h->exit_code = (int)args[0].of.var.index;
  return kumi_error_new_exit(h->store, h->exit_code);
}
static kumi_error *w_trap(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)a, (void)args, (void)n, (void)r;
  wasi_host *h = env;
  return kumi_error_new(h->store, KUMI_ERR_TRAP, "not in this test host");
}
static void w_dtor(void *env, uint32_t rep) {
  (void)rep;
  ((wasi_host *)env)->dtors++;
}

static uint8_t *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *b = NULL;
  if (fseek(f, 0, SEEK_END) == 0) {
    long n = ftell(f);
    if (n > 0 && fseek(f, 0, SEEK_SET) == 0 && (b = malloc((size_t)n)) && fread(b, 1, (size_t)n, f) != (size_t)n) {
      free(b);
      b = NULL;
    }
    *len = (size_t)n;
  }
  fclose(f);
  return b;
}

static void test_wasi_command(void) {
  char path[1024];
  const char *here = __FILE__, *slash = strrchr(here, '/');
  snprintf(path, sizeof path, "%.*s/../../../shared/conformance/wasi-testsuite/assemblyscript-wasip2-adapted/"
           "fd_write-to-stdout.wasm", slash ? (int)(slash - here) : 1, slash ? here : ".");
  size_t len = 0;
  uint8_t *bytes = read_all(path, &len);
  if (!bytes) {
    printf("skipped: no %s\n", path);
    return;
  }
  kumi_engine *eng = kumi_engine_new(NULL);
  kumi_store *st = kumi_store_new(eng, NULL);
  kumi_error *err = NULL;
  kumi_component *c = kumi_component_new(eng, bytes, len, &err);
  free(bytes);
  CHECKF(c != NULL, "load: %s", err ? kumi_error_message(err) : "");
  kumi_error_free(err);
  err = NULL;
  wasi_host h = {st, {0}, 0, -1, 0};
  kumi_component_linker *l = kumi_component_linker_new(eng);
  const char *io = "wasi:io/streams@0.2.13", *fs = "wasi:filesystem/types@0.2.13";
  const char *stream_error = "variant{last-operation-failed(error), closed}";
  char t1[200], t2[200];
  snprintf(t1, sizeof t1, "func(self: borrow<output-stream>, contents: list<u8>) -> result<_, %s>", stream_error);
  snprintf(t2, sizeof t2, "func(self: borrow<output-stream>) -> result<u64, %s>", stream_error);
  bool ok = !kumi_component_linker_define_func(l, "wasi:cli/exit@0.2.13", "exit", "func(status: result)", w_exit, &h) &&
            !kumi_component_linker_define_resource(l, "wasi:io/error@0.2.13", "error", NULL, &h) &&
            !kumi_component_linker_define_resource(l, io, "output-stream", w_dtor, &h) &&
            !kumi_component_linker_define_resource(l, io, "input-stream", w_dtor, &h) &&
            !kumi_component_linker_define_func(l, io, "[method]output-stream.check-write", t2, w_check_write, &h) &&
            !kumi_component_linker_define_func(l, io, "[method]output-stream.write", t1, w_write, &h) &&
            !kumi_component_linker_define_func(l, io, "[method]output-stream.blocking-write-and-flush", t1, w_write, &h) &&
            !kumi_component_linker_define_func(l, io, "[method]output-stream.blocking-flush", NULL, w_ok, &h) &&
            !kumi_component_linker_define_func(l, "wasi:cli/stdin@0.2.13", "get-stdin", "func() -> input-stream",
                                               w_handle, &h) &&
            !kumi_component_linker_define_func(l, "wasi:cli/stdout@0.2.13", "get-stdout", "func() -> output-stream",
                                               w_handle, &h) &&
            !kumi_component_linker_define_func(l, "wasi:cli/stderr@0.2.13", "get-stderr", NULL, w_handle, &h) &&
            !kumi_component_linker_define_resource(l, fs, "descriptor", NULL, &h) &&
            !kumi_component_linker_define_func(l, "wasi:filesystem/preopens@0.2.13", "get-directories", NULL, w_empty, &h);
  const char *traps[] = {"[method]descriptor.write-via-stream", "[method]descriptor.append-via-stream",
                         "[method]descriptor.get-type", "[method]descriptor.stat", "filesystem-error-code"};
  for (size_t i = 0; i < sizeof traps / sizeof traps[0]; i++)
    ok = ok && !kumi_component_linker_define_func(l, fs, traps[i], NULL, w_trap, &h);
  CHECK(ok);
  kumi_component_instance *inst = c ? kumi_component_linker_instantiate(l, st, c, &err) : NULL;
  CHECKF(inst != NULL, "instantiate: %s", err ? kumi_error_message(err) : "");
  kumi_error_free(err);
  err = NULL;
  kumi_component_func *run = kumi_component_instance_func(inst, "wasi:cli/run@0.2.12", "run");
  CHECK(run != NULL);
  if (run) {
    kumi_cval r = kumi_cval_bool(false);
    err = kumi_component_func_call(st, run, NULL, 0, &r, 1);
    /* run returns result (ok) or the guest called exit(ok) */
    bool ran = (!err && r.kind == KUMI_CV_RESULT && r.of.var.index == 0) ||
               (err && kumi_error_kind_of(err) == KUMI_ERR_EXIT && kumi_error_exit_code(err) == 0);
    CHECKF(ran, "run: %s", err ? kumi_error_message(err) : "returned");
    kumi_cval_free(NULL, &r);
    kumi_error_free(err);
    CHECKF(h.out_len >= 5 && memcmp(h.out, "hello", 5) == 0, "stdout: \"%.*s\"", (int)h.out_len, h.out);
  }
  kumi_component_instance_free(inst);
  kumi_component_linker_free(l);
  kumi_component_free(c);
  kumi_store_free(st);
  kumi_engine_free(eng);
}

/* One full run with allocator a: instantiate and call run(5). */
static kumi_error_kind run_all(const kumi_allocator *a, uint32_t *out) {
  env e;
  host h = {0};
  kumi_error_kind k = KUMI_ERR_OOM;
  if (env_new(&e, a, "0.2.3", "0.2.3")) {
    h.store = e.store;
    if (define_host(e.l, &h, "0.2.12", "0.2.3", true) && define_top(e.l, &h, "func(a: u32, b: u32) -> u32")) {
      k = inst(&e, NULL, 0);
      if (!k) {
        kumi_error *err = call(&e, "run", 5, out);
        k = err ? kumi_error_kind_of(err) : (kumi_error_kind)0;
        kumi_error_free(err);
      }
    }
  }
  env_free(&e);
  return k;
}

static void test_allocation(void) {
  test_alloc ta;
  kumi_allocator a = test_alloc_init(&ta, -1);
  uint32_t r = 0;
  CHECK(run_all(&a, &r) == 0 && r == 316);
  CHECK(test_alloc_clean(&ta));
  long total = ta.allocs;
  bool clean = true, ok = true;
  for (long n = 0; n < total; n++) {
    a = test_alloc_init(&ta, n);
    r = 0;
    kumi_error_kind k = run_all(&a, &r);
    if (!k && r != 316) ok = false;
    if (!test_alloc_clean(&ta)) clean = false;
  }
  CHECKF(ok, "allocation failures give an error or the result");
  CHECKF(clean, "allocation failures leak nothing");
}

int main(void) {
  test_calls();
  test_semver();
  test_errors();
  test_allocation();
  test_wasi_command();
  return test_summary();
}
