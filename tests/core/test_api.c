/* The public API on small modules: linking with host functions, calls,
 * memory, globals, tables, traps with backtraces, link errors, the 2.0
 * instantiation order, limits, and that every byte is freed. The modules
 * are wat2wasm --debug-names output; their text is beside each array.
 * Prints "N passed, N failed" and exits non-zero on any failure. */
#include "kumi.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"

/* main.wat:
   (module $main
     (import "host" "double" (func $double (param i32) (result i32)))
     (import "host" "peek" (func $peek (param i32) (result i32)))
     (import "host" "fail" (func $fail))
     (memory (export "mem") 1 4)
     (global $g (export "g") (mut i32) (i32.const 42))
     (global (export "gc") i64 (i64.const -7))
     (table (export "tab") 3 funcref)
     (elem (i32.const 0) $add $double)
     (data (i32.const 16) "hello")
     (func $add (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
     (func (export "call_double") (param i32) (result i32) (call $double (local.get 0)))
     (func (export "call_peek") (param i32) (result i32) (call $peek (local.get 0)))
     (func (export "call_fail") (call $fail))
     (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
     (func (export "get_g") (result i32) (global.get $g))
     (func (export "f64id") (param f64) (result f64) (local.get 0))
     (func (export "swap") (param i64 f32) (result f32 i64) (local.get 1) (local.get 0))
     (func $inner (unreachable))
     (func $middle (call $inner))
     (func $trap (export "trap") (call $middle))
     (export "a\00b" (func $add))
     (func (export "call_tab") (param i32 i32 i32) (result i32)
       (call_indirect (param i32 i32) (result i32) (local.get 0) (local.get 1) (local.get 2)))
   ) */
static const uint8_t main_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x26, 0x07, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x60, 0x00, 0x00, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x01, 0x7f, 0x60, 0x01, 0x7c,
    0x01, 0x7c, 0x60, 0x02, 0x7e, 0x7d, 0x02, 0x7d, 0x7e, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x01, 0x7f,
    0x02, 0x27, 0x03, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x06, 0x64, 0x6f, 0x75, 0x62, 0x6c, 0x65, 0x00,
    0x00, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x04, 0x70, 0x65, 0x65, 0x6b, 0x00, 0x00, 0x04, 0x68, 0x6f,
    0x73, 0x74, 0x04, 0x66, 0x61, 0x69, 0x6c, 0x00, 0x01, 0x03, 0x0d, 0x0c, 0x02, 0x00, 0x00, 0x01,
    0x00, 0x03, 0x04, 0x05, 0x01, 0x01, 0x01, 0x06, 0x04, 0x04, 0x01, 0x70, 0x00, 0x03, 0x05, 0x04,
    0x01, 0x01, 0x01, 0x04, 0x06, 0x0b, 0x02, 0x7f, 0x01, 0x41, 0x2a, 0x0b, 0x7e, 0x00, 0x42, 0x79,
    0x0b, 0x07, 0x78, 0x0f, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01, 0x67, 0x03, 0x00, 0x02, 0x67,
    0x63, 0x03, 0x01, 0x03, 0x74, 0x61, 0x62, 0x01, 0x00, 0x03, 0x61, 0x64, 0x64, 0x00, 0x03, 0x0b,
    0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x64, 0x6f, 0x75, 0x62, 0x6c, 0x65, 0x00, 0x04, 0x09, 0x63, 0x61,
    0x6c, 0x6c, 0x5f, 0x70, 0x65, 0x65, 0x6b, 0x00, 0x05, 0x09, 0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x66,
    0x61, 0x69, 0x6c, 0x00, 0x06, 0x04, 0x6c, 0x6f, 0x61, 0x64, 0x00, 0x07, 0x05, 0x67, 0x65, 0x74,
    0x5f, 0x67, 0x00, 0x08, 0x05, 0x66, 0x36, 0x34, 0x69, 0x64, 0x00, 0x09, 0x04, 0x73, 0x77, 0x61,
    0x70, 0x00, 0x0a, 0x04, 0x74, 0x72, 0x61, 0x70, 0x00, 0x0d, 0x03, 0x61, 0x00, 0x62, 0x00, 0x03,
    0x08, 0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x74, 0x61, 0x62, 0x00, 0x0e, 0x09, 0x08, 0x01, 0x00, 0x41,
    0x00, 0x0b, 0x02, 0x03, 0x00, 0x0a, 0x4f, 0x0c, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,
    0x06, 0x00, 0x20, 0x00, 0x10, 0x00, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x10, 0x01, 0x0b, 0x04, 0x00,
    0x10, 0x02, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x2d, 0x00, 0x00, 0x0b, 0x04, 0x00, 0x23, 0x00, 0x0b,
    0x04, 0x00, 0x20, 0x00, 0x0b, 0x06, 0x00, 0x20, 0x01, 0x20, 0x00, 0x0b, 0x03, 0x00, 0x00, 0x0b,
    0x04, 0x00, 0x10, 0x0b, 0x0b, 0x04, 0x00, 0x10, 0x0c, 0x0b, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01,
    0x20, 0x02, 0x11, 0x02, 0x00, 0x0b, 0x0b, 0x0b, 0x01, 0x00, 0x41, 0x10, 0x0b, 0x05, 0x68, 0x65,
    0x6c, 0x6c, 0x6f, 0x00, 0x64, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x00, 0x05, 0x04, 0x6d, 0x61, 0x69,
    0x6e, 0x01, 0x2f, 0x07, 0x00, 0x06, 0x64, 0x6f, 0x75, 0x62, 0x6c, 0x65, 0x01, 0x04, 0x70, 0x65,
    0x65, 0x6b, 0x02, 0x04, 0x66, 0x61, 0x69, 0x6c, 0x03, 0x03, 0x61, 0x64, 0x64, 0x0b, 0x05, 0x69,
    0x6e, 0x6e, 0x65, 0x72, 0x0c, 0x06, 0x6d, 0x69, 0x64, 0x64, 0x6c, 0x65, 0x0d, 0x04, 0x74, 0x72,
    0x61, 0x70, 0x02, 0x1f, 0x0f, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00, 0x05,
    0x00, 0x06, 0x00, 0x07, 0x00, 0x08, 0x00, 0x09, 0x00, 0x0a, 0x00, 0x0b, 0x00, 0x0c, 0x00, 0x0d,
    0x00, 0x0e, 0x00, 0x07, 0x04, 0x01, 0x00, 0x01, 0x67,
};
/* user.wat:
   (module
     (import "main" "add" (func $add (param i32 i32) (result i32)))
     (import "main" "mem" (memory 1))
     (import "main" "g" (global $g (mut i32)))
     (func (export "add3") (param i32) (result i32) (call $add (local.get 0) (global.get $g)))
     (func (export "load") (result i32) (i32.load8_u (i32.const 17)))
   ) */
