/* The public API's entry points that are not about the store's objects:
 * the engine, module handles and their introspection, calling a function,
 * and conversions between public values and interpreter slots. */
#include "runtime.h"

/* ---- engine ------------------------------------------------------------------- */

kumi_engine *kumi_engine_new(const kumi_config *config) {
  const kumi_allocator *a = config && config->allocator ? config->allocator : kb_default_allocator();
  kumi_engine *e = kb_zalloc(a, sizeof *e);
  if (!e) return NULL;
  /* The engine keeps its own copy, so the caller's config may go away. */
  e->alloc_storage = *a;
  e->alloc = &e->alloc_storage;
  kumi_features f = config ? config->features : 0;
  e->features = f == 0 ? KUMI_FEATURES_DEFAULT : (f & CORE_FEATURES_ENGINE);
  return e;
}

void kumi_engine_free(kumi_engine *e) {
  if (!e) return;
  kumi_allocator a = e->alloc_storage;
  kb_free(&a, e, sizeof *e);
}

/* ---- modules ------------------------------------------------------------------ */

/* Fills m->api_types from the module's types, in the module's arena. */
static bool make_api_types(kumi_module *m) {
  core_module *c = m->core;
  if (!c->ntypes) return true;
  m->api_types = kb_arena_alloc(&c->arena, c->ntypes * sizeof *m->api_types);
  if (!m->api_types) return false;
  for (uint32_t i = 0; i < c->ntypes; i++) {
    const core_functype *ft = &c->types[i];
    size_t n = (size_t)ft->nparams + ft->nresults;
    kumi_valkind *kinds = kb_arena_alloc(&c->arena, (n ? n : 1) * sizeof *kinds);
    if (!kinds) return false;
    for (size_t j = 0; j < n; j++) kinds[j] = core_valkind(ft->types[j]);
    m->api_types[i].nparams = ft->nparams;
    m->api_types[i].nresults = ft->nresults;
    m->api_types[i].params = kinds;
    m->api_types[i].results = kinds + ft->nparams;
  }
  return true;
}

/* What the interpreter (compile.c) can run beyond WebAssembly 2.0. A valid
 * module that relies on anything else is refused with a KUMI_ERR_LIMIT
 * error, before translation, instead of being run wrongly. Grows as
 * compile.c learns them. */
#define CORE_RUNNABLE_FEATURES \
  (KUMI_FEATURE_SIMD | KUMI_FEATURE_EXTENDED_CONST | KUMI_FEATURE_TAIL_CALL | KUMI_FEATURE_MULTI_MEMORY)

static kumi_error *check_runnable(core_module *c) {
  kumi_features missing = c->uses & ~(kumi_features)CORE_RUNNABLE_FEATURES;
  if (!missing) return NULL;
  const char *what = (missing & KUMI_FEATURE_SIMD)        ? "SIMD (v128)"
                     : (missing & KUMI_FEATURE_TAIL_CALL) ? "tail calls"
                                                          : "instructions on memories other than memory 0";
  kumi_error *e = kb_error(c->alloc, KUMI_ERR_LIMIT, KUMI_NO_OFFSET,
                           "unsupported instruction: the module is valid, but the interpreter cannot run %s yet", what);
  return e ? e : kb_error_oom();
}

kumi_module *kumi_module_new(kumi_engine *engine, const uint8_t *bytes, size_t len, kumi_error **error) {
  *error = NULL;
  core_module *c = core_module_decode_with(engine->alloc, bytes, len, engine->features, error);
  if (!c) return NULL;
  kumi_error *e = core_module_validate(c);
  if (!e) e = check_runnable(c);
  if (!e) e = core_module_compile(c);
  if (e) {
    core_module_free(c);
    *error = e;
    return NULL;
  }
  kumi_module *m = kb_zalloc(engine->alloc, sizeof *m);
  if (!m) {
    core_module_free(c);
    *error = kb_error_oom();
    return NULL;
  }
  m->engine = engine;
  m->core = c;
  m->refs = 1;
  if (!make_api_types(m)) {
    kumi_module_free(m);
    *error = kb_error_oom();
    return NULL;
  }
  return m;
}

kumi_error *kumi_module_validate(kumi_engine *engine, const uint8_t *bytes, size_t len) {
  kumi_error *e = NULL;
  core_module *c = core_module_decode_with(engine->alloc, bytes, len, engine->features, &e);
  if (!c) return e;
  e = core_module_validate(c);
  core_module_free(c);
  return e;
}

/* Drops one reference: the handle's, or an instance's (store.c). */
void kumi_module_free(kumi_module *m) {
  if (!m || --m->refs > 0) return;
  const kumi_allocator *a = m->engine->alloc;
  core_module_free(m->core);
  kb_free(a, m, sizeof *m);
}

size_t kumi_module_import_count(const kumi_module *m) { return m->core->nimports; }

void kumi_module_import(const kumi_module *m, size_t i, kumi_import_desc *out) {
  const core_import *im = &m->core->imports[i];
  out->module = im->module;
  out->module_len = im->module_len;
  out->name = im->name;
  out->name_len = im->name_len;
  out->kind = (kumi_externkind)im->kind;
}

size_t kumi_module_export_count(const kumi_module *m) { return m->core->nexports; }

void kumi_module_export(const kumi_module *m, size_t i, kumi_export_desc *out) {
  const core_export *ex = &m->core->exports[i];
  out->name = ex->name;
  out->name_len = ex->name_len;
  out->kind = (kumi_externkind)ex->kind;
}

