/* Component instantiation (see inst.h): one walk over each component's
 * definitions in binary order, filling one index space per sort. The input
 * has been validated, but every index is still bounds-checked so that a bug
 * elsewhere cannot turn into a crash here. */
#include "inst.h"

#include "abi_handles.h"

#include "ast.h"
#include "types.h"
#include "validate.h"
#include "../core/runtime.h"

#include <string.h>

/* Most scopes (component instances) and core instances one top-level
 * instantiation may create: nested components can instantiate each other
 * exponentially often. */
#define RT_MAX_INSTANCES 10000u
/* Longest chain of import aliases followed by one call. */
#define RT_MAX_ALIAS_DEPTH 1000u

typedef struct rt_scope rt_scope;
typedef struct rt_core_inst rt_core_inst;
typedef struct rt_inst rt_inst;
typedef struct rt_comp rt_comp;

/* One item of an index space. */
typedef struct rt_ent {
  uint8_t sort; /* comp_sort */
  union {
    kumi_extern core;   /* core func, table, memory, global */
    kumi_module *mod;   /* core module */
    rt_core_inst *ci;   /* core instance */
    kumi_component_func *f;
    comp_vt vt;         /* type: a value type, or id = a CT_FUNC / CT_RESOURCE; {0,0} an unmodelled type */
    rt_comp *comp;
    rt_inst *inst;
  } u;
} rt_ent;

typedef struct rt_named {
  const char *name;
  uint32_t len;
  rt_ent e;
} rt_named;

/* A core instance: a real one, or a bag of exports. */
struct rt_core_inst {
  kumi_instance *inst;
  uint32_t n;
  rt_named *exports;
};

/* A component instance as seen from outside: its exports. */
struct rt_inst {
  uint32_t n;
  rt_named *exports;
};

/* A component definition closed over the scope it was defined in (outer
 * aliases inside it resolve there). */
struct rt_comp {
  const comp_component *ast;
  rt_scope *parent;
};

typedef KB_VEC(rt_ent) rt_space;
typedef KB_VEC(rt_named) rt_named_vec;

struct rt_scope {
  rt_scope *parent; /* lexical parent (outer aliases) */
  rt_scope *inst_parent; /* the instance that instantiated this one (NULL: the host) */
  bool entered;          /* not may_enter (CanonicalABI.md, ComponentInstance) */
  rt_space sp[COMP_SORT_COUNT];
  rt_named_vec exports;
  const rt_named *args;
  uint32_t nargs;
  bool in_post_return; /* may_leave is false while post-return runs */
  abi_table table;     /* resource handles (every scope has one) */
  uint32_t context[2]; /* context.get/set storage of the running (sync) task */
  uint32_t backpressure;
};

/* A resource type defined by a scope: its destructor (may be NULL). */
typedef struct rt_resinfo {
  kumi_func *dtor;
  rt_scope *impl;
} rt_resinfo;

struct kumi_component {
  kumi_engine *engine;
  const kumi_allocator *a;
  uint8_t *bytes;
  size_t len;
  comp_ast *ast;
  kb_map modules; /* comp_def address -> kumi_module * */
  KB_VEC(kumi_module *) module_list;
};

struct kumi_component_instance {
  kumi_store *store;
  const kumi_allocator *a;
  kumi_component *c;
  comp_types ts;
  kb_arena arena;
  KB_VEC(rt_scope *) scopes;
  uint32_t ninstances;
  rt_scope *top;
  comp_u32map res; /* rid -> rt_resinfo * */
};

struct kumi_component_func {
  kumi_component_instance *root;
  const comp_type *ft;
  kumi_component_func *target; /* an imported function: calls go there */
  kumi_func *core, *realloc, *post_return;
  kumi_memory *mem;
  uint8_t enc;
  rt_scope *owner;
};

/* The environment of a lowered function (a core host function). */
typedef struct rt_lower {
  kumi_component_instance *root;
  kumi_component_func *callee;
  const comp_type *ft;
  kumi_memory *mem;
  kumi_func *realloc;
  uint8_t enc;
  rt_scope *owner;
  uint32_t nparams, nresults;
} rt_lower;

/* ---- errors ------------------------------------------------------------------ */

static const char unsupported_prefix[] = "unsupported: ";

bool comp_rt_unsupported(const kumi_error *e) {
  const char *m = e ? kumi_error_message(e) : NULL;
  if (!m) return false;
  /* the core engine's own "valid, but cannot run yet" (a KUMI_ERR_LIMIT) */
  if (kumi_error_kind_of(e) == KUMI_ERR_LIMIT && strncmp(m, "unsupported instruction", 23) == 0) return true;
  return strncmp(m, unsupported_prefix, sizeof unsupported_prefix - 1) == 0;
}

#define UNSUPPORTED(a, what) kb_error((a), KUMI_ERR_ARG, KUMI_NO_OFFSET, "unsupported: %s", (what))

/* ---- components ---------------------------------------------------------------- */

kumi_component *comp_rt_new(kumi_engine *engine, const uint8_t *bytes, size_t len, const comp_features *f,
                            kumi_error **error) {
  *error = NULL;
  if (!engine || (!bytes && len)) {
    *error = kb_error(NULL, KUMI_ERR_ARG, KUMI_NO_OFFSET, "kumi_component_new: no engine or bytes");
    return NULL;
  }
  const kumi_allocator *a = engine->alloc;
  kumi_component *c = kb_zalloc(a, sizeof *c);
  if (!c) return *error = kb_error_oom(), NULL;
  c->engine = engine;
  c->a = a;
  c->len = len;
  c->bytes = kb_alloc(a, len ? len : 1);
  if (!c->bytes) {
    kb_free(a, c, sizeof *c);
    return *error = kb_error_oom(), NULL;
  }
  if (len) memcpy(c->bytes, bytes, len);
  kb_map_init(&c->modules, a);
  comp_features feats = f ? *f : comp_features_default();
  c->ast = comp_decode(a, c->bytes, len, error);
  if (c->ast) *error = comp_validate_ast(a, c->ast, &feats);
  if (!c->ast || *error) {
    kumi_component_free(c);
    return NULL;
  }
  return c;
}

kumi_component *kumi_component_new(kumi_engine *engine, const uint8_t *bytes, size_t len, kumi_error **error) {
  return comp_rt_new(engine, bytes, len, NULL, error);
}

void kumi_component_free(kumi_component *c) {
  if (!c) return;
  const kumi_allocator *a = c->a;
  for (size_t i = 0; i < c->module_list.len; i++) kumi_module_free(c->module_list.items[i]);
  kb_vec_free(a, &c->module_list);
  kb_map_free(&c->modules);
  if (c->ast) comp_ast_free(c->ast);
  kb_free(a, c->bytes, c->len ? c->len : 1);
  kb_free(a, c, sizeof *c);
}