static const uint8_t user_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x10, 0x03, 0x60, 0x02, 0x7f, 0x7f, 0x01,
    0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x01, 0x7f, 0x02, 0x22, 0x03, 0x04, 0x6d, 0x61,
    0x69, 0x6e, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00, 0x04, 0x6d, 0x61, 0x69, 0x6e, 0x03, 0x6d, 0x65,
    0x6d, 0x02, 0x00, 0x01, 0x04, 0x6d, 0x61, 0x69, 0x6e, 0x01, 0x67, 0x03, 0x7f, 0x01, 0x03, 0x03,
    0x02, 0x01, 0x02, 0x07, 0x0f, 0x02, 0x04, 0x61, 0x64, 0x64, 0x33, 0x00, 0x01, 0x04, 0x6c, 0x6f,
    0x61, 0x64, 0x00, 0x02, 0x0a, 0x12, 0x02, 0x08, 0x00, 0x20, 0x00, 0x23, 0x00, 0x10, 0x00, 0x0b,
    0x07, 0x00, 0x41, 0x11, 0x2d, 0x00, 0x00, 0x0b, 0x00, 0x1c, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x01,
    0x06, 0x01, 0x00, 0x03, 0x61, 0x64, 0x64, 0x02, 0x07, 0x03, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00,
    0x07, 0x04, 0x01, 0x00, 0x01, 0x67,
};
/* missing.wat:
   (module (import "env" "missing" (func (param i32)))) */
static const uint8_t missing_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00, 0x02,
    0x0f, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x07, 0x6d, 0x69, 0x73, 0x73, 0x69, 0x6e, 0x67, 0x00, 0x00,
    0x00, 0x0a, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x02, 0x03, 0x01, 0x00, 0x00,
};
/* badtype.wat:
   (module (import "main" "add" (func (param i64) (result i32)))) */
static const uint8_t badtype_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7e, 0x01, 0x7f,
    0x02, 0x0c, 0x01, 0x04, 0x6d, 0x61, 0x69, 0x6e, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00, 0x00, 0x0a,
    0x04, 0x6e, 0x61, 0x6d, 0x65, 0x02, 0x03, 0x01, 0x00, 0x00,
};
/* badmem.wat:
   (module (import "main" "mem" (memory 1 2))) */
