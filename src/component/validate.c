/* Component validation (Explainer.md): walks the decoded definitions in
 * order, building the index spaces of each component, component type and
 * instance type, and checks every rule that is not about canonical
 * definitions (canon.c) or names and visibility (extern.c). Nested core
 * modules go through the core validator. */
#include "validate.h"

#include <stdarg.h>
#include <stdio.h>

bool vfail(vctx *v, uint32_t offset, const char *fmt, ...) {
  if (v->err) return false;
  char msg[700];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  v->err = kb_error(v->a, KUMI_ERR_INVALID, offset, "%s", msg);
  return false;
}

bool voom(vctx *v) {
  if (!v->err) v->err = kb_error_oom();
  return false;
}

bool vsub_entity(vctx *v, uint32_t offset, const comp_entity *a, const comp_entity *b, const char *ctx) {
  comp_subcx cx = {&v->ts, v->sub_msg, sizeof v->sub_msg, false};
  v->sub_msg[0] = 0;
  if (comp_sub_entity(&cx, a, b)) return v->ts.oom ? voom(v) : true;
  if (cx.oom || v->ts.oom) return voom(v);
  if (ctx) return vfail(v, offset, "%s: %s", ctx, v->sub_msg);
  return vfail(v, offset, "%s", v->sub_msg);
}

/* ---- index spaces ------------------------------------------------------------- */

#define AT(s, vec, idx, off, what, out)                                                                   \
  do {                                                                                                    \
    memset((out), 0, sizeof *(out));                                                                      \
    if ((idx) >= (s)->vec.len)                                                                            \
      return vfail((s)->v, (off), "unknown " what " %u: " what " index out of bounds", (unsigned)(idx)); \
    *(out) = (s)->vec.items[(idx)];                                                                       \
    return true;                                                                                          \
  } while (0)

bool v_core_func(vstate *s, uint32_t idx, uint32_t off, comp_tid *out) { AT(s, core_funcs, idx, off, "core function", out); }
bool v_core_memory(vstate *s, uint32_t idx, uint32_t off, comp_core_ext *out) { AT(s, core_memories, idx, off, "memory", out); }
bool v_core_table(vstate *s, uint32_t idx, uint32_t off, comp_core_ext *out) { AT(s, core_tables, idx, off, "table", out); }
bool v_core_type(vstate *s, uint32_t idx, uint32_t off, comp_tid *out) { AT(s, core_types, idx, off, "type", out); }
bool v_type(vstate *s, uint32_t idx, uint32_t off, comp_tid *out) { AT(s, types, idx, off, "type", out); }
bool v_func(vstate *s, uint32_t idx, uint32_t off, comp_tid *out) { AT(s, funcs, idx, off, "function", out); }
static bool v_global(vstate *s, uint32_t idx, uint32_t off, comp_core_ext *out) { AT(s, core_globals, idx, off, "global", out); }
static bool v_tag(vstate *s, uint32_t idx, uint32_t off, comp_tid *out) { AT(s, core_tags, idx, off, "tag", out); }
static bool v_module(vstate *s, uint32_t idx, uint32_t off, comp_tid *out) { AT(s, core_modules, idx, off, "module", out); }
static bool v_core_instance(vstate *s, uint32_t idx, uint32_t off, comp_tid *out) { AT(s, core_instances, idx, off, "core instance", out); }
static bool v_instance(vstate *s, uint32_t idx, uint32_t off, comp_tid *out) { AT(s, instances, idx, off, "instance", out); }
static bool v_component(vstate *s, uint32_t idx, uint32_t off, comp_tid *out) { AT(s, components, idx, off, "component", out); }

bool v_defined_type(vstate *s, uint32_t idx, uint32_t off, comp_tid *out) {
  if (!v_type(s, idx, off, out)) return false;
  if (comp_ty(&s->v->ts, *out)->kind != CT_DEFINED) return vfail(s->v, off, "type index %u is not a defined type", idx);
  return true;
}

static bool v_resource(vstate *s, uint32_t idx, uint32_t off, comp_tid *out) {
  if (!v_type(s, idx, off, out)) return false;
  if (comp_ty(&s->v->ts, *out)->kind != CT_RESOURCE) return vfail(s->v, off, "type index %u is not a resource type", idx);
  return true;
}

bool v_valtype(vstate *s, comp_valtype vt, uint32_t off, comp_vt *out) {
  out->prim = 0;
  out->id = 0;
  if (vt.prim) {
    if (vt.prim == COMP_ERROR_CONTEXT && !s->v->f.error_context)
      return vfail(s->v, off, "`error-context` requires the component model error-context feature");
    out->prim = vt.prim;
    return true;
  }
  comp_tid t;
  if (!v_defined_type(s, vt.idx, off, &t)) return false;
  const comp_type *ty = comp_ty(&s->v->ts, t);
  if (comp_is_prim(ty->dkind)) out->prim = ty->dkind;
  else out->id = t;
  return true;
}

static bool value_at(vstate *s, uint32_t idx, uint32_t off, comp_vt *out) {
  if (idx >= s->values.len) return vfail(s->v, off, "unknown value %u: value index out of bounds", idx);
  if (s->values.items[idx].used) return vfail(s->v, off, "value %u cannot be used more than once", idx);
  s->values.items[idx].used = true;
  *out = s->values.items[idx].type;
  return true;
}

/* ---- state --------------------------------------------------------------------- */

static void state_init(vstate *s, vctx *v, vstate *parent, uint8_t kind) {
  memset(s, 0, sizeof *s);
  s->v = v;
  s->parent = parent;
  s->kind = kind;
  s->size = 1;
  kb_map_init(&s->import_keys, v->a);
  kb_map_init(&s->export_keys, v->a);
  comp_u32map_init(&s->imported_types, v->a);
  comp_u32map_init(&s->exported_types, v->a);
  v_namecx_init(&s->imp_names, v->a);
  v_namecx_init(&s->exp_names, v->a);
}

static void state_free(vstate *s) {
  const kumi_allocator *a = s->v->a;
  kb_vec_free(a, &s->core_types);
  kb_vec_free(a, &s->core_funcs);
  kb_vec_free(a, &s->core_tags);
  kb_vec_free(a, &s->core_modules);
  kb_vec_free(a, &s->core_instances);
  kb_vec_free(a, &s->core_tables);
  kb_vec_free(a, &s->core_memories);
  kb_vec_free(a, &s->core_globals);
  kb_vec_free(a, &s->types);
  kb_vec_free(a, &s->funcs);
  kb_vec_free(a, &s->instances);
  kb_vec_free(a, &s->components);
  kb_vec_free(a, &s->values);
  kb_vec_free(a, &s->imports);
  kb_vec_free(a, &s->exports);
  kb_map_free(&s->import_keys);
  kb_map_free(&s->export_keys);
  kb_vec_free(a, &s->imported_res);
  kb_vec_free(a, &s->explicit_res);
  kb_vec_free(a, &s->defined_res);
  comp_u32map_free(&s->imported_types);
  comp_u32map_free(&s->exported_types);
  v_namecx_free(&s->imp_names, a);
  v_namecx_free(&s->exp_names, a);
}

/* ---- core types ------------------------------------------------------------------- */

static bool core_valtype_ok(vctx *v, const comp_core_valtype *t, uint32_t off) {
  if (t->code != COMP_CORE_REF) return true;
  if (!t->concrete && !t->shared && t->nullable && (t->heap == 0x70 || t->heap == 0x6f)) return true;
  if (!t->concrete && t->nullable && !t->shared && (t->heap == 0x69 || t->heap == 0x74)) {
    if (!v->f.exceptions) return vfail(v, off, "exceptions proposal not enabled");
    return true;
  }
  if (!v->f.gc) return vfail(v, off, "reference types of the GC proposal require the `gc` feature");
  return true;
}

/* Concrete reference types must name a preceding non-module type. */
static bool core_ref_index_ok(vctx *v, const comp_core_valtype *t, const comp_tid *types, size_t ntypes, uint32_t off) {
  if (t->code != COMP_CORE_REF || !t->concrete) return true;
  if ((uint64_t)t->heap >= ntypes) return vfail(v, off, "unknown type %lld: type index out of bounds", (long long)t->heap);
  if (comp_ty(&v->ts, types[t->heap])->kind == CT_CORE_MODULE)
    return vfail(v, off, "type index %lld is a module type", (long long)t->heap);
  return true;
}