/* The compiled core module of definition d (compiled on first use). */
static kumi_error *module_of(kumi_component *c, const comp_def *d, kumi_module **out) {
  void *p = NULL;
  if (kb_map_get(&c->modules, (const char *)&d, sizeof d, &p)) {
    *out = p;
    return NULL;
  }
  if (d->u.core_module.start > c->len || d->u.core_module.len > c->len - d->u.core_module.start)
    return kb_error(c->a, KUMI_ERR_MALFORMED, d->offset, "core module bytes out of range");
  kumi_error *e = NULL;
  kumi_module *m = kumi_module_new(c->engine, c->bytes + d->u.core_module.start, d->u.core_module.len, &e);
  if (!m) return e ? e : kb_error(c->a, KUMI_ERR_INVALID, d->offset, "core module failed to load");
  if (!kb_vec_push(c->a, &c->module_list, m)) {
    kumi_module_free(m);
    return kb_error_oom();
  }
  if (!kb_map_put(&c->modules, (const char *)&d, sizeof d, m)) return kb_error_oom();
  *out = m;
  return NULL;
}

/* ---- index spaces ----------------------------------------------------------------- */

typedef struct rt_ctx {
  kumi_component_instance *root;
  const kumi_allocator *a;
} rt_ctx;

static kumi_error *push(rt_ctx *x, rt_scope *s, rt_ent e) {
  if (e.sort >= COMP_SORT_COUNT) return kb_error(x->a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "bad sort");
  return kb_vec_push(x->a, &s->sp[e.sort], e) ? NULL : kb_error_oom();
}

static kumi_error *at(rt_ctx *x, rt_scope *s, comp_sort sort, uint32_t idx, rt_ent *out) {
  memset(out, 0, sizeof *out);
  if (idx >= s->sp[sort].len)
    return kb_error(x->a, KUMI_ERR_INVALID, KUMI_NO_OFFSET, "%s index %u out of bounds", comp_sort_name(sort), idx);
  *out = s->sp[sort].items[idx];
  return NULL;
}

static void *arena(rt_ctx *x, size_t n) { return kb_arena_alloc(&x->root->arena, n ? n : 1); }

static bool name_eq(const char *a, uint32_t alen, const char *b, uint32_t blen) {
  return alen == blen && memcmp(a, b, alen) == 0;
}

static const rt_named *find_named(const rt_named *v, uint32_t n, const char *name, uint32_t len) {
  for (uint32_t i = 0; i < n; i++)
    if (name_eq(v[i].name, v[i].len, name, len)) return &v[i];
  return NULL;
}

/* ---- types (only what lifting and lowering need) -------------------------------------- */

static kumi_error *core_at(rt_ctx *x, rt_scope *s, comp_sort sort, uint32_t idx, kumi_extern *out);

static kumi_error *vt_of(rt_ctx *x, rt_scope *s, comp_valtype v, comp_vt *out) {
  if (v.prim) {
    out->prim = v.prim;
    out->id = 0;
    return NULL;
  }
  rt_ent e;
  kumi_error *err = at(x, s, COMP_SORT_TYPE, v.idx, &e);
  if (err) return err;
  if (!e.u.vt.prim && !e.u.vt.id) return UNSUPPORTED(x->a, "a value type the runtime does not model");
  *out = e.u.vt;
  return NULL;
}

static kumi_error *build_type(rt_ctx *x, rt_scope *s, const comp_deftype *d, comp_vt *out) {
  comp_types *ts = &x->root->ts;
  memset(out, 0, sizeof *out);
  if (comp_is_prim(d->kind)) {
    if (d->kind == COMP_ERROR_CONTEXT) return UNSUPPORTED(x->a, "error-context");
    out->prim = d->kind;
    return NULL;
  }
  kumi_error *err = NULL;
  comp_type *t;
  switch (d->kind) {
  case 0x41: case 0x42: /* component and instance types: checked by the validator, not needed at run time */
    return NULL;
  case 0x3f: {
    if (d->rep.code != 0x7f) return UNSUPPORTED(x->a, "resources with a non-i32 representation");
    rt_resinfo *ri = arena(x, sizeof *ri);
    if (!ri) return kb_error_oom();
    ri->impl = s;
    if (d->has_dtor) {
      kumi_extern ext = {0};
      if ((err = core_at(x, s, COMP_SORT_CORE_FUNC, d->dtor, &ext))) return err;
      ri->dtor = ext.of.func;
    }
    comp_tid id = comp_types_fresh_resource(ts);
    if (!id || !comp_u32map_put(&x->root->res, comp_ty(ts, id)->rid, (uint64_t)(uintptr_t)ri)) return kb_error_oom();
    out->id = id;
    return NULL;
  }
  case 0x43: return UNSUPPORTED(x->a, "async functions");
  case 0x40:
    t = comp_type_new(ts, CT_FUNC);
    if (!t) return kb_error_oom();
    t->n = d->n;
    t->fields = comp_types_alloc(ts, d->n ? d->n : 1, sizeof *t->fields);
    if (!t->fields) return kb_error_oom();
    for (uint32_t i = 0; i < d->n && !err; i++) {
      t->fields[i].name = d->items[i].label;
      t->fields[i].has_type = true;
      err = vt_of(x, s, d->items[i].type, &t->fields[i].type);
    }
    if (!err && d->has_result) {
      t->has_result = true;
      err = vt_of(x, s, d->result, &t->result);
    }
    break;
  default:
    t = comp_type_new(ts, CT_DEFINED);
    if (!t) return kb_error_oom();
    t->dkind = d->kind;
    switch (d->kind) {
    case 0x72: case 0x71: case 0x6e: case 0x6d:
      t->n = d->n;
      t->fields = comp_types_alloc(ts, d->n ? d->n : 1, sizeof *t->fields);
      if (!t->fields) return kb_error_oom();
      for (uint32_t i = 0; i < d->n && !err; i++) {
        t->fields[i].name = d->items[i].label;
        t->fields[i].has_type = (d->kind == 0x72 || d->kind == 0x71) && d->items[i].has_type;
        if (t->fields[i].has_type) err = vt_of(x, s, d->items[i].type, &t->fields[i].type);
      }
      break;
    case 0x6f:
      t->n = d->n;
      t->fields = comp_types_alloc(ts, d->n ? d->n : 1, sizeof *t->fields);
      if (!t->fields) return kb_error_oom();
      for (uint32_t i = 0; i < d->n && !err; i++) {
        t->fields[i].has_type = true;
        t->fields[i].name.s = "";
        err = vt_of(x, s, d->types[i], &t->fields[i].type);
      }
      break;
    case 0x67:
      t->len = d->len;
      /* fallthrough */
    case 0x70: case 0x6b:
      t->has_a = true;
      err = vt_of(x, s, d->a, &t->a);
      break;
    case 0x6a:
      t->has_a = d->has_a;
      t->has_b = d->has_b;
      if (d->has_a) err = vt_of(x, s, d->a, &t->a);
      if (!err && d->has_b) err = vt_of(x, s, d->b, &t->b);
      break;
    case 0x69: case 0x68: {
      rt_ent e;
      if ((err = at(x, s, COMP_SORT_TYPE, d->idx, &e))) return err;
      if (e.u.vt.prim || !e.u.vt.id || comp_ty(ts, e.u.vt.id)->kind != CT_RESOURCE)
        return UNSUPPORTED(x->a, "a handle to a resource the runtime does not model");
      t->res = e.u.vt.id;
      break;
    }
    case 0x66: case 0x65: /* defined so that components using them load; passing one traps "unsupported" */
      t->has_a = d->has_a;
      if (d->has_a) err = vt_of(x, s, d->a, &t->a);
      break;
    case 0x63:
      t->has_a = t->has_b = true;
      err = vt_of(x, s, d->a, &t->a);
      if (!err) err = vt_of(x, s, d->b, &t->b);
      break;
    default:
      return UNSUPPORTED(x->a, "a type definition the runtime does not model");
    }
  }
  if (err) return err;
  comp_tid id = comp_types_push(ts, t);
  if (!id) return kb_error_oom();
  out->id = id;
  return NULL;
}

