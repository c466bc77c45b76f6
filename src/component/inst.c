/* Component instantiation (see inst.h): one walk over each component's
 * definitions in binary order, filling one index space per sort. The input
 * has been validated, but every index is still bounds-checked so that a bug
 * elsewhere cannot turn into a crash here. Calls are in inst_call.c,
 * top-level imports from the host in inst_link.c. */
#include "inst_rt.h"
#include "async.h"

#include "validate.h"

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
    *error = kb_error(kb_default_allocator(), KUMI_ERR_ARG, KUMI_NO_OFFSET, "kumi_component_new: no engine or bytes");
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

kumi_error *comp_rt_push(rt_ctx *x, rt_scope *s, rt_ent e) {
  if (e.sort >= COMP_SORT_COUNT) return kb_error(x->a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "bad sort");
  return kb_vec_push(x->a, &s->sp[e.sort], e) ? NULL : kb_error_oom();
}

kumi_error *comp_rt_at(rt_ctx *x, rt_scope *s, comp_sort sort, uint32_t idx, rt_ent *out) {
  memset(out, 0, sizeof *out);
  if (idx >= s->sp[sort].len)
    return kb_error(x->a, KUMI_ERR_INVALID, KUMI_NO_OFFSET, "%s index %u out of bounds", comp_sort_name(sort), idx);
  *out = s->sp[sort].items[idx];
  return NULL;
}

void *comp_rt_arena(rt_ctx *x, size_t n) { return kb_arena_alloc(&x->root->arena, n ? n : 1); }

bool comp_rt_name_eq(const char *a, uint32_t alen, const char *b, uint32_t blen) {
  return alen == blen && memcmp(a, b, alen) == 0;
}

const rt_named *comp_rt_find_named(const rt_named *v, uint32_t n, const char *name, uint32_t len) {
  for (uint32_t i = 0; i < n; i++)
    if (comp_rt_name_eq(v[i].name, v[i].len, name, len)) return &v[i];
  return NULL;
}


/* ---- types (only what lifting and lowering need) -------------------------------------- */

kumi_error *comp_rt_core_at(rt_ctx *x, rt_scope *s, comp_sort sort, uint32_t idx, kumi_extern *out) {
  rt_ent e;
  kumi_error *err = comp_rt_at(x, s, sort, idx, &e);
  if (!err) *out = e.u.core;
  return err;
}

kumi_error *comp_rt_vt_of(rt_ctx *x, rt_scope *s, comp_valtype v, comp_vt *out) {
  if (v.prim) {
    out->prim = v.prim;
    out->id = 0;
    return NULL;
  }
  rt_ent e;
  kumi_error *err = comp_rt_at(x, s, COMP_SORT_TYPE, v.idx, &e);
  if (err) return err;
  if (!e.u.vt.prim && !e.u.vt.id) return UNSUPPORTED(x->a, "a value type the runtime does not model");
  *out = e.u.vt;
  return NULL;
}

