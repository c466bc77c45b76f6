/* Linking and instantiation of core modules: the linker's (module, name)
 * definitions, import resolution with type checking, allocation of the
 * module's tables, memories and globals, constant expressions, and the
 * WebAssembly 2.0 initialization order (element segments, data segments,
 * start function). */
#include "instr.h"
#include "runtime.h"

#include <stdio.h>

/* ---- constant expressions ---------------------------------------------------- */

#define CONST_STACK 16

/* Evaluates a constant expression of inst's module, which validation
 * checked. Global initializers are evaluated in order, so global.get may see
 * the imported globals and the defined globals before the current one.
 * Extended-const adds integer add/sub/mul. Every instruction takes at least
 * one byte, so the expression's length bounds the stack depth; deep
 * expressions spill to the heap. Scalar and reference types only: v128
 * initializers go through eval_v128. */
static kumi_error *eval_const(kumi_instance *inst, core_expr ex, core_slot *out) {
  const core_module *c = inst->core;
  const kumi_allocator *a = inst->store->alloc;
  core_slot local[CONST_STACK], *stack = local;
  size_t cap = ex.end - ex.start, sp = 0;
  if (cap > CONST_STACK && !(stack = kb_alloc(a, cap * sizeof *stack))) return kb_error_oom();
  kumi_error *e = NULL;
  size_t pos = ex.start;
  for (;;) {
    core_instr in;
    if ((e = core_read_instr_with(a, c->bytes, &pos, ex.end, CORE_FEATURES_ENGINE, &in))) goto done;
    if (in.op == CORE_OP_END) break;
    if (sp == cap) goto bad;
    switch (in.op) {
    case CORE_OP_I32_CONST: stack[sp++] = (uint32_t)in.imm.i32; break;
    case CORE_OP_I64_CONST: stack[sp++] = (uint64_t)in.imm.i64; break;
    case CORE_OP_F32_CONST: stack[sp++] = in.imm.f32; break;
    case CORE_OP_F64_CONST: stack[sp++] = in.imm.f64; break;
    case CORE_OP_REF_NULL: stack[sp++] = 0; break;
    case CORE_OP_REF_FUNC:
      if (in.imm.index >= c->nfuncs) goto bad;
      stack[sp++] = (core_slot)(uintptr_t)inst->funcs[in.imm.index];
      break;
    case CORE_OP_GLOBAL_GET:
      if (in.imm.index >= c->nglobals || !inst->globals[in.imm.index]) goto bad;
      stack[sp++] = inst->globals[in.imm.index]->value;
      break;
    case CORE_OP_I32_ADD:
    case CORE_OP_I32_SUB:
    case CORE_OP_I32_MUL:
    case CORE_OP_I64_ADD:
    case CORE_OP_I64_SUB:
    case CORE_OP_I64_MUL: {
      if (sp < 2) goto bad;
      core_slot y = stack[--sp], x = stack[sp - 1], r;
      switch (in.op) {
      case CORE_OP_I32_ADD: r = (uint32_t)(x + y); break;
      case CORE_OP_I32_SUB: r = (uint32_t)(x - y); break;
      case CORE_OP_I32_MUL: r = (uint32_t)((uint32_t)x * (uint32_t)y); break;
      case CORE_OP_I64_ADD: r = x + y; break;
      case CORE_OP_I64_SUB: r = x - y; break;
      default: r = x * y; break;
      }
      stack[sp - 1] = r;
      break;
    }
    default: goto bad;
    }
  }
  if (sp != 1) goto bad;
  *out = stack[0];
  goto done;
bad:
  e = kb_error(a, KUMI_ERR_INVALID, ex.start, "constant expression required");
  if (!e) e = kb_error_oom();
done:
  if (stack != local) kb_free(a, stack, cap * sizeof *stack);
  return e;
}

/* A v128 global's initializer: validation allows only v128.const and
 * global.get (of a v128 global) there. Writes both slots of g. */
