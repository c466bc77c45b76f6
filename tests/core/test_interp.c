/* Interpreter tests: small modules that exercise the translator's
 * peepholes (pending local reads, retargeted results, fused branches,
 * values carried by branches), calls (multi-value, indirect, host, host
 * re-entry), memory growth seen through the cached bounds, traps with
 * backtraces, and the call depth limits. Runs through the public API.
 * Prints "N passed, N failed"; exits non-zero on failure. */
#define _DEFAULT_SOURCE /* setitimer */
#include <stdio.h>
#include <string.h>
#if defined(__unix__)
#include <signal.h>
#include <sys/time.h>
#endif

#include "kumi.h"

static int passed, failed;

#define CHECK(cond)                                                  \
  do {                                                               \
    if (cond) passed++;                                              \
    else {                                                           \
      failed++;                                                      \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                \
  } while (0)

/* The main test module (made with `wat2wasm --debug-names`):

   (module $t
     (import "host" "cb" (func $cb (param i32) (result i32)))
     (import "host" "grow" (func $hgrow (param i32) (result i32)))
     (type $ii (func (param i32) (result i32)))
     (memory (export "memory") 1)
     (table 4 funcref)
     (elem (i32.const 0) $sq $cb)
     (func (export "swap") (param i32 i32) (result i32 i32)
       local.get 0 local.get 1 local.set 0 local.set 1 local.get 0 local.get 1)
     (func (export "pending") (param i32 i32) (result i32)
       local.get 0
       block
         local.get 1
         br_if 0
         i32.const 100
         local.set 0
       end
       local.get 0
       i32.add)
     (func (export "sum") (param i32) (result i32) (local i32 i32)
       block
         local.get 0 i32.eqz br_if 0
         loop
           local.get 2 local.get 1 i32.add local.set 2
           local.get 1 i32.const 1 i32.add local.tee 1
           local.get 0 i32.lt_u br_if 0
         end
       end
       local.get 2)
     (func (export "brtable") (param i32) (result i32)
       (block $a (result i32)
         (i32.const 100)
         (block $b (result i32)
           (br_table $b $a (i32.const 10) (local.get 0)))
         (i32.add)))
     (func $step (param i32 i32) (result i32 i32) local.get 1 local.get 0 local.get 1 i32.add)
     (func (export "fibmv") (param $n i32) (result i32)
       (i32.const 0) (i32.const 1)
       (loop $l (param i32 i32) (result i32 i32)
         (call $step)
         (local.get $n) (i32.const 1) (i32.sub) (local.tee $n)
         (br_if $l))
       (drop))
     (func (export "loopmove") (param $n i32) (result i32) (local $a i32) (local $b i32)
       (local.set $b (i32.const 1))
       (i32.const 0) (i32.const 0)
       (loop $l (param i32 i32) (result i32 i32)
         (drop) (drop)
         (local.set $a (i32.add (local.get $a) (local.get $b)))
         (local.set $b (i32.add (local.get $b) (i32.const 2)))
         (local.get $a) (local.get $b)
         (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
         (br_if $l))
       (drop))
     (func $fact (export "fact") (param i32) (result i32)
       local.get 0 i32.const 2 i32.lt_u
       if (result i32) i32.const 1
       else local.get 0 local.get 0 i32.const 1 i32.sub call $cb i32.mul end)
     (func (export "growsize") (result i32)
       i32.const 2 call $hgrow drop memory.size)
     (func (export "growstore") (result i32)
       i32.const 1 call $hgrow drop
       i32.const 70000 i32.const 42 i32.store
       i32.const 70000 i32.load)
     (func $sq (param i32) (result i32) local.get 0 local.get 0 i32.mul)
     (func (export "indirect") (param i32 i32) (result i32)
       local.get 1 local.get 0 call_indirect (type $ii))
     (func $deep (param i32) (result i32)
       local.get 0 if (result i32) local.get 0 i32.const 1 i32.sub call $deep else unreachable end)
     (func (export "deep") (param i32) (result i32) local.get 0 call $deep)
     (func (export "many") (param i32) (result i32)
       local.get 0 ... (70 times)
       i32.const 1 local.set 0
       i32.add ... (69 times))
     (func (export "select") (param i32 i32 i32) (result i32)
       local.get 0 local.get 1 local.get 2 select)
     (func (export "f64ops") (param f64 f64) (result f64)
       (f64.add (f64.mul (local.get 0) (local.get 1)) (f64.const 0.5)))
     (func (export "i64ops") (param i64 i64) (result i64)
       (i64.add (i64.rotl (local.get 0) (i64.const 5)) (i64.div_s (local.get 1) (i64.const -3))))
   )
*/

static const uint8_t main_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x2a, 0x07, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x60, 0x02, 0x7f, 0x7f, 0x02, 0x7f, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x01,
    0x7f, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x02, 0x7c, 0x7c, 0x01, 0x7c, 0x60, 0x02,
    0x7e, 0x7e, 0x01, 0x7e, 0x02, 0x17, 0x02, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x02, 0x63, 0x62, 0x00,
    0x00, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x00, 0x03, 0x13, 0x12,
    0x01, 0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x03, 0x00, 0x02, 0x00, 0x00, 0x00, 0x04,
    0x05, 0x06, 0x04, 0x04, 0x01, 0x70, 0x00, 0x04, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x90, 0x01,
    0x10, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x04, 0x73, 0x77, 0x61, 0x70, 0x00,
    0x02, 0x07, 0x70, 0x65, 0x6e, 0x64, 0x69, 0x6e, 0x67, 0x00, 0x03, 0x03, 0x73, 0x75, 0x6d, 0x00,
    0x04, 0x07, 0x62, 0x72, 0x74, 0x61, 0x62, 0x6c, 0x65, 0x00, 0x05, 0x05, 0x66, 0x69, 0x62, 0x6d,
    0x76, 0x00, 0x07, 0x08, 0x6c, 0x6f, 0x6f, 0x70, 0x6d, 0x6f, 0x76, 0x65, 0x00, 0x08, 0x04, 0x66,
    0x61, 0x63, 0x74, 0x00, 0x09, 0x08, 0x67, 0x72, 0x6f, 0x77, 0x73, 0x69, 0x7a, 0x65, 0x00, 0x0a,
    0x09, 0x67, 0x72, 0x6f, 0x77, 0x73, 0x74, 0x6f, 0x72, 0x65, 0x00, 0x0b, 0x08, 0x69, 0x6e, 0x64,
    0x69, 0x72, 0x65, 0x63, 0x74, 0x00, 0x0d, 0x04, 0x64, 0x65, 0x65, 0x70, 0x00, 0x0f, 0x04, 0x6d,
    0x61, 0x6e, 0x79, 0x00, 0x10, 0x06, 0x73, 0x65, 0x6c, 0x65, 0x63, 0x74, 0x00, 0x11, 0x06, 0x66,
    0x36, 0x34, 0x6f, 0x70, 0x73, 0x00, 0x12, 0x06, 0x69, 0x36, 0x34, 0x6f, 0x70, 0x73, 0x00, 0x13,
    0x09, 0x08, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x02, 0x0c, 0x00, 0x0a, 0x93, 0x04, 0x12, 0x0e, 0x00,
    0x20, 0x00, 0x20, 0x01, 0x21, 0x00, 0x21, 0x01, 0x20, 0x00, 0x20, 0x01, 0x0b, 0x13, 0x00, 0x20,
    0x00, 0x02, 0x40, 0x20, 0x01, 0x0d, 0x00, 0x41, 0xe4, 0x00, 0x21, 0x00, 0x0b, 0x20, 0x00, 0x6a,
    0x0b, 0x24, 0x01, 0x02, 0x7f, 0x02, 0x40, 0x20, 0x00, 0x45, 0x0d, 0x00, 0x03, 0x40, 0x20, 0x02,
    0x20, 0x01, 0x6a, 0x21, 0x02, 0x20, 0x01, 0x41, 0x01, 0x6a, 0x22, 0x01, 0x20, 0x00, 0x49, 0x0d,
    0x00, 0x0b, 0x0b, 0x20, 0x02, 0x0b, 0x14, 0x00, 0x02, 0x7f, 0x41, 0xe4, 0x00, 0x02, 0x7f, 0x41,
    0x0a, 0x20, 0x00, 0x0e, 0x01, 0x00, 0x01, 0x0b, 0x6a, 0x0b, 0x0b, 0x09, 0x00, 0x20, 0x01, 0x20,
    0x00, 0x20, 0x01, 0x6a, 0x0b, 0x15, 0x00, 0x41, 0x00, 0x41, 0x01, 0x03, 0x01, 0x10, 0x06, 0x20,
    0x00, 0x41, 0x01, 0x6b, 0x22, 0x00, 0x0d, 0x00, 0x0b, 0x1a, 0x0b, 0x2d, 0x01, 0x02, 0x7f, 0x41,
    0x01, 0x21, 0x02, 0x41, 0x00, 0x41, 0x00, 0x03, 0x01, 0x1a, 0x1a, 0x20, 0x01, 0x20, 0x02, 0x6a,
    0x21, 0x01, 0x20, 0x02, 0x41, 0x02, 0x6a, 0x21, 0x02, 0x20, 0x01, 0x20, 0x02, 0x20, 0x00, 0x41,
    0x01, 0x6b, 0x22, 0x00, 0x0d, 0x00, 0x0b, 0x1a, 0x0b, 0x17, 0x00, 0x20, 0x00, 0x41, 0x02, 0x49,
    0x04, 0x7f, 0x41, 0x01, 0x05, 0x20, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x10, 0x00, 0x6c, 0x0b,
    0x0b, 0x09, 0x00, 0x41, 0x02, 0x10, 0x01, 0x1a, 0x3f, 0x00, 0x0b, 0x17, 0x00, 0x41, 0x01, 0x10,
    0x01, 0x1a, 0x41, 0xf0, 0xa2, 0x04, 0x41, 0x2a, 0x36, 0x02, 0x00, 0x41, 0xf0, 0xa2, 0x04, 0x28,
    0x02, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x20, 0x00, 0x6c, 0x0b, 0x09, 0x00, 0x20, 0x01, 0x20,
    0x00, 0x11, 0x00, 0x00, 0x0b, 0x10, 0x00, 0x20, 0x00, 0x04, 0x7f, 0x20, 0x00, 0x41, 0x01, 0x6b,
    0x10, 0x0e, 0x05, 0x00, 0x0b, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x10, 0x0e, 0x0b, 0xd7, 0x01, 0x00,
    0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00,
    0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00,
    0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00,
    0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00,
    0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00,
    0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00,
    0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00,
    0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00,
    0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0x41, 0x01, 0x21, 0x00,
    0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a,
    0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a,
    0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a,
    0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a,
    0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x0b, 0x09, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0x1b, 0x0b,
    0x11, 0x00, 0x20, 0x00, 0x20, 0x01, 0xa2, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0x3f,
    0xa0, 0x0b, 0x0d, 0x00, 0x20, 0x00, 0x42, 0x05, 0x89, 0x20, 0x01, 0x42, 0x7d, 0x7f, 0x7c, 0x0b,
    0x00, 0x6b, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x00, 0x02, 0x01, 0x74, 0x01, 0x22, 0x06, 0x00, 0x02,
    0x63, 0x62, 0x01, 0x05, 0x68, 0x67, 0x72, 0x6f, 0x77, 0x06, 0x04, 0x73, 0x74, 0x65, 0x70, 0x09,
    0x04, 0x66, 0x61, 0x63, 0x74, 0x0c, 0x02, 0x73, 0x71, 0x0e, 0x04, 0x64, 0x65, 0x65, 0x70, 0x02,
    0x35, 0x14, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00, 0x05, 0x00, 0x06, 0x00,
    0x07, 0x01, 0x00, 0x01, 0x6e, 0x08, 0x03, 0x00, 0x01, 0x6e, 0x01, 0x01, 0x61, 0x02, 0x01, 0x62,
    0x09, 0x00, 0x0a, 0x00, 0x0b, 0x00, 0x0c, 0x00, 0x0d, 0x00, 0x0e, 0x00, 0x0f, 0x00, 0x10, 0x00,
    0x11, 0x00, 0x12, 0x00, 0x13, 0x00, 0x04, 0x05, 0x01, 0x00, 0x02, 0x69, 0x69,
};


