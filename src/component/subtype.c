/* Subtyping of component and core types (Explainer, Type Checking): value
 * and function types must be equal (structurally, through canon ids);
 * instances may export more, components may import less and export more,
 * core modules likewise; resource types are equal only when their rids
 * are. Component subtyping substitutes the resources bound by imports and
 * exports before comparing (comp_open_instance). */
#include "types.h"

#include <stdarg.h>
#include <stdio.h>

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static bool fail(comp_subcx *cx, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cx->buf, cx->cap, fmt, ap);
  va_end(ap);
  return false;
}

/* Prepends "context: " to the message. */
static bool with_context(comp_subcx *cx, const char *ctx) {
  size_t n = strlen(cx->buf), c = strlen(ctx);
  if (c + 2 + n + 1 > cx->cap) {
    if (c + 3 > cx->cap) return false;
    n = cx->cap - c - 3;
  }
  memmove(cx->buf + c + 2, cx->buf, n);
  memcpy(cx->buf, ctx, c);
  cx->buf[c] = ':';
  cx->buf[c + 1] = ' ';
  cx->buf[c + 2 + n] = 0;
  return false;
}

const comp_item *comp_items_find(const comp_item *items, uint32_t n, const char *name, uint32_t len) {
  for (uint32_t i = 0; i < n; i++)
    if (items[i].name.len == len && memcmp(items[i].name.s, name, len) == 0) return &items[i];
  return NULL;
}

static const char *type_desc(const comp_types *ts, comp_tid t) {
  switch (comp_ty(ts, t)->kind) {
  case CT_DEFINED: return "defined type";
  case CT_FUNC: return "func";
  case CT_RESOURCE: return "resource";
  case CT_INSTANCE: return "instance";
  case CT_COMPONENT: return "component";
  default: return "core type";
  }
}

const char *comp_entity_desc(const comp_types *ts, const comp_entity *e) {
  (void)ts;
  switch (e->kind) {
  case CE_MODULE: return "module";
  case CE_FUNC: return "func";
  case CE_VALUE: return "value";
  case CE_TYPE: return "type";
  case CE_INSTANCE: return "instance";
  case CE_COMPONENT: return "component";
  }
  return "item";
}

static bool sub_type(comp_subcx *cx, comp_tid a, comp_tid b);

static bool sub_vt(comp_subcx *cx, comp_vt a, comp_vt b) {
  if (comp_vt_equal(cx->ts, a, b)) return true;
  if (a.prim && b.prim)
    return fail(cx, "expected primitive `%s` found primitive `%s`", comp_prim_name(b.prim), comp_prim_name(a.prim));
  if (b.prim) return fail(cx, "expected primitive `%s`, found a defined type", comp_prim_name(b.prim));
  if (a.prim) return fail(cx, "expected a defined type, found primitive `%s`", comp_prim_name(a.prim));
  const comp_type *ta = comp_ty(cx->ts, a.id), *tb = comp_ty(cx->ts, b.id);
  if (ta->dkind == 0x69 && tb->dkind == 0x69) return fail(cx, "resource types are not the same");
  if (ta->dkind == 0x68 && tb->dkind == 0x68) return fail(cx, "resource types are not the same");
  if (ta->dkind == 0x68 && tb->dkind == 0x69) return fail(cx, "expected own, found borrow");
  if (ta->dkind == 0x69 && tb->dkind == 0x68) return fail(cx, "expected borrow, found own");
  if (ta->dkind != tb->dkind) return fail(cx, "type mismatch: different kinds of defined types");
  return fail(cx, "type mismatch (resource types are not the same, or the structures differ)");
}

static bool sub_func(comp_subcx *cx, comp_tid a, comp_tid b) {
  const comp_type *ta = comp_ty(cx->ts, a), *tb = comp_ty(cx->ts, b);
  if (ta->canon == tb->canon) return true;
  if (ta->async != tb->async) return fail(cx, "expected %s function, found %s function", tb->async ? "async" : "sync",
                                          ta->async ? "async" : "sync");
  if (ta->n != tb->n) return fail(cx, "expected %u parameters, found %u", tb->n, ta->n);
  for (uint32_t i = 0; i < ta->n; i++) {
    const comp_field *fa = &ta->fields[i], *fb = &tb->fields[i];
    if (fa->name.len != fb->name.len || memcmp(fa->name.s, fb->name.s, fa->name.len) != 0)
      return fail(cx, "expected parameter named `%s`, found `%s`", fb->name.s, fa->name.s);
    if (!sub_vt(cx, fa->type, fb->type)) {
      char ctx[300];
      snprintf(ctx, sizeof ctx, "type mismatch in function parameter `%s`", fa->name.s);
      return with_context(cx, ctx);
    }
  }
  if (ta->has_result != tb->has_result)
    return fail(cx, tb->has_result ? "expected a result, found none" : "expected no result, found one");
  if (ta->has_result && !sub_vt(cx, ta->result, tb->result)) return with_context(cx, "type mismatch with result type");
  return true;
}