static comp_tid core_func_from_ast(vctx *v, const comp_core_functype *f, const comp_tid *types, size_t ntypes,
                                   uint32_t off) {
  for (uint32_t i = 0; i < f->nparams; i++)
    if (!core_valtype_ok(v, &f->params[i], off) || !core_ref_index_ok(v, &f->params[i], types, ntypes, off)) return 0;
  for (uint32_t i = 0; i < f->nresults; i++)
    if (!core_valtype_ok(v, &f->results[i], off) || !core_ref_index_ok(v, &f->results[i], types, ntypes, off)) return 0;
  comp_type *t = comp_type_new(&v->ts, CT_CORE_FUNC);
  if (!t) return voom(v), 0;
  t->core = *f;
  comp_tid id = comp_types_push(&v->ts, t);
  if (!id) voom(v);
  return id;
}

static bool limits_ok(vctx *v, const comp_core_limits *l, bool table, uint32_t off) {
  if (l->has_max && l->min > l->max) return vfail(v, off, "size minimum must not be greater than maximum");
  if (table) {
    if (l->has_page_size) return vfail(v, off, "tables cannot have a page size");
    if (l->shared && !v->f.shared_threads) return vfail(v, off, "shared tables require the shared-everything-threads proposal");
    return true;
  }
  uint64_t limit;
  if (l->has_page_size) {
    if (!v->f.custom_page_sizes) return vfail(v, off, "the custom page sizes proposal must be enabled to customize a memory's page size");
    if (l->page_size_log2 != 0 && l->page_size_log2 != 16) return vfail(v, off, "invalid custom page size");
  }
  unsigned page_log2 = l->has_page_size ? l->page_size_log2 : 16;
  limit = l->is64 ? ((uint64_t)1 << (64 - page_log2)) : ((uint64_t)1 << (32 - page_log2));
  if (l->min > limit || (l->has_max && l->max > limit))
    return vfail(v, off, "memory size must be at most %llu pages", (unsigned long long)limit);
  if (l->shared && !l->has_max) return vfail(v, off, "shared memory must have maximum size");
  return true;
}

/* A core:externtype of a module type declaration, types from `types`. */
static bool core_ext_from_decl(vctx *v, const comp_tid *types, size_t ntypes, const comp_core_externtype *e,
                               uint32_t off, comp_core_ext *out) {
  memset(out, 0, sizeof *out);
  out->kind = e->kind;
  switch (e->kind) {
  case 0:
  case 4:
    if (e->kind == 4 && !v->f.exceptions) return vfail(v, off, "exceptions proposal not enabled");
    if (e->type_idx >= ntypes) return vfail(v, off, "unknown type %u: type index out of bounds", e->type_idx);
    out->func = types[e->type_idx];
    if (comp_ty(&v->ts, out->func)->kind != CT_CORE_FUNC && comp_ty(&v->ts, out->func)->kind != CT_CORE_GC)
      return vfail(v, off, "type index %u is not a function type", e->type_idx);
    if (e->kind == 4 && comp_ty(&v->ts, out->func)->core.nresults)
      return vfail(v, off, "invalid exception type: non-empty tag result type");
    return true;
  case 1:
    out->valtype = e->valtype;
    out->limits = e->limits;
    return core_valtype_ok(v, &e->valtype, off) && limits_ok(v, &e->limits, true, off);
  case 2:
    out->limits = e->limits;
    return limits_ok(v, &e->limits, false, off);
  case 3:
    out->valtype = e->valtype;
    out->mut = e->mut;
    out->shared = e->shared;
    if (e->shared && !v->f.shared_threads) return vfail(v, off, "shared globals require the shared-everything-threads proposal");
    return core_valtype_ok(v, &e->valtype, off);
  }
  return vfail(v, off, "unknown core external kind");
}

/* Import keys are "module\0name" with explicit lengths. */
static bool dup_import(vctx *v, kb_map *seen, const comp_str *module, const comp_str *name, bool *dup) {
  size_t n = 4 + module->len + name->len;
  char small[256];
  char *k = n <= sizeof small ? small : kb_alloc(v->a, n);
  if (!k) return voom(v);
  memcpy(k, &module->len, 4);
  memcpy(k + 4, module->s, module->len);
  memcpy(k + 4 + module->len, name->s, name->len);
  *dup = kb_map_get(seen, k, n, NULL);
  bool ok = *dup || kb_map_put(seen, k, n, NULL);
  if (k != small) kb_free(v->a, k, n);
  return ok ? true : voom(v);
}

static bool dup_export(vctx *v, kb_map *seen, const comp_str *name, bool *dup) {
  *dup = kb_map_get(seen, name->s, name->len, NULL);
  if (!*dup && !kb_map_put(seen, name->s, name->len, NULL)) return voom(v);
  return true;
}

static vstate *alias_target(vstate *s, uint32_t count, uint32_t off, vstate **child) {
  vstate *t = s;
  *child = NULL;
  for (uint32_t i = 0; i < count; i++) {
    *child = t;
    t = t->parent;
    if (!t) {
      vfail(s->v, off, "invalid outer alias count of %u", count);
      return NULL;
    }
  }
  return t;
}

static comp_tid module_type_from_decls(vstate *s, const comp_core_type *ct) {
  vctx *v = s->v;
  KB_VEC(comp_tid) types = {0};
  KB_VEC(comp_core_import) imports = {0};
  KB_VEC(comp_core_export) exports = {0};
  kb_map iseen, eseen;
  kb_map_init(&iseen, v->a);
  kb_map_init(&eseen, v->a);
  comp_tid result = 0;
  bool ok = true;
  for (uint32_t i = 0; ok && i < ct->ndecls; i++) {
    const comp_core_moduledecl *d = &ct->decls[i];
    switch (d->kind) {
    case 0: {
      comp_core_import im = {d->module, d->name, {0}};
      bool dup;
      ok = core_ext_from_decl(v, types.items, types.len, &d->ext, d->offset, &im.ext) &&
           dup_import(v, &iseen, &d->module, &d->name, &dup);
      if (ok && dup) ok = vfail(v, d->offset, "duplicate import name `%s:%s`", d->module.s, d->name.s);
      if (ok && !kb_vec_push(v->a, &imports, im)) ok = voom(v);
      break;
    }
    case 1: {
      const comp_core_type *t = d->type;
      comp_tid id = 0;
      if (t->kind == COMP_CORE_TYPE_MODULE) {
        ok = vfail(v, d->offset, "invalid leading byte: module types cannot be defined inside module types");
      } else if (t->kind == COMP_CORE_TYPE_GC) {
        if (!v->f.gc) ok = vfail(v, d->offset, "gc proposal must be enabled to use GC types");
        else if (!(id = comp_types_push(&v->ts, comp_type_new(&v->ts, CT_CORE_GC)))) ok = voom(v);
      } else {
        id = core_func_from_ast(v, &t->func, types.items, types.len, d->offset);
        ok = id != 0;
      }
      if (ok && !kb_vec_push(v->a, &types, id)) ok = voom(v);
      break;
    }
    case 2: {
      comp_tid id = 0;
      if (d->outer_count == 0) {
        if (d->outer_idx >= types.len) ok = vfail(v, d->offset, "unknown type %u: type index out of bounds", d->outer_idx);
        else id = types.items[d->outer_idx];
      } else {
        vstate *child;
        vstate *t = alias_target(s, d->outer_count - 1, d->offset, &child);
        ok = t && v_core_type(t, d->outer_idx, d->offset, &id);
        if (ok && comp_ty(&v->ts, id)->kind == CT_CORE_MODULE)
          ok = vfail(v, d->offset, "not implemented: aliasing core module types into a core module's types index space");
      }
      if (ok && !kb_vec_push(v->a, &types, id)) ok = voom(v);
      break;
    }
    case 3: {
      comp_core_export ex = {d->name, {0}};
      bool dup;
      ok = core_ext_from_decl(v, types.items, types.len, &d->ext, d->offset, &ex.ext) &&
           dup_export(v, &eseen, &d->name, &dup);
      if (ok && dup) ok = vfail(v, d->offset, "export name `%s` already defined", d->name.s);
      if (ok && !kb_vec_push(v->a, &exports, ex)) ok = voom(v);
      break;
    }
    default:
      ok = vfail(v, d->offset, "invalid module type declaration");
    }
  }
  if (ok) {
    comp_type *t = comp_type_new(&v->ts, CT_CORE_MODULE);
    comp_core_import *ci = comp_types_alloc(&v->ts, imports.len, sizeof *ci);
    comp_core_export *ce = comp_types_alloc(&v->ts, exports.len, sizeof *ce);
    if (!t || !ci || !ce) {
      voom(v);
    } else {
      if (imports.len) memcpy(ci, imports.items, imports.len * sizeof *ci);
      if (exports.len) memcpy(ce, exports.items, exports.len * sizeof *ce);
      t->ncore_imports = (uint32_t)imports.len;
      t->core_imports = ci;
      t->ncore_exports = (uint32_t)exports.len;
      t->core_exports = ce;
      t->size = 1 + t->ncore_imports + t->ncore_exports;
      result = comp_types_push(&v->ts, t);
      if (!result) voom(v);
    }
  }
  kb_vec_free(v->a, &types);
  kb_vec_free(v->a, &imports);
  kb_vec_free(v->a, &exports);
  kb_map_free(&iseen);
  kb_map_free(&eseen);
  return result;
}