/*
   (module $h
     (import "host" "again" (func $again (param i32) (result i32)))
     (func (export "hrec") (param i32) (result i32) local.get 0 i32.const 1 i32.add call $again))
*/

static const uint8_t hrec_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x02, 0x0e, 0x01, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x05, 0x61, 0x67, 0x61, 0x69, 0x6e, 0x00, 0x00,
    0x03, 0x02, 0x01, 0x00, 0x07, 0x08, 0x01, 0x04, 0x68, 0x72, 0x65, 0x63, 0x00, 0x01, 0x0a, 0x0b,
    0x01, 0x09, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x10, 0x00, 0x0b, 0x00, 0x1a, 0x04, 0x6e, 0x61,
    0x6d, 0x65, 0x00, 0x02, 0x01, 0x68, 0x01, 0x08, 0x01, 0x00, 0x05, 0x61, 0x67, 0x61, 0x69, 0x6e,
    0x02, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00,
};

/* ---- host functions ---- */

typedef struct host_env {
  kumi_store *store;
  kumi_func *fact; /* main's "fact", for cb */
  kumi_func *hrec; /* hrec's "hrec", for again */
  int calls;
} host_env;

/* cb(n) = fact(n): re-enters wasm. */
static kumi_error *host_cb(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  host_env *h = env;
  h->calls++;
  return kumi_func_call(kumi_caller_store(caller), h->fact, args, 1, results, 1);
}