static kumi_error *eval_v128(kumi_instance *inst, core_expr ex, kumi_global *g) {
  const core_module *c = inst->core;
  const kumi_allocator *a = inst->store->alloc;
  size_t pos = ex.start;
  core_instr in, end;
  kumi_error *e = core_read_instr_with(a, c->bytes, &pos, ex.end, CORE_FEATURES_ENGINE, &in);
  if (!e) e = core_read_instr_with(a, c->bytes, &pos, ex.end, CORE_FEATURES_ENGINE, &end);
  if (e) return e;
  if (end.op == CORE_OP_END && in.op == CORE_OP_V128_CONST) {
    memcpy(&g->value, in.imm.bytes, 8);
    memcpy(&g->value_hi, in.imm.bytes + 8, 8);
    return NULL;
  }
  if (end.op == CORE_OP_END && in.op == CORE_OP_GLOBAL_GET && in.imm.index < c->nglobals &&
      inst->globals[in.imm.index] && inst->globals[in.imm.index]->type.type == CORE_V128) {
    g->value = inst->globals[in.imm.index]->value;
    g->value_hi = inst->globals[in.imm.index]->value_hi;
    return NULL;
  }
  e = kb_error(a, KUMI_ERR_INVALID, ex.start, "constant expression required");
  return e ? e : kb_error_oom();
}

/* ---- describing types for link errors ------------------------------------------- */

typedef struct text_buf {
  char s[256];
  size_t n;
} text_buf;

static void put(text_buf *b, const char *s) {
  size_t k = strlen(s);
  if (k > sizeof b->s - 1 - b->n) k = sizeof b->s - 1 - b->n;
  memcpy(b->s + b->n, s, k);
  b->n += k;
  b->s[b->n] = 0;
}

static void put_functype(text_buf *b, const core_functype *ft) {
  put(b, "func (");
  for (uint32_t i = 0; i < ft->nparams + ft->nresults; i++) {
    if (i == ft->nparams) put(b, ") -> (");
    else if (i) put(b, " ");
    put(b, core_valtype_name(ft->types[i]));
  }
  if (!ft->nresults) put(b, ") -> (");
  put(b, ")");
}

static void put_limits(text_buf *b, const core_limits *l) {
  char tmp[64];
  if (l->has_max)
    snprintf(tmp, sizeof tmp, "%llu %llu", (unsigned long long)l->min, (unsigned long long)l->max);
  else
    snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)l->min);
  put(b, tmp);
}

static void put_globaltype(text_buf *b, const core_globaltype *g) {
  put(b, "global ");
  if (g->mut) put(b, "(mut ");
  put(b, core_valtype_name(g->type));
  if (g->mut) put(b, ")");
}

static void put_extern(text_buf *b, const kumi_extern *x) {
  switch (x->kind) {
  case KUMI_EXTERN_FUNC: put_functype(b, x->of.func->type); break;
  case KUMI_EXTERN_TABLE:
    put(b, "table ");
    put_limits(b, &x->of.table->type.limits);
    put(b, " ");
    put(b, core_valtype_name(x->of.table->type.elem));
    break;
  case KUMI_EXTERN_MEMORY:
    put(b, "memory ");
    put_limits(b, &x->of.memory->type.limits);
    break;
  case KUMI_EXTERN_GLOBAL: put_globaltype(b, &x->of.global->type); break;
  case KUMI_EXTERN_TAG:
    put(b, "tag ");
    put_functype(b, x->of.tag->type);
    break;
  }
}

static void put_import(text_buf *b, const core_module *c, const core_import *im) {
  switch (im->kind) {
  case CORE_EXTERN_FUNC: put_functype(b, &c->types[im->desc.func_type]); break;
  case CORE_EXTERN_TABLE:
    put(b, "table ");
    put_limits(b, &im->desc.table.limits);
    put(b, " ");
    put(b, core_valtype_name(im->desc.table.elem));
    break;
  case CORE_EXTERN_MEMORY:
    put(b, "memory ");
    put_limits(b, &im->desc.memory.limits);
    break;
  case CORE_EXTERN_GLOBAL: put_globaltype(b, &im->desc.global); break;
  case CORE_EXTERN_TAG:
    put(b, "tag ");
    put_functype(b, &c->types[im->desc.tag_type]);
    break;
  }
}

/* ---- import type checking --------------------------------------------------------- */