static bool add_core_type(vstate *s, const comp_core_type *ct) {
  vctx *v = s->v;
  comp_tid id = 0;
  switch (ct->kind) {
  case COMP_CORE_TYPE_FUNC: id = core_func_from_ast(v, &ct->func, s->core_types.items, s->core_types.len, ct->offset); break;
  case COMP_CORE_TYPE_MODULE: id = module_type_from_decls(s, ct); break;
  default:
    if (!v->f.gc) return vfail(v, ct->offset, "gc proposal must be enabled to use GC types");
    id = comp_types_push(&v->ts, comp_type_new(&v->ts, CT_CORE_GC));
    if (!id) return voom(v);
  }
  if (!id) return false;
  return kb_vec_push(v->a, &s->core_types, id) ? true : voom(v);
}

/* ---- core modules and instances ------------------------------------------------------ */

static comp_core_valtype cv_of(core_valtype t) {
  comp_core_valtype r;
  memset(&r, 0, sizeof r);
  if (t == CORE_FUNCREF || t == CORE_EXTERNREF) {
    r.code = COMP_CORE_REF;
    r.nullable = true;
    r.heap = t;
  } else {
    r.code = t;
  }
  return r;
}

static comp_tid core_func_of(vctx *v, const core_functype *ft) {
  comp_type *t = comp_type_new(&v->ts, CT_CORE_FUNC);
  if (!t) return 0;
  t->core.nparams = ft->nparams;
  t->core.nresults = ft->nresults;
  t->core.params = comp_types_alloc(&v->ts, ft->nparams, sizeof(comp_core_valtype));
  t->core.results = comp_types_alloc(&v->ts, ft->nresults, sizeof(comp_core_valtype));
  if (!t->core.params || !t->core.results) return 0;
  for (uint32_t i = 0; i < ft->nparams; i++) t->core.params[i] = cv_of(core_functype_params(ft)[i]);
  for (uint32_t i = 0; i < ft->nresults; i++) t->core.results[i] = cv_of(core_functype_results(ft)[i]);
  return comp_types_push(&v->ts, t);
}

static void limits_of(comp_core_limits *out, const core_limits *l) {
  memset(out, 0, sizeof *out);
  out->min = l->min;
  out->max = l->max;
  out->has_max = l->has_max;
}

static bool add_core_module(vstate *s, const comp_def *d) {
  vctx *v = s->v;
  core_module *m = d->u.core_module.module;
  kumi_error *e = core_module_validate(m);
  if (e) {
    if (e->alloc && e->offset != KUMI_NO_OFFSET) e->offset += d->u.core_module.start;
    v->err = e;
    return false;
  }
  comp_type *t = comp_type_new(&v->ts, CT_CORE_MODULE);
  if (!t) return voom(v);
  t->ncore_imports = m->nimports;
  t->ncore_exports = m->nexports;
  t->core_imports = comp_types_alloc(&v->ts, m->nimports, sizeof *t->core_imports);
  t->core_exports = comp_types_alloc(&v->ts, m->nexports, sizeof *t->core_exports);
  if (!t->core_imports || !t->core_exports) return voom(v);
  kb_map seen;
  kb_map_init(&seen, v->a);
  bool ok = true;
  for (uint32_t i = 0; ok && i < m->nimports; i++) {
    const core_import *im = &m->imports[i];
    comp_core_import *ci = &t->core_imports[i];
    ci->module.s = im->module;
    ci->module.len = im->module_len;
    ci->name.s = im->name;
    ci->name.len = im->name_len;
    ci->ext.kind = im->kind;
    switch (im->kind) {
    case CORE_EXTERN_FUNC: ci->ext.func = core_func_of(v, &m->types[im->desc.func_type]); ok = ci->ext.func != 0; break;
    case CORE_EXTERN_TABLE: ci->ext.valtype = cv_of(im->desc.table.elem); limits_of(&ci->ext.limits, &im->desc.table.limits); break;
    case CORE_EXTERN_MEMORY: limits_of(&ci->ext.limits, &im->desc.memory.limits); break;
    case CORE_EXTERN_GLOBAL: ci->ext.valtype = cv_of(im->desc.global.type); ci->ext.mut = im->desc.global.mut; break;
    case CORE_EXTERN_TAG: ci->ext.func = core_func_of(v, &m->types[im->desc.tag_type]); ok = ci->ext.func != 0; break;
    }
    bool dup = false;
    if (ok) ok = dup_import(v, &seen, &ci->module, &ci->name, &dup);
    if (ok && dup) ok = vfail(v, d->offset, "duplicate import name `%s:%s`", im->module, im->name);
  }
  kb_map_free(&seen);
  for (uint32_t i = 0; ok && i < m->nexports; i++) {
    const core_export *ex = &m->exports[i];
    comp_core_export *ce = &t->core_exports[i];
    ce->name.s = ex->name;
    ce->name.len = ex->name_len;
    ce->ext.kind = ex->kind;
    switch (ex->kind) {
    case CORE_EXTERN_FUNC: ce->ext.func = core_func_of(v, &m->types[m->funcs[ex->index].type]); ok = ce->ext.func != 0; break;
    case CORE_EXTERN_TABLE: ce->ext.valtype = cv_of(m->tables[ex->index].elem); limits_of(&ce->ext.limits, &m->tables[ex->index].limits); break;
    case CORE_EXTERN_MEMORY: limits_of(&ce->ext.limits, &m->memories[ex->index].limits); break;
    case CORE_EXTERN_GLOBAL: ce->ext.valtype = cv_of(m->globals[ex->index].type.type); ce->ext.mut = m->globals[ex->index].type.mut; break;
    case CORE_EXTERN_TAG: ce->ext.func = core_func_of(v, &m->types[m->tags[ex->index]]); ok = ce->ext.func != 0; break;
    }
  }
  if (!ok) return v->err ? false : voom(v);
  t->size = 1 + m->nimports + m->nexports;
  comp_tid id = comp_types_push(&v->ts, t);
  if (!id || !kb_vec_push(v->a, &s->core_modules, id)) return voom(v);
  return true;
}

static const comp_core_export *core_export_find(const comp_type *t, const comp_str *name) {
  for (uint32_t i = 0; i < t->ncore_exports; i++)
    if (t->core_exports[i].name.len == name->len && memcmp(t->core_exports[i].name.s, name->s, name->len) == 0)
      return &t->core_exports[i];
  return NULL;
}