/* The CT_FUNC behind type index idx. */
static kumi_error *func_type_at(rt_ctx *x, rt_scope *s, uint32_t idx, const comp_type **out) {
  rt_ent e;
  kumi_error *err = at(x, s, COMP_SORT_TYPE, idx, &e);
  if (err) return err;
  if (e.u.vt.prim || !e.u.vt.id || comp_ty(&x->root->ts, e.u.vt.id)->kind != CT_FUNC)
    return UNSUPPORTED(x->a, "a function type the runtime does not model");
  *out = comp_ty(&x->root->ts, e.u.vt.id);
  return NULL;
}

/* ---- calls ---------------------------------------------------------------------------- */

/* What the hooks and the core callee of one lift or lower need. */
typedef struct rt_call {
  kumi_component_instance *root;
  kumi_store *store;
  kumi_memory *mem;
  kumi_func *realloc, *core, *post_return;
  rt_scope *owner;
  abi_handle_hooks hh; /* over owner's handle table */
  abi_scope scope;     /* borrows lent to a lifted callee */
  abi_lends lends;     /* handles lent by a lowering caller */
} rt_call;

static bool implements(void *ud, uint32_t rid) {
  rt_call *c = ud;
  uint64_t v;
  return comp_u32map_get(&c->root->res, rid, &v) && ((rt_resinfo *)(uintptr_t)v)->impl == c->owner;
}

static void call_init(rt_call *c, kumi_component_instance *root, kumi_memory *mem, kumi_func *realloc,
                      kumi_func *core, kumi_func *post_return, rt_scope *owner) {
  memset(c, 0, sizeof *c);
  c->root = root;
  c->store = root->store;
  c->mem = mem;
  c->realloc = realloc;
  c->core = core;
  c->post_return = post_return;
  c->owner = owner;
  c->hh.ts = &root->ts;
  c->hh.table = &owner->table;
  c->hh.scope = &c->scope;
  c->hh.lends = &c->lends;
  c->hh.implements = implements;
  c->hh.ud = c;
}

static kumi_error *hook_lift_handle(void *ud, const comp_type *t, uint32_t index, uint32_t *out) {
  rt_call *c = ud;
  if (t->dkind != 0x69 && t->dkind != 0x68) return UNSUPPORTED(c->root->a, "passing streams, futures or error contexts");
  return abi_hook_lift_handle(&c->hh, t, index, out);
}

static kumi_error *hook_lower_handle(void *ud, const comp_type *t, uint32_t value, uint32_t *out) {
  rt_call *c = ud;
  if (t->dkind != 0x69 && t->dkind != 0x68) return UNSUPPORTED(c->root->a, "passing streams, futures or error contexts");
  return abi_hook_lower_handle(&c->hh, t, value, out);
}

static kumi_error *hook_realloc(void *ud, uint64_t old_ptr, uint64_t old_size, uint64_t align, uint64_t new_size,
                                uint64_t *ret) {
  rt_call *c = ud;
  if (!c->realloc) return kb_error(c->store->alloc, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "no realloc option");
  kumi_val args[4] = {kumi_val_i32((int32_t)(uint32_t)old_ptr), kumi_val_i32((int32_t)(uint32_t)old_size),
                      kumi_val_i32((int32_t)(uint32_t)align), kumi_val_i32((int32_t)(uint32_t)new_size)};
  kumi_val r = kumi_val_i32(0);
  kumi_error *e = kumi_func_call(c->store, c->realloc, args, 4, &r, 1);
  if (e) return e;
  *ret = (uint32_t)r.of.i32;
  return NULL;
}

static void hook_memory(void *ud, uint8_t **base, uint64_t *size) {
  rt_call *c = ud;
  if (!c->mem) return;
  *base = kumi_memory_data(c->mem);
  *size = kumi_memory_size(c->mem);
}

static void cx_init(abi_cx *cx, kumi_component_instance *root, uint8_t enc, rt_call *c) {
  memset(cx, 0, sizeof *cx);
  cx->alloc = root->a;
  cx->ts = &root->ts;
  cx->encoding = enc;
  cx->hooks.realloc = hook_realloc;
  cx->hooks.memory = hook_memory;
  cx->hooks.lift_handle = hook_lift_handle;
  cx->hooks.lower_handle = hook_lower_handle;
  cx->hooks.ud = c;
  hook_memory(c, &cx->mem, &cx->mem_size);
}

static kumi_error *core_callee(void *ud, const kumi_val *args, size_t nargs, kumi_val *results, size_t nresults) {
  rt_call *c = ud;
  return kumi_func_call(c->store, c->core, args, nargs, results, nresults);
}

static kumi_error *core_post_return(void *ud, const kumi_val *args, size_t nargs, kumi_val *results, size_t nresults) {
  rt_call *c = ud;
  c->owner->in_post_return = true;
  kumi_error *e = kumi_func_call(c->store, c->post_return, args, nargs, results, nresults);
  c->owner->in_post_return = false;
  return e;
}

static bool is_ancestor_or_self(const rt_scope *a, const rt_scope *of) {
  for (; of; of = of->inst_parent)
    if (of == a) return true;
  return false;
}

/* entering_set(caller) of CanonicalABI.md: callee and its ancestors minus
 * the caller and its ancestors. check: false when one of them may not be
 * entered; otherwise sets their flags to `entered`. */
static bool enter_set(rt_scope *callee, const rt_scope *caller, bool check, bool entered) {
  for (rt_scope *i = callee; i; i = i->inst_parent) {
    if (is_ancestor_or_self(i, caller)) continue;
    if (check && i->entered) return false;
    if (!check) i->entered = entered;
  }
  return true;
}