/* The spec's limits subtyping: `actual` may stand where `want` is expected. */
static bool limits_match(const core_limits *actual, const core_limits *want) {
  if (actual->min < want->min) return false;
  if (!want->has_max) return true;
  return actual->has_max && actual->max <= want->max;
}

static bool import_matches(const core_module *c, const core_import *im, const uint32_t *type_ids,
                           const kumi_extern *x) {
  if ((unsigned)x->kind != im->kind) return false;
  switch (im->kind) {
  case CORE_EXTERN_FUNC: return x->of.func->type_id == type_ids[im->desc.func_type];
  case CORE_EXTERN_TABLE:
    return x->of.table->type.elem == im->desc.table.elem &&
           limits_match(&x->of.table->type.limits, &im->desc.table.limits);
  case CORE_EXTERN_MEMORY: return limits_match(&x->of.memory->type.limits, &im->desc.memory.limits);
  case CORE_EXTERN_GLOBAL:
    return x->of.global->type.type == im->desc.global.type && x->of.global->type.mut == im->desc.global.mut;
  case CORE_EXTERN_TAG: return x->of.tag->type_id == type_ids[im->desc.tag_type];
  }
  (void)c;
  return false;
}

static kumi_store *extern_store(const kumi_extern *x) {
  switch (x->kind) {
  case KUMI_EXTERN_FUNC: return x->of.func ? x->of.func->store : NULL;
  case KUMI_EXTERN_TABLE: return x->of.table ? x->of.table->store : NULL;
  case KUMI_EXTERN_MEMORY: return x->of.memory ? x->of.memory->store : NULL;
  case KUMI_EXTERN_GLOBAL: return x->of.global ? x->of.global->store : NULL;
  case KUMI_EXTERN_TAG: return x->of.tag ? x->of.tag->store : NULL;
  }
  return NULL;
}

/* ---- instantiation ------------------------------------------------------------------ */

static kumi_val null_ref(core_valtype t) {
  kumi_val v;
  memset(&v, 0, sizeof v);
  v.kind = core_valkind(t);
  return v;
}

/* Allocates the instance's index spaces and objects (everything but the
 * segment initialization and start). The instance is already in the store,
 * which frees it whatever happens. */
