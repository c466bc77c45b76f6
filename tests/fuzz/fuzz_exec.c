/* Bounded execution for fuzzing: see fuzz_exec.h. This file reaches into
 * the decoded module (src/core/module.h) because the public API does not
 * expose import types. */
#include "fuzz_exec.h"

#include <stdlib.h>
#include <string.h>

#include "core/runtime.h"

/* Fuel for the start function and for each exported call. Fuel is burnt
 * at function entries and backward branches, so between two polls a
 * function runs at most its own (fuzzer-sized) body once: these budgets
 * bound the time of one input. */
#define CALL_FUEL (1u << 14)

/* ---- instantiation with stubs ---------------------------------------------------- */

static kumi_val zero_val(kumi_valkind k) {
  kumi_val v;
  memset(&v, 0, sizeof v);
  v.kind = k;
  return v;
}

/* env is the import's kumi_functype, in the module's arena. */
static kumi_error *stub(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  (void)caller;
  (void)args;
  const kumi_functype *ft = env;
  for (uint32_t i = 0; i < ft->nresults; i++) results[i] = zero_val(ft->results[i]);
  return NULL;
}

static void drop(kumi_error *e) {
  if (e) kumi_error_free(e);
}

/* Defines import i; failures (a limit, a name with NUL) just leave it
 * undefined, which instantiation then reports. */
static void define_import(kumi_linker *l, kumi_store *s, kumi_module *m, const core_import *im) {
  kumi_error *e = NULL;
  kumi_extern x;
  memset(&x, 0, sizeof x);
  x.kind = (kumi_externkind)im->kind;
  switch (im->kind) {
  case CORE_EXTERN_FUNC: {
    kumi_functype *ft = &m->api_types[im->desc.func_type];
    drop(kumi_linker_define_func(l, im->module, im->name, ft, stub, ft));
    return;
  }
  case CORE_EXTERN_TABLE: {
    const core_limits *lim = &im->desc.table.limits;
    if (lim->min > UINT32_MAX || lim->max > UINT32_MAX) return;
    x.of.table = kumi_table_new(s, core_valkind(im->desc.table.elem), (uint32_t)lim->min, (uint32_t)lim->max,
                                lim->has_max, zero_val(core_valkind(im->desc.table.elem)), &e);
    break;
  }
  case CORE_EXTERN_MEMORY: {
    const core_limits *lim = &im->desc.memory.limits;
    if (lim->min > UINT32_MAX || lim->max > UINT32_MAX) return;
    x.of.memory = kumi_memory_new(s, (uint32_t)lim->min, (uint32_t)lim->max, lim->has_max, &e);
    break;
  }
  case CORE_EXTERN_GLOBAL:
    x.of.global = kumi_global_new(s, zero_val(core_valkind(im->desc.global.type)), im->desc.global.mut, &e);
    break;
  default: return;
  }
  if (e) {
    drop(e);
    return;
  }
  drop(kumi_linker_define(l, im->module, im->name, x));
}

static void call_exports(kumi_store *s, kumi_instance *inst, kumi_module *m) {
  const core_module *c = m->core;
  for (uint32_t i = 0; i < c->nexports; i++) {
    const core_export *ex = &c->exports[i];
    kumi_extern x;
    if (!kumi_instance_export_n(inst, ex->name, ex->name_len, &x)) continue;
    if (x.kind == KUMI_EXTERN_GLOBAL) {
      (void)kumi_global_get(x.of.global);
      continue;
    }
    if (x.kind != KUMI_EXTERN_FUNC || ex->kind != CORE_EXTERN_FUNC) continue;
    const kumi_functype *ft = kumi_func_type(x.of.func);
    kumi_val *args = calloc(ft->nparams + 1, sizeof *args);
    kumi_val *results = calloc(ft->nresults + 1, sizeof *results);
    if (args && results) {
      for (uint32_t j = 0; j < ft->nparams; j++) args[j] = zero_val(ft->params[j]);
      kumi_store_set_fuel(s, CALL_FUEL);
      drop(kumi_func_call(s, x.of.func, args, ft->nparams, results, ft->nresults));
    }
    free(args);
    free(results);
  }
}

void fuzz_instantiate(kumi_engine *engine, kumi_module *m, bool execute) {
  const core_module *c = m->core;
  /* Small limits: a fuzzed module asks for 4 GiB as easily as for 1 page. */
  kumi_limits limits;
  memset(&limits, 0, sizeof limits);
  limits.max_memory_pages = 64;
  limits.max_table_elems = 1u << 16;
  limits.max_call_depth = 1000;
  limits.max_stack_slots = 1u << 16;
  limits.fuel = CALL_FUEL; /* the start function's */
  kumi_store *s = kumi_store_new(engine, &limits);
  if (!s) return;
  kumi_linker *l = kumi_linker_new(s);
  if (l) {
    for (uint32_t i = 0; i < c->nimports; i++) define_import(l, s, m, &c->imports[i]);
    kumi_error *e = NULL;
    kumi_instance *inst = kumi_linker_instantiate(l, m, &e);
    drop(e);
    if (inst && execute) call_exports(s, inst, m);
    kumi_linker_free(l);
  }
  kumi_store_free(s);
}