/* Calls f with component values; result is NULL when f has no result.
 * caller is the calling component instance, NULL for the host. */
static kumi_error *call_func(kumi_component_func *f, const kumi_cval *args, size_t nargs, kumi_cval *result,
                             rt_scope *caller) {
  kumi_component_instance *root = f->root;
  for (uint32_t depth = 0; f->target; depth++) {
    if (depth > RT_MAX_ALIAS_DEPTH) return kb_error(root->a, KUMI_ERR_LIMIT, KUMI_NO_OFFSET, "import chain too long");
    f = f->target;
  }
  if (!f->core) return kb_error(root->a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "function has no implementation");
  if (nargs != f->ft->n) return kb_error(root->a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "wrong number of arguments");
  if (!enter_set(f->owner, caller, true, true))
    return kb_error(root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "cannot enter component instance");
  enter_set(f->owner, caller, false, true);
  /* a new (sync) task: fresh context storage, restored on return */
  uint32_t saved_context[2] = {f->owner->context[0], f->owner->context[1]};
  f->owner->context[0] = f->owner->context[1] = 0;
  rt_call c;
  call_init(&c, root, f->mem, f->realloc, f->core, f->post_return, f->owner);
  abi_cx cx;
  cx_init(&cx, root, f->enc, &c);
  kumi_cval scratch = kumi_cval_bool(false);
  kumi_cval *res = result ? result : &scratch;
  kumi_error *e = abi_canon_lift_call(&cx, f->ft, args, res, core_callee, f->post_return ? core_post_return : NULL, &c);
  if (!e) {
    e = abi_scope_end(&f->owner->table, &c.scope);
    if (e && f->ft->has_result) kumi_cval_free(root->a, res);
  }
  if (!result) kumi_cval_free(root->a, &scratch);
  kb_vec_free(root->a, &c.lends);
  enter_set(f->owner, caller, false, false);
  f->owner->context[0] = saved_context[0];
  f->owner->context[1] = saved_context[1];
  return e;
}

static kumi_error *lower_host_call(void *ud, const kumi_cval *args, size_t nargs, kumi_cval *result) {
  rt_lower *lw = ud;
  return call_func(lw->callee, args, nargs, result, lw->owner);
}

/* The core host function behind a canon lower. */
static kumi_error *lower_entry(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  (void)caller;
  rt_lower *lw = env;
  kumi_component_instance *root = lw->root;
  if (lw->owner->in_post_return)
    return kb_error(root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "cannot leave component instance");
  rt_call c;
  call_init(&c, root, lw->mem, lw->realloc, NULL, NULL, lw->owner);
  abi_cx cx;
  cx_init(&cx, root, lw->enc, &c);
  abi_vals out = {0};
  kumi_error *e = abi_canon_lower_call(&cx, lw->ft, args, lw->nparams, &out, lower_host_call, lw);
  abi_release_lends(&lw->owner->table, &c.lends);
  if (!e && out.len != lw->nresults)
    e = kb_error(root->a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "lowered call produced %zu core results, expected %u",
                 out.len, lw->nresults);
  if (!e)
    for (uint32_t i = 0; i < lw->nresults; i++) results[i] = out.items[i];
  kb_vec_free(root->a, &out);
  return e;
}

static kumi_valkind valkind_of(uint8_t code) {
  switch (code) {
  case ABI_I64: return KUMI_I64;
  case ABI_F32: return KUMI_F32;
  case ABI_F64: return KUMI_F64;
  default: return KUMI_I32;
  }
}

/* ---- canonical options ------------------------------------------------------------------- */

typedef struct rt_opts {
  uint8_t enc;
  kumi_memory *mem;
  kumi_func *realloc, *post_return;
} rt_opts;

static kumi_error *core_at(rt_ctx *x, rt_scope *s, comp_sort sort, uint32_t idx, kumi_extern *out) {
  rt_ent e;
  kumi_error *err = at(x, s, sort, idx, &e);
  if (!err) *out = e.u.core;
  return err;
}

static kumi_error *opts_of(rt_ctx *x, rt_scope *s, const comp_canon *c, rt_opts *o) {
  memset(o, 0, sizeof *o);
  kumi_extern ext = {0};
  kumi_error *err = NULL;
  for (uint32_t i = 0; i < c->nopts && !err; i++) {
    const comp_canonopt *op = &c->opts[i];
    switch (op->kind) {
    case 0x00: case 0x01: case 0x02: o->enc = op->kind; break;
    case 0x03:
      if (!(err = core_at(x, s, COMP_SORT_CORE_MEMORY, op->idx, &ext))) o->mem = ext.of.memory;
      break;
    case 0x04:
      if (!(err = core_at(x, s, COMP_SORT_CORE_FUNC, op->idx, &ext))) o->realloc = ext.of.func;
      break;
    case 0x05:
      if (!(err = core_at(x, s, COMP_SORT_CORE_FUNC, op->idx, &ext))) o->post_return = ext.of.func;
      break;
    case 0x06: case 0x07: err = UNSUPPORTED(x->a, "async canonical options"); break;
    default: err = UNSUPPORTED(x->a, "GC canonical options"); break;
    }
  }
  return err;
}

/* resource.new / resource.drop / resource.rep as core host functions. */
typedef struct rt_builtin {
  kumi_component_instance *root;
  rt_scope *scope;
  uint32_t rid;
  uint8_t op;
} rt_builtin;

static kumi_error *builtin_entry(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  (void)caller;
  rt_builtin *b = env;
  uint32_t v = (uint32_t)args[0].of.i32, out = 0;
  kumi_error *e = NULL;
  if (b->scope->in_post_return && b->op != 0x04)
    return kb_error(b->root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "cannot leave component instance");
  switch (b->op) {
  case 0x02: e = abi_resource_new(&b->scope->table, b->rid, v, &out); break;
  case 0x04: e = abi_resource_rep(&b->scope->table, b->rid, v, &out); break;
  default: {
    bool run = false;
    uint32_t rep = 0;
    e = abi_resource_drop(&b->scope->table, b->rid, v, &run, &rep);
    uint64_t p;
    if (!e && run && comp_u32map_get(&b->root->res, b->rid, &p)) {
      rt_resinfo *ri = (rt_resinfo *)(uintptr_t)p;
      kumi_val a = kumi_val_i32((int32_t)rep);
      if (ri->dtor) e = kumi_func_call(b->root->store, ri->dtor, &a, 1, NULL, 0);
    }
    return e;
  }
  }
  if (!e) results[0] = kumi_val_i32((int32_t)out);
  return e;
}