/* grow(n): grows the caller's memory by n pages, returns the old size. */
static kumi_error *host_grow(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  (void)env;
  kumi_memory *m = kumi_caller_memory(caller, "memory");
  if (!m) return kumi_error_new(kumi_caller_store(caller), KUMI_ERR_TRAP, "no memory");
  results[0] = kumi_val_i32((int32_t)kumi_memory_grow(m, (uint32_t)args[0].of.i32));
  return NULL;
}

/* again(n) = hrec(n): unbounded recursion through the host. */
static kumi_error *host_again(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  host_env *h = env;
  h->calls++;
  return kumi_func_call(kumi_caller_store(caller), h->hrec, args, 1, results, 1);
}

static const kumi_valkind i32_1[] = {KUMI_I32};
static const kumi_functype type_i_i = {1, 1, i32_1, i32_1};

/* ---- calling helpers ---- */

static kumi_error *call(kumi_store *s, kumi_instance *inst, const char *name, const kumi_val *args, size_t nargs,
                        kumi_val *results, size_t nresults) {
  kumi_func *f = kumi_instance_func(inst, name);
  if (!f) {
    fprintf(stderr, "no export %s\n", name);
    return kumi_error_new(s, KUMI_ERR_ARG, "no such export");
  }
  return kumi_func_call(s, f, args, nargs, results, nresults);
}

/* Calls an (i32...) -> i32 export; returns the result, or INT32_MIN after
 * an error (reported). */
static int32_t call_i(kumi_store *s, kumi_instance *inst, const char *name, int n, int32_t a, int32_t b, int32_t c) {
  kumi_val args[3] = {kumi_val_i32(a), kumi_val_i32(b), kumi_val_i32(c)};
  kumi_val r;
  kumi_error *e = call(s, inst, name, args, (size_t)n, &r, 1);
  if (e) {
    fprintf(stderr, "%s: unexpected error: %s\n", name, kumi_error_message(e));
    kumi_error_free(e);
    return INT32_MIN;
  }
  return r.of.i32;
}

/* Expects a trap with the given code; returns the error for more checks. */
static kumi_error *expect_trap(kumi_error *e, kumi_trap_code code) {
  CHECK(e != NULL);
  if (!e) return NULL;
  CHECK(kumi_error_kind_of(e) == KUMI_ERR_TRAP);
  CHECK(kumi_error_trap_code(e) == code);
  if (kumi_error_trap_code(e) != code) fprintf(stderr, "  got: %s\n", kumi_error_message(e));
  return e;
}

