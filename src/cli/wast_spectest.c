/* The `spectest` module of the spec interpreter, which the scripts import:
 * print functions, four immutable globals, a funcref table (10..20) and a
 * memory (1..2 pages). Made once per manifest in that manifest's store, so
 * every module of the script shares the same table and memory. */
#include "wast.h"

#include <inttypes.h>
#include <string.h>

/* Prints "value : type" per argument when --verbose (like the spec
 * interpreter does), otherwise does nothing. env is the wast_options. */
static kumi_error *spectest_print(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results,
                                  uint32_t nargs) {
  (void)caller;
  (void)results;
  const wast_options *opt = env;
  if (!opt->verbose) return NULL;
  for (uint32_t i = 0; i < nargs; i++) {
    char buf[96];
    cli_wast_format_val(buf, sizeof buf, &args[i]);
    fprintf(opt->out, "spectest print: %s\n", buf);
  }
  if (nargs == 0) fprintf(opt->out, "spectest print\n");
  return NULL;
}

static kumi_error *print0(kumi_caller *c, void *env, const kumi_val *a, kumi_val *r) {
  return spectest_print(c, env, a, r, 0);
}
static kumi_error *print1(kumi_caller *c, void *env, const kumi_val *a, kumi_val *r) {
  return spectest_print(c, env, a, r, 1);
}
static kumi_error *print2(kumi_caller *c, void *env, const kumi_val *a, kumi_val *r) {
  return spectest_print(c, env, a, r, 2);
}

static const kumi_valkind p_i32[] = {KUMI_I32};
static const kumi_valkind p_i64[] = {KUMI_I64};
static const kumi_valkind p_f32[] = {KUMI_F32};
static const kumi_valkind p_f64[] = {KUMI_F64};
static const kumi_valkind p_i32_f32[] = {KUMI_I32, KUMI_F32};
static const kumi_valkind p_f64_f64[] = {KUMI_F64, KUMI_F64};

static kumi_error *define_global(kumi_linker *l, kumi_store *s, const char *name, kumi_val v) {
  kumi_error *err = NULL;
  kumi_global *g = kumi_global_new(s, v, false, &err);
  if (!g) return err ? err : kumi_error_new(s, KUMI_ERR_OOM, "cannot make a spectest global");
  kumi_extern e;
  e.kind = KUMI_EXTERN_GLOBAL;
  e.of.global = g;
  return kumi_linker_define(l, "spectest", name, e);
}

kumi_error *cli_wast_define_spectest(kumi_linker *l, kumi_store *s, const wast_options *opt) {
  static const struct {
    const char *name;
    kumi_functype type;
    kumi_host_fn fn;
  } funcs[] = {
      {"print", {0, 0, NULL, NULL}, print0},
      {"print_i32", {1, 0, p_i32, NULL}, print1},
      {"print_i64", {1, 0, p_i64, NULL}, print1},
      {"print_f32", {1, 0, p_f32, NULL}, print1},
      {"print_f64", {1, 0, p_f64, NULL}, print1},
      {"print_i32_f32", {2, 0, p_i32_f32, NULL}, print2},
      {"print_f64_f64", {2, 0, p_f64_f64, NULL}, print2},
  };
  kumi_error *err;
  for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++) {
    /* env is only read; the host function API passes it as void *. */
    err = kumi_linker_define_func(l, "spectest", funcs[i].name, &funcs[i].type, funcs[i].fn, (void *)(uintptr_t)opt);
    if (err) return err;
  }

  float f32 = 666.6f;
  double f64 = 666.6;
  kumi_val v;
  memset(&v, 0, sizeof v);
  if ((err = define_global(l, s, "global_i32", kumi_val_i32(666)))) return err;
  if ((err = define_global(l, s, "global_i64", kumi_val_i64(666)))) return err;
  v.kind = KUMI_F32;
  memcpy(&v.of.f32_bits, &f32, sizeof f32);
  if ((err = define_global(l, s, "global_f32", v))) return err;
  memset(&v, 0, sizeof v);
  v.kind = KUMI_F64;
  memcpy(&v.of.f64_bits, &f64, sizeof f64);
  if ((err = define_global(l, s, "global_f64", v))) return err;

  kumi_val null_func;
  memset(&null_func, 0, sizeof null_func);
  null_func.kind = KUMI_FUNCREF;
  kumi_table *t = kumi_table_new(s, KUMI_FUNCREF, 10, 20, true, null_func, &err);
  if (!t) return err ? err : kumi_error_new(s, KUMI_ERR_OOM, "cannot make the spectest table");
  kumi_extern e;
  e.kind = KUMI_EXTERN_TABLE;
  e.of.table = t;
  if ((err = kumi_linker_define(l, "spectest", "table", e))) return err;

  kumi_memory *m = kumi_memory_new(s, 1, 2, true, &err);
  if (!m) return err ? err : kumi_error_new(s, KUMI_ERR_OOM, "cannot make the spectest memory");
  e.kind = KUMI_EXTERN_MEMORY;
  e.of.memory = m;
  return kumi_linker_define(l, "spectest", "memory", e);
}
