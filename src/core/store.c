/* The store and the objects that live in it: the function type table,
 * memories, tables, globals and host functions. Everything made here is
 * freed by kumi_store_free. */
#include "runtime.h"

#define MAX_WASM_PAGES 65536u
#define DEFAULT_TABLE_ELEMS 10000000u
#define DEFAULT_CALL_DEPTH 10000u
#define DEFAULT_STACK_SLOTS (1u << 20)

/* ---- the store -------------------------------------------------------------- */

/* The interpreter allocates its stacks lazily; the store frees them.
 * stack_cap counts slots and frames_cap counts bytes (runtime.h). */
static void exec_free(kumi_store *s) {
  kb_free(s->alloc, s->exec.stack, s->exec.stack_cap * sizeof(core_slot));
  kb_free(s->alloc, s->exec.frames, s->exec.frames_cap);
}

void core_exec_swap(kumi_store *s, core_exec_thread *t) {
  core_exec *x = &s->exec;
  core_exec_thread cur = {x->stack, x->stack_cap, x->depth, x->host_depth, x->frames, x->frames_cap, x->sp, x->exn};
  x->stack = t->stack;
  x->stack_cap = t->stack_cap;
  x->depth = t->depth;
  x->host_depth = t->host_depth;
  x->frames = t->frames;
  x->frames_cap = t->frames_cap;
  x->sp = t->sp;
  x->exn = t->exn;
  *t = cur;
}

void core_exec_thread_free(kumi_store *s, core_exec_thread *t) {
  kb_free(s->alloc, t->stack, t->stack_cap * sizeof(core_slot));
  kb_free(s->alloc, t->frames, t->frames_cap);
  memset(t, 0, sizeof *t);
}

kumi_store *kumi_store_new(kumi_engine *engine, const kumi_limits *limits) {
  if (!engine) return NULL;
  kumi_store *s = kb_zalloc(engine->alloc, sizeof *s);
  if (!s) return NULL;
  s->engine = engine;
  s->alloc = engine->alloc;
  if (limits) s->limits = *limits;
  if (s->limits.max_memory_pages == 0 || s->limits.max_memory_pages > MAX_WASM_PAGES)
    s->limits.max_memory_pages = MAX_WASM_PAGES;
  if (s->limits.max_table_elems == 0) s->limits.max_table_elems = DEFAULT_TABLE_ELEMS;
  if (s->limits.max_call_depth == 0) s->limits.max_call_depth = DEFAULT_CALL_DEPTH;
  if (s->limits.max_stack_slots == 0) s->limits.max_stack_slots = DEFAULT_STACK_SLOTS;
  if (s->limits.fuel == 0) s->limits.fuel = KUMI_FUEL_UNLIMITED;
  s->exec.fuel = s->limits.fuel;
  kb_arena_init(&s->arena, s->alloc);
  return s;
}

void kumi_store_interrupt(kumi_store *s) {
  if (s) s->exec.interrupt = 1;
}

/* Between runs (or in a host call, after the interpreter gave its chunk
 * back) exec.fuel is all the fuel left. */
void kumi_store_set_fuel(kumi_store *s, uint64_t fuel) {
  if (s) s->exec.fuel = fuel;
}

uint64_t kumi_store_fuel(const kumi_store *s) {
  return s ? s->exec.fuel : KUMI_FUEL_UNLIMITED;
}

void kumi_store_free(kumi_store *s) {
  if (!s) return;
  const kumi_allocator *a = s->alloc;
  /* Instance structs and their index spaces live in the arena; each owns
   * its export map and a reference to its module. */
  for (size_t i = 0; i < s->instances.len; i++) {
    kumi_instance *inst = s->instances.items[i];
    kb_map_free(&inst->exports);
    kumi_module_free(inst->module);
  }
  kb_vec_free(a, &s->instances);
  for (size_t i = 0; i < s->memories.len; i++) {
    kumi_memory *m = s->memories.items[i];
    kb_free(a, m->data, (size_t)m->size);
    kb_free(a, m, sizeof *m);
  }
  kb_vec_free(a, &s->memories);
  for (size_t i = 0; i < s->tables.len; i++) {
    kumi_table *t = s->tables.items[i];
    kb_free(a, t->elems, (size_t)t->size * sizeof(core_slot));
    kb_free(a, t, sizeof *t);
  }
  kb_vec_free(a, &s->tables);
  kb_vec_free(a, &s->types);
  exec_free(s);
  kb_arena_free(&s->arena);
  kb_free(a, s, sizeof *s);
}