static kumi_instance *instantiate(kumi_engine *eng, kumi_store *s, host_env *h, const uint8_t *bytes, size_t len,
                                  kumi_module **mod) {
  kumi_error *e = NULL;
  *mod = kumi_module_new(eng, bytes, len, &e);
  if (!*mod) {
    fprintf(stderr, "load: %s\n", kumi_error_message(e));
    kumi_error_free(e);
    return NULL;
  }
  kumi_linker *l = kumi_linker_new(s);
  kumi_linker_define_func(l, "host", "cb", &type_i_i, host_cb, h);
  kumi_linker_define_func(l, "host", "grow", &type_i_i, host_grow, h);
  kumi_linker_define_func(l, "host", "again", &type_i_i, host_again, h);
  kumi_instance *inst = kumi_linker_instantiate(l, *mod, &e);
  kumi_linker_free(l);
  if (!inst) {
    fprintf(stderr, "instantiate: %s\n", kumi_error_message(e));
    kumi_error_free(e);
  }
  return inst;
}

/* ---- the tests ---- */

static void test_translation(kumi_store *s, kumi_instance *inst) {
  /* pending reads of locals that are overwritten */
  kumi_val args[2] = {kumi_val_i32(3), kumi_val_i32(4)}, r[2];
  kumi_error *e = call(s, inst, "swap", args, 2, r, 2);
  CHECK(!e && r[0].of.i32 == 4 && r[1].of.i32 == 3);
  kumi_error_free(e);
  CHECK(call_i(s, inst, "pending", 2, 5, 1, 0) == 10);
  CHECK(call_i(s, inst, "pending", 2, 5, 0, 0) == 105);
  /* retargeted results and fused compare-and-branch */
  CHECK(call_i(s, inst, "sum", 1, 0, 0, 0) == 0);
  CHECK(call_i(s, inst, "sum", 1, 1, 0, 0) == 0);
  CHECK(call_i(s, inst, "sum", 1, 100, 0, 0) == 4950);
  /* br_table with a value, to labels at different heights */
  CHECK(call_i(s, inst, "brtable", 1, 0, 0, 0) == 110);
  CHECK(call_i(s, inst, "brtable", 1, 1, 0, 0) == 10);
  CHECK(call_i(s, inst, "brtable", 1, -1, 0, 0) == 10);
  /* loops with parameters, multi-value calls */
  CHECK(call_i(s, inst, "fibmv", 1, 10, 0, 0) == 55);
  CHECK(call_i(s, inst, "fibmv", 1, 1, 0, 0) == 1);
  CHECK(call_i(s, inst, "loopmove", 1, 3, 0, 0) == 9); /* a = 1 + 3 + 5 */
  /* operand stack deeper than the pending-read window */
  CHECK(call_i(s, inst, "many", 1, 3, 0, 0) == 210);
  CHECK(call_i(s, inst, "select", 3, 7, 8, 1) == 7);
  CHECK(call_i(s, inst, "select", 3, 7, 8, 0) == 8);
  kumi_val fa[2] = {{.kind = KUMI_F64}, {.kind = KUMI_F64}};
  double x = 1.5, y = 3.0, want = 5.0;
  memcpy(&fa[0].of.f64_bits, &x, 8);
  memcpy(&fa[1].of.f64_bits, &y, 8);
  e = call(s, inst, "f64ops", fa, 2, r, 1);
  double got = 0;
  if (!e) memcpy(&got, &r[0].of.f64_bits, 8);
  CHECK(!e && got == want);
  kumi_error_free(e);
  kumi_val ia[2] = {kumi_val_i64(INT64_C(0x0800000000000001)), kumi_val_i64(-9)};
  e = call(s, inst, "i64ops", ia, 2, r, 1);
  CHECK(!e && r[0].of.i64 == (INT64_C(0x21) + 3));
  kumi_error_free(e);
}

static void test_calls(kumi_store *s, kumi_instance *inst, host_env *h) {
  /* wasm -> host -> wasm -> host ... */
  h->calls = 0;
  CHECK(call_i(s, inst, "fact", 1, 10, 0, 0) == 3628800);
  CHECK(h->calls == 9);
  /* memory grown by the host is visible after the call */
  CHECK(call_i(s, inst, "growsize", 0, 0, 0, 0) == 3);
  CHECK(call_i(s, inst, "growstore", 0, 0, 0, 0) == 42);
  /* call_indirect to a wasm and to a host function */
  CHECK(call_i(s, inst, "indirect", 2, 0, 9, 0) == 81);
  CHECK(call_i(s, inst, "indirect", 2, 1, 5, 0) == 120);
  kumi_val args[2] = {kumi_val_i32(2), kumi_val_i32(1)}, r;
  kumi_error_free(expect_trap(call(s, inst, "indirect", args, 2, &r, 1), KUMI_TRAP_UNINIT_ELEMENT));
  args[0] = kumi_val_i32(4);
  kumi_error *e = call(s, inst, "indirect", args, 2, &r, 1);
  CHECK(e && kumi_error_kind_of(e) == KUMI_ERR_TRAP);
  kumi_error_free(e);
}