static bool add_core_instance(vstate *s, const comp_def *d) {
  vctx *v = s->v;
  uint32_t off = d->offset;
  comp_type *t = comp_type_new(&v->ts, CT_CORE_INSTANCE);
  if (!t) return voom(v);
  if (d->u.core_instance.instantiate) {
    comp_tid mt;
    if (!v_module(s, d->u.core_instance.module, off, &mt)) return false;
    uint32_t n = d->u.core_instance.n;
    comp_tid *args = kb_zalloc(v->a, (n ? n : 1) * sizeof *args);
    if (!args) return voom(v);
    bool ok = true;
    for (uint32_t i = 0; ok && i < n; i++) {
      const comp_core_arg *a = &d->u.core_instance.args[i];
      for (uint32_t j = 0; ok && j < i; j++)
        if (d->u.core_instance.args[j].name.len == a->name.len && memcmp(d->u.core_instance.args[j].name.s, a->name.s, a->name.len) == 0)
          ok = vfail(v, off, "duplicate module instantiation argument named `%s`", a->name.s);
      if (ok) ok = v_core_instance(s, a->idx, off, &args[i]);
    }
    const comp_type *m = comp_ty(&v->ts, mt);
    for (uint32_t i = 0; ok && i < m->ncore_imports; i++) {
      const comp_core_import *im = &m->core_imports[i];
      uint32_t k = n;
      for (uint32_t j = 0; j < n; j++)
        if (d->u.core_instance.args[j].name.len == im->module.len &&
            memcmp(d->u.core_instance.args[j].name.s, im->module.s, im->module.len) == 0)
          k = j;
      if (k == n) {
        ok = vfail(v, off, "missing module instantiation argument named `%s`", im->module.s);
        break;
      }
      const comp_core_export *ex = core_export_find(comp_ty(&v->ts, args[k]), &im->name);
      if (!ex) {
        ok = vfail(v, off, "module instantiation argument `%s` does not export an item named `%s`", im->module.s, im->name.s);
        break;
      }
      comp_subcx cx = {&v->ts, v->sub_msg, sizeof v->sub_msg, false};
      if (!comp_sub_core_ext(&cx, &ex->ext, &im->ext))
        ok = vfail(v, off, "type mismatch for export `%s` of module instantiation argument `%s`: %s", im->name.s,
                   im->module.s, v->sub_msg);
    }
    kb_free(v->a, args, (n ? n : 1) * sizeof *args);
    if (!ok) return false;
    t->ncore_exports = m->ncore_exports;
    t->core_exports = m->core_exports;
    t->size = m->size;
  } else {
    uint32_t n = d->u.core_instance.n;
    comp_core_export *ex = comp_types_alloc(&v->ts, n, sizeof *ex);
    if (!ex) return voom(v);
    kb_map seen;
    kb_map_init(&seen, v->a);
    bool ok = true;
    for (uint32_t i = 0; ok && i < n; i++) {
      const comp_core_inline_export *ie = &d->u.core_instance.exports[i];
      ex[i].name = ie->name;
      memset(&ex[i].ext, 0, sizeof ex[i].ext);
      switch (ie->sort) {
      case COMP_SORT_CORE_FUNC: ex[i].ext.kind = 0; ok = v_core_func(s, ie->idx, off, &ex[i].ext.func); break;
      case COMP_SORT_CORE_TABLE: ok = v_core_table(s, ie->idx, off, &ex[i].ext); break;
      case COMP_SORT_CORE_MEMORY: ok = v_core_memory(s, ie->idx, off, &ex[i].ext); break;
      case COMP_SORT_CORE_GLOBAL: ok = v_global(s, ie->idx, off, &ex[i].ext); break;
      case COMP_SORT_CORE_TAG:
        if (!v->f.exceptions) ok = vfail(v, off, "exceptions proposal not enabled");
        else {
          ex[i].ext.kind = 4;
          ok = v_tag(s, ie->idx, off, &ex[i].ext.func);
        }
        break;
      default:
        ok = vfail(v, off, "invalid core export kind in an instance of exports");
      }
      bool dup;
      if (ok) ok = dup_export(v, &seen, &ie->name, &dup);
      if (ok && dup) ok = vfail(v, off, "duplicate instantiation export name `%s` already defined", ie->name.s);
    }
    kb_map_free(&seen);
    if (!ok) return false;
    t->ncore_exports = n;
    t->core_exports = ex;
    t->size = 1 + n;
  }
  comp_tid id = comp_types_push(&v->ts, t);
  if (!id || !kb_vec_push(v->a, &s->core_instances, id)) return voom(v);
  return true;
}

/* ---- type definitions --------------------------------------------------------------- */

static bool check_label(vctx *v, const comp_str *l, const char *what, uint32_t off) {
  if (comp_is_kebab(l->s, l->len)) return true;
  if (l->len == 0) return vfail(v, off, "%s name cannot be empty", what);
  return vfail(v, off, "%s name `%s` is not in kebab case", what, l->s);
}