static kumi_error *allocate(kumi_instance *inst, const kumi_extern *imports, const uint32_t *type_ids) {
  kumi_store *s = inst->store;
  const core_module *c = inst->core;
  kb_arena *ar = &s->arena;
  kumi_error *e = NULL;

  inst->type_ids = kb_arena_alloc(ar, (c->ntypes + 1) * sizeof *inst->type_ids);
  inst->funcs = kb_arena_alloc(ar, (c->nfuncs + 1) * sizeof *inst->funcs);
  inst->tables = kb_arena_alloc(ar, (c->ntables + 1) * sizeof *inst->tables);
  inst->memories = kb_arena_alloc(ar, (c->nmemories + 1) * sizeof *inst->memories);
  inst->globals = kb_arena_alloc(ar, (c->nglobals + 1) * sizeof *inst->globals);
  inst->elem_items = kb_arena_alloc(ar, (c->nelems + 1) * sizeof *inst->elem_items);
  inst->elem_lens = kb_arena_alloc(ar, (c->nelems + 1) * sizeof *inst->elem_lens);
  inst->data_lens = kb_arena_alloc(ar, (c->ndatas + 1) * sizeof *inst->data_lens);
  inst->tags = kb_arena_alloc(ar, (c->ntags + 1) * sizeof *inst->tags);
  uint32_t ndeftags = c->ntags - c->nimported_tags;
  kumi_tag *tags = kb_arena_alloc(ar, (ndeftags + 1) * sizeof *tags);
  uint32_t ndefined = c->nfuncs - c->nimported_funcs;
  kumi_func *defined = kb_arena_alloc(ar, (ndefined + 1) * sizeof *defined);
  uint32_t ndefglobals = c->nglobals - c->nimported_globals;
  kumi_global *globals = kb_arena_alloc(ar, (ndefglobals + 1) * sizeof *globals);
  if (!inst->type_ids || !inst->funcs || !inst->tables || !inst->memories || !inst->globals || !inst->elem_items ||
      !inst->elem_lens || !inst->data_lens || !defined || !globals || !inst->tags || !tags)
    return kb_error_oom();
  if (c->ntypes) memcpy(inst->type_ids, type_ids, c->ntypes * sizeof *type_ids);

  /* Imports, in order, fill the front of each index space. */
  uint32_t fi = 0, ti = 0, mi = 0, gi = 0, xi = 0;
  for (uint32_t i = 0; i < c->nimports; i++) {
    const kumi_extern *x = &imports[i];
    switch (x->kind) {
    case KUMI_EXTERN_FUNC: inst->funcs[fi++] = x->of.func; break;
    case KUMI_EXTERN_TABLE: inst->tables[ti++] = x->of.table; break;
    case KUMI_EXTERN_MEMORY: inst->memories[mi++] = x->of.memory; break;
    case KUMI_EXTERN_GLOBAL: inst->globals[gi++] = x->of.global; break;
    case KUMI_EXTERN_TAG: inst->tags[xi++] = x->of.tag; break;
    }
  }

  /* Each defined tag is a new identity: catching compares tag pointers. */
  for (uint32_t i = c->nimported_tags; i < c->ntags; i++) {
    kumi_tag *t = &tags[i - c->nimported_tags];
    t->store = s;
    t->type_id = type_ids[c->tags[i]];
    t->type = &c->types[c->tags[i]];
    inst->tags[i] = t;
  }

  for (uint32_t i = 0; i < ndefined; i++) {
    uint32_t index = c->nimported_funcs + i;
    uint32_t t = c->funcs[index].type;
    kumi_func *f = &defined[i];
    f->store = s;
    f->type_id = type_ids[t];
    f->type = &c->types[t];
    f->api_type = inst->module->api_types[t];
    f->instance = inst;
    f->index = index;
    f->compiled = c->compiled ? c->compiled[i] : NULL;
    inst->funcs[index] = f;
  }

  for (uint32_t i = c->nimported_tables; i < c->ntables; i++) {
    const core_tabletype *tt = &c->tables[i];
    if (tt->limits.min > UINT32_MAX || (tt->limits.has_max && tt->limits.max > UINT32_MAX))
      return kb_error(s->alloc, KUMI_ERR_LIMIT, KUMI_NO_OFFSET, "table too large");
    inst->tables[i] = kumi_table_new(s, core_valkind(tt->elem), (uint32_t)tt->limits.min, (uint32_t)tt->limits.max,
                                     tt->limits.has_max, null_ref(tt->elem), &e);
    if (!inst->tables[i]) return e;
  }

  for (uint32_t i = c->nimported_memories; i < c->nmemories; i++) {
    const core_memtype *mt = &c->memories[i];
    if (mt->limits.min > UINT32_MAX || (mt->limits.has_max && mt->limits.max > UINT32_MAX))
      return kb_error(s->alloc, KUMI_ERR_LIMIT, KUMI_NO_OFFSET, "memory too large");
    inst->memories[i] = kumi_memory_new(s, (uint32_t)mt->limits.min, (uint32_t)mt->limits.max, mt->limits.has_max, &e);
    if (!inst->memories[i]) return e;
  }

  for (uint32_t i = c->nimported_globals; i < c->nglobals; i++) {
    kumi_global *g = &globals[i - c->nimported_globals];
    g->store = s;
    g->type = c->globals[i].type;
    e = g->type.type == CORE_V128 ? eval_v128(inst, c->globals[i].init, g)
                                  : eval_const(inst, c->globals[i].init, &g->value);
    if (e) return e;
    inst->globals[i] = g;
  }

  for (uint32_t i = 0; i < c->nexports; i++) {
    const core_export *ex = &c->exports[i];
    kumi_extern *x = kb_arena_alloc(ar, sizeof *x);
    if (!x) return kb_error_oom();
    x->kind = (kumi_externkind)ex->kind;
    switch (ex->kind) {
    case CORE_EXTERN_FUNC: x->of.func = inst->funcs[ex->index]; break;
    case CORE_EXTERN_TABLE: x->of.table = inst->tables[ex->index]; break;
    case CORE_EXTERN_MEMORY: x->of.memory = inst->memories[ex->index]; break;
    case CORE_EXTERN_GLOBAL: x->of.global = inst->globals[ex->index]; break;
    case CORE_EXTERN_TAG: x->of.tag = inst->tags[ex->index]; break;
    }
    if (!kb_map_put(&inst->exports, ex->name, ex->name_len, x)) return kb_error_oom();
  }

  /* Element segments become lists of references now; declarative ones are
   * dropped by initialization anyway, so they are never materialized. */
  for (uint32_t i = 0; i < c->nelems; i++) {
    const core_elem *el = &c->elems[i];
    if (el->mode == CORE_SEG_DECLARATIVE || el->count == 0) continue;
    core_slot *items = kb_arena_alloc(ar, el->count * sizeof *items);
    if (!items) return kb_error_oom();
    for (uint32_t j = 0; j < el->count; j++) {
      if (el->funcs) {
        if (el->funcs[j] >= c->nfuncs) return kb_error(s->alloc, KUMI_ERR_INVALID, el->offset_in_module, "unknown function");
        items[j] = (core_slot)(uintptr_t)inst->funcs[el->funcs[j]];
      } else if ((e = eval_const(inst, el->exprs[j], &items[j]))) {
        return e;
      }
    }
    inst->elem_items[i] = items;
    inst->elem_lens[i] = el->count;
  }
  for (uint32_t i = 0; i < c->ndatas; i++) inst->data_lens[i] = c->datas[i].len;
  return NULL;
}