static bool sub_instance(comp_subcx *cx, comp_tid a, comp_tid b) {
  const comp_type *ta = comp_ty(cx->ts, a), *tb = comp_ty(cx->ts, b);
  for (uint32_t i = 0; i < tb->nexports; i++) {
    const comp_item *eb = &tb->exports[i];
    const comp_item *ea = comp_items_find(ta->exports, ta->nexports, eb->name.s, eb->name.len);
    if (!ea) return fail(cx, "missing expected export `%s`", eb->name.s);
    if (!comp_sub_entity(cx, &ea->e, &eb->e)) {
      char ctx[300];
      snprintf(ctx, sizeof ctx, "type mismatch in instance export `%s`", eb->name.s);
      return with_context(cx, ctx);
    }
  }
  return true;
}

static bool sub_component(comp_subcx *cx, comp_tid a, comp_tid b) {
  comp_types *ts = cx->ts;
  /* Contravariant imports: b's imports must satisfy a's. */
  comp_remapping map;
  comp_remapping_init(&map, ts->alloc);
  const comp_type *tb = comp_ty(ts, b);
  bool ok = comp_open_instance(cx, tb->imports, tb->nimports, a, 0, &map);
  if (ok) {
    /* Covariant exports, seen through the import substitution. */
    const comp_type *ta = comp_ty(ts, a);
    comp_item *exports = comp_types_alloc(ts, ta->nexports, sizeof *exports);
    if (!exports) {
      cx->oom = true;
      ok = false;
    } else {
      memcpy(exports, ta->exports, ta->nexports * sizeof *exports);
      uint32_t n = ta->nexports;
      for (uint32_t i = 0; i < n; i++) comp_remap_entity(ts, &exports[i].e, &map);
      comp_remapping map2;
      comp_remapping_init(&map2, ts->alloc);
      ok = comp_open_instance(cx, exports, n, b, 1, &map2);
      comp_remapping_free(&map2);
    }
  }
  comp_remapping_free(&map);
  return ok;
}

static bool sub_core_module(comp_subcx *cx, comp_tid a, comp_tid b) {
  const comp_type *ta = comp_ty(cx->ts, a), *tb = comp_ty(cx->ts, b);
  for (uint32_t i = 0; i < ta->ncore_imports; i++) {
    const comp_core_import *ia = &ta->core_imports[i];
    const comp_core_import *ib = NULL;
    for (uint32_t j = 0; j < tb->ncore_imports && !ib; j++)
      if (tb->core_imports[j].module.len == ia->module.len && tb->core_imports[j].name.len == ia->name.len &&
          memcmp(tb->core_imports[j].module.s, ia->module.s, ia->module.len) == 0 &&
          memcmp(tb->core_imports[j].name.s, ia->name.s, ia->name.len) == 0)
        ib = &tb->core_imports[j];
    if (!ib) return fail(cx, "missing expected import `%s::%s`", ia->module.s, ia->name.s);
    if (!comp_sub_core_ext(cx, &ib->ext, &ia->ext)) {
      char ctx[300];
      snprintf(ctx, sizeof ctx, "type mismatch in import `%s::%s`", ia->module.s, ia->name.s);
      return with_context(cx, ctx);
    }
  }
  for (uint32_t i = 0; i < tb->ncore_exports; i++) {
    const comp_core_export *eb = &tb->core_exports[i];
    const comp_core_export *ea = NULL;
    for (uint32_t j = 0; j < ta->ncore_exports && !ea; j++)
      if (ta->core_exports[j].name.len == eb->name.len &&
          memcmp(ta->core_exports[j].name.s, eb->name.s, eb->name.len) == 0)
        ea = &ta->core_exports[j];
    if (!ea) return fail(cx, "missing expected export `%s`", eb->name.s);
    if (!comp_sub_core_ext(cx, &ea->ext, &eb->ext)) {
      char ctx[300];
      snprintf(ctx, sizeof ctx, "type mismatch in export `%s`", eb->name.s);
      return with_context(cx, ctx);
    }
  }
  return true;
}