static bool eq_nocase(const comp_str *a, const comp_str *b) {
  if (a->len != b->len) return false;
  for (uint32_t i = 0; i < a->len; i++) {
    char x = a->s[i], y = b->s[i];
    if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

/* Labels of a record, variant, flags, enum or parameter list. */
static bool check_labels(vctx *v, const comp_labeled *items, uint32_t n, const char *what, const char *prev_what,
                         uint32_t off) {
  kb_map seen;
  kb_map_init(&seen, v->a);
  bool ok = true;
  for (uint32_t i = 0; ok && i < n; i++) {
    ok = check_label(v, &items[i].label, what, off);
    if (!ok) break;
    char buf[256];
    char *k = items[i].label.len <= sizeof buf ? buf : kb_alloc(v->a, items[i].label.len);
    if (!k) {
      ok = voom(v);
      break;
    }
    for (uint32_t j = 0; j < items[i].label.len; j++) {
      char c = items[i].label.s[j];
      k[j] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    void *prev;
    if (kb_map_get(&seen, k, items[i].label.len, &prev)) {
      ok = vfail(v, off, "%s name `%s` conflicts with previous %s name `%s`", what, items[i].label.s, prev_what,
                 ((const comp_str *)prev)->s);
    } else if (!kb_map_put(&seen, k, items[i].label.len, (void *)&items[i].label)) {
      ok = voom(v);
    }
    if (k != buf) kb_free(v->a, k, items[i].label.len);
  }
  kb_map_free(&seen);
  (void)eq_nocase;
  return ok;
}

static bool is_key_prim(uint8_t p) {
  return p == COMP_BOOL || p == COMP_S8 || p == COMP_U8 || p == COMP_S16 || p == COMP_U16 || p == COMP_S32 ||
         p == COMP_U32 || p == COMP_S64 || p == COMP_U64 || p == COMP_CHAR || p == COMP_STRING;
}

static comp_tid create_defined(vstate *s, const comp_deftype *d) {
  vctx *v = s->v;
  uint32_t off = d->offset;
  comp_type *t = comp_type_new(&v->ts, CT_DEFINED);
  if (!t) return voom(v), 0;
  t->dkind = d->kind;
  if (comp_is_prim(d->kind)) {
    if (d->kind == COMP_ERROR_CONTEXT && !v->f.error_context)
      return vfail(v, off, "`error-context` requires the component model error-context feature"), 0;
  } else {
    switch (d->kind) {
    case 0x72:
    case 0x71:
    case 0x6e:
    case 0x6d: {
      const char *what = d->kind == 0x72 ? "record field" : d->kind == 0x71 ? "variant case" : d->kind == 0x6e ? "flag" : "enum tag";
      const char *prev = d->kind == 0x72 ? "field" : d->kind == 0x71 ? "case" : d->kind == 0x6e ? "flag" : "tag";
      if (d->n == 0) {
        const char *m = d->kind == 0x72 ? "record type must have at least one field"
                        : d->kind == 0x71 ? "variant type must have at least one case"
                        : d->kind == 0x6e ? "flags must have at least one entry"
                                          : "enum type must have at least one variant";
        return vfail(v, off, "%s", m), 0;
      }
      if (d->kind == 0x6e && d->n > 32) return vfail(v, off, "cannot have more than 32 flags"), 0;
      if (!check_labels(v, d->items, d->n, what, prev, off)) return 0;
      t->n = d->n;
      t->fields = comp_types_alloc(&v->ts, d->n, sizeof *t->fields);
      if (!t->fields) return voom(v), 0;
      for (uint32_t i = 0; i < d->n; i++) {
        t->fields[i].name = d->items[i].label;
        t->fields[i].has_type = (d->kind == 0x72 || d->kind == 0x71) && d->items[i].has_type;
        if (t->fields[i].has_type && !v_valtype(s, d->items[i].type, off, &t->fields[i].type)) return 0;
      }
      break;
    }
    case 0x6f:
      if (d->n == 0) return vfail(v, off, "tuple type must have at least one type"), 0;
      t->n = d->n;
      t->fields = comp_types_alloc(&v->ts, d->n, sizeof *t->fields);
      if (!t->fields) return voom(v), 0;
      for (uint32_t i = 0; i < d->n; i++) {
        t->fields[i].has_type = true;
        t->fields[i].name.s = "";
        if (!v_valtype(s, d->types[i], off, &t->fields[i].type)) return 0;
      }
      break;
    case 0x67:
      if (!v->f.fixed_length_lists) return vfail(v, off, "Fixed-length lists require the component model fixed-length lists feature"), 0;
      if (d->len == 0) return vfail(v, off, "Fixed-length lists must have more than zero elements"), 0;
      t->len = d->len;
      /* fallthrough */
    case 0x70:
    case 0x6b:
      t->has_a = true;
      if (!v_valtype(s, d->a, off, &t->a)) return 0;
      break;
    case 0x6a:
      t->has_a = d->has_a;
      t->has_b = d->has_b;
      if (d->has_a && !v_valtype(s, d->a, off, &t->a)) return 0;
      if (d->has_b && !v_valtype(s, d->b, off, &t->b)) return 0;
      break;
    case 0x69:
    case 0x68:
      if (!v_resource(s, d->idx, off, &t->res)) return 0;
      break;
    case 0x66:
    case 0x65:
      if (!v->f.async)
        return vfail(v, off, "`%s` requires the component model async feature", d->kind == 0x66 ? "stream" : "future"), 0;
      t->has_a = d->has_a;
      if (d->has_a && !v_valtype(s, d->a, off, &t->a)) return 0;
      if (d->kind == 0x66 && t->has_a && t->a.prim == COMP_CHAR)
        return vfail(v, off, "`stream<char>` is not valid at this time, use `stream<u8>` with a defined by encoding instead for now"), 0;
      if (t->has_a && comp_vt_has_borrow(&v->ts, t->a))
        return vfail(v, off, "`%s` element types cannot contain a `borrow`", d->kind == 0x66 ? "stream" : "future"), 0;
      break;
    case 0x63:
      if (!v->f.map) return vfail(v, off, "Maps require the component model map feature"), 0;
      t->has_a = t->has_b = true;
      if (!v_valtype(s, d->a, off, &t->a) || !v_valtype(s, d->b, off, &t->b)) return 0;
      if (!t->a.prim || !is_key_prim(t->a.prim)) return vfail(v, off, "map key type must be a primitive type"), 0;
      break;
    default:
      return vfail(v, off, "unexpected defined type"), 0;
    }
  }
  comp_tid id = comp_types_push(&v->ts, t);
  if (!id) return voom(v), 0;
  if (t->size >= COMP_MAX_TYPE_SIZE) return vfail(v, off, "effective type size exceeds the limit of %u", COMP_MAX_TYPE_SIZE), 0;
  if (!v_check_abi_size(s, id, off)) return 0;
  return id;
}

static comp_tid create_func(vstate *s, const comp_deftype *d) {
  vctx *v = s->v;
  uint32_t off = d->offset;
  if (d->kind == 0x43 && !v->f.async) return vfail(v, off, "async component functions require the component model async feature"), 0;
  comp_type *t = comp_type_new(&v->ts, CT_FUNC);
  if (!t) return voom(v), 0;
  t->async = d->kind == 0x43;
  if (!check_labels(v, d->items, d->n, "function parameter", "parameter", off)) return 0;
  t->n = d->n;
  t->fields = comp_types_alloc(&v->ts, d->n, sizeof *t->fields);
  if (!t->fields) return voom(v), 0;
  for (uint32_t i = 0; i < d->n; i++) {
    t->fields[i].name = d->items[i].label;
    t->fields[i].has_type = true;
    if (!v_valtype(s, d->items[i].type, off, &t->fields[i].type)) return 0;
  }
  if (d->has_result) {
    t->has_result = true;
    if (!v_valtype(s, d->result, off, &t->result)) return 0;
    if (comp_vt_has_borrow(&v->ts, t->result)) return vfail(v, off, "function result cannot contain a `borrow` type"), 0;
  }
  comp_tid id = comp_types_push(&v->ts, t);
  if (!id) return voom(v), 0;
  if (t->size >= COMP_MAX_TYPE_SIZE) return vfail(v, off, "effective type size exceeds the limit of %u", COMP_MAX_TYPE_SIZE), 0;
  return id;
}

static bool add_decls(vstate *s, const comp_decl *decls, uint32_t n);
static comp_tid finish_component(vstate *s, uint32_t off);
static comp_tid finish_instance(vstate *s);

static bool add_type(vstate *s, const comp_deftype *d) {
  vctx *v = s->v;
  comp_tid id = 0;
  switch (d->kind) {
  case 0x40:
  case 0x43:
    id = create_func(s, d);
    break;
  case 0x41:
  case 0x42: {
    vstate *inner = kb_alloc(v->a, sizeof *inner);
    if (!inner) return voom(v);
    state_init(inner, v, s, d->kind == 0x41 ? VS_COMPONENT_TYPE : VS_INSTANCE_TYPE);
    if (add_decls(inner, d->decls, d->n)) id = d->kind == 0x41 ? finish_component(inner, d->offset) : finish_instance(inner);
    state_free(inner);
    kb_free(v->a, inner, sizeof *inner);
    break;
  }
  case 0x3f: {
    if (s->kind != VS_COMPONENT) return vfail(v, d->offset, "resources can only be defined within a concrete component");
    uint8_t rep = d->rep.code;
    if (rep == 0x7e && !v->f.cm64) return vfail(v, d->offset, "resources with `i64` require the `cm64` feature to be enabled");
    if (rep != 0x7f && rep != 0x7e) return vfail(v, d->offset, "resources can only be represented by `i32` or `i64`");
    if (d->has_dtor) {
      comp_tid ft;
      if (!v_core_func(s, d->dtor, d->offset, &ft)) return false;
      const comp_type *f = comp_ty(&v->ts, ft);
      if (f->kind != CT_CORE_FUNC || f->core.nparams != 1 || f->core.params[0].code != rep || f->core.nresults != 0)
        return vfail(v, d->offset, "core function %u has wrong signature for a destructor", d->dtor);
    }
    id = comp_types_fresh_resource(&v->ts);
    if (!id) return voom(v);
    vdefres dr = {comp_ty(&v->ts, id)->rid, rep};
    if (!kb_vec_push(v->a, &s->defined_res, dr)) return voom(v);
    break;
  }
  default:
    id = create_defined(s, d);
  }
  if (!id) return false;
  return kb_vec_push(v->a, &s->types, id) ? true : voom(v);
}

/* ---- extern types ---------------------------------------------------------------- */

static bool check_type_ref(vstate *s, const comp_externtype *e, comp_entity *out) {
  vctx *v = s->v;
  uint32_t off = e->offset;
  memset(out, 0, sizeof *out);
  comp_tid t;
  switch (e->kind) {
  case 0x00:
    out->kind = CE_MODULE;
    if (!v_core_type(s, e->idx, off, &t)) return false;
    if (comp_ty(&v->ts, t)->kind != CT_CORE_MODULE) return vfail(v, off, "core type index %u is not a module type", e->idx);
    out->id = t;
    return true;
  case 0x01:
    out->kind = CE_FUNC;
    if (!v_type(s, e->idx, off, &t)) return false;
    if (comp_ty(&v->ts, t)->kind != CT_FUNC) return vfail(v, off, "type index %u is not a function type", e->idx);
    out->id = t;
    return true;
  case 0x02:
    out->kind = CE_VALUE;
    if (!v->f.values) return vfail(v, off, "support for component model `value`s is not enabled");
    if (e->bound == 0) {
      if (e->idx >= s->values.len) return vfail(v, off, "unknown value %u: value index out of bounds", e->idx);
      out->vt = s->values.items[e->idx].type;
      return true;
    }
    return v_valtype(s, e->valtype, off, &out->vt);
  case 0x03:
    out->kind = CE_TYPE;
    if (e->bound == 0) {
      if (!v_type(s, e->idx, off, &out->id)) return false;
      out->created = comp_types_alias(&v->ts, out->id);
    } else {
      out->id = out->created = comp_types_fresh_resource(&v->ts);
    }
    return out->created ? true : voom(v);
  case 0x04:
    out->kind = CE_COMPONENT;
    if (!v_type(s, e->idx, off, &t)) return false;
    if (comp_ty(&v->ts, t)->kind != CT_COMPONENT) return vfail(v, off, "type index %u is not a component type", e->idx);
    out->id = t;
    return true;
  case 0x05:
    out->kind = CE_INSTANCE;
    if (!v_type(s, e->idx, off, &t)) return false;
    if (comp_ty(&v->ts, t)->kind != CT_INSTANCE) return vfail(v, off, "type index %u is not an instance type", e->idx);
    out->id = t;
    return true;
  }
  return vfail(v, off, "invalid extern type");
}

static bool add_import(vstate *s, const comp_extname *name, const comp_externtype *ext, uint32_t off) {
  comp_entity e;
  if (!check_type_ref(s, ext, &e)) return false;
  if (!v_add_entity(s, &e, &name->name, 0, off)) return false;
  return v_validate_extern(s, &s->imp_names, name, 0, &e, &s->import_keys, &s->imports, &s->size, off);
}

static bool add_export(vstate *s, const comp_extname *name, comp_entity *e, uint32_t off) {
  if (!v_add_entity(s, e, &name->name, 1, off)) return false;
  return v_validate_extern(s, &s->exp_names, name, 1, e, &s->export_keys, &s->exports, &s->size, off);
}

/* The entity a sortidx refers to (exports, instantiation arguments). For
 * types, referenced == created unless `fresh_identity`. */
static bool entity_of(vstate *s, comp_sort sort, uint32_t idx, uint32_t off, bool fresh_identity, comp_entity *e) {
  vctx *v = s->v;
  memset(e, 0, sizeof *e);
  switch (sort) {
  case COMP_SORT_CORE_MODULE: e->kind = CE_MODULE; return v_module(s, idx, off, &e->id);
  case COMP_SORT_FUNC: e->kind = CE_FUNC; return v_func(s, idx, off, &e->id);
  case COMP_SORT_VALUE:
    e->kind = CE_VALUE;
    if (!v->f.values) return vfail(v, off, "support for component model `value`s is not enabled");
    return value_at(s, idx, off, &e->vt);
  case COMP_SORT_TYPE:
    e->kind = CE_TYPE;
    if (!v_type(s, idx, off, &e->id)) return false;
    e->created = fresh_identity ? comp_types_alias(&v->ts, e->id) : e->id;
    return e->created ? true : voom(v);
  case COMP_SORT_COMPONENT: e->kind = CE_COMPONENT; return v_component(s, idx, off, &e->id);
  case COMP_SORT_INSTANCE: e->kind = CE_INSTANCE; return v_instance(s, idx, off, &e->id);
  default: return vfail(v, off, "core %s cannot be exported or passed to a component", comp_sort_name(sort));
  }
}

/* ---- instances ------------------------------------------------------------------- */

static bool add_instance(vstate *s, const comp_def *d) {
  vctx *v = s->v;
  uint32_t off = d->offset;
  uint32_t n = d->u.instance.n;
  comp_type *t = comp_type_new(&v->ts, CT_INSTANCE);
  if (!t) return voom(v);
  t->size = 1;
  if (d->u.instance.instantiate) {
    comp_tid ct;
    if (!v_component(s, d->u.instance.component, off, &ct)) return false;
    comp_item *args = comp_types_alloc(&v->ts, n, sizeof *args);
    if (!args) return voom(v);
    for (uint32_t i = 0; i < n; i++) {
      const comp_arg *a = &d->u.instance.args[i];
      for (uint32_t j = 0; j < i; j++)
        if (args[j].name.len == a->name.len && memcmp(args[j].name.s, a->name.s, a->name.len) == 0)
          return vfail(v, off, "instantiation argument `%s` conflicts with previous argument `%s`", a->name.s, a->name.s);
      args[i].name = a->name;
      if (!entity_of(s, a->sort, a->idx, off, false, &args[i].e)) return false;
    }
    comp_remapping map;
    comp_remapping_init(&map, v->a);
    comp_subcx cx = {&v->ts, v->sub_msg, sizeof v->sub_msg, false};
    v->sub_msg[0] = 0;
    bool ok = comp_open_instance(&cx, args, n, ct, 0, &map);
    if (!ok) {
      comp_remapping_free(&map);
      return cx.oom ? voom(v) : vfail(v, off, "%s", v->sub_msg);
    }
    const comp_type *c = comp_ty(&v->ts, ct);
    for (uint32_t i = 0; ok && i < c->ndefined_res; i++) {
      uint32_t fresh = v->ts.next_rid++;
      vdefres dr = {fresh, 0};
      ok = comp_u32map_put(&map.resources, c->defined_res[i].rid, fresh) && kb_vec_push(v->a, &s->defined_res, dr);
    }
    comp_item *ex = comp_types_alloc(&v->ts, c->nexports, sizeof *ex);
    comp_rpath *er = comp_types_alloc(&v->ts, c->nexplicit_res, sizeof *er);
    if (!ok || !ex || !er) {
      comp_remapping_free(&map);
      return voom(v);
    }
    uint32_t size = 1;
    for (uint32_t i = 0; i < c->nexports; i++) {
      ex[i] = c->exports[i];
      comp_remap_entity(&v->ts, &ex[i].e, &map);
      size += comp_entity_size(&v->ts, &ex[i].e);
      if (size >= COMP_MAX_TYPE_SIZE) {
        comp_remapping_free(&map);
        return vfail(v, off, "effective type size exceeds the limit of %u", COMP_MAX_TYPE_SIZE);
      }
    }
    for (uint32_t i = 0; i < c->nexplicit_res; i++) {
      er[i] = c->explicit_res[i];
      uint64_t r;
      if (comp_u32map_get(&map.resources, er[i].rid, &r)) er[i].rid = (uint32_t)r;
    }
    comp_remapping_free(&map);
    if (v->ts.oom) return voom(v);
    t->nexports = c->nexports;
    t->exports = ex;
    t->nexplicit_res = c->nexplicit_res;
    t->explicit_res = er;
    t->size = size;
  } else {
    comp_item_vec items = {0};
    KB_VEC(comp_rpath) explicit_res = {0};
    kb_map keys;
    kb_map_init(&keys, v->a);
    vnamecx cx;
    v_namecx_init(&cx, v->a);
    bool ok = true;
    uint32_t size = 1;
    for (uint32_t i = 0; ok && i < n; i++) {
      const comp_inline_export *ie = &d->u.instance.exports[i];
      comp_entity e;
      ok = entity_of(s, ie->sort, ie->idx, off, false, &e);
      if (!ok) break;
      uint32_t pos = (uint32_t)items.len;
      if (e.kind == CE_INSTANCE) {
        const comp_type *it = comp_ty(&v->ts, e.id);
        for (uint32_t k = 0; ok && k < it->nexplicit_res; k++) {
          uint32_t *p = comp_types_alloc(&v->ts, 1 + it->explicit_res[k].len, sizeof *p);
          if (!p) ok = voom(v);
          else {
            p[0] = pos;
            memcpy(p + 1, it->explicit_res[k].path, it->explicit_res[k].len * sizeof *p);
            comp_rpath r = {it->explicit_res[k].rid, 1 + it->explicit_res[k].len, p};
            if (!kb_vec_push(v->a, &explicit_res, r)) ok = voom(v);
          }
        }
      } else if (e.kind == CE_TYPE && comp_ty(&v->ts, e.id)->kind == CT_RESOURCE) {
        uint32_t *p = comp_types_alloc(&v->ts, 1, sizeof *p);
        if (!p) ok = voom(v);
        else {
          p[0] = pos;
          comp_rpath r = {comp_ty(&v->ts, e.id)->rid, 1, p};
          if (!kb_vec_push(v->a, &explicit_res, r)) ok = voom(v);
        }
      }
      if (ok) ok = v_validate_extern(s, &cx, &ie->name, 1, &e, &keys, &items, &size, off);
    }
    if (ok) {
      t->nexports = (uint32_t)items.len;
      t->exports = comp_types_alloc(&v->ts, items.len, sizeof *t->exports);
      t->nexplicit_res = (uint32_t)explicit_res.len;
      t->explicit_res = comp_types_alloc(&v->ts, explicit_res.len, sizeof *t->explicit_res);
      if (!t->exports || !t->explicit_res) ok = voom(v);
      else {
        if (items.len) memcpy(t->exports, items.items, items.len * sizeof *t->exports);
        if (explicit_res.len) memcpy(t->explicit_res, explicit_res.items, explicit_res.len * sizeof *t->explicit_res);
        t->size = size;
      }
    }
    kb_vec_free(v->a, &items);
    kb_vec_free(v->a, &explicit_res);
    kb_map_free(&keys);
    v_namecx_free(&cx, v->a);
    if (!ok) return false;
  }
  comp_tid id = comp_types_push(&v->ts, t);
  if (!id || !kb_vec_push(v->a, &s->instances, id)) return voom(v);
  return true;
}

/* ---- aliases ---------------------------------------------------------------------- */

static const char *entity_sort_desc(comp_sort s) {
  switch (s) {
  case COMP_SORT_CORE_MODULE: return "module";
  case COMP_SORT_FUNC: return "func";
  case COMP_SORT_VALUE: return "value";
  case COMP_SORT_TYPE: return "type";
  case COMP_SORT_COMPONENT: return "component";
  case COMP_SORT_INSTANCE: return "instance";
  default: return comp_sort_name(s);
  }
}

static uint8_t entity_kind_of_sort(comp_sort s) {
  switch (s) {
  case COMP_SORT_CORE_MODULE: return CE_MODULE;
  case COMP_SORT_FUNC: return CE_FUNC;
  case COMP_SORT_VALUE: return CE_VALUE;
  case COMP_SORT_TYPE: return CE_TYPE;
  case COMP_SORT_COMPONENT: return CE_COMPONENT;
  case COMP_SORT_INSTANCE: return CE_INSTANCE;
  default: return 255;
  }
}

static bool add_alias(vstate *s, const comp_alias *al, uint32_t off) {
  vctx *v = s->v;
  if (s->kind != VS_COMPONENT) {
    bool allowed = (al->kind == 0 && (al->sort == COMP_SORT_TYPE || al->sort == COMP_SORT_INSTANCE)) ||
                   (al->kind == 2 && (al->sort == COMP_SORT_TYPE || al->sort == COMP_SORT_CORE_TYPE));
    if (!allowed) return vfail(v, off, "aliases in a component or instance type may only refer to types or instances");
  }
  switch (al->kind) {
  case 0: {
    if (al->sort == COMP_SORT_VALUE && !v->f.values) return vfail(v, off, "support for component model `value`s is not enabled");
    comp_tid it;
    if (!v_instance(s, al->instance, off, &it)) return false;
    const comp_type *t = comp_ty(&v->ts, it);
    const comp_item *ex = comp_items_find(t->exports, t->nexports, al->name.s, al->name.len);
    if (!ex) return vfail(v, off, "instance %u has no export named `%s`", al->instance, al->name.s);
    if (ex->e.kind != entity_kind_of_sort(al->sort))
      return vfail(v, off, "export `%s` for instance %u is not a %s", al->name.s, al->instance, entity_sort_desc(al->sort));
    comp_entity e = ex->e;
    return v_add_entity(s, &e, NULL, 0, off);
  }
  case 1: {
    comp_tid it;
    if (!v_core_instance(s, al->instance, off, &it)) return false;
    const comp_core_export *ex = core_export_find(comp_ty(&v->ts, it), &al->name);
    if (!ex) return vfail(v, off, "core instance %u has no export named `%s`", al->instance, al->name.s);
    static const char *const what[] = {"function", "table", "memory", "global", "tag"};
    uint8_t want;
    switch (al->sort) {
    case COMP_SORT_CORE_FUNC: want = 0; break;
    case COMP_SORT_CORE_TABLE: want = 1; break;
    case COMP_SORT_CORE_MEMORY: want = 2; break;
    case COMP_SORT_CORE_GLOBAL: want = 3; break;
    case COMP_SORT_CORE_TAG:
      if (!v->f.exceptions) return vfail(v, off, "exceptions proposal not enabled");
      want = 4;
      break;
    default: return vfail(v, off, "core instance exports cannot be aliased as core %s", comp_sort_name(al->sort));
    }
    if (ex->ext.kind != want)
      return vfail(v, off, "export `%s` for core instance %u is not a %s", al->name.s, al->instance, what[want]);
    bool ok;
    switch (want) {
    case 0: ok = kb_vec_push(v->a, &s->core_funcs, ex->ext.func); break;
    case 1: ok = kb_vec_push(v->a, &s->core_tables, ex->ext); break;
    case 2: ok = kb_vec_push(v->a, &s->core_memories, ex->ext); break;
    case 3: ok = kb_vec_push(v->a, &s->core_globals, ex->ext); break;
    default: ok = kb_vec_push(v->a, &s->core_tags, ex->ext.func); break;
    }
    return ok ? true : voom(v);
  }
  case 2: {
    vstate *child;
    vstate *t = alias_target(s, al->count, off, &child);
    if (!t) return false;
    comp_tid id;
    switch (al->sort) {
    case COMP_SORT_CORE_MODULE:
      if (!v_module(t, al->idx, off, &id)) return false;
      return kb_vec_push(v->a, &s->core_modules, id) ? true : voom(v);
    case COMP_SORT_CORE_TYPE:
      if (!v_core_type(t, al->idx, off, &id)) return false;
      return kb_vec_push(v->a, &s->core_types, id) ? true : voom(v);
    case COMP_SORT_COMPONENT:
      if (!v_component(t, al->idx, off, &id)) return false;
      return kb_vec_push(v->a, &s->components, id) ? true : voom(v);
    case COMP_SORT_TYPE: {
      if (!v_type(t, al->idx, off, &id)) return false;
      if (child && child->kind == VS_COMPONENT) {
        comp_u32map free;
        comp_u32map_init(&free, v->a);
        bool ok = comp_free_vars(&v->ts, id, &free);
        size_t nfree = free.count;
        comp_u32map_free(&free);
        if (!ok) return voom(v);
        if (nfree)
          return vfail(v, off, "cannot alias outer type which transitively refers to resources not defined in the current component");
      }
      return kb_vec_push(v->a, &s->types, id) ? true : voom(v);
    }
    default:
      return vfail(v, off, "invalid outer alias sort");
    }
  }
  }
  return vfail(v, off, "invalid alias");
}

/* ---- start and values -------------------------------------------------------------- */

static bool add_start(vstate *s, const comp_def *d) {
  vctx *v = s->v;
  uint32_t off = d->offset;
  if (!v->f.values) return vfail(v, off, "support for component model `value`s is not enabled");
  if (s->has_start) return vfail(v, off, "component cannot have more than one start function");
  comp_tid ft;
  if (!v_func(s, d->u.start.func, off, &ft)) return false;
  const comp_type *f = comp_ty(&v->ts, ft);
  if (f->n != d->u.start.nargs)
    return vfail(v, off, "component start function requires %u arguments but was given %u", f->n, d->u.start.nargs);
  if ((uint32_t)f->has_result != d->u.start.nresults)
    return vfail(v, off, "component start function has a result count of %u but the function type has a result count of %u",
                 d->u.start.nresults, (unsigned)f->has_result);
  for (uint32_t i = 0; i < f->n; i++) {
    comp_vt vt;
    if (!value_at(s, d->u.start.args[i], off, &vt)) return false;
    if (!comp_vt_equal(&v->ts, vt, f->fields[i].type))
      return vfail(v, off, "value type mismatch for component start function argument %u", i);
  }
  if (f->has_result) {
    vvalue val = {f->result, false};
    if (!kb_vec_push(v->a, &s->values, val)) return voom(v);
  }
  s->has_start = true;
  return true;
}

/* ---- finishing ------------------------------------------------------------------------ */

static const comp_rpath *rpath_find(const comp_rpath *p, size_t n, uint32_t rid) {
  for (size_t i = 0; i < n; i++)
    if (p[i].rid == rid) return &p[i];
  return NULL;
}

static bool copy_items(vctx *v, const comp_item_vec *from, uint32_t *n, comp_item **to) {
  *n = (uint32_t)from->len;
  *to = comp_types_alloc(&v->ts, from->len, sizeof **to);
  if (!*to) return false;
  if (from->len) memcpy(*to, from->items, from->len * sizeof **to);
  return true;
}

static bool copy_rpaths(vctx *v, const comp_rpath *from, size_t len, uint32_t *n, comp_rpath **to) {
  *n = (uint32_t)len;
  *to = comp_types_alloc(&v->ts, len, sizeof **to);
  if (!*to) return false;
  if (len) memcpy(*to, from, len * sizeof **to);
  return true;
}

static comp_tid finish_component(vstate *s, uint32_t off) {
  vctx *v = s->v;
  if (s->kind == VS_COMPONENT)
    for (size_t i = 0; i < s->values.len; i++)
      if (!s->values.items[i].used)
        return vfail(v, off, "value index %zu was not used as part of an instantiation, start function, or export", i), 0;
  comp_type *t = comp_type_new(&v->ts, CT_COMPONENT);
  if (!t || !copy_items(v, &s->imports, &t->nimports, &t->imports) || !copy_items(v, &s->exports, &t->nexports, &t->exports) ||
      !copy_rpaths(v, s->imported_res.items, s->imported_res.len, &t->nimported_res, &t->imported_res) ||
      !copy_rpaths(v, s->explicit_res.items, s->explicit_res.len, &t->nexplicit_res, &t->explicit_res))
    return voom(v), 0;
  t->size = s->size;
  comp_u32map free;
  comp_u32map_init(&free, v->a);
  bool ok = true;
  for (uint32_t i = 0; ok && i < t->nimports; i++) ok = comp_free_vars_entity(&v->ts, &t->imports[i].e, &free);
  for (size_t i = 0; ok && i < s->defined_res.len; i++)
    if (comp_u32map_get(&free, s->defined_res.items[i].rid, NULL)) {
      comp_u32map_free(&free);
      return vfail(v, off, "local resource type found in imports"), 0;
    }
  comp_u32map_clear(&free);
  for (uint32_t i = 0; ok && i < t->nexports; i++) ok = comp_free_vars_entity(&v->ts, &t->exports[i].e, &free);
  KB_VEC(comp_rpath) defined = {0};
  for (size_t i = 0; ok && i < s->defined_res.len; i++) {
    uint32_t rid = s->defined_res.items[i].rid;
    if (!comp_u32map_get(&free, rid, NULL)) continue;
    const comp_rpath *p = rpath_find(t->explicit_res, t->nexplicit_res, rid);
    if (!p) {
      kb_vec_free(v->a, &defined);
      comp_u32map_free(&free);
      return vfail(v, off, "local resource type found in export but not exported itself"), 0;
    }
    ok = kb_vec_push(v->a, &defined, *p);
  }
  comp_u32map_free(&free);
  if (ok) ok = copy_rpaths(v, defined.items, defined.len, &t->ndefined_res, &t->defined_res);
  kb_vec_free(v->a, &defined);
  if (!ok) return voom(v), 0;
  comp_tid id = comp_types_push(&v->ts, t);
  if (!id) voom(v);
  return id;
}

static comp_tid finish_instance(vstate *s) {
  vctx *v = s->v;
  comp_type *t = comp_type_new(&v->ts, CT_INSTANCE);
  if (!t || !copy_items(v, &s->exports, &t->nexports, &t->exports) ||
      !copy_rpaths(v, s->explicit_res.items, s->explicit_res.len, &t->nexplicit_res, &t->explicit_res))
    return voom(v), 0;
  t->ndefined_res = (uint32_t)s->defined_res.len;
  t->defined_res = comp_types_alloc(&v->ts, s->defined_res.len, sizeof *t->defined_res);
  if (!t->defined_res) return voom(v), 0;
  for (size_t i = 0; i < s->defined_res.len; i++) {
    const comp_rpath *p = rpath_find(s->explicit_res.items, s->explicit_res.len, s->defined_res.items[i].rid);
    comp_rpath r = {s->defined_res.items[i].rid, p ? p->len : 0, p ? p->path : NULL};
    t->defined_res[i] = r;
  }
  t->size = s->size;
  comp_tid id = comp_types_push(&v->ts, t);
  if (!id) voom(v);
  return id;
}

/* ---- declarators and definitions ------------------------------------------------------ */

static bool add_decls(vstate *s, const comp_decl *decls, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    const comp_decl *d = &decls[i];
    bool ok;
    switch (d->kind) {
    case 0x00: ok = add_core_type(s, d->core_type); break;
    case 0x01: ok = add_type(s, d->type); break;
    case 0x02: ok = add_alias(s, &d->alias, d->offset); break;
    case 0x03: ok = add_import(s, &d->name, &d->ext, d->offset); break;
    case 0x04: {
      comp_entity e;
      ok = check_type_ref(s, &d->ext, &e) && add_export(s, &d->name, &e, d->offset);
      break;
    }
    default: ok = vfail(s->v, d->offset, "invalid declarator");
    }
    if (!ok) return false;
  }
  return true;
}

static comp_tid validate_component(vctx *v, vstate *parent, const comp_component *c);

static bool add_def(vstate *s, const comp_def *d) {
  vctx *v = s->v;
  switch (d->kind) {
  case COMP_DEF_CORE_MODULE: return add_core_module(s, d);
  case COMP_DEF_CORE_INSTANCE: return add_core_instance(s, d);
  case COMP_DEF_CORE_TYPE: return add_core_type(s, d->u.core_type);
  case COMP_DEF_COMPONENT: {
    comp_tid id = validate_component(v, s, d->u.component);
    if (!id) return false;
    return kb_vec_push(v->a, &s->components, id) ? true : voom(v);
  }
  case COMP_DEF_INSTANCE: return add_instance(s, d);
  case COMP_DEF_ALIAS: return add_alias(s, &d->u.alias, d->offset);
  case COMP_DEF_TYPE: return add_type(s, d->u.type);
  case COMP_DEF_CANON: return v_canon(s, &d->u.canon);
  case COMP_DEF_START: return add_start(s, d);
  case COMP_DEF_IMPORT: return add_import(s, &d->u.import.name, &d->u.import.ext, d->offset);
  case COMP_DEF_EXPORT: {
    comp_entity actual;
    if (!entity_of(s, d->u.export_.sort, d->u.export_.idx, d->offset, true, &actual)) return false;
    if (d->u.export_.has_type) {
      comp_entity ascribed;
      if (!check_type_ref(s, &d->u.export_.ext, &ascribed)) return false;
      if (!vsub_entity(v, d->offset, &actual, &ascribed, "ascribed type of export is not compatible with item's type"))
        return false;
      actual = ascribed;
    }
    return add_export(s, &d->u.export_.name, &actual, d->offset);
  }
  case COMP_DEF_VALUE: {
    if (!v->f.values) return vfail(v, d->offset, "support for component model `value`s is not enabled");
    vvalue val;
    val.used = false;
    if (!v_valtype(s, d->u.value.type, d->offset, &val.type)) return false;
    return kb_vec_push(v->a, &s->values, val) ? true : voom(v);
  }
  }
  return vfail(v, d->offset, "unknown definition");
}

static comp_tid validate_component(vctx *v, vstate *parent, const comp_component *c) {
  vstate *s = kb_alloc(v->a, sizeof *s);
  if (!s) return voom(v), 0;
  state_init(s, v, parent, VS_COMPONENT);
  comp_tid id = 0;
  bool ok = true;
  for (uint32_t i = 0; ok && i < c->ndefs; i++) ok = add_def(s, &c->defs[i]);
  if (ok) id = finish_component(s, c->offset);
  state_free(s);
  kb_free(v->a, s, sizeof *s);
  return id;
}

/* ---- entry ---------------------------------------------------------------------------------- */

const char *comp_sort_name(comp_sort s) {
  static const char *const names[] = {"func", "table", "memory", "global", "tag", "type", "module", "instance",
                                      "func", "value", "type", "component", "instance"};
  return (unsigned)s < COMP_SORT_COUNT ? names[s] : "?";
}

kumi_error *comp_validate_ast(const kumi_allocator *a, const comp_ast *ast, const comp_features *f) {
  vctx v;
  memset(&v, 0, sizeof v);
  v.a = a;
  v.f = *f;
  v.ast = ast;
  if (!comp_types_init(&v.ts, a)) return kb_error_oom();
  comp_tid id = validate_component(&v, NULL, ast->root);
  kumi_error *err = v.err;
  if (!id && !err) err = kb_error_oom();
  if (id && v.ts.oom && !err) err = kb_error_oom();
  comp_types_free(&v.ts);
  return err;
}