static const uint8_t badmem_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x02, 0x0e, 0x01, 0x04, 0x6d, 0x61, 0x69, 0x6e,
    0x03, 0x6d, 0x65, 0x6d, 0x02, 0x01, 0x01, 0x02,
};
/* bigmem.wat:
   (module (import "main" "mem" (memory 2))) */
static const uint8_t bigmem_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x02, 0x0d, 0x01, 0x04, 0x6d, 0x61, 0x69, 0x6e,
    0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x02,
};
/* partial.wat:
   (module
     (import "main" "tab" (table 3 funcref))
     (import "main" "mem" (memory 1))
     (func $f (result i32) (i32.const 7))
     (elem (i32.const 2) $f)
     (elem (i32.const 100) $f)
     (data (i32.const 0) "never")
   ) */
static const uint8_t partial_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, 0x02,
    0x1a, 0x02, 0x04, 0x6d, 0x61, 0x69, 0x6e, 0x03, 0x74, 0x61, 0x62, 0x01, 0x70, 0x00, 0x03, 0x04,
    0x6d, 0x61, 0x69, 0x6e, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01, 0x03, 0x02, 0x01, 0x00, 0x09,
    0x0e, 0x02, 0x00, 0x41, 0x02, 0x0b, 0x01, 0x00, 0x00, 0x41, 0xe4, 0x00, 0x0b, 0x01, 0x00, 0x0a,
    0x06, 0x01, 0x04, 0x00, 0x41, 0x07, 0x0b, 0x0b, 0x0b, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x05, 0x6e,
    0x65, 0x76, 0x65, 0x72,
};
/* start.wat:
   (module
     (import "main" "mem" (memory 1))
     (data (i32.const 32) "start")
     (func $s (unreachable))
     (start $s)
   ) */
static const uint8_t start_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x02, 0x0d,
    0x01, 0x04, 0x6d, 0x61, 0x69, 0x6e, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01, 0x03, 0x02, 0x01,
    0x00, 0x08, 0x01, 0x00, 0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b, 0x0b, 0x0b, 0x01, 0x00, 0x41,
    0x20, 0x0b, 0x05, 0x73, 0x74, 0x61, 0x72, 0x74, 0x00, 0x10, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x01,
    0x04, 0x01, 0x00, 0x01, 0x73, 0x02, 0x03, 0x01, 0x00, 0x00,
};

/* ---- host functions ----------------------------------------------------- */

static kumi_error *host_double(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  (void)caller;
  (*(int *)env)++;
  results[0] = kumi_val_i32(args[0].of.i32 * 2);
  return NULL;
}

/* Reads a byte of the caller's exported memory "mem". */
static kumi_error *host_peek(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  (void)env;
  kumi_memory *m = kumi_caller_memory(caller, "mem");
  if (!m) return kumi_error_new(kumi_caller_store(caller), KUMI_ERR_TRAP, "no memory");
  uint8_t b;
  kumi_error *e = kumi_memory_read(m, (uint32_t)args[0].of.i32, &b, 1);
  if (e) return e;
  results[0] = kumi_val_i32(b);
  return NULL;
}

static kumi_error *host_fail(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  (void)env, (void)args, (void)results;
  return kumi_error_new(kumi_caller_store(caller), KUMI_ERR_TRAP, "boom");
}

static const kumi_valkind k_i32[] = {KUMI_I32, KUMI_I32};
static const kumi_functype t_i32_i32 = {1, 1, k_i32, k_i32};
static const kumi_functype t_void = {0, 0, NULL, NULL};

/* Calls an export taking and returning i32s; returns the error, if any. */
static kumi_error *call_i32(kumi_store *s, kumi_instance *inst, const char *name, const int32_t *in, size_t nin,
                            int32_t *out) {
  kumi_func *f = kumi_instance_func(inst, name);
  if (!f) return kumi_error_new(s, KUMI_ERR_ARG, "no such export");
  kumi_val args[4], res[1];
  for (size_t i = 0; i < nin; i++) args[i] = kumi_val_i32(in[i]);
  kumi_error *e = kumi_func_call(s, f, args, nin, res, kumi_func_type(f)->nresults);
  if (!e && out && kumi_func_type(f)->nresults) *out = res[0].of.i32;
  return e;
}