kumi_error *comp_rt_build_type(rt_ctx *x, rt_scope *s, const comp_deftype *d, comp_vt *out) {
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
    rt_resinfo *ri = comp_rt_arena(x, sizeof *ri);
    if (!ri) return kb_error_oom();
    ri->impl = s;
    if (d->has_dtor) {
      kumi_extern ext = {0};
      if ((err = comp_rt_core_at(x, s, COMP_SORT_CORE_FUNC, d->dtor, &ext))) return err;
      ri->dtor = ext.of.func;
    }
    comp_tid id = comp_types_fresh_resource(ts);
    if (!id || !comp_u32map_put(&x->root->res, comp_ty(ts, id)->rid, (uint64_t)(uintptr_t)ri)) return kb_error_oom();
    out->id = id;
    return NULL;
  }
  case 0x43:
  case 0x40:
    t = comp_type_new(ts, CT_FUNC);
    if (!t) return kb_error_oom();
    t->async = d->kind == 0x43;
    t->n = d->n;
    t->fields = comp_types_alloc(ts, d->n ? d->n : 1, sizeof *t->fields);
    if (!t->fields) return kb_error_oom();
    for (uint32_t i = 0; i < d->n && !err; i++) {
      t->fields[i].name = d->items[i].label;
      t->fields[i].has_type = true;
      err = comp_rt_vt_of(x, s, d->items[i].type, &t->fields[i].type);
    }
    if (!err && d->has_result) {
      t->has_result = true;
      err = comp_rt_vt_of(x, s, d->result, &t->result);
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
        if (t->fields[i].has_type) err = comp_rt_vt_of(x, s, d->items[i].type, &t->fields[i].type);
      }
      break;
    case 0x6f:
      t->n = d->n;
      t->fields = comp_types_alloc(ts, d->n ? d->n : 1, sizeof *t->fields);
      if (!t->fields) return kb_error_oom();
      for (uint32_t i = 0; i < d->n && !err; i++) {
        t->fields[i].has_type = true;
        t->fields[i].name.s = "";
        err = comp_rt_vt_of(x, s, d->types[i], &t->fields[i].type);
      }
      break;
    case 0x67:
      t->len = d->len;
      /* fallthrough */
    case 0x70: case 0x6b:
      t->has_a = true;
      err = comp_rt_vt_of(x, s, d->a, &t->a);
      break;
    case 0x6a:
      t->has_a = d->has_a;
      t->has_b = d->has_b;
      if (d->has_a) err = comp_rt_vt_of(x, s, d->a, &t->a);
      if (!err && d->has_b) err = comp_rt_vt_of(x, s, d->b, &t->b);
      break;
    case 0x69: case 0x68: {
      rt_ent e;
      if ((err = comp_rt_at(x, s, COMP_SORT_TYPE, d->idx, &e))) return err;
      if (e.u.vt.prim || !e.u.vt.id || comp_ty(ts, e.u.vt.id)->kind != CT_RESOURCE)
        return UNSUPPORTED(x->a, "a handle to a resource the runtime does not model");
      t->res = e.u.vt.id;
      break;
    }
    case 0x66: case 0x65: /* defined so that components using them load; passing one traps "unsupported" */
      t->has_a = d->has_a;
      if (d->has_a) err = comp_rt_vt_of(x, s, d->a, &t->a);
      break;
    case 0x63:
      t->has_a = t->has_b = true;
      err = comp_rt_vt_of(x, s, d->a, &t->a);
      if (!err) err = comp_rt_vt_of(x, s, d->b, &t->b);
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