uint32_t core_store_type_id(kumi_store *s, const core_functype *ft) {
  /* Linear: a store sees few distinct function types, and each module's
   * types are interned once per instantiation. */
  for (size_t i = 0; i < s->types.len; i++)
    if (core_functype_equal(&s->types.items[i], ft)) return (uint32_t)i;
  if (s->types.len >= UINT32_MAX - 1) return UINT32_MAX;
  size_t n = (size_t)ft->nparams + ft->nresults;
  core_functype copy = {ft->nparams, ft->nresults, NULL};
  if (n) {
    copy.types = kb_arena_alloc(&s->arena, n);
    if (!copy.types) return UINT32_MAX;
    memcpy(copy.types, ft->types, n);
  }
  if (!kb_vec_push(s->alloc, &s->types, copy)) return UINT32_MAX;
  return (uint32_t)(s->types.len - 1);
}

/* ---- values ----------------------------------------------------------------- */

/* The core value type of a public kind; 0 for kinds a slot cannot hold. */
static core_valtype valtype_of_kind(kumi_valkind k) {
  switch (k) {
  case KUMI_I32: return CORE_I32;
  case KUMI_I64: return CORE_I64;
  case KUMI_F32: return CORE_F32;
  case KUMI_F64: return CORE_F64;
  case KUMI_FUNCREF: return CORE_FUNCREF;
  case KUMI_EXTERNREF: return CORE_EXTERNREF;
  case KUMI_V128: return CORE_V128;
  }
  return 0;
}

/* A funcref from the embedder must be null or belong to this store. */
static bool ref_ok(kumi_store *s, const kumi_val *v) {
  return v->kind != KUMI_FUNCREF || !v->of.funcref || v->of.funcref->store == s;
}

/* ---- memories ----------------------------------------------------------------- */

kumi_memory *kumi_memory_new(kumi_store *s, uint32_t min_pages, uint32_t max_pages, bool has_max, kumi_error **error) {
  *error = NULL;
  if (min_pages > MAX_WASM_PAGES || (has_max && (max_pages > MAX_WASM_PAGES || max_pages < min_pages))) {
    *error = kb_error(s->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "invalid memory limits");
    return NULL;
  }
  if (min_pages > s->limits.max_memory_pages) {
    *error = kb_error(s->alloc, KUMI_ERR_LIMIT, KUMI_NO_OFFSET,
                      "memory of %u pages exceeds the store limit of %u pages", min_pages,
                      s->limits.max_memory_pages);
    return NULL;
  }
  if (!kb_vec_reserve(s->alloc, &s->memories, 1)) goto oom;
  kumi_memory *m = kb_zalloc(s->alloc, sizeof *m);
  if (!m) goto oom;
  m->store = s;
  m->type.limits.min = 0;
  m->type.limits.max = max_pages;
  m->type.limits.has_max = has_max;
  m->max_pages = has_max ? max_pages : MAX_WASM_PAGES;
  if (m->max_pages > s->limits.max_memory_pages) m->max_pages = s->limits.max_memory_pages;
  s->memories.items[s->memories.len++] = m;
  if (min_pages && core_memory_grow(m, min_pages) < 0) goto oom;
  return m;
oom:
  *error = kb_error(s->alloc, KUMI_ERR_OOM, KUMI_NO_OFFSET, "out of memory allocating %u pages", min_pages);
  return NULL;
}

int64_t core_memory_grow(kumi_memory *m, uint64_t delta) {
  uint64_t old = m->type.limits.min;
  if (delta > m->max_pages - old) return -1;
  if (delta == 0) return (int64_t)old;
  uint64_t new_size = (old + delta) * CORE_PAGE_SIZE;
  if (new_size > SIZE_MAX) return -1;
  uint8_t *data = kb_realloc(m->store->alloc, m->data, (size_t)m->size, (size_t)new_size);
  if (!data) return -1;
  memset(data + m->size, 0, (size_t)(new_size - m->size));
  m->data = data;
  m->size = new_size;
  m->type.limits.min = old + delta;
  return (int64_t)old;
}