static bool sub_type(comp_subcx *cx, comp_tid a, comp_tid b) {
  const comp_type *ta = comp_ty(cx->ts, a), *tb = comp_ty(cx->ts, b);
  if (ta->kind != tb->kind) return fail(cx, "expected %s, found %s", type_desc(cx->ts, b), type_desc(cx->ts, a));
  switch (ta->kind) {
  case CT_RESOURCE:
    return ta->rid == tb->rid ? true : fail(cx, "resource types are not the same");
  case CT_DEFINED: {
    comp_vt va = {0, a}, vb = {0, b};
    return sub_vt(cx, va, vb);
  }
  case CT_FUNC: return sub_func(cx, a, b);
  case CT_INSTANCE: return sub_instance(cx, a, b);
  case CT_COMPONENT: return sub_component(cx, a, b);
  case CT_CORE_MODULE: return sub_core_module(cx, a, b);
  default: return ta->canon == tb->canon ? true : fail(cx, "core types differ");
  }
}

bool comp_sub_entity(comp_subcx *cx, const comp_entity *a, const comp_entity *b) {
  if (a->kind != b->kind)
    return fail(cx, "expected %s, found %s", comp_entity_desc(cx->ts, b), comp_entity_desc(cx->ts, a));
  switch (a->kind) {
  case CE_VALUE: return sub_vt(cx, a->vt, b->vt);
  default: return sub_type(cx, a->id, b->id);
  }
}

static const char *core_kind_name(uint8_t k) {
  static const char *const names[] = {"func", "table", "memory", "global", "tag"};
  return k < 5 ? names[k] : "item";
}

static void fmt_functype(const comp_core_functype *f, char *buf, size_t n) {
  size_t o = 0;
  o += (size_t)snprintf(buf + o, n - o, "(func");
  for (uint32_t i = 0; i < f->nparams && o < n; i++)
    o += (size_t)snprintf(buf + o, n - o, " (param %s)", core_valtype_name(f->params[i].code == COMP_CORE_REF ? (uint8_t)f->params[i].heap : f->params[i].code));
  for (uint32_t i = 0; i < f->nresults && o < n; i++)
    o += (size_t)snprintf(buf + o, n - o, " (result %s)", core_valtype_name(f->results[i].code == COMP_CORE_REF ? (uint8_t)f->results[i].heap : f->results[i].code));
  if (o < n) snprintf(buf + o, n - o, ")");
}

static bool limits_sub(const comp_core_limits *a, const comp_core_limits *b) {
  if (a->min < b->min) return false;
  if (b->has_max) {
    if (!a->has_max) return false;
    if (a->max > b->max) return false;
  }
  return true;
}

bool comp_sub_core_ext(comp_subcx *cx, const comp_core_ext *a, const comp_core_ext *b) {
  if (a->kind != b->kind) return fail(cx, "expected %s, found %s", core_kind_name(b->kind), core_kind_name(a->kind));
  switch (a->kind) {
  case 0:
  case 4: {
    const comp_type *fa = comp_ty(cx->ts, a->func), *fb = comp_ty(cx->ts, b->func);
    if (fa->kind == CT_CORE_FUNC && fb->kind == CT_CORE_FUNC && core_functype_eq(&fa->core, &fb->core)) return true;
    if (fa->kind == CT_CORE_GC || fb->kind == CT_CORE_GC) return fail(cx, "GC types are not supported");
    char ea[200], eb[200];
    fmt_functype(&fb->core, eb, sizeof eb);
    fmt_functype(&fa->core, ea, sizeof ea);
    return fail(cx, "%s type mismatch: expected: %s, found: %s", a->kind ? "tag" : "func", eb, ea);
  }
  case 1:
    if (!core_valtype_equal(&a->valtype, &b->valtype)) return fail(cx, "expected table element type mismatch");
    if (a->limits.is64 != b->limits.is64) return fail(cx, "mismatch in index type used for tables");
    if (a->limits.shared != b->limits.shared) return fail(cx, "mismatch in the shared flag for tables");
    if (!limits_sub(&a->limits, &b->limits)) return fail(cx, "mismatch in table limits");
    return true;
  case 2:
    if (a->limits.is64 != b->limits.is64) return fail(cx, "mismatch in index type used for memories");
    if (a->limits.shared != b->limits.shared) return fail(cx, "mismatch in the shared flag for memories");
    {
      uint32_t pa = a->limits.has_page_size ? a->limits.page_size_log2 : 16;
      uint32_t pb = b->limits.has_page_size ? b->limits.page_size_log2 : 16;
      if (pa != pb) return fail(cx, "mismatch in page size for memories");
    }
    if (!limits_sub(&a->limits, &b->limits)) return fail(cx, "mismatch in memory limits");
    return true;
  case 3:
    if (a->mut != b->mut) return fail(cx, "global types differ in mutability");
    if (a->shared != b->shared) return fail(cx, "mismatch in the shared flag for globals");
    if (!core_valtype_equal(&a->valtype, &b->valtype)) return fail(cx, "expected global type mismatch");
    return true;
  default:
    return fail(cx, "unknown core item");
  }
}