/* The 2.0 initialization: active element segments (table.init then
 * elem.drop), declarative ones dropped, active data segments (memory.init
 * then data.drop), then start. A trap leaves the effects of the segments
 * before it in place. */
static kumi_error *initialize(kumi_instance *inst) {
  kumi_store *s = inst->store;
  const core_module *c = inst->core;
  kumi_error *e;
  for (uint32_t i = 0; i < c->nelems; i++) {
    const core_elem *el = &c->elems[i];
    if (el->mode == CORE_SEG_ACTIVE) {
      core_slot d;
      if ((e = eval_const(inst, el->offset, &d))) return e;
      kumi_table *t = inst->tables[el->table];
      uint64_t n = inst->elem_lens[i];
      if ((uint32_t)d + n > t->size) return kb_trap(s->alloc, KUMI_TRAP_OOB_TABLE);
      if (n) memcpy(t->elems + (uint32_t)d, inst->elem_items[i], n * sizeof(core_slot));
    }
    if (el->mode != CORE_SEG_PASSIVE) inst->elem_lens[i] = 0;
  }
  for (uint32_t i = 0; i < c->ndatas; i++) {
    const core_data *da = &c->datas[i];
    if (da->mode != CORE_SEG_ACTIVE) continue;
    core_slot d;
    if ((e = eval_const(inst, da->offset, &d))) return e;
    kumi_memory *m = inst->memories[da->memory];
    uint64_t n = da->len;
    if ((uint32_t)d + n > m->size) return kb_trap(s->alloc, KUMI_TRAP_OOB_MEMORY);
    if (n) memcpy(m->data + (uint32_t)d, c->bytes + da->start, n);
    inst->data_lens[i] = 0;
  }
  if (c->has_start) {
    core_slot slots[1];
    if ((e = core_invoke(s, inst->funcs[c->start], slots))) return e;
  }
  return NULL;
}