static void test_traps(kumi_store *s, kumi_instance *inst) {
  /* a backtrace: the unreachable in $deep (0x213), three more $deep frames
   * at their call (0x210), then the export at its call */
  kumi_val arg = kumi_val_i32(3), r;
  kumi_error *e = expect_trap(call(s, inst, "deep", &arg, 1, &r, 1), KUMI_TRAP_UNREACHABLE);
  if (e) {
    CHECK(kumi_error_frame_count(e) == 5);
    const kumi_frame *f0 = kumi_error_frame(e, 0), *f1 = kumi_error_frame(e, 1), *f4 = kumi_error_frame(e, 4);
    CHECK(f0 && f0->offset == 0x213 && f0->name && strcmp(f0->name, "deep") == 0);
    CHECK(f0 && f0->module && strcmp(f0->module, "t") == 0);
    CHECK(f1 && f1->offset == 0x210 && f1->func_index == f0->func_index);
    CHECK(f4 && f4->func_index == f0->func_index + 1);
    kumi_error_free(e);
  }
  /* the store is still usable after a trap */
  CHECK(call_i(s, inst, "sum", 1, 10, 0, 0) == 45);
}

static void test_limits(kumi_engine *eng) {
  /* call depth */
  kumi_limits lim = {0};
  lim.max_call_depth = 100;
  kumi_store *s = kumi_store_new(eng, &lim);
  host_env h = {s, NULL, NULL, 0};
  kumi_module *m;
  kumi_instance *inst = instantiate(eng, s, &h, main_wasm, sizeof main_wasm, &m);
  CHECK(inst != NULL);
  if (inst) {
    kumi_val arg = kumi_val_i32(90), r;
    kumi_error_free(expect_trap(call(s, inst, "deep", &arg, 1, &r, 1), KUMI_TRAP_UNREACHABLE));
    arg = kumi_val_i32(1000);
    kumi_error_free(expect_trap(call(s, inst, "deep", &arg, 1, &r, 1), KUMI_TRAP_STACK_EXHAUSTED));
    CHECK(call_i(s, inst, "sum", 1, 10, 0, 0) == 45);
  }
  kumi_module_free(m);
  kumi_store_free(s);

  /* value stack slots */
  lim.max_call_depth = 0;
  lim.max_stack_slots = 1000;
  s = kumi_store_new(eng, &lim);
  h.store = s;
  inst = instantiate(eng, s, &h, main_wasm, sizeof main_wasm, &m);
  CHECK(inst != NULL);
  if (inst) {
    kumi_val arg = kumi_val_i32(100000), r;
    kumi_error_free(expect_trap(call(s, inst, "deep", &arg, 1, &r, 1), KUMI_TRAP_STACK_EXHAUSTED));
    CHECK(call_i(s, inst, "sum", 1, 10, 0, 0) == 45);
  }
  kumi_module_free(m);
  kumi_store_free(s);

  /* recursion through a host function: bounded, a trap, not a crash */
  s = kumi_store_new(eng, NULL);
  h.store = s;
  inst = instantiate(eng, s, &h, hrec_wasm, sizeof hrec_wasm, &m);
  CHECK(inst != NULL);
  if (inst) {
    h.hrec = kumi_instance_func(inst, "hrec");
    h.calls = 0;
    kumi_val arg = kumi_val_i32(0), r;
    kumi_error *e = expect_trap(call(s, inst, "hrec", &arg, 1, &r, 1), KUMI_TRAP_STACK_EXHAUSTED);
    CHECK(h.calls > 10);
    if (e) CHECK(kumi_error_frame_count(e) > 1);
    kumi_error_free(e);
  }
  kumi_module_free(m);
  kumi_store_free(s);
}

/* Tail calls (`wat2wasm --enable-tail-call`):

   (module
     (import "host" "cb" (func $cb (param i32) (result i32)))
     (type $ii (func (param i32) (result i32)))
     (table 2 funcref)
     (elem (i32.const 0) $even $odd)
     (func $even (export "even") (param i32) (result i32) (local i64 i64)
       (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1))
         (else (return_call $odd (i32.sub (local.get 0) (i32.const 1))))))
     (func $odd (param i32) (result i32) (local i32)
       (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
         (else (return_call_indirect (type $ii) (i32.sub (local.get 0) (i32.const 1)) (i32.const 0)))))
     (func (export "tohost") (param i32) (result i32)
       (return_call $cb (i32.add (local.get 0) (i32.const 1)))))
*/
static const uint8_t tail_wasm[] = {
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60,
  0x01, 0x7f, 0x01, 0x7f, 0x02, 0x0b, 0x01, 0x04, 0x68, 0x6f, 0x73, 0x74,
  0x02, 0x63, 0x62, 0x00, 0x00, 0x03, 0x04, 0x03, 0x00, 0x00, 0x00, 0x04,
  0x04, 0x01, 0x70, 0x00, 0x02, 0x07, 0x11, 0x02, 0x04, 0x65, 0x76, 0x65,
  0x6e, 0x00, 0x01, 0x06, 0x74, 0x6f, 0x68, 0x6f, 0x73, 0x74, 0x00, 0x03,
  0x09, 0x08, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x02, 0x01, 0x02, 0x0a, 0x38,
  0x03, 0x14, 0x01, 0x02, 0x7e, 0x20, 0x00, 0x45, 0x04, 0x7f, 0x41, 0x01,
  0x05, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x12, 0x02, 0x0b, 0x0b, 0x17, 0x01,
  0x01, 0x7f, 0x20, 0x00, 0x45, 0x04, 0x7f, 0x41, 0x00, 0x05, 0x20, 0x00,
  0x41, 0x01, 0x6b, 0x41, 0x00, 0x13, 0x00, 0x00, 0x0b, 0x0b, 0x09, 0x00,
  0x20, 0x00, 0x41, 0x01, 0x6a, 0x12, 0x00, 0x0b
};