uint8_t *kumi_memory_data(kumi_memory *m) { return m->data; }
size_t kumi_memory_size(const kumi_memory *m) { return (size_t)m->size; }
int64_t kumi_memory_grow(kumi_memory *m, uint32_t delta) { return core_memory_grow(m, delta); }

kumi_error *kumi_memory_read(kumi_memory *m, uint64_t offset, void *buf, size_t len) {
  if (offset > m->size || len > m->size - offset) return kb_trap(m->store->alloc, KUMI_TRAP_OOB_MEMORY);
  if (len) memcpy(buf, m->data + offset, len);
  return NULL;
}

kumi_error *kumi_memory_write(kumi_memory *m, uint64_t offset, const void *buf, size_t len) {
  if (offset > m->size || len > m->size - offset) return kb_trap(m->store->alloc, KUMI_TRAP_OOB_MEMORY);
  if (len) memcpy(m->data + offset, buf, len);
  return NULL;
}

/* ---- tables ------------------------------------------------------------------- */

kumi_table *kumi_table_new(kumi_store *s, kumi_valkind elem, uint32_t min, uint32_t max, bool has_max, kumi_val init,
                           kumi_error **error) {
  *error = NULL;
  if ((elem != KUMI_FUNCREF && elem != KUMI_EXTERNREF) || init.kind != elem || !ref_ok(s, &init) ||
      (has_max && max < min)) {
    *error = kb_error(s->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "invalid table type or initial value");
    return NULL;
  }
  if (min > s->limits.max_table_elems) {
    *error = kb_error(s->alloc, KUMI_ERR_LIMIT, KUMI_NO_OFFSET,
                      "table of %u elements exceeds the store limit of %u elements", min, s->limits.max_table_elems);
    return NULL;
  }
  if (!kb_vec_reserve(s->alloc, &s->tables, 1)) goto oom;
  kumi_table *t = kb_zalloc(s->alloc, sizeof *t);
  if (!t) goto oom;
  t->store = s;
  t->type.elem = valtype_of_kind(elem);
  t->type.limits.min = 0;
  t->type.limits.max = max;
  t->type.limits.has_max = has_max;
  t->max = has_max ? max : UINT32_MAX;
  if (t->max > s->limits.max_table_elems) t->max = s->limits.max_table_elems;
  s->tables.items[s->tables.len++] = t;
  if (min && core_table_grow(t, min, core_slot_from_val(&init)) < 0) goto oom;
  return t;
oom:
  *error = kb_error(s->alloc, KUMI_ERR_OOM, KUMI_NO_OFFSET, "out of memory allocating a table of %u elements", min);
  return NULL;
}

int64_t core_table_grow(kumi_table *t, uint64_t delta, core_slot init) {
  uint64_t old = t->size;
  if (delta > t->max - old) return -1;
  if (delta == 0) return (int64_t)old;
  uint64_t n = old + delta;
  if (n > SIZE_MAX / sizeof(core_slot)) return -1;
  core_slot *elems = kb_realloc(t->store->alloc, t->elems, (size_t)old * sizeof(core_slot), (size_t)n * sizeof(core_slot));
  if (!elems) return -1;
  for (uint64_t i = old; i < n; i++) elems[i] = init;
  t->elems = elems;
  t->size = (uint32_t)n;
  t->type.limits.min = n;
  return (int64_t)old;
}

uint32_t kumi_table_size(const kumi_table *t) { return t->size; }

bool kumi_table_get(const kumi_table *t, uint32_t i, kumi_val *out) {
  if (i >= t->size) return false;
  *out = core_val_from_slot(t->type.elem, t->elems[i]);
  return true;
}

bool kumi_table_set(kumi_table *t, uint32_t i, kumi_val v) {
  if (i >= t->size || valtype_of_kind(v.kind) != t->type.elem || !ref_ok(t->store, &v)) return false;
  t->elems[i] = core_slot_from_val(&v);
  return true;
}

int64_t kumi_table_grow(kumi_table *t, uint32_t delta, kumi_val init) {
  if (valtype_of_kind(init.kind) != t->type.elem || !ref_ok(t->store, &init)) return -1;
  return core_table_grow(t, delta, core_slot_from_val(&init));
}