/* Expects a call to succeed with one i32 result. */
static int32_t expect_i32(kumi_store *s, kumi_instance *inst, const char *name, const int32_t *in, size_t nin) {
  int32_t r = -999;
  kumi_error *e = call_i32(s, inst, name, in, nin, &r);
  if (e) {
    fprintf(stderr, "  %s: ", name);
    kumi_error_print(e, stderr);
    kumi_error_free(e);
  }
  return r;
}

static kumi_module *load(kumi_engine *engine, const uint8_t *bytes, size_t len) {
  kumi_error *e = NULL;
  kumi_module *m = kumi_module_new(engine, bytes, len, &e);
  if (!m) {
    fprintf(stderr, "  module failed to load: ");
    kumi_error_print(e, stderr);
    kumi_error_free(e);
  }
  return m;
}

/* ---- the tests -------------------------------------------------------- */

static void test_module_info(kumi_engine *engine) {
  kumi_module *m = load(engine, main_wasm, sizeof main_wasm);
  CHECK(m != NULL);
  if (!m) return;
  CHECK(kumi_module_import_count(m) == 3);
  kumi_import_desc im;
  kumi_module_import(m, 1, &im);
  CHECK(strcmp(im.module, "host") == 0 && strcmp(im.name, "peek") == 0 && im.kind == KUMI_EXTERN_FUNC);
  CHECK(im.module_len == 4 && im.name_len == 4);
  size_t nex = kumi_module_export_count(m);
  CHECK(nex == 15);
  bool saw_mem = false;
  for (size_t i = 0; i < nex; i++) {
    kumi_export_desc ex;
    kumi_module_export(m, i, &ex);
    if (strcmp(ex.name, "mem") == 0) saw_mem = ex.kind == KUMI_EXTERN_MEMORY;
  }
  CHECK(saw_mem);
  const kumi_functype *t = kumi_module_export_functype(m, "add");
  CHECK(t && t->nparams == 2 && t->nresults == 1 && t->params[0] == KUMI_I32 && t->params[1] == KUMI_I32 &&
        t->results[0] == KUMI_I32);
  t = kumi_module_export_functype(m, "swap");
  CHECK(t && t->nparams == 2 && t->nresults == 2 && t->params[0] == KUMI_I64 && t->results[0] == KUMI_F32);
  CHECK(kumi_module_export_functype(m, "mem") == NULL);
  CHECK(kumi_module_export_functype(m, "nope") == NULL);
  kumi_module_free(m);

  /* Bad bytes: malformed with an offset; invalid code: invalid. */
  static const uint8_t bad_magic[] = {0, 'a', 's', 'x', 1, 0, 0, 0};
  kumi_error *e = NULL;
  CHECK(kumi_module_new(engine, bad_magic, sizeof bad_magic, &e) == NULL);
  CHECK(e && kumi_error_kind_of(e) == KUMI_ERR_MALFORMED && kumi_error_offset(e) != KUMI_NO_OFFSET);
  kumi_error_free(e);
  /* (module (func (result i32) (i64.const 0))) */
  static const uint8_t invalid[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60,
                                    0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00,
                                    0x42, 0x00, 0x0b};
  e = kumi_module_validate(engine, invalid, sizeof invalid);
  CHECK(e && kumi_error_kind_of(e) == KUMI_ERR_INVALID);
  kumi_error_free(e);
  CHECK(kumi_module_validate(engine, main_wasm, sizeof main_wasm) == NULL);
}