static kumi_error *resource_builtin(rt_ctx *x, rt_scope *s, const comp_canon *c) {
  rt_ent te;
  kumi_error *err = at(x, s, COMP_SORT_TYPE, c->type, &te);
  if (err) return err;
  if (te.u.vt.prim || !te.u.vt.id || comp_ty(&x->root->ts, te.u.vt.id)->kind != CT_RESOURCE)
    return UNSUPPORTED(x->a, "a resource type the runtime does not model");
  for (uint32_t i = 0; i < c->nopts; i++)
    if (c->opts[i].kind == 0x06) return UNSUPPORTED(x->a, "async resource.drop");
  rt_builtin *b = arena(x, sizeof *b);
  if (!b) return kb_error_oom();
  b->root = x->root;
  b->scope = s;
  b->rid = comp_ty(&x->root->ts, te.u.vt.id)->rid;
  b->op = c->op;
  kumi_valkind i32[1] = {KUMI_I32};
  kumi_functype ft = {1, c->op == 0x03 ? 0u : 1u, i32, i32};
  kumi_func *hf = kumi_func_new(x->root->store, &ft, builtin_entry, b);
  if (!hf) return kb_error_oom();
  rt_ent e = {.sort = COMP_SORT_CORE_FUNC};
  e.u.core.kind = KUMI_EXTERN_FUNC;
  e.u.core.of.func = hf;
  return push(x, s, e);
}

/* Async, thread and error-context built-ins are not implemented. Those of
 * a known core signature are defined as stubs, so that a component that
 * merely imports them instantiates: a call checks may_leave (the spec's
 * first step for each of them) and is otherwise an "unsupported" error. */
static kumi_error *stub_entry(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  (void)caller;
  rt_builtin *b = env;
  rt_scope *s = b->scope;
  switch (b->op) { /* the built-ins that work in sync code and may run during post-return */
  case 0x0a: results[0] = kumi_val_i32((int32_t)s->context[b->rid]); return NULL;
  case 0x0b: s->context[b->rid] = (uint32_t)args[0].of.i32; return NULL;
  case 0x24:
    if (++s->backpressure >= (1u << 16)) return kb_error(b->root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "backpressure overflow");
    return NULL;
  case 0x25:
    if (s->backpressure == 0) return kb_error(b->root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "backpressure underflow");
    s->backpressure--;
    return NULL;
  default: break;
  }
  if (s->in_post_return)
    return kb_error(b->root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "cannot leave component instance");
  return kb_error(b->root->a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "unsupported: canon built-in 0x%02x at run time", b->op);
}

static kumi_error *stub_builtin(rt_ctx *x, rt_scope *s, const comp_canon *c) {
  /* params, results: a string of core types, 'i' i32, 'I' i64 */
  const char *p = NULL, *r = NULL;
  switch (c->op) {
  case 0x24: case 0x25: case 0x05: p = ""; r = ""; break;               /* backpressure.inc/dec, task.cancel */
  case 0x09: if (!c->has_result) p = "", r = ""; break;                 /* task.return without a result */
  case 0x0a: if (c->valtype.code == 0x7f && c->idx < 2) p = "", r = "i"; break; /* context.get i32 */
  case 0x0b: if (c->valtype.code == 0x7f && c->idx < 2) p = "i", r = ""; break; /* context.set i32 */
  case 0x06: case 0x11: case 0x12: case 0x18: case 0x19: p = "i"; r = "i"; break; /* subtask.cancel, *.cancel-* */
  case 0x0d: case 0x13: case 0x14: case 0x1a: case 0x1b: case 0x22: case 0x1e: p = "i"; r = ""; break; /* drops */
  case 0x0e: case 0x15: p = ""; r = "I"; break;                         /* stream.new, future.new */
  case 0x0f: case 0x10: p = "iii"; r = "i"; break;                      /* stream.read/write */
  case 0x16: case 0x17: case 0x20: case 0x21: p = "ii"; r = "i"; break; /* future.read/write, waitable-set.wait/poll */
  case 0x1f: case 0x26: case 0x0c: p = ""; r = "i"; break;              /* waitable-set.new, thread.index, thread.yield */
  case 0x23: p = "ii"; r = ""; break;                                   /* waitable.join */
  default: break;
  }
  for (uint32_t i = 0; p && i < c->nopts; i++)
    if (c->opts[i].kind == 0x04 || c->opts[i].kind == 0x07) p = NULL; /* realloc/callback: signature may differ */
  if (!p)
    return kb_error(x->a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "unsupported: canon built-in 0x%02x (async, thread or error-context)",
                    c->op);
  rt_builtin *b = arena(x, sizeof *b);
  if (!b) return kb_error_oom();
  b->root = x->root;
  b->scope = s;
  b->op = c->op;
  b->rid = c->op == 0x0a || c->op == 0x0b ? c->idx : 0; /* the context slot */
  kumi_valkind pk[3], rk[1];
  uint32_t np = (uint32_t)strlen(p), nr = (uint32_t)strlen(r);
  for (uint32_t i = 0; i < np; i++) pk[i] = p[i] == 'I' ? KUMI_I64 : KUMI_I32;
  for (uint32_t i = 0; i < nr; i++) rk[i] = r[i] == 'I' ? KUMI_I64 : KUMI_I32;
  kumi_functype ft = {np, nr, pk, rk};
  kumi_func *hf = kumi_func_new(x->root->store, &ft, stub_entry, b);
  if (!hf) return kb_error_oom();
  rt_ent e = {.sort = COMP_SORT_CORE_FUNC};
  e.u.core.kind = KUMI_EXTERN_FUNC;
  e.u.core.of.func = hf;
  return push(x, s, e);
}