/* ---- globals ------------------------------------------------------------------ */

kumi_global *kumi_global_new(kumi_store *s, kumi_val init, bool mutable_, kumi_error **error) {
  *error = NULL;
  core_valtype t = valtype_of_kind(init.kind);
  if (!t || !ref_ok(s, &init)) {
    *error = kb_error(s->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "unsupported global type or value");
    return NULL;
  }
  kumi_global *g = kb_arena_alloc(&s->arena, sizeof *g);
  if (!g) {
    *error = kb_error_oom();
    return NULL;
  }
  g->store = s;
  g->type.type = t;
  g->type.mut = mutable_;
  core_slot v[2] = {0, 0};
  core_slots_from_val(&init, v);
  g->value = v[0];
  g->value_hi = v[1];
  return g;
}

kumi_val kumi_global_get(const kumi_global *g) {
  core_slot v[2] = {g->value, g->value_hi};
  return core_val_from_slots(g->type.type, v);
}

kumi_error *kumi_global_set(kumi_global *g, kumi_val v) {
  if (!g->type.mut) return kb_error(g->store->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "global is immutable");
  if (valtype_of_kind(v.kind) != g->type.type || !ref_ok(g->store, &v))
    return kb_error(g->store->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "value of the wrong type for a %s global",
                    core_valtype_name(g->type.type));
  core_slot s[2] = {0, 0};
  core_slots_from_val(&v, s);
  g->value = s[0];
  g->value_hi = s[1];
  return NULL;
}

/* ---- host functions ------------------------------------------------------------ */

kumi_func *kumi_func_new(kumi_store *s, const kumi_functype *type, kumi_host_fn fn, void *env) {
  if (!s || !type || !fn) return NULL;
  size_t n = (size_t)type->nparams + type->nresults;
  core_functype *ft = kb_arena_alloc(&s->arena, sizeof *ft);
  kumi_valkind *kinds = kb_arena_alloc(&s->arena, (n ? n : 1) * sizeof *kinds);
  core_valtype *types = kb_arena_alloc(&s->arena, n ? n : 1);
  kumi_func *f = kb_arena_alloc(&s->arena, sizeof *f);
  if (!ft || !kinds || !types || !f) return NULL;
  for (size_t i = 0; i < n; i++) {
    kinds[i] = i < type->nparams ? type->params[i] : type->results[i - type->nparams];
    types[i] = valtype_of_kind(kinds[i]);
    if (!types[i]) return NULL;
  }
  ft->nparams = type->nparams;
  ft->nresults = type->nresults;
  ft->types = types;
  uint32_t id = core_store_type_id(s, ft);
  if (id == UINT32_MAX) return NULL;
  f->store = s;
  f->type_id = id;
  f->type = ft;
  f->api_type.nparams = type->nparams;
  f->api_type.nresults = type->nresults;
  f->api_type.params = kinds;
  f->api_type.results = kinds + type->nparams;
  f->host = fn;
  f->env = env;
  return f;
}

kumi_memory *kumi_caller_memory(kumi_caller *caller, const char *export_name) {
  kumi_extern ext;
  if (!caller->instance || !kumi_instance_export(caller->instance, export_name, &ext)) return NULL;
  return ext.kind == KUMI_EXTERN_MEMORY ? ext.of.memory : NULL;
}

kumi_store *kumi_caller_store(kumi_caller *caller) { return caller->store; }

kumi_error *kumi_error_new(kumi_store *s, kumi_error_kind kind, const char *message) {
  kumi_error *e = kb_error(s ? s->alloc : kb_default_allocator(), kind, KUMI_NO_OFFSET, "%s", message ? message : "");
  if (e->alloc && kind == KUMI_ERR_TRAP) e->trap = KUMI_TRAP_HOST;
  return e;
}

kumi_error *kumi_error_new_exit(kumi_store *s, int code) {
  kumi_error *e = kb_error(s ? s->alloc : kb_default_allocator(), KUMI_ERR_EXIT, KUMI_NO_OFFSET, "exit with status %d", code);
  if (e->alloc) e->exit_code = code;
  return e;
}