/* Deep mutual tail recursion (direct and indirect) runs in constant space:
 * a million tail calls under a 100-frame and 1000-slot limit. */
static void test_tail_calls(kumi_engine *eng) {
  kumi_limits lim = {0};
  lim.max_call_depth = 100;
  lim.max_stack_slots = 1000;
  kumi_store *s = kumi_store_new(eng, &lim);
  host_env h = {s, NULL, NULL, 0};
  kumi_module *m;
  kumi_instance *inst = instantiate(eng, s, &h, tail_wasm, sizeof tail_wasm, &m);
  CHECK(inst != NULL);
  if (inst) {
    h.fact = kumi_instance_func(inst, "even");
    CHECK(call_i(s, inst, "even", 1, 1000000, 0, 0) == 1);
    CHECK(call_i(s, inst, "even", 1, 1000001, 0, 0) == 0);
    CHECK(call_i(s, inst, "even", 1, 0, 0, 0) == 1);
    /* a tail call to a host function that re-enters wasm */
    CHECK(call_i(s, inst, "tohost", 1, 99999, 0, 0) == 1);
    CHECK(h.calls == 1);
  }
  kumi_module_free(m);
  kumi_store_free(s);
}

/* Multi-memory (`wat2wasm --enable-multi-memory`); the same memory is
 * imported as memories 0 and 1:

   (module
     (import "env" "m" (memory $a 1))
     (import "env" "m" (memory $b 1))
     (memory $c 1)
     (func (export "grow_b") (param i32) (result i32) (memory.grow $b (local.get 0)))
     (func (export "load_a") (param i32) (result i32) (i32.load $a (local.get 0)))
     (func (export "store_c") (param i32 i32) (i32.store $c (local.get 0) (local.get 1)))
     (func (export "load_c") (param i32) (result i32) (i32.load $c (local.get 0)))
     (func (export "copy_c_to_a") (param i32 i32 i32) (result i32)
       (memory.copy $a $c (local.get 0) (local.get 1) (local.get 2))
       (i32.load $a (local.get 0)))
     (func (export "size_c") (param i32) (result i32) (memory.size $c)))
*/
static const uint8_t mm_wasm[] = {
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x12, 0x03, 0x60,
  0x01, 0x7f, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x00, 0x60, 0x03, 0x7f,
  0x7f, 0x7f, 0x01, 0x7f, 0x02, 0x13, 0x02, 0x03, 0x65, 0x6e, 0x76, 0x01,
  0x6d, 0x02, 0x00, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x6d, 0x02, 0x00,
  0x01, 0x03, 0x07, 0x06, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x05, 0x03,
  0x01, 0x00, 0x01, 0x07, 0x3d, 0x06, 0x06, 0x67, 0x72, 0x6f, 0x77, 0x5f,
  0x62, 0x00, 0x00, 0x06, 0x6c, 0x6f, 0x61, 0x64, 0x5f, 0x61, 0x00, 0x01,
  0x07, 0x73, 0x74, 0x6f, 0x72, 0x65, 0x5f, 0x63, 0x00, 0x02, 0x06, 0x6c,
  0x6f, 0x61, 0x64, 0x5f, 0x63, 0x00, 0x03, 0x0b, 0x63, 0x6f, 0x70, 0x79,
  0x5f, 0x63, 0x5f, 0x74, 0x6f, 0x5f, 0x61, 0x00, 0x04, 0x06, 0x73, 0x69,
  0x7a, 0x65, 0x5f, 0x63, 0x00, 0x05, 0x0a, 0x3b, 0x06, 0x06, 0x00, 0x20,
  0x00, 0x40, 0x01, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x28, 0x02, 0x00, 0x0b,
  0x0a, 0x00, 0x20, 0x00, 0x20, 0x01, 0x36, 0x42, 0x02, 0x00, 0x0b, 0x08,
  0x00, 0x20, 0x00, 0x28, 0x42, 0x02, 0x00, 0x0b, 0x11, 0x00, 0x20, 0x00,
  0x20, 0x01, 0x20, 0x02, 0xfc, 0x0a, 0x00, 0x02, 0x20, 0x00, 0x28, 0x02,
  0x00, 0x0b, 0x04, 0x00, 0x3f, 0x02, 0x0b
};

/* Loads, stores, size, grow and copy on memories other than 0; growing
 * memory 1 must be seen through memory 0's cached bounds when both are the
 * same memory. */