static kumi_error *canon_def(rt_ctx *x, rt_scope *s, const comp_canon *c) {
  rt_opts o;
  kumi_error *err;
  switch (c->op) {
  case 0x00: { /* lift */
    const comp_type *ft = NULL;
    kumi_extern core = {0};
    if ((err = opts_of(x, s, c, &o)) || (err = func_type_at(x, s, c->type, &ft)) ||
        (err = core_at(x, s, COMP_SORT_CORE_FUNC, c->func, &core)))
      return err;
    kumi_component_func *f = arena(x, sizeof *f);
    if (!f) return kb_error_oom();
    f->root = x->root;
    f->ft = ft;
    f->core = core.of.func;
    f->realloc = o.realloc;
    f->post_return = o.post_return;
    f->mem = o.mem;
    f->enc = o.enc;
    f->owner = s;
    rt_ent e = {.sort = COMP_SORT_FUNC};
    e.u.f = f;
    return push(x, s, e);
  }
  case 0x01: { /* lower */
    rt_ent fe;
    if ((err = opts_of(x, s, c, &o)) || (err = at(x, s, COMP_SORT_FUNC, c->func, &fe))) return err;
    rt_lower *lw = arena(x, sizeof *lw);
    if (!lw) return kb_error_oom();
    lw->root = x->root;
    lw->callee = fe.u.f;
    lw->ft = fe.u.f->ft;
    lw->mem = o.mem;
    lw->realloc = o.realloc;
    lw->enc = o.enc;
    lw->owner = s;
    uint8_t params[ABI_MAX_FLAT_PARAMS + 2], results[2];
    abi_sigopts so = {false, false, false, false};
    if (!abi_flatten_functype(x->a, &x->root->ts, lw->ft, &so, params, &lw->nparams, results, &lw->nresults))
      return kb_error_oom();
    kumi_valkind pk[ABI_MAX_FLAT_PARAMS + 2], rk[2];
    for (uint32_t i = 0; i < lw->nparams; i++) pk[i] = valkind_of(params[i]);
    for (uint32_t i = 0; i < lw->nresults; i++) rk[i] = valkind_of(results[i]);
    kumi_functype ct = {lw->nparams, lw->nresults, pk, rk};
    kumi_func *hf = kumi_func_new(x->root->store, &ct, lower_entry, lw);
    if (!hf) return kb_error_oom();
    rt_ent e = {.sort = COMP_SORT_CORE_FUNC};
    e.u.core.kind = KUMI_EXTERN_FUNC;
    e.u.core.of.func = hf;
    return push(x, s, e);
  }
  case 0x02: case 0x03: case 0x04: return resource_builtin(x, s, c);
  default: return stub_builtin(x, s, c);
  }
}

/* ---- definitions ----------------------------------------------------------------------------- */

static kumi_error *instantiate_component(rt_ctx *x, const rt_comp *rc, const rt_named *args, uint32_t nargs,
                                         rt_scope *inst_parent, rt_scope **out);

static comp_sort sort_of_extkind(uint8_t kind) {
  switch (kind) {
  case 0: return COMP_SORT_CORE_MODULE;
  case 1: return COMP_SORT_FUNC;
  case 2: return COMP_SORT_VALUE;
  case 3: return COMP_SORT_TYPE;
  case 4: return COMP_SORT_COMPONENT;
  default: return COMP_SORT_INSTANCE;
  }
}

static kumi_externkind core_kind_of(comp_sort s) {
  switch (s) {
  case COMP_SORT_CORE_TABLE: return KUMI_EXTERN_TABLE;
  case COMP_SORT_CORE_MEMORY: return KUMI_EXTERN_MEMORY;
  case COMP_SORT_CORE_GLOBAL: return KUMI_EXTERN_GLOBAL;
  default: return KUMI_EXTERN_FUNC;
  }
}

static kumi_error *count_instance(rt_ctx *x) {
  if (++x->root->ninstances > RT_MAX_INSTANCES)
    return kb_error(x->a, KUMI_ERR_LIMIT, KUMI_NO_OFFSET, "more than %u instances", RT_MAX_INSTANCES);
  return NULL;
}

/* A core export of ci named name, of sort `sort`. */
static kumi_error *rt_core_export(rt_ctx *x, const rt_core_inst *ci, const char *name, uint32_t len, comp_sort sort,
                               rt_ent *out) {
  if (ci->inst) {
    kumi_extern ext = {0};
    if (!kumi_instance_export_n(ci->inst, name, len, &ext) || ext.kind != core_kind_of(sort))
      return kb_error(x->a, KUMI_ERR_LINK, KUMI_NO_OFFSET, "core instance has no %s export \"%.*s\"",
                      comp_sort_name(sort), (int)len, name);
    out->sort = (uint8_t)sort;
    out->u.core = ext;
    return NULL;
  }
  const rt_named *n = find_named(ci->exports, ci->n, name, len);
  if (!n || n->e.sort != sort)
    return kb_error(x->a, KUMI_ERR_LINK, KUMI_NO_OFFSET, "core instance has no %s export \"%.*s\"",
                    comp_sort_name(sort), (int)len, name);
  *out = n->e;
  return NULL;
}

static kumi_error *core_instantiate(rt_ctx *x, rt_scope *s, const comp_def *d) {
  kumi_error *err = count_instance(x);
  if (err) return err;
  rt_ent me;
  if ((err = at(x, s, COMP_SORT_CORE_MODULE, d->u.core_instance.module, &me))) return err;
  kumi_module *m = me.u.mod;
  kumi_linker *l = kumi_linker_new(x->root->store);
  if (!l) return kb_error_oom();
  size_t n = kumi_module_import_count(m);
  for (size_t i = 0; i < n && !err; i++) {
    kumi_import_desc id;
    kumi_module_import(m, i, &id);
    const comp_core_arg *arg = NULL;
    for (uint32_t j = 0; j < d->u.core_instance.n; j++)
      if (name_eq(d->u.core_instance.args[j].name.s, d->u.core_instance.args[j].name.len, id.module,
                  (uint32_t)id.module_len))
        arg = &d->u.core_instance.args[j];
    if (!arg) {
      err = kb_error(x->a, KUMI_ERR_LINK, d->offset, "core import module \"%s\" not given", id.module);
      break;
    }
    rt_ent ie, ee;
    if ((err = at(x, s, COMP_SORT_CORE_INSTANCE, arg->idx, &ie))) break;
    comp_sort want = id.kind == KUMI_EXTERN_TABLE    ? COMP_SORT_CORE_TABLE
                     : id.kind == KUMI_EXTERN_MEMORY ? COMP_SORT_CORE_MEMORY
                     : id.kind == KUMI_EXTERN_GLOBAL ? COMP_SORT_CORE_GLOBAL
                                                     : COMP_SORT_CORE_FUNC;
    if ((err = rt_core_export(x, ie.u.ci, id.name, (uint32_t)id.name_len, want, &ee))) break;
    if (strlen(id.module) != id.module_len || strlen(id.name) != id.name_len) {
      err = UNSUPPORTED(x->a, "core import names holding NUL");
      break;
    }
    err = kumi_linker_define(l, id.module, id.name, ee.u.core);
  }
  kumi_instance *inst = NULL;
  if (!err) inst = kumi_linker_instantiate(l, m, &err);
  kumi_linker_free(l);
  if (!inst) return err ? err : kb_error(x->a, KUMI_ERR_LINK, d->offset, "core instantiation failed");
  if (err) kumi_error_free(err);
  rt_core_inst *ci = arena(x, sizeof *ci);
  if (!ci) return kb_error_oom();
  ci->inst = inst;
  rt_ent e = {.sort = COMP_SORT_CORE_INSTANCE};
  e.u.ci = ci;
  return push(x, s, e);
}