static void test_instance(kumi_engine *engine) {
  kumi_store *s = kumi_store_new(engine, NULL);
  kumi_linker *l = kumi_linker_new(s);
  int doubles = 0;
  CHECK(kumi_linker_define_func(l, "host", "double", &t_i32_i32, host_double, &doubles) == NULL);
  CHECK(kumi_linker_define_func(l, "host", "peek", &t_i32_i32, host_peek, NULL) == NULL);
  CHECK(kumi_linker_define_func(l, "host", "fail", &t_void, host_fail, NULL) == NULL);
  kumi_module *m = load(engine, main_wasm, sizeof main_wasm);
  kumi_error *e = NULL;
  kumi_instance *inst = m ? kumi_linker_instantiate(l, m, &e) : NULL;
  CHECK(inst != NULL);
  if (e) {
    kumi_error_print(e, stderr);
    kumi_error_free(e);
  }
  /* The instance holds its own reference to the module. */
  kumi_module_free(m);
  if (!inst) goto out;

  /* Calls, host functions, multi-value, bit-exact floats. */
  CHECK(expect_i32(s, inst, "add", (int32_t[]){2, 3}, 2) == 5);
  CHECK(expect_i32(s, inst, "add", (int32_t[]){INT32_MAX, 1}, 2) == INT32_MIN);
  CHECK(expect_i32(s, inst, "call_double", (int32_t[]){21}, 1) == 42 && doubles == 1);
  CHECK(expect_i32(s, inst, "call_peek", (int32_t[]){16}, 1) == 'h');
  CHECK(expect_i32(s, inst, "load", (int32_t[]){20}, 1) == 'o');
  kumi_func *swap = kumi_instance_func(inst, "swap");
  kumi_val args[2] = {kumi_val_i64(-5), {KUMI_F32, {.f32_bits = 0x7fa00001u}}}, res[2];
  CHECK(swap && kumi_func_call(s, swap, args, 2, res, 2) == NULL);
  CHECK(res[0].kind == KUMI_F32 && res[0].of.f32_bits == 0x7fa00001u && res[1].kind == KUMI_I64 &&
        res[1].of.i64 == -5);
  kumi_func *f64id = kumi_instance_func(inst, "f64id");
  kumi_val d = {KUMI_F64, {.f64_bits = 0xfff0000000000123ull}};
  CHECK(f64id && kumi_func_call(s, f64id, &d, 1, res, 1) == NULL && res[0].of.f64_bits == 0xfff0000000000123ull);

  /* Bad calls are argument errors, not crashes. */
  kumi_func *add = kumi_instance_func(inst, "add");
  CHECK_ERR(kumi_func_call(s, add, args, 1, res, 1), KUMI_ERR_ARG, "");
  CHECK_ERR(kumi_func_call(s, add, args, 2, res, 1), KUMI_ERR_ARG, "");
  CHECK_ERR(kumi_func_call(s, add, (kumi_val[]){kumi_val_i32(1), kumi_val_i32(2)}, 2, res, 0), KUMI_ERR_ARG, "");
  CHECK(kumi_instance_func(inst, "mem") == NULL && kumi_instance_func(inst, "nope") == NULL);
  kumi_extern x;
  CHECK(kumi_instance_export_n(inst, "a\0b", 3, &x) && x.kind == KUMI_EXTERN_FUNC && x.of.func == add);
  CHECK(!kumi_instance_export(inst, "a", &x));

  /* Globals. */
  CHECK(kumi_instance_export(inst, "g", &x) && x.kind == KUMI_EXTERN_GLOBAL);
  kumi_global *g = x.of.global;
  CHECK(kumi_global_get(g).kind == KUMI_I32 && kumi_global_get(g).of.i32 == 42);
  CHECK(kumi_global_set(g, kumi_val_i32(5)) == NULL);
  CHECK(expect_i32(s, inst, "get_g", NULL, 0) == 5);
  CHECK_ERR(kumi_global_set(g, kumi_val_i64(5)), KUMI_ERR_ARG, "");
  CHECK(kumi_instance_export(inst, "gc", &x) && x.kind == KUMI_EXTERN_GLOBAL);
  CHECK(kumi_global_get(x.of.global).of.i64 == -7);
  CHECK_ERR(kumi_global_set(x.of.global, kumi_val_i64(1)), KUMI_ERR_ARG, "global is immutable");

  /* Memory from the host side. */
  kumi_memory *mem = kumi_instance_memory(inst, "mem");
  CHECK(mem && kumi_memory_size(mem) == 65536);
  char buf[8] = {0};
  CHECK(kumi_memory_read(mem, 16, buf, 5) == NULL && memcmp(buf, "hello", 5) == 0);
  CHECK(kumi_memory_write(mem, 100, "XY", 2) == NULL);
  CHECK(expect_i32(s, inst, "load", (int32_t[]){101}, 1) == 'Y');
  CHECK(kumi_memory_data(mem)[100] == 'X');
  e = kumi_memory_read(mem, 65535, buf, 2);
  CHECK(e && kumi_error_kind_of(e) == KUMI_ERR_TRAP && kumi_error_trap_code(e) == KUMI_TRAP_OOB_MEMORY);
  kumi_error_free(e);
  CHECK_ERR(kumi_memory_write(mem, UINT64_MAX, buf, 1), KUMI_ERR_TRAP, "out of bounds memory access");
  CHECK(kumi_memory_grow(mem, 1) == 1 && kumi_memory_size(mem) == 2 * 65536);
  CHECK(kumi_memory_data(mem)[65536] == 0 && kumi_memory_data(mem)[2 * 65536 - 1] == 0);
  CHECK(kumi_memory_grow(mem, 3) == -1); /* max is 4 */
  CHECK(kumi_memory_grow(mem, 0) == 2);
  CHECK(expect_i32(s, inst, "call_peek", (int32_t[]){65536 + 7}, 1) == 0);
  CHECK(kumi_memory_read(mem, 16, buf, 5) == NULL && memcmp(buf, "hello", 5) == 0);

  /* A trap: message, code, and a backtrace with names, innermost first. */
  e = call_i32(s, inst, "trap", NULL, 0, NULL);
  CHECK(e && kumi_error_kind_of(e) == KUMI_ERR_TRAP && kumi_error_trap_code(e) == KUMI_TRAP_UNREACHABLE);
  CHECK(e && strcmp(kumi_error_message(e), "unreachable") == 0);
  CHECK(e && kumi_error_frame_count(e) >= 3);
  if (e && kumi_error_frame_count(e) >= 3) {
    const char *want[] = {"inner", "middle", "trap"};
    for (size_t i = 0; i < 3; i++) {
      const kumi_frame *fr = kumi_error_frame(e, i);
      CHECK(fr->name && strcmp(fr->name, want[i]) == 0);
      CHECK(fr->func_index == 11 + i);
      CHECK(fr->module && strcmp(fr->module, "main") == 0);
    }
  }
  kumi_error_free(e);
  /* The store is usable after a trap. */
  CHECK(expect_i32(s, inst, "add", (int32_t[]){1, 1}, 2) == 2);

  /* A host function's error comes back as a trap. */
  e = call_i32(s, inst, "call_fail", NULL, 0, NULL);
  CHECK(e && kumi_error_kind_of(e) == KUMI_ERR_TRAP && strstr(kumi_error_message(e), "boom"));
  kumi_error_free(e);
  /* A host function trapping through the API (out of bounds read). */
  e = call_i32(s, inst, "call_peek", (int32_t[]){-1}, 1, NULL);
  CHECK(e && kumi_error_kind_of(e) == KUMI_ERR_TRAP);
  kumi_error_free(e);

  /* Tables: the element segment put $add and the host's double there. */
  CHECK(kumi_instance_export(inst, "tab", &x) && x.kind == KUMI_EXTERN_TABLE);
  kumi_table *tab = x.of.table;
  CHECK(kumi_table_size(tab) == 3);
  kumi_val r;
  CHECK(kumi_table_get(tab, 0, &r) && r.kind == KUMI_FUNCREF && r.of.funcref == add);
  CHECK(kumi_table_get(tab, 2, &r) && r.of.funcref == NULL);
  CHECK(!kumi_table_get(tab, 3, &r));
  CHECK(expect_i32(s, inst, "call_tab", (int32_t[]){20, 22, 0}, 3) == 42);
  e = call_i32(s, inst, "call_tab", (int32_t[]){1, 2, 1}, 3, NULL);
  CHECK(e && kumi_error_trap_code(e) == KUMI_TRAP_INDIRECT_MISMATCH);
  kumi_error_free(e);
  e = call_i32(s, inst, "call_tab", (int32_t[]){1, 2, 2}, 3, NULL);
  CHECK(e && kumi_error_trap_code(e) == KUMI_TRAP_UNINIT_ELEMENT);
  kumi_error_free(e);
  e = call_i32(s, inst, "call_tab", (int32_t[]){1, 2, 3}, 3, NULL);
  CHECK(e && kumi_error_trap_code(e) == KUMI_TRAP_OOB_TABLE);
  kumi_error_free(e);
  CHECK(kumi_table_set(tab, 2, (kumi_val){KUMI_FUNCREF, {.funcref = add}}));
  CHECK(expect_i32(s, inst, "call_tab", (int32_t[]){2, 3, 2}, 3) == 5);
  CHECK(!kumi_table_set(tab, 2, kumi_val_i32(0)));
  CHECK(kumi_table_grow(tab, 2, (kumi_val){KUMI_FUNCREF, {.funcref = NULL}}) == 3 && kumi_table_size(tab) == 5);

  /* register: a second module imports the first one's exports. */
  CHECK(kumi_linker_define_instance(l, "main", inst) == NULL);
  kumi_module *um = load(engine, user_wasm, sizeof user_wasm);
  kumi_instance *user = um ? kumi_linker_instantiate(l, um, &e) : NULL;
  CHECK(user != NULL);
  if (user) {
    CHECK(expect_i32(s, user, "add3", (int32_t[]){1}, 1) == 6); /* g is 5 */
    CHECK(expect_i32(s, user, "load", NULL, 0) == 'e');
  }
  kumi_error_free(e);
  e = NULL;
  kumi_module_free(um);

  /* Link errors. */
  kumi_module *mm = load(engine, missing_wasm, sizeof missing_wasm);
  CHECK(mm && kumi_linker_instantiate(l, mm, &e) == NULL);
  CHECK_ERR(e, KUMI_ERR_LINK, "unknown import");
  kumi_module_free(mm);
  mm = load(engine, badtype_wasm, sizeof badtype_wasm);
  CHECK(mm && kumi_linker_instantiate(l, mm, &e) == NULL);
  CHECK_ERR(e, KUMI_ERR_LINK, "incompatible import type");
  kumi_module_free(mm);
  mm = load(engine, badmem_wasm, sizeof badmem_wasm); /* max 2, but "mem" may grow to 4 */
  CHECK(mm && kumi_linker_instantiate(l, mm, &e) == NULL);
  CHECK_ERR(e, KUMI_ERR_LINK, "incompatible import type");
  kumi_module_free(mm);
  mm = load(engine, bigmem_wasm, sizeof bigmem_wasm); /* min 2: "mem" has grown to 2 pages above */
  CHECK(mm && kumi_linker_instantiate(l, mm, &e) != NULL && e == NULL);
  kumi_error_free(e);
  e = NULL;
  kumi_module_free(mm);

  /* 2.0 semantics: the first segment's write into the imported table stays
   * although the second one traps; no data segment runs. */
  kumi_memory_write(mem, 0, "\0\0\0\0\0", 5);
  kumi_module *pm = load(engine, partial_wasm, sizeof partial_wasm);
  CHECK(pm && kumi_linker_instantiate(l, pm, &e) == NULL);
  CHECK(e && kumi_error_trap_code(e) == KUMI_TRAP_OOB_TABLE);
  CHECK_ERR(e, KUMI_ERR_TRAP, "out of bounds table access");
  kumi_module_free(pm);
  CHECK(kumi_table_get(tab, 2, &r) && r.of.funcref != NULL && r.of.funcref != add);
  if (r.of.funcref) {
    const kumi_functype *ft = kumi_func_type(r.of.funcref);
    CHECK(ft->nparams == 0 && ft->nresults == 1);
    kumi_val seven;
    CHECK(kumi_func_call(s, r.of.funcref, NULL, 0, &seven, 1) == NULL && seven.of.i32 == 7);
  }
  CHECK(kumi_memory_read(mem, 0, buf, 5) == NULL && memcmp(buf, "\0\0\0\0\0", 5) == 0);

  /* A start function that traps: the data segment was written before. */
  kumi_module *sm = load(engine, start_wasm, sizeof start_wasm);
  CHECK(sm && kumi_linker_instantiate(l, sm, &e) == NULL);
  CHECK(e && kumi_error_trap_code(e) == KUMI_TRAP_UNREACHABLE);
  CHECK_ERR(e, KUMI_ERR_TRAP, "unreachable");
  kumi_module_free(sm);
  CHECK(kumi_memory_read(mem, 32, buf, 5) == NULL && memcmp(buf, "start", 5) == 0);

out:
  kumi_linker_free(l);
  kumi_store_free(s);
}