static void test_multi_memory(kumi_engine *eng) {
  kumi_store *s = kumi_store_new(eng, NULL);
  kumi_error *e = NULL;
  kumi_memory *mem = kumi_memory_new(s, 1, 0, false, &e);
  CHECK(mem != NULL);
  kumi_error_free(e);
  e = NULL;
  kumi_module *m = kumi_module_new(eng, mm_wasm, sizeof mm_wasm, &e);
  CHECK(m != NULL);
  kumi_instance *inst = NULL;
  if (m && mem) {
    kumi_linker *l = kumi_linker_new(s);
    kumi_extern ext = {.kind = KUMI_EXTERN_MEMORY, .of.memory = mem};
    kumi_linker_define(l, "env", "m", ext);
    inst = kumi_linker_instantiate(l, m, &e);
    kumi_linker_free(l);
  }
  if (e) fprintf(stderr, "multi-memory: %s\n", kumi_error_message(e));
  kumi_error_free(e);
  CHECK(inst != NULL);
  if (inst) {
    kumi_val args[3] = {kumi_val_i32(70000), kumi_val_i32(0), kumi_val_i32(0)}, r;
    kumi_error_free(expect_trap(call(s, inst, "load_a", args, 1, &r, 1), KUMI_TRAP_OOB_MEMORY));
    CHECK(call_i(s, inst, "grow_b", 1, 1, 0, 0) == 1);
    CHECK(call_i(s, inst, "load_a", 1, 70000, 0, 0) == 0);
    CHECK(kumi_memory_size(mem) == 2 * 65536);
    CHECK(call_i(s, inst, "size_c", 1, 0, 0, 0) == 1);
    args[0] = kumi_val_i32(8), args[1] = kumi_val_i32(42);
    CHECK(call(s, inst, "store_c", args, 2, NULL, 0) == NULL);
    CHECK(call_i(s, inst, "load_c", 1, 8, 0, 0) == 42);
    CHECK(call_i(s, inst, "copy_c_to_a", 3, 65536 + 100, 8, 4) == 42);
    args[0] = kumi_val_i32(65534);
    kumi_error_free(expect_trap(call(s, inst, "load_c", args, 1, &r, 1), KUMI_TRAP_OOB_MEMORY));
  }
  kumi_module_free(m);
  kumi_store_free(s);
}

/* Runaway guests (`wat2wasm --enable-tail-call`):

   (module
     (import "host" "stop" (func $stop (param i32) (result i32)))
     (func (export "spin") (param i32) (result i32)
       (loop $l (br $l)) unreachable)
     (func (export "stop_then_spin") (param i32) (result i32)
       (drop (call $stop (local.get 0)))
       (loop $l (br $l)) unreachable)
     (func $rec (export "rec") (param i32) (result i32)
       (call $rec (i32.add (local.get 0) (i32.const 1))))
     (func $tspin (export "tspin") (param i32) (result i32)
       (return_call $tspin (i32.add (local.get 0) (i32.const 1))))
     (func (export "count") (param i32) (result i32) (local i32)
       (loop $l
         (local.set 1 (i32.add (local.get 1) (i32.const 1)))
         (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
       (local.get 1)))
*/
static const uint8_t spin_wasm[] = {
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60,
  0x01, 0x7f, 0x01, 0x7f, 0x02, 0x0d, 0x01, 0x04, 0x68, 0x6f, 0x73, 0x74,
  0x04, 0x73, 0x74, 0x6f, 0x70, 0x00, 0x00, 0x03, 0x06, 0x05, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x07, 0x2f, 0x05, 0x04, 0x73, 0x70, 0x69, 0x6e, 0x00,
  0x01, 0x0e, 0x73, 0x74, 0x6f, 0x70, 0x5f, 0x74, 0x68, 0x65, 0x6e, 0x5f,
  0x73, 0x70, 0x69, 0x6e, 0x00, 0x02, 0x03, 0x72, 0x65, 0x63, 0x00, 0x03,
  0x05, 0x74, 0x73, 0x70, 0x69, 0x6e, 0x00, 0x04, 0x05, 0x63, 0x6f, 0x75,
  0x6e, 0x74, 0x00, 0x05, 0x0a, 0x44, 0x05, 0x08, 0x00, 0x03, 0x40, 0x0c,
  0x00, 0x0b, 0x00, 0x0b, 0x0d, 0x00, 0x20, 0x00, 0x10, 0x00, 0x1a, 0x03,
  0x40, 0x0c, 0x00, 0x0b, 0x00, 0x0b, 0x09, 0x00, 0x20, 0x00, 0x41, 0x01,
  0x6a, 0x10, 0x03, 0x0b, 0x09, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x12,
  0x04, 0x0b, 0x17, 0x01, 0x01, 0x7f, 0x03, 0x40, 0x20, 0x01, 0x41, 0x01,
  0x6a, 0x21, 0x01, 0x20, 0x01, 0x20, 0x00, 0x49, 0x0d, 0x00, 0x0b, 0x20,
  0x01, 0x0b
};

/* stop(n) = n, and asks the store to interrupt the running wasm. */
static kumi_error *host_stop(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  (void)env;
  kumi_store_interrupt(kumi_caller_store(caller));
  results[0] = args[0];
  return NULL;
}

static kumi_instance *instantiate_spin(kumi_engine *eng, kumi_store *s, kumi_module **mod) {
  kumi_error *e = NULL;
  *mod = kumi_module_new(eng, spin_wasm, sizeof spin_wasm, &e);
  kumi_instance *inst = NULL;
  if (*mod) {
    kumi_linker *l = kumi_linker_new(s);
    kumi_linker_define_func(l, "host", "stop", &type_i_i, host_stop, NULL);
    inst = kumi_linker_instantiate(l, *mod, &e);
    kumi_linker_free(l);
  }
  if (e) fprintf(stderr, "spin: %s\n", kumi_error_message(e));
  kumi_error_free(e);
  return inst;
}