/* Instantiates m in s with imports[i] for the module's import i. */
static kumi_instance *instantiate(kumi_store *s, kumi_module *m, const kumi_extern *imports, kumi_error **error) {
  const core_module *c = m->core;
  const kumi_allocator *a = s->alloc;
  *error = NULL;

  uint32_t *type_ids = kb_alloc(a, (c->ntypes + 1) * sizeof *type_ids);
  if (!type_ids) {
    *error = kb_error_oom();
    return NULL;
  }
  for (uint32_t i = 0; i < c->ntypes; i++) {
    type_ids[i] = core_store_type_id(s, &c->types[i]);
    if (type_ids[i] == UINT32_MAX) {
      *error = kb_error_oom();
      goto fail;
    }
  }

  for (uint32_t i = 0; i < c->nimports; i++) {
    const core_import *im = &c->imports[i];
    if (!import_matches(c, im, type_ids, &imports[i])) {
      text_buf want = {{0}, 0}, got = {{0}, 0};
      put_import(&want, c, im);
      put_extern(&got, &imports[i]);
      *error = kb_error(a, KUMI_ERR_LINK, KUMI_NO_OFFSET,
                        "incompatible import type for \"%s\" \"%s\": expected %s, got %s", im->module, im->name,
                        want.s, got.s);
      goto fail;
    }
  }

  if (!kb_vec_reserve(a, &s->instances, 1)) {
    *error = kb_error_oom();
    goto fail;
  }
  kumi_instance *inst = kb_arena_alloc(&s->arena, sizeof *inst);
  if (!inst) {
    *error = kb_error_oom();
    goto fail;
  }
  inst->store = s;
  inst->module = m;
  inst->core = m->core;
  kb_map_init(&inst->exports, a);
  m->refs++;
  s->instances.items[s->instances.len++] = inst;

  /* From here on the instance belongs to the store: a failed instantiation
   * may already have written references to its functions into imported
   * tables, so it must live as long as the store. */
  if ((*error = allocate(inst, imports, type_ids)) || (*error = initialize(inst))) inst = NULL;
  kb_free(a, type_ids, (c->ntypes + 1) * sizeof *type_ids);
  return inst;
fail:
  kb_free(a, type_ids, (c->ntypes + 1) * sizeof *type_ids);
  return NULL;
}

/* ---- the linker -------------------------------------------------------------------------- */

struct kumi_linker {
  kumi_store *store;
  kb_map defs; /* key (see make_key) -> kumi_extern *, owned */
};

/* The map key of (module, name): the module name's length as 4 bytes, then
 * both names. Unambiguous even for names holding NUL. */
typedef struct link_key {
  char inline_buf[128];
  char *p;
  size_t len;
} link_key;

static bool make_key(const kumi_allocator *a, link_key *k, const char *module, size_t mlen, const char *name,
                     size_t nlen) {
  if (mlen > UINT32_MAX || nlen > SIZE_MAX - 4 - mlen) return false;
  k->len = 4 + mlen + nlen;
  k->p = k->len <= sizeof k->inline_buf ? k->inline_buf : kb_alloc(a, k->len);
  if (!k->p) return false;
  uint32_t m32 = (uint32_t)mlen;
  for (int i = 0; i < 4; i++) k->p[i] = (char)(m32 >> (8 * i));
  memcpy(k->p + 4, module, mlen);
  memcpy(k->p + 4 + mlen, name, nlen);
  return true;
}

static void free_key(const kumi_allocator *a, link_key *k) {
  if (k->p && k->p != k->inline_buf) kb_free(a, k->p, k->len);
}

kumi_linker *kumi_linker_new(kumi_store *s) {
  if (!s) return NULL;
  kumi_linker *l = kb_zalloc(s->alloc, sizeof *l);
  if (!l) return NULL;
  l->store = s;
  kb_map_init(&l->defs, s->alloc);
  return l;
}

void kumi_linker_free(kumi_linker *l) {
  if (!l) return;
  const kumi_allocator *a = l->store->alloc;
  for (size_t i = 0; i < l->defs.cap; i++)
    if (l->defs.slots[i].key) kb_free(a, l->defs.slots[i].value, sizeof(kumi_extern));
  kb_map_free(&l->defs);
  kb_free(a, l, sizeof *l);
}

/* Defines (module, name), both given with their lengths. */
static kumi_error *define(kumi_linker *l, const char *module, size_t mlen, const char *name, size_t nlen,
                          kumi_extern ext) {
  const kumi_allocator *a = l->store->alloc;
  if (extern_store(&ext) != l->store)
    return kb_error(a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "definition of \"%s\" \"%s\" is null or from another store",
                    module, name);
  link_key k;
  if (!make_key(a, &k, module, mlen, name, nlen)) return kb_error_oom();
  void *old;
  kumi_error *e = NULL;
  if (kb_map_get(&l->defs, k.p, k.len, &old)) {
    /* A later definition shadows an earlier one, as `register` does. */
    *(kumi_extern *)old = ext;
  } else {
    kumi_extern *x = kb_alloc(a, sizeof *x);
    if (!x) {
      e = kb_error_oom();
    } else {
      *x = ext;
      if (!kb_map_put(&l->defs, k.p, k.len, x)) {
        kb_free(a, x, sizeof *x);
        e = kb_error_oom();
      }
    }
  }
  free_key(a, &k);
  return e;
}