/* Objects made by the host, and the store's limits. */
static void test_host_objects(kumi_engine *engine) {
  kumi_limits lim = {.max_memory_pages = 2, .max_table_elems = 10};
  kumi_store *s = kumi_store_new(engine, &lim);
  kumi_error *e = NULL;
  CHECK(kumi_memory_new(s, 3, 0, false, &e) == NULL);
  CHECK_ERR(e, KUMI_ERR_LIMIT, "");
  CHECK(kumi_memory_new(s, 2, 1, true, &e) == NULL);
  CHECK_ERR(e, KUMI_ERR_ARG, "");
  kumi_memory *m = kumi_memory_new(s, 1, 0, false, &e);
  CHECK(m && !e && kumi_memory_size(m) == 65536);
  CHECK(kumi_memory_grow(m, 1) == 1 && kumi_memory_grow(m, 1) == -1); /* the store allows 2 pages */
  kumi_memory *empty = kumi_memory_new(s, 0, 0, true, &e);
  CHECK(empty && kumi_memory_size(empty) == 0 && kumi_memory_grow(empty, 1) == -1);
  CHECK_ERR(kumi_memory_read(empty, 0, NULL, 1), KUMI_ERR_TRAP, "out of bounds memory access");
  CHECK(kumi_memory_read(empty, 0, NULL, 0) == NULL);

  kumi_val null_fn = {KUMI_FUNCREF, {.funcref = NULL}};
  CHECK(kumi_table_new(s, KUMI_FUNCREF, 11, 0, false, null_fn, &e) == NULL);
  CHECK_ERR(e, KUMI_ERR_LIMIT, "");
  CHECK(kumi_table_new(s, KUMI_I32, 1, 0, false, kumi_val_i32(0), &e) == NULL);
  CHECK_ERR(e, KUMI_ERR_ARG, "");
  int dummy = 0;
  kumi_func *h = kumi_func_new(s, &t_i32_i32, host_double, &dummy);
  CHECK(h != NULL);
  kumi_table *t = kumi_table_new(s, KUMI_FUNCREF, 2, 4, true, (kumi_val){KUMI_FUNCREF, {.funcref = h}}, &e);
  CHECK(t && kumi_table_size(t) == 2);
  kumi_val r;
  CHECK(kumi_table_get(t, 1, &r) && r.of.funcref == h);
  CHECK(kumi_table_grow(t, 3, null_fn) == -1 && kumi_table_grow(t, 2, null_fn) == 2);
  CHECK(kumi_table_get(t, 3, &r) && r.of.funcref == NULL);
  kumi_table *et = kumi_table_new(s, KUMI_EXTERNREF, 1, 0, false, (kumi_val){KUMI_EXTERNREF, {.externref = &dummy}}, &e);
  CHECK(et && kumi_table_get(et, 0, &r) && r.kind == KUMI_EXTERNREF && r.of.externref == &dummy);

  kumi_global *g = kumi_global_new(s, (kumi_val){KUMI_F64, {.f64_bits = 0x400921fb54442d18ull}}, false, &e);
  CHECK(g && kumi_global_get(g).of.f64_bits == 0x400921fb54442d18ull);

  /* Calling a host function directly. */
  kumi_val in = kumi_val_i32(-4), out;
  CHECK(kumi_func_call(s, h, &in, 1, &out, 1) == NULL && out.of.i32 == -8 && dummy == 1);
  const kumi_functype *ft = kumi_func_type(h);
  CHECK(ft->nparams == 1 && ft->nresults == 1 && ft->params[0] == KUMI_I32);

  /* Host-made externs stand for imports; here "add" has the wrong type
   * for user.wat's (i32 i32) -> i32. */
  kumi_linker *l = kumi_linker_new(s);
  kumi_extern x = {KUMI_EXTERN_MEMORY, {.memory = m}};
  CHECK(kumi_linker_define(l, "main", "mem", x) == NULL);
  x.kind = KUMI_EXTERN_FUNC;
  x.of.func = h;
  CHECK(kumi_linker_define(l, "main", "add", x) == NULL);
  kumi_global *mg = kumi_global_new(s, kumi_val_i32(3), true, &e);
  x.kind = KUMI_EXTERN_GLOBAL;
  x.of.global = mg;
  CHECK(kumi_linker_define(l, "main", "g", x) == NULL);
  kumi_module *um = load(engine, user_wasm, sizeof user_wasm);
  CHECK(um && kumi_linker_instantiate(l, um, &e) == NULL);
  CHECK_ERR(e, KUMI_ERR_LINK, "incompatible import type");
  kumi_module_free(um);
  kumi_linker_free(l);

  /* Another store's objects are refused. */
  kumi_store *s2 = kumi_store_new(engine, NULL);
  kumi_linker *l2 = kumi_linker_new(s2);
  x.kind = KUMI_EXTERN_FUNC;
  x.of.func = h;
  CHECK_ERR(kumi_linker_define(l2, "a", "b", x), KUMI_ERR_ARG, "");
  CHECK_ERR(kumi_func_call(s2, h, &in, 1, &out, 1), KUMI_ERR_ARG, "");
  kumi_linker_free(l2);
  kumi_store_free(s2);
  kumi_store_free(s);
}

int main(void) {
  test_alloc c;
  kumi_allocator alloc = test_alloc_init(&c, -1);
  kumi_config config = {.allocator = &alloc};
  kumi_engine *engine = kumi_engine_new(&config);
  CHECK(engine != NULL);
  if (engine) {
    test_module_info(engine);
    test_instance(engine);
    test_host_objects(engine);
    kumi_engine_free(engine);
  }
  /* Everything went through the hook, and all of it came back. */
  CHECK(c.live_blocks == 0 && c.live_bytes == 0);
  CHECK(c.size_mismatches == 0);
  (void)test_alloc_clean(&c); /* says what is wrong */
  return test_summary();
}