/* Traps with code and message; the store stays usable after. */
static void expect_stop(kumi_store *s, kumi_instance *inst, const char *name, kumi_trap_code code, const char *msg) {
  kumi_val arg = kumi_val_i32(0), r;
  kumi_error *e = expect_trap(call(s, inst, name, &arg, 1, &r, 1), code);
  if (e) CHECK(strstr(kumi_error_message(e), msg) != NULL);
  kumi_error_free(e);
  if (code == KUMI_TRAP_OUT_OF_FUEL) {
    CHECK(kumi_store_fuel(s) == 0);
    kumi_store_set_fuel(s, 100);
  }
  CHECK(call_i(s, inst, "count", 1, 10, 0, 0) == 10);
}

#if defined(__unix__)
/* The store a SIGALRM interrupts: a signal handler can only reach it
 * through a global. */
static kumi_store *volatile alarm_store;
static void on_alarm(int sig) {
  (void)sig;
  kumi_store_interrupt(alarm_store);
}

/* An endless loop without fuel, stopped from a signal handler. */
static void test_interrupt_from_signal(kumi_store *s, kumi_instance *inst) {
  alarm_store = s;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigemptyset(&sa.sa_mask);
  CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
  struct itimerval t = {{0, 0}, {0, 20000}};
  CHECK(setitimer(ITIMER_REAL, &t, NULL) == 0);
  expect_stop(s, inst, "spin", KUMI_TRAP_INTERRUPTED, "interrupted");
  signal(SIGALRM, SIG_DFL);
}
#endif

/* Fuel stops loops, recursion and tail-call loops; an interrupt request
 * stops the loop after the host call that made it and is then spent;
 * without fuel, deep recursion still exhausts the stack. */
static void test_runaway(kumi_engine *eng) {
  kumi_limits lim = {0};
  lim.fuel = 100000;
  kumi_store *s = kumi_store_new(eng, &lim);
  kumi_module *m;
  kumi_instance *inst = instantiate_spin(eng, s, &m);
  CHECK(inst != NULL);
  if (inst) {
    CHECK(kumi_store_fuel(s) == 100000);
    /* count(n) takes n - 1 back-edges */
    CHECK(call_i(s, inst, "count", 1, 1000, 0, 0) == 1000);
    CHECK(kumi_store_fuel(s) == 100000 - 999);
    kumi_store_set_fuel(s, 5000);
    CHECK(call_i(s, inst, "count", 1, 5001, 0, 0) == 5001);
    CHECK(kumi_store_fuel(s) == 0);
    kumi_val arg = kumi_val_i32(2), r;
    kumi_error_free(expect_trap(call(s, inst, "count", &arg, 1, &r, 1), KUMI_TRAP_OUT_OF_FUEL));
    CHECK(kumi_store_fuel(s) == 0);
    kumi_store_set_fuel(s, 2);
    CHECK(call_i(s, inst, "count", 1, 3, 0, 0) == 3);
    CHECK(kumi_store_fuel(s) == 0);
    kumi_store_set_fuel(s, 1000000);
    expect_stop(s, inst, "spin", KUMI_TRAP_OUT_OF_FUEL, "all fuel consumed");
    kumi_store_set_fuel(s, 1000000);
    expect_stop(s, inst, "tspin", KUMI_TRAP_OUT_OF_FUEL, "all fuel consumed");
    kumi_store_set_fuel(s, 5000);
    expect_stop(s, inst, "rec", KUMI_TRAP_OUT_OF_FUEL, "all fuel consumed");
    kumi_store_set_fuel(s, KUMI_FUEL_UNLIMITED);
    CHECK(kumi_store_fuel(s) == KUMI_FUEL_UNLIMITED);
    expect_stop(s, inst, "rec", KUMI_TRAP_STACK_EXHAUSTED, "call stack exhausted");
    CHECK(kumi_store_fuel(s) == KUMI_FUEL_UNLIMITED);
    expect_stop(s, inst, "stop_then_spin", KUMI_TRAP_INTERRUPTED, "interrupted");
    /* a request made between calls stops the next one, once */
    kumi_store_interrupt(s);
    expect_stop(s, inst, "spin", KUMI_TRAP_INTERRUPTED, "interrupted");
    CHECK(call_i(s, inst, "count", 1, 100000, 0, 0) == 100000);
#if defined(__unix__)
    test_interrupt_from_signal(s, inst);
#endif
  }
  kumi_module_free(m);
  kumi_store_free(s);

  /* unlimited by default */
  s = kumi_store_new(eng, NULL);
  CHECK(kumi_store_fuel(s) == KUMI_FUEL_UNLIMITED);
  kumi_store_free(s);
}

int main(void) {
  kumi_engine *eng = kumi_engine_new(NULL);
  kumi_store *s = kumi_store_new(eng, NULL);
  host_env h = {s, NULL, NULL, 0};
  kumi_module *m;
  kumi_instance *inst = instantiate(eng, s, &h, main_wasm, sizeof main_wasm, &m);
  CHECK(inst != NULL);
  if (inst) {
    h.fact = kumi_instance_func(inst, "fact");
    test_translation(s, inst);
    test_calls(s, inst, &h);
    test_traps(s, inst);
  }
  kumi_module_free(m);
  kumi_store_free(s);
  test_limits(eng);
  test_tail_calls(eng);
  test_multi_memory(eng);
  test_runaway(eng);
  kumi_engine_free(eng);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