kumi_error *comp_rt_func_type_at(rt_ctx *x, rt_scope *s, uint32_t idx, const comp_type **out) {
  rt_ent e;
  kumi_error *err = comp_rt_at(x, s, COMP_SORT_TYPE, idx, &e);
  if (err) return err;
  if (e.u.vt.prim || !e.u.vt.id || comp_ty(&x->root->ts, e.u.vt.id)->kind != CT_FUNC)
    return UNSUPPORTED(x->a, "a function type the runtime does not model");
  *out = comp_ty(&x->root->ts, e.u.vt.id);
  return NULL;
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
  case COMP_SORT_CORE_TAG: return KUMI_EXTERN_TAG;
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
  const rt_named *n = comp_rt_find_named(ci->exports, ci->n, name, len);
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
  if ((err = comp_rt_at(x, s, COMP_SORT_CORE_MODULE, d->u.core_instance.module, &me))) return err;
  kumi_module *m = me.u.mod;
  kumi_linker *l = kumi_linker_new(x->root->store);
  if (!l) return kb_error_oom();
  size_t n = kumi_module_import_count(m);
  for (size_t i = 0; i < n && !err; i++) {
    kumi_import_desc id;
    kumi_module_import(m, i, &id);
    const comp_core_arg *arg = NULL;
    for (uint32_t j = 0; j < d->u.core_instance.n; j++)
      if (comp_rt_name_eq(d->u.core_instance.args[j].name.s, d->u.core_instance.args[j].name.len, id.module,
                  (uint32_t)id.module_len))
        arg = &d->u.core_instance.args[j];
    if (!arg) {
      err = kb_error(x->a, KUMI_ERR_LINK, d->offset, "core import module \"%s\" not given", id.module);
      break;
    }
    rt_ent ie, ee;
    if ((err = comp_rt_at(x, s, COMP_SORT_CORE_INSTANCE, arg->idx, &ie))) break;
    comp_sort want = id.kind == KUMI_EXTERN_TABLE    ? COMP_SORT_CORE_TABLE
                     : id.kind == KUMI_EXTERN_MEMORY ? COMP_SORT_CORE_MEMORY
                     : id.kind == KUMI_EXTERN_GLOBAL ? COMP_SORT_CORE_GLOBAL
                     : id.kind == KUMI_EXTERN_TAG    ? COMP_SORT_CORE_TAG
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
  rt_core_inst *ci = comp_rt_arena(x, sizeof *ci);
  if (!ci) return kb_error_oom();
  ci->inst = inst;
  rt_ent e = {.sort = COMP_SORT_CORE_INSTANCE};
  e.u.ci = ci;
  return comp_rt_push(x, s, e);
}

static kumi_error *core_instance_def(rt_ctx *x, rt_scope *s, const comp_def *d) {
  if (d->u.core_instance.instantiate) return core_instantiate(x, s, d);
  rt_core_inst *ci = comp_rt_arena(x, sizeof *ci);
  uint32_t n = d->u.core_instance.n;
  rt_named *ex = comp_rt_arena(x, n * sizeof *ex);
  if (!ci || !ex) return kb_error_oom();
  for (uint32_t i = 0; i < n; i++) {
    const comp_core_inline_export *ie = &d->u.core_instance.exports[i];
    if (!comp_sort_is_core(ie->sort)) return UNSUPPORTED(x->a, "core sort");
    kumi_error *err = comp_rt_at(x, s, ie->sort, ie->idx, &ex[i].e);
    if (err) return err;
    ex[i].name = ie->name.s;
    ex[i].len = ie->name.len;
  }
  ci->n = n;
  ci->exports = ex;
  rt_ent e = {.sort = COMP_SORT_CORE_INSTANCE};
  e.u.ci = ci;
  return comp_rt_push(x, s, e);
}

static kumi_error *instance_def(rt_ctx *x, rt_scope *s, const comp_def *d) {
  uint32_t n = d->u.instance.n;
  rt_named *v = comp_rt_arena(x, n * sizeof *v);
  if (!v) return kb_error_oom();
  kumi_error *err = NULL;
  for (uint32_t i = 0; i < n && !err; i++) {
    comp_sort sort = d->u.instance.instantiate ? d->u.instance.args[i].sort : d->u.instance.exports[i].sort;
    uint32_t idx = d->u.instance.instantiate ? d->u.instance.args[i].idx : d->u.instance.exports[i].idx;
    const comp_str *nm = d->u.instance.instantiate ? &d->u.instance.args[i].name : &d->u.instance.exports[i].name.name;
    v[i].name = nm->s;
    v[i].len = nm->len;
    if (sort == COMP_SORT_VALUE) return UNSUPPORTED(x->a, "component values");
    err = comp_rt_at(x, s, sort, idx, &v[i].e);
  }
  if (err) return err;
  rt_inst *ri = comp_rt_arena(x, sizeof *ri);
  if (!ri) return kb_error_oom();
  if (d->u.instance.instantiate) {
    rt_ent ce;
    rt_scope *child = NULL;
    if ((err = comp_rt_at(x, s, COMP_SORT_COMPONENT, d->u.instance.component, &ce)) ||
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
  return comp_rt_push(x, s, e);
}

kumi_error *comp_rt_alias_def(rt_ctx *x, rt_scope *s, const comp_alias *al) {
  rt_ent ie, out;
  kumi_error *err;
  if (al->sort == COMP_SORT_VALUE) return UNSUPPORTED(x->a, "component values");
  switch (al->kind) {
  case 0: {
    if ((err = comp_rt_at(x, s, COMP_SORT_INSTANCE, al->instance, &ie))) return err;
    const rt_named *n = comp_rt_find_named(ie.u.inst->exports, ie.u.inst->n, al->name.s, al->name.len);
    if (!n || n->e.sort != al->sort)
      return kb_error(x->a, KUMI_ERR_LINK, KUMI_NO_OFFSET, "instance has no %s export \"%s\"",
                      comp_sort_name(al->sort), al->name.s);
    out = n->e;
    break;
  }
  case 1:
    if ((err = comp_rt_at(x, s, COMP_SORT_CORE_INSTANCE, al->instance, &ie))) return err;
    if ((err = rt_core_export(x, ie.u.ci, al->name.s, al->name.len, al->sort, &out))) return err;
    break;
  default: {
    rt_scope *t = s;
    for (uint32_t i = 0; i < al->count && t; i++) t = t->parent;
    if (!t) return kb_error(x->a, KUMI_ERR_INVALID, KUMI_NO_OFFSET, "outer alias count out of bounds");
    if ((err = comp_rt_at(x, t, al->sort, al->idx, &out))) return err;
    break;
  }
  }
  return comp_rt_push(x, s, out);
}

static kumi_error *import_def(rt_ctx *x, rt_scope *s, const comp_def *d) {
  comp_sort sort = sort_of_extkind(d->u.import.ext.kind);
  if (sort == COMP_SORT_VALUE) return UNSUPPORTED(x->a, "component values");
  const comp_str *nm = &d->u.import.name.name;
  const rt_named *arg = comp_rt_find_named(s->args, s->nargs, nm->s, nm->len);
  if (!arg) {
    if (!s->parent && !s->inst_parent) return comp_rt_link_import(x, s, d);
    return kb_error(x->a, KUMI_ERR_LINK, d->offset, "import \"%s\" not given", nm->s);
  }
  if (arg->e.sort != sort)
    return kb_error(x->a, KUMI_ERR_LINK, d->offset, "import \"%s\": expected a %s, got a %s", nm->s,
                    comp_sort_name(sort), comp_sort_name((comp_sort)arg->e.sort));
  rt_ent e = arg->e;
  if (sort == COMP_SORT_FUNC) {
    /* Lowering inside this component uses the type it declares. */
    const comp_type *ft = NULL;
    kumi_error *err = comp_rt_func_type_at(x, s, d->u.import.ext.idx, &ft);
    if (err) return err;
    kumi_component_func *f = comp_rt_arena(x, sizeof *f);
    if (!f) return kb_error_oom();
    f->root = x->root;
    f->ft = ft;
    f->target = arg->e.u.f;
    f->owner = s;
    e.u.f = f;
  }
  return comp_rt_push(x, s, e);
}

static kumi_error *export_def(rt_ctx *x, rt_scope *s, const comp_def *d) {
  comp_sort sort = d->u.export_.sort;
  if (sort == COMP_SORT_VALUE) return UNSUPPORTED(x->a, "component values");
  rt_ent e;
  kumi_error *err = comp_rt_at(x, s, sort, d->u.export_.idx, &e);
  if (err) return err;
  rt_named n = {d->u.export_.name.name.s, d->u.export_.name.name.len, e};
  if (!kb_vec_push(x->a, &s->exports, n)) return kb_error_oom();
  return comp_rt_push(x, s, e);
}

/* A start function runs when its definition is reached, called as by the
 * host. Its arguments and results are values (not modelled yet): only a
 * start function without either is run. */
static kumi_error *start_def(rt_ctx *x, rt_scope *s, const comp_def *d) {
  if (d->u.start.nargs || d->u.start.nresults) return UNSUPPORTED(x->a, "component values (start function arguments or results)");
  rt_ent fe;
  kumi_error *err = comp_rt_at(x, s, COMP_SORT_FUNC, d->u.start.func, &fe);
  if (err) return err;
  if (!fe.u.f || fe.u.f->ft->n || fe.u.f->ft->has_result)
    return kb_error(x->a, KUMI_ERR_INVALID, d->offset, "start function type mismatch");
  return comp_rt_call_func(fe.u.f, NULL, 0, NULL, NULL);
}

static kumi_error *def(rt_ctx *x, rt_scope *s, const comp_def *d) {
  rt_ent e;
  memset(&e, 0, sizeof e);
  kumi_error *err;
  switch (d->kind) {
  case COMP_DEF_CORE_MODULE:
    e.sort = COMP_SORT_CORE_MODULE;
    if ((err = module_of(x->root->c, d, &e.u.mod))) return err;
    return comp_rt_push(x, s, e);
  case COMP_DEF_CORE_INSTANCE: return core_instance_def(x, s, d);
  case COMP_DEF_CORE_TYPE: e.sort = COMP_SORT_CORE_TYPE; return comp_rt_push(x, s, e);
  case COMP_DEF_COMPONENT: {
    rt_comp *rc = comp_rt_arena(x, sizeof *rc);
    if (!rc) return kb_error_oom();
    rc->ast = d->u.component;
    rc->parent = s;
    e.sort = COMP_SORT_COMPONENT;
    e.u.comp = rc;
    return comp_rt_push(x, s, e);
  }
  case COMP_DEF_INSTANCE: return instance_def(x, s, d);
  case COMP_DEF_ALIAS: return comp_rt_alias_def(x, s, &d->u.alias);
  case COMP_DEF_TYPE:
    e.sort = COMP_SORT_TYPE;
    if ((err = comp_rt_build_type(x, s, d->u.type, &e.u.vt))) return err;
    if (d->u.type->kind == 0x41 || d->u.type->kind == 0x42) {
      rt_tydecl *td = comp_rt_arena(x, sizeof *td);
      if (!td) return kb_error_oom();
      td->d = d->u.type;
      td->scope = s;
      e.decl = td;
    }
    return comp_rt_push(x, s, e);
  case COMP_DEF_CANON: return comp_rt_canon_def(x, s, &d->u.canon);
  case COMP_DEF_START: return start_def(x, s, d);
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
  comp_async_threads_free(inst); /* first: suspended threads unwind while everything lives */
  comp_async_host_free(inst); /* first: host calls and host ends still refer to the instance */
  for (size_t i = 0; i < inst->scopes.len; i++) {
    rt_scope *s = inst->scopes.items[i];
    for (int k = 0; k < COMP_SORT_COUNT; k++) kb_vec_free(a, &s->sp[k]);
    kb_vec_free(a, &s->exports);
    abi_table_free(&s->table);
    kb_free(a, s, sizeof *s);
  }
  kb_vec_free(a, &inst->scopes);
  comp_async_free(inst);
  comp_types_free(&inst->ts);
  comp_u32map_free(&inst->res);
  comp_u32map_free(&inst->host_res);
  kb_arena_free(&inst->arena);
  kb_free(a, inst, sizeof *inst);
}

/* Instantiates c, its top-level imports satisfied from l (NULL: none). */
static kumi_component_instance *instantiate(kumi_component_linker *l, kumi_store *store, kumi_component *c,
                                            kumi_error **error) {
  *error = NULL;
  if (!store || !c) {
    *error = kb_error(kb_default_allocator(), KUMI_ERR_ARG, KUMI_NO_OFFSET, "kumi_component_instantiate: no store or component");
    return NULL;
  }
  if (l && l->engine != store->engine) {
    *error = kb_error(store->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "component linker and store of different engines");
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
  comp_u32map_init(&inst->host_res, a);
  inst->linker = l;
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

kumi_component_instance *kumi_component_instantiate(kumi_store *store, kumi_component *c, kumi_error **error) {
  return instantiate(NULL, store, c, error);
}

kumi_component_instance *kumi_component_linker_instantiate(kumi_component_linker *l, kumi_store *store,
                                                           kumi_component *c, kumi_error **error) {
  if (!l) {
    *error = kb_error(store ? store->alloc : kb_default_allocator(), KUMI_ERR_ARG, KUMI_NO_OFFSET, "kumi_component_linker_instantiate: no linker");
    return NULL;
  }
  return instantiate(l, store, c, error);
}

kumi_component_func *kumi_component_instance_func(kumi_component_instance *inst, const char *iface, const char *name) {
  if (!inst || !inst->top || !name) return NULL;
  const rt_named *v = inst->top->exports.items;
  uint32_t n = (uint32_t)inst->top->exports.len;
  if (iface) {
    const rt_named *i = comp_rt_find_named(v, n, iface, (uint32_t)strlen(iface));
    if (!i || i->e.sort != COMP_SORT_INSTANCE) return NULL;
    v = i->e.u.inst->exports;
    n = i->e.u.inst->n;
  }
  const rt_named *f = comp_rt_find_named(v, n, name, (uint32_t)strlen(name));
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
    return kb_error(store ? store->alloc : kb_default_allocator(), KUMI_ERR_ARG, KUMI_NO_OFFSET,
                    "kumi_component_func_call: bad arguments");
  /* a trap locks the instance down: it is never entered again */
  const kumi_component_func *g = f;
  for (uint32_t depth = 0; g->target && depth <= RT_MAX_ALIAS_DEPTH; depth++) g = g->target;
  if (f->root->poisoned || (!g->host && g->owner && !comp_rt_enter_set(g->owner, NULL, true, true)))
    return kb_error(f->root->a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "cannot enter component instance");
  kumi_error *e = comp_rt_call_func(f, args, nargs, nresults ? results : NULL, NULL);
  if (e && kumi_error_kind_of(e) == KUMI_ERR_TRAP) f->root->poisoned = true;
  return e;
}