static kumi_error *core_instance_def(rt_ctx *x, rt_scope *s, const comp_def *d) {
  if (d->u.core_instance.instantiate) return core_instantiate(x, s, d);
  rt_core_inst *ci = arena(x, sizeof *ci);
  uint32_t n = d->u.core_instance.n;
  rt_named *ex = arena(x, n * sizeof *ex);
  if (!ci || !ex) return kb_error_oom();
  for (uint32_t i = 0; i < n; i++) {
    const comp_core_inline_export *ie = &d->u.core_instance.exports[i];
    if (!comp_sort_is_core(ie->sort) || ie->sort == COMP_SORT_CORE_TAG) return UNSUPPORTED(x->a, "core tags");
    kumi_error *err = at(x, s, ie->sort, ie->idx, &ex[i].e);
    if (err) return err;
    ex[i].name = ie->name.s;
    ex[i].len = ie->name.len;
  }
  ci->n = n;
  ci->exports = ex;
  rt_ent e = {.sort = COMP_SORT_CORE_INSTANCE};
  e.u.ci = ci;
  return push(x, s, e);
}

static kumi_error *instance_def(rt_ctx *x, rt_scope *s, const comp_def *d) {
  uint32_t n = d->u.instance.n;
  rt_named *v = arena(x, n * sizeof *v);
  if (!v) return kb_error_oom();
  kumi_error *err = NULL;
  for (uint32_t i = 0; i < n && !err; i++) {
    comp_sort sort = d->u.instance.instantiate ? d->u.instance.args[i].sort : d->u.instance.exports[i].sort;
    uint32_t idx = d->u.instance.instantiate ? d->u.instance.args[i].idx : d->u.instance.exports[i].idx;
    const comp_str *nm = d->u.instance.instantiate ? &d->u.instance.args[i].name : &d->u.instance.exports[i].name.name;
    v[i].name = nm->s;
    v[i].len = nm->len;
    if (sort == COMP_SORT_VALUE) return UNSUPPORTED(x->a, "component values");
    err = at(x, s, sort, idx, &v[i].e);
  }
  if (err) return err;
  rt_inst *ri = arena(x, sizeof *ri);
  if (!ri) return kb_error_oom();
  if (d->u.instance.instantiate) {
    rt_ent ce;
    rt_scope *child = NULL;
    if ((err = at(x, s, COMP_SORT_COMPONENT, d->u.instance.component, &ce)) ||
        (err = instantiate_component(x, ce.u.comp, v, n, s, &child)))
      return err;
    ri->n = (uint32_t)child->exports.len;
    ri->exports = child->exports.items;
  } else {
    ri->n = n;
    ri->exports = v;
  }
  rt_ent e = {.sort = COMP_SORT_INSTANCE};
  e.u.inst = ri;
  return push(x, s, e);
}

static kumi_error *alias_def(rt_ctx *x, rt_scope *s, const comp_alias *al) {
  rt_ent ie, out;
  kumi_error *err;
  if (al->sort == COMP_SORT_VALUE) return UNSUPPORTED(x->a, "component values");
  if (al->sort == COMP_SORT_CORE_TAG) return UNSUPPORTED(x->a, "core tags");
  switch (al->kind) {
  case 0: {
    if ((err = at(x, s, COMP_SORT_INSTANCE, al->instance, &ie))) return err;
    const rt_named *n = find_named(ie.u.inst->exports, ie.u.inst->n, al->name.s, al->name.len);
    if (!n || n->e.sort != al->sort)
      return kb_error(x->a, KUMI_ERR_LINK, KUMI_NO_OFFSET, "instance has no %s export \"%s\"",
                      comp_sort_name(al->sort), al->name.s);
    out = n->e;
    break;
  }
  case 1:
    if ((err = at(x, s, COMP_SORT_CORE_INSTANCE, al->instance, &ie))) return err;
    if ((err = rt_core_export(x, ie.u.ci, al->name.s, al->name.len, al->sort, &out))) return err;
    break;
  default: {
    rt_scope *t = s;
    for (uint32_t i = 0; i < al->count && t; i++) t = t->parent;
    if (!t) return kb_error(x->a, KUMI_ERR_INVALID, KUMI_NO_OFFSET, "outer alias count out of bounds");
    if ((err = at(x, t, al->sort, al->idx, &out))) return err;
    break;
  }
  }
  return push(x, s, out);
}

static kumi_error *import_def(rt_ctx *x, rt_scope *s, const comp_def *d) {
  comp_sort sort = sort_of_extkind(d->u.import.ext.kind);
  if (sort == COMP_SORT_VALUE) return UNSUPPORTED(x->a, "component values");
  const comp_str *nm = &d->u.import.name.name;
  const rt_named *arg = find_named(s->args, s->nargs, nm->s, nm->len);
  if (!arg) {
    if (!s->parent) return UNSUPPORTED(x->a, "components with imports (linking the host)");
    return kb_error(x->a, KUMI_ERR_LINK, d->offset, "import \"%s\" not given", nm->s);
  }
  if (arg->e.sort != sort)
    return kb_error(x->a, KUMI_ERR_LINK, d->offset, "import \"%s\": expected a %s, got a %s", nm->s,
                    comp_sort_name(sort), comp_sort_name((comp_sort)arg->e.sort));
  rt_ent e = arg->e;
  if (sort == COMP_SORT_FUNC) {
    /* Lowering inside this component uses the type it declares. */
    const comp_type *ft = NULL;
    kumi_error *err = func_type_at(x, s, d->u.import.ext.idx, &ft);
    if (err) return err;
    kumi_component_func *f = arena(x, sizeof *f);
    if (!f) return kb_error_oom();
    f->root = x->root;
    f->ft = ft;
    f->target = arg->e.u.f;
    f->owner = s;
    e.u.f = f;
  }
  return push(x, s, e);
}

static kumi_error *export_def(rt_ctx *x, rt_scope *s, const comp_def *d) {
  comp_sort sort = d->u.export_.sort;
  if (sort == COMP_SORT_VALUE) return UNSUPPORTED(x->a, "component values");
  rt_ent e;
  kumi_error *err = at(x, s, sort, d->u.export_.idx, &e);
  if (err) return err;
  rt_named n = {d->u.export_.name.name.s, d->u.export_.name.name.len, e};
  if (!kb_vec_push(x->a, &s->exports, n)) return kb_error_oom();
  return push(x, s, e);
}