const kumi_functype *kumi_module_export_functype(const kumi_module *m, const char *name) {
  const core_module *c = m->core;
  size_t n = strlen(name);
  for (uint32_t i = 0; i < c->nexports; i++) {
    const core_export *ex = &c->exports[i];
    if (ex->kind == CORE_EXTERN_FUNC && ex->name_len == n && memcmp(ex->name, name, n) == 0)
      return &m->api_types[c->funcs[ex->index].type];
  }
  return NULL;
}

/* ---- functions ------------------------------------------------------------------ */

const kumi_functype *kumi_func_type(const kumi_func *f) { return &f->api_type; }

/* Slots for a call without allocating, for the common small signatures. */
#define CALL_INLINE_SLOTS 16

kumi_error *kumi_func_call(kumi_store *s, kumi_func *f, const kumi_val *args, size_t nargs, kumi_val *results,
                           size_t nresults) {
  if (!s || !f) return kb_error(s ? s->alloc : kb_default_allocator(), KUMI_ERR_ARG, KUMI_NO_OFFSET, "null store or function");
  if (f->store != s) return kb_error(s->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "function belongs to another store");
  const kumi_functype *t = &f->api_type;
  if (nargs != t->nparams || nresults != t->nresults)
    return kb_error(s->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET,
                    "function takes %u arguments and returns %u results, called with %zu and %zu", t->nparams,
                    t->nresults, nargs, nresults);
  for (size_t i = 0; i < nargs; i++) {
    if (args[i].kind != t->params[i])
      return kb_error(s->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "argument %zu has the wrong type (expected %s)", i,
                      core_valtype_name(f->type->types[i]));
    if (args[i].kind == KUMI_FUNCREF && args[i].of.funcref && args[i].of.funcref->store != s)
      return kb_error(s->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "argument %zu is a function of another store", i);
  }
  /* in slots: a v128 takes two */
  size_t np = core_valtypes_slots(core_functype_params(f->type), f->type->nparams);
  size_t nr = core_valtypes_slots(core_functype_results(f->type), f->type->nresults);
  size_t n = np > nr ? np : nr;
  core_slot inline_slots[CALL_INLINE_SLOTS];
  core_slot *slots = inline_slots;
  if (n > CALL_INLINE_SLOTS) {
    slots = kb_alloc(s->alloc, n * sizeof *slots);
    if (!slots) return kb_error_oom();
  }
  size_t k = 0;
  for (size_t i = 0; i < nargs; i++) k += core_slots_from_val(&args[i], slots + k);
  kumi_error *e = core_invoke(s, f, slots);
  k = 0;
  if (!e)
    for (size_t i = 0; i < nresults; i++) {
      core_valtype t = core_functype_results(f->type)[i];
      results[i] = core_val_from_slots(t, slots + k);
      k += core_valtype_slots(t);
    }
  if (slots != inline_slots) kb_free(s->alloc, slots, n * sizeof *slots);
  return e;
}

/* ---- values --------------------------------------------------------------------- */

core_slot core_slot_from_val(const kumi_val *v) {
  switch (v->kind) {
  case KUMI_I32: return (uint32_t)v->of.i32;
  case KUMI_I64: return (uint64_t)v->of.i64;
  case KUMI_F32: return v->of.f32_bits;
  case KUMI_F64: return v->of.f64_bits;
  case KUMI_FUNCREF: return (core_slot)(uintptr_t)v->of.funcref;
  case KUMI_EXTERNREF: return (core_slot)(uintptr_t)v->of.externref;
  case KUMI_V128: break;
  }
  return 0;
}

uint32_t core_slots_from_val(const kumi_val *v, core_slot *out) {
  if (v->kind != KUMI_V128) {
    out[0] = core_slot_from_val(v);
    return 1;
  }
  memcpy(out, v->of.v128, 16);
  return 2;
}

kumi_val core_val_from_slots(core_valtype t, const core_slot *s) {
  if (t != CORE_V128) return core_val_from_slot(t, s[0]);
  kumi_val v;
  memset(&v, 0, sizeof v);
  v.kind = KUMI_V128;
  memcpy(v.of.v128, s, 16);
  return v;
}

kumi_val core_val_from_slot(core_valtype t, core_slot s) {
  kumi_val v;
  memset(&v, 0, sizeof v);
  v.kind = core_valkind(t);
  switch (t) {
  case CORE_I32: v.of.i32 = (int32_t)(uint32_t)s; break;
  case CORE_I64: v.of.i64 = (int64_t)s; break;
  case CORE_F32: v.of.f32_bits = (uint32_t)s; break;
  case CORE_F64: v.of.f64_bits = s; break;
  case CORE_FUNCREF: v.of.funcref = (kumi_func *)(uintptr_t)s; break;
  case CORE_EXTERNREF:
  case CORE_EXNREF: v.of.externref = (void *)(uintptr_t)s; break;
  default: break;
  }
  return v;
}

kumi_valkind core_valkind(core_valtype t) {
  switch (t) {
  case CORE_I32: return KUMI_I32;
  case CORE_I64: return KUMI_I64;
  case CORE_F32: return KUMI_F32;
  case CORE_F64: return KUMI_F64;
  case CORE_V128: return KUMI_V128;
  case CORE_FUNCREF: return KUMI_FUNCREF;
  case CORE_EXTERNREF:
  case CORE_EXNREF: return KUMI_EXTERNREF; /* an opaque exception pointer (kumi.h) */
  }
  return KUMI_I32;
}

bool kumi_error_is_exception(const kumi_error *e) {
  return e && e->kind == KUMI_ERR_TRAP && e->trap == KUMI_TRAP_NONE && e->message &&
         strcmp(e->message, CORE_UNCAUGHT_MESSAGE) == 0;
}