/* For each resource of b named at `path` (an import or export), find the
 * resource the arguments provide at the same path. */
static void bind_resources(comp_subcx *cx, const comp_item *args, uint32_t nargs, const comp_type *tb, int kind,
                           comp_remapping *map) {
  const comp_item *entities = kind == 0 ? tb->imports : tb->exports;
  uint32_t nentities = kind == 0 ? tb->nimports : tb->nexports;
  const comp_rpath *res = kind == 0 ? tb->imported_res : tb->defined_res;
  uint32_t nres = kind == 0 ? tb->nimported_res : tb->ndefined_res;
  for (uint32_t r = 0; r < nres; r++) {
    const comp_rpath *p = &res[r];
    if (p->len == 0 || p->path[0] >= nentities) continue;
    const comp_item *exp = &entities[p->path[0]];
    const comp_entity *ty = &exp->e;
    const comp_item *arg = comp_items_find(args, nargs, exp->name.s, exp->name.len);
    const comp_entity *a = arg ? &arg->e : NULL;
    for (uint32_t k = 1; k < p->len && a; k++) {
      if (ty->kind != CE_INSTANCE) {
        a = NULL;
        break;
      }
      const comp_type *it = comp_ty(cx->ts, ty->id);
      if (p->path[k] >= it->nexports) {
        a = NULL;
        break;
      }
      const comp_item *next = &it->exports[p->path[k]];
      ty = &next->e;
      if (a->kind != CE_INSTANCE) {
        a = NULL;
        break;
      }
      const comp_type *at = comp_ty(cx->ts, a->id);
      const comp_item *an = comp_items_find(at->exports, at->nexports, next->name.s, next->name.len);
      a = an ? &an->e : NULL;
    }
    if (a && a->kind == CE_TYPE && comp_ty(cx->ts, a->id)->kind == CT_RESOURCE)
      if (!comp_u32map_put(&map->resources, p->rid, comp_ty(cx->ts, a->id)->rid)) cx->oom = true;
  }
}

/* Records that type imports/exports of `expected` are now `actual`. */
static void register_renamings(comp_subcx *cx, const comp_entity *actual, const comp_entity *expected,
                               comp_u32map *types) {
  if (actual->kind == CE_TYPE && expected->kind == CE_TYPE) {
    if (!comp_u32map_put(types, expected->created, actual->id)) cx->oom = true;
  } else if (actual->kind == CE_INSTANCE && expected->kind == CE_INSTANCE) {
    const comp_type *ta = comp_ty(cx->ts, actual->id), *tb = comp_ty(cx->ts, expected->id);
    for (uint32_t i = 0; i < tb->nexports; i++) {
      const comp_item *a = comp_items_find(ta->exports, ta->nexports, tb->exports[i].name.s, tb->exports[i].name.len);
      if (a) register_renamings(cx, &a->e, &tb->exports[i].e, types);
    }
  }
}

bool comp_open_instance(comp_subcx *cx, const comp_item *args, uint32_t nargs, comp_tid b, int kind,
                        comp_remapping *map) {
  comp_types *ts = cx->ts;
  const comp_type *tb = comp_ty(ts, b);
  bind_resources(cx, args, nargs, tb, kind, map);
  const comp_item *entities = kind == 0 ? tb->imports : tb->exports;
  uint32_t n = kind == 0 ? tb->nimports : tb->nexports;
  for (uint32_t i = 0; i < n; i++)
    if (!comp_items_find(args, nargs, entities[i].name.s, entities[i].name.len))
      return fail(cx, "missing %s named `%s`", kind == 0 ? "import" : "export", entities[i].name.s);
  comp_u32map renamed;
  comp_u32map_init(&renamed, ts->alloc);
  bool ok = true;
  for (uint32_t i = 0; ok && i < n; i++) {
    const comp_item *arg = comp_items_find(args, nargs, entities[i].name.s, entities[i].name.len);
    comp_entity expected = entities[i].e;
    comp_remap_entity(ts, &expected, map);
    comp_u32map_clear(&map->types);
    if (comp_sub_entity(cx, &arg->e, &expected)) {
      register_renamings(cx, &arg->e, &expected, &renamed);
    } else {
      char ctx[300];
      snprintf(ctx, sizeof ctx, "type mismatch for %s `%s`", kind == 0 ? "import" : "export", entities[i].name.s);
      with_context(cx, ctx);
      ok = false;
    }
  }
  if (ok) {
    comp_u32map_free(&map->types);
    map->types = renamed;
  } else {
    comp_u32map_free(&renamed);
  }
  if (ts->oom) cx->oom = true;
  return ok && !cx->oom;
}