static kumi_error *def(rt_ctx *x, rt_scope *s, const comp_def *d) {
  rt_ent e;
  memset(&e, 0, sizeof e);
  kumi_error *err;
  switch (d->kind) {
  case COMP_DEF_CORE_MODULE:
    e.sort = COMP_SORT_CORE_MODULE;
    if ((err = module_of(x->root->c, d, &e.u.mod))) return err;
    return push(x, s, e);
  case COMP_DEF_CORE_INSTANCE: return core_instance_def(x, s, d);
  case COMP_DEF_CORE_TYPE: e.sort = COMP_SORT_CORE_TYPE; return push(x, s, e);
  case COMP_DEF_COMPONENT: {
    rt_comp *rc = arena(x, sizeof *rc);
    if (!rc) return kb_error_oom();
    rc->ast = d->u.component;
    rc->parent = s;
    e.sort = COMP_SORT_COMPONENT;
    e.u.comp = rc;
    return push(x, s, e);
  }
  case COMP_DEF_INSTANCE: return instance_def(x, s, d);
  case COMP_DEF_ALIAS: return alias_def(x, s, &d->u.alias);
  case COMP_DEF_TYPE:
    e.sort = COMP_SORT_TYPE;
    if ((err = build_type(x, s, d->u.type, &e.u.vt))) return err;
    return push(x, s, e);
  case COMP_DEF_CANON: return canon_def(x, s, &d->u.canon);
  case COMP_DEF_START: return UNSUPPORTED(x->a, "component start functions");
  case COMP_DEF_IMPORT: return import_def(x, s, d);
  case COMP_DEF_EXPORT: return export_def(x, s, d);
  case COMP_DEF_VALUE: return UNSUPPORTED(x->a, "component values");
  }
  return kb_error(x->a, KUMI_ERR_INVALID, d->offset, "unknown definition");
}

static kumi_error *instantiate_component(rt_ctx *x, const rt_comp *rc, const rt_named *args, uint32_t nargs,
                                         rt_scope *inst_parent, rt_scope **out) {
  kumi_error *err = count_instance(x);
  if (err) return err;
  rt_scope *s = kb_zalloc(x->a, sizeof *s);
  if (!s) return kb_error_oom();
  if (!abi_table_init(&s->table, x->a)) {
    kb_free(x->a, s, sizeof *s);
    return kb_error_oom();
  }
  if (!kb_vec_push(x->a, &x->root->scopes, s)) {
    abi_table_free(&s->table);
    kb_free(x->a, s, sizeof *s);
    return kb_error_oom();
  }
  s->parent = rc->parent;
  s->inst_parent = inst_parent;
  s->args = args;
  s->nargs = nargs;
  for (uint32_t i = 0; i < rc->ast->ndefs && !err; i++) {
    err = def(x, s, &rc->ast->defs[i]);
    if (err && kumi_error_offset(err) == KUMI_NO_OFFSET && err->alloc) err->offset = rc->ast->defs[i].offset;
  }
  *out = s;
  return err;
}

/* ---- public API ---------------------------------------------------------------------------------- */

void kumi_component_instance_free(kumi_component_instance *inst) {
  if (!inst) return;
  const kumi_allocator *a = inst->a;
  for (size_t i = 0; i < inst->scopes.len; i++) {
    rt_scope *s = inst->scopes.items[i];
    for (int k = 0; k < COMP_SORT_COUNT; k++) kb_vec_free(a, &s->sp[k]);
    kb_vec_free(a, &s->exports);
    abi_table_free(&s->table);
    kb_free(a, s, sizeof *s);
  }
  kb_vec_free(a, &inst->scopes);
  comp_types_free(&inst->ts);
  comp_u32map_free(&inst->res);
  kb_arena_free(&inst->arena);
  kb_free(a, inst, sizeof *inst);
}

kumi_component_instance *kumi_component_instantiate(kumi_store *store, kumi_component *c, kumi_error **error) {
  *error = NULL;
  if (!store || !c) {
    *error = kb_error(NULL, KUMI_ERR_ARG, KUMI_NO_OFFSET, "kumi_component_instantiate: no store or component");
    return NULL;
  }
  const kumi_allocator *a = store->alloc;
  kumi_component_instance *inst = kb_zalloc(a, sizeof *inst);
  if (!inst) return *error = kb_error_oom(), NULL;
  inst->store = store;
  inst->a = a;
  inst->c = c;
  kb_arena_init(&inst->arena, a);
  comp_u32map_init(&inst->res, a);
  if (!comp_types_init(&inst->ts, a)) {
    kb_arena_free(&inst->arena);
    kb_free(a, inst, sizeof *inst);
    return *error = kb_error_oom(), NULL;
  }
  rt_ctx x = {inst, a};
  rt_comp top = {c->ast->root, NULL};
  *error = instantiate_component(&x, &top, NULL, 0, NULL, &inst->top);
  if (*error) {
    kumi_component_instance_free(inst);
    return NULL;
  }
  return inst;
}

kumi_component_func *kumi_component_instance_func(kumi_component_instance *inst, const char *iface, const char *name) {
  if (!inst || !inst->top || !name) return NULL;
  const rt_named *v = inst->top->exports.items;
  uint32_t n = (uint32_t)inst->top->exports.len;
  if (iface) {
    const rt_named *i = find_named(v, n, iface, (uint32_t)strlen(iface));
    if (!i || i->e.sort != COMP_SORT_INSTANCE) return NULL;
    v = i->e.u.inst->exports;
    n = i->e.u.inst->n;
  }
  const rt_named *f = find_named(v, n, name, (uint32_t)strlen(name));
  return f && f->e.sort == COMP_SORT_FUNC ? f->e.u.f : NULL;
}

size_t kumi_component_func_param_count(const kumi_component_func *f) { return f ? f->ft->n : 0; }
size_t kumi_component_func_result_count(const kumi_component_func *f) { return f && f->ft->has_result ? 1 : 0; }

void comp_rt_each_export_func(kumi_component_instance *inst, comp_rt_func_visitor fn, void *cx) {
  if (!inst || !inst->top) return;
  const rt_named *v = inst->top->exports.items;
  size_t n = inst->top->exports.len;
  for (size_t i = 0; i < n; i++)
    if (v[i].e.sort == COMP_SORT_FUNC) fn(cx, NULL, 0, v[i].name, v[i].len, v[i].e.u.f);
  for (size_t i = 0; i < n; i++) {
    if (v[i].e.sort != COMP_SORT_INSTANCE || !v[i].e.u.inst) continue;
    const rt_inst *in = v[i].e.u.inst;
    for (uint32_t j = 0; j < in->n; j++)
      if (in->exports[j].e.sort == COMP_SORT_FUNC)
        fn(cx, v[i].name, v[i].len, in->exports[j].name, in->exports[j].len, in->exports[j].e.u.f);
  }
}

void comp_rt_func_type(const kumi_component_func *f, const comp_types **ts, const comp_type **ft) {
  *ts = &f->root->ts;
  *ft = f->ft;
}

kumi_error *kumi_component_func_call(kumi_store *store, kumi_component_func *f, const kumi_cval *args, size_t nargs,
                                     kumi_cval *results, size_t nresults) {
  if (!f || store != f->root->store || (nargs && !args) || nresults != (f->ft->has_result ? 1u : 0u) ||
      (nresults && !results))
    return kb_error(store ? store->alloc : NULL, KUMI_ERR_ARG, KUMI_NO_OFFSET,
                    "kumi_component_func_call: bad arguments");
  return call_func(f, args, nargs, nresults ? results : NULL, NULL);
}