kumi_error *kumi_linker_define(kumi_linker *l, const char *module, const char *name, kumi_extern ext) {
  if (!module || !name) return kb_error(l->store->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "null module or name");
  return define(l, module, strlen(module), name, strlen(name), ext);
}

kumi_error *kumi_linker_define_func(kumi_linker *l, const char *module, const char *name, const kumi_functype *type,
                                    kumi_host_fn fn, void *env) {
  kumi_extern x;
  x.kind = KUMI_EXTERN_FUNC;
  x.of.func = kumi_func_new(l->store, type, fn, env);
  if (!x.of.func)
    return kb_error(l->store->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "cannot make host function \"%s\" \"%s\"",
                    module ? module : "", name ? name : "");
  return kumi_linker_define(l, module, name, x);
}

kumi_error *kumi_linker_define_instance(kumi_linker *l, const char *module, kumi_instance *inst) {
  if (!inst || inst->store != l->store)
    return kb_error(l->store->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "instance is null or from another store");
  if (!module) return kb_error(l->store->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "null module name");
  const core_module *c = inst->core;
  for (uint32_t i = 0; i < c->nexports; i++) {
    const core_export *ex = &c->exports[i];
    void *v;
    if (!kb_map_get(&inst->exports, ex->name, ex->name_len, &v)) continue;
    kumi_error *e = define(l, module, strlen(module), ex->name, ex->name_len, *(kumi_extern *)v);
    if (e) return e;
  }
  return NULL;
}

kumi_instance *kumi_linker_instantiate(kumi_linker *l, kumi_module *m, kumi_error **error) {
  kumi_store *s = l->store;
  const kumi_allocator *a = s->alloc;
  const core_module *c = m->core;
  *error = NULL;
  if (m->engine != s->engine) {
    *error = kb_error(a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "module and store belong to different engines");
    return NULL;
  }
  kumi_extern *imports = kb_alloc(a, (c->nimports + 1) * sizeof *imports);
  if (!imports) {
    *error = kb_error_oom();
    return NULL;
  }
  kumi_instance *inst = NULL;
  for (uint32_t i = 0; i < c->nimports; i++) {
    const core_import *im = &c->imports[i];
    link_key k;
    if (!make_key(a, &k, im->module, im->module_len, im->name, im->name_len)) {
      *error = kb_error_oom();
      goto done;
    }
    void *v;
    bool found = kb_map_get(&l->defs, k.p, k.len, &v);
    free_key(a, &k);
    if (!found) {
      *error = kb_error(a, KUMI_ERR_LINK, KUMI_NO_OFFSET, "unknown import \"%s\" \"%s\"", im->module, im->name);
      goto done;
    }
    imports[i] = *(kumi_extern *)v;
  }
  inst = instantiate(s, m, imports, error);
done:
  kb_free(a, imports, (c->nimports + 1) * sizeof *imports);
  return inst;
}

/* ---- instance exports -------------------------------------------------------------------- */

bool kumi_instance_export_n(kumi_instance *inst, const char *name, size_t name_len, kumi_extern *out) {
  void *v;
  if (!kb_map_get(&inst->exports, name, name_len, &v)) return false;
  *out = *(kumi_extern *)v;
  return true;
}

bool kumi_instance_export(kumi_instance *inst, const char *name, kumi_extern *out) {
  return kumi_instance_export_n(inst, name, strlen(name), out);
}

kumi_func *kumi_instance_func(kumi_instance *inst, const char *name) {
  kumi_extern x;
  return kumi_instance_export(inst, name, &x) && x.kind == KUMI_EXTERN_FUNC ? x.of.func : NULL;
}

kumi_memory *kumi_instance_memory(kumi_instance *inst, const char *name) {
  kumi_extern x;
  return kumi_instance_export(inst, name, &x) && x.kind == KUMI_EXTERN_MEMORY ? x.of.memory : NULL;
}
