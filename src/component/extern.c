/* Imports, exports and the entities they add (Explainer, Import and Export
 * Definitions; External Visibility of Types; Name Uniqueness): index
 * space bookkeeping for resources, the "every type reachable from an
 * import/export must be named" rule, name syntax and attributes, and the
 * [constructor]/[method]/[static] checks. */
#include "validate.h"

#include <stdio.h>

void v_namecx_init(vnamecx *cx, const kumi_allocator *a) {
  memset(cx, 0, sizeof *cx);
  comp_u32map_init(&cx->by_tid, a);
}

void v_namecx_free(vnamecx *cx, const kumi_allocator *a) {
  comp_u32map_free(&cx->by_tid);
  kb_vec_free(a, &cx->names);
}

static uint32_t *path1(vctx *v, uint32_t first, const comp_rpath *rest) {
  uint32_t n = 1 + (rest ? rest->len : 0);
  uint32_t *p = comp_types_alloc(&v->ts, n, sizeof *p);
  if (!p) return NULL;
  p[0] = first;
  if (rest && rest->len) memcpy(p + 1, rest->path, rest->len * sizeof *p);
  return p;
}

static bool rpaths_set(vctx *v, void *vecp, uint32_t rid, uint32_t *path, uint32_t len) {
  KB_VEC(comp_rpath) *vec = vecp;
  for (size_t i = 0; i < vec->len; i++)
    if (vec->items[i].rid == rid) {
      vec->items[i].path = path;
      vec->items[i].len = len;
      return true;
    }
  comp_rpath r = {rid, len, path};
  return kb_vec_push(v->a, vec, r) ? true : voom(v);
}

/* ---- named types ------------------------------------------------------------- */

static bool named_tid(const comp_types *ts, comp_tid id, const comp_u32map *set);

static bool named_vt(const comp_types *ts, comp_vt vt, const comp_u32map *set) {
  return vt.prim ? true : named_tid(ts, vt.id, set);
}

/* A type used inside another: records, variants, enums, flags and
 * resources must themselves be named; anonymous types are looked into. */
static bool named_tid(const comp_types *ts, comp_tid id, const comp_u32map *set) {
  const comp_type *t = comp_ty(ts, id);
  switch (t->dkind) {
  case 0x72: case 0x71: case 0x6e: case 0x6d:
    return comp_u32map_get(set, id, NULL);
  case 0x69: case 0x68:
    return comp_u32map_get(set, t->res, NULL);
  default:
    for (uint32_t i = 0; i < t->n; i++)
      if (t->fields[i].has_type && !named_vt(ts, t->fields[i].type, set)) return false;
    if (t->has_a && !named_vt(ts, t->a, set)) return false;
    if (t->has_b && !named_vt(ts, t->b, set)) return false;
    return true;
  }
}

/* The first layer of a defined type: its parts must be named. */
static bool named_in_defined(const comp_types *ts, comp_tid id, const comp_u32map *set) {
  const comp_type *t = comp_ty(ts, id);
  switch (t->dkind) {
  case 0x6e: case 0x6d: return true;
  case 0x69: case 0x68: return comp_u32map_get(set, t->res, NULL);
  default:
    for (uint32_t i = 0; i < t->n; i++)
      if (t->fields[i].has_type && !named_vt(ts, t->fields[i].type, set)) return false;
    if (t->has_a && !named_vt(ts, t->a, set)) return false;
    if (t->has_b && !named_vt(ts, t->b, set)) return false;
    return true;
  }
}

static bool named_in_func(const comp_types *ts, comp_tid id, const comp_u32map *set) {
  const comp_type *t = comp_ty(ts, id);
  for (uint32_t i = 0; i < t->n; i++)
    if (!named_vt(ts, t->fields[i].type, set)) return false;
  return !t->has_result || named_vt(ts, t->result, set);
}

static bool named_any(const comp_types *ts, comp_tid id, const comp_u32map *set);

static bool named_in_instance(const comp_types *ts, comp_tid id, const comp_u32map *set) {
  const comp_type *t = comp_ty(ts, id);
  for (uint32_t i = 0; i < t->nexports; i++) {
    const comp_entity *e = &t->exports[i].e;
    switch (e->kind) {
    case CE_FUNC: if (!named_in_func(ts, e->id, set)) return false; break;
    case CE_TYPE: if (!named_any(ts, e->created, set)) return false; break;
    case CE_VALUE: if (!e->vt.prim && !named_in_defined(ts, e->vt.id, set)) return false; break;
    case CE_INSTANCE: if (!named_in_instance(ts, e->id, set)) return false; break;
    default: break;
    }
  }
  return true;
}

static bool named_any(const comp_types *ts, comp_tid id, const comp_u32map *set) {
  switch (comp_ty(ts, id)->kind) {
  case CT_DEFINED: return named_in_defined(ts, id, set);
  case CT_FUNC: return named_in_func(ts, id, set);
  case CT_INSTANCE: return named_in_instance(ts, id, set);
  default: return true;
  }
}

static bool namecx_register(vstate *s, vnamecx *cx, const comp_str *name, comp_tid id) {
  if (!kb_vec_push(s->v->a, &cx->names, *name)) return voom(s->v);
  if (!comp_u32map_put(&cx->by_tid, id, cx->names.len - 1)) return voom(s->v);
  return true;
}

/* Checks and records the types an import or export makes visible. */
static bool register_named(vstate *s, const comp_str *toplevel, int kind, const comp_entity *e, bool *ok) {
  vctx *v = s->v;
  if (e->kind == CE_TYPE && toplevel && comp_ty(&v->ts, e->created)->kind == CT_RESOURCE)
    if (!namecx_register(s, kind == 0 ? &s->imp_names : &s->exp_names, toplevel, e->created)) return false;
  if (s->kind == VS_INSTANCE_TYPE) return true;
  comp_u32map *set = kind == 0 ? &s->imported_types : &s->exported_types;
  switch (e->kind) {
  case CE_TYPE:
    if (!named_any(&v->ts, e->id, set)) {
      *ok = false;
      return true;
    }
    if (kind == 0 && !comp_u32map_put(&s->imported_types, e->created, 1)) return voom(v);
    if (!comp_u32map_put(&s->exported_types, e->created, 1)) return voom(v);
    return true;
  case CE_INSTANCE: {
    const comp_type *it = comp_ty(&v->ts, e->id);
    for (uint32_t i = 0; i < it->nexports && *ok; i++)
      if (!register_named(s, NULL, kind, &it->exports[i].e, ok)) return false;
    return true;
  }
  case CE_FUNC:
    if (!named_in_func(&v->ts, e->id, set)) *ok = false;
    return true;
  case CE_VALUE:
    if (!named_vt(&v->ts, e->vt, set)) *ok = false;
    return true;
  default:
    return true;
  }
}

/* ---- instances crossing the boundary ------------------------------------------- */

/* An imported instance's own (abstract) resources become fresh imported
 * resources of this component. */
static bool prepare_instance_import(vstate *s, comp_tid *id) {
  vctx *v = s->v;
  const comp_type *t = comp_ty(&v->ts, *id);
  if (t->ndefined_res == 0) return true;
  comp_remapping map;
  comp_remapping_init(&map, v->a);
  bool ok = true;
  for (uint32_t i = 0; ok && i < t->ndefined_res; i++) {
    uint32_t fresh = v->ts.next_rid++;
    ok = comp_u32map_put(&map.resources, t->defined_res[i].rid, fresh);
    const comp_rpath *ex = NULL;
    for (uint32_t k = 0; k < t->nexplicit_res; k++)
      if (t->explicit_res[k].rid == t->defined_res[i].rid) ex = &t->explicit_res[k];
    uint32_t *p = path1(v, (uint32_t)s->imports.len, ex);
    ok = ok && p && rpaths_set(v, &s->imported_res, fresh, p, 1 + (ex ? ex->len : 0));
  }
  if (ok) {
    comp_type *nt = comp_type_new(&v->ts, CT_INSTANCE);
    if (!nt) ok = false;
    else {
      *nt = *t;
      nt->ndefined_res = 0;
      nt->defined_res = NULL;
      comp_item *ex = comp_types_alloc(&v->ts, t->nexports, sizeof *ex);
      comp_rpath *er = comp_types_alloc(&v->ts, t->nexplicit_res, sizeof *er);
      if (!ex || !er) ok = false;
      else {
        memcpy(ex, t->exports, t->nexports * sizeof *ex);
        for (uint32_t i = 0; i < t->nexports; i++) comp_remap_entity(&v->ts, &ex[i].e, &map);
        for (uint32_t i = 0; i < t->nexplicit_res; i++) {
          er[i] = t->explicit_res[i];
          uint64_t r;
          if (comp_u32map_get(&map.resources, er[i].rid, &r)) er[i].rid = (uint32_t)r;
        }
        nt->exports = ex;
        nt->explicit_res = er;
        nt->canon = 0;
        *id = comp_types_push(&v->ts, nt);
        ok = *id != 0;
      }
    }
  }
  comp_remapping_free(&map);
  return ok ? true : voom(v);
}

/* An exported instance: abstract resources of its type (type contexts)
 * are freshened and become this component's; its explicit resources are
 * now explicit here too, one export index deeper. */
static bool prepare_instance_export(vstate *s, comp_tid *id) {
  vctx *v = s->v;
  const comp_type *t = comp_ty(&v->ts, *id);
  if (t->ndefined_res) {
    comp_remapping map;
    comp_remapping_init(&map, v->a);
    bool ok = true;
    for (uint32_t i = 0; ok && i < t->ndefined_res; i++) {
      uint32_t fresh = v->ts.next_rid++;
      vdefres d = {fresh, 0};
      ok = comp_u32map_put(&map.resources, t->defined_res[i].rid, fresh) && kb_vec_push(v->a, &s->defined_res, d);
    }
    comp_type *nt = ok ? comp_type_new(&v->ts, CT_INSTANCE) : NULL;
    comp_item *ex = ok ? comp_types_alloc(&v->ts, t->nexports, sizeof *ex) : NULL;
    comp_rpath *er = ok ? comp_types_alloc(&v->ts, t->nexplicit_res, sizeof *er) : NULL;
    if (nt && ex && er) {
      *nt = *t;
      nt->ndefined_res = 0;
      nt->defined_res = NULL;
      memcpy(ex, t->exports, t->nexports * sizeof *ex);
      for (uint32_t i = 0; i < t->nexports; i++) comp_remap_entity(&v->ts, &ex[i].e, &map);
      for (uint32_t i = 0; i < t->nexplicit_res; i++) {
        er[i] = t->explicit_res[i];
        uint64_t r;
        if (comp_u32map_get(&map.resources, er[i].rid, &r)) er[i].rid = (uint32_t)r;
      }
      nt->exports = ex;
      nt->explicit_res = er;
      nt->canon = 0;
      *id = comp_types_push(&v->ts, nt);
      ok = *id != 0;
    } else {
      ok = false;
    }
    comp_remapping_free(&map);
    if (!ok) return voom(v);
    t = comp_ty(&v->ts, *id);
  }
  for (uint32_t i = 0; i < t->nexplicit_res; i++) {
    uint32_t *p = path1(v, (uint32_t)s->exports.len, &t->explicit_res[i]);
    if (!p || !rpaths_set(v, &s->explicit_res, t->explicit_res[i].rid, p, 1 + t->explicit_res[i].len)) return voom(v);
  }
  return true;
}

bool v_add_entity(vstate *s, comp_entity *e, const comp_str *name, int kind, uint32_t off) {
  vctx *v = s->v;
  const kumi_allocator *a = v->a;
  bool ok = true;
  switch (e->kind) {
  case CE_MODULE: ok = kb_vec_push(a, &s->core_modules, e->id); break;
  case CE_COMPONENT: ok = kb_vec_push(a, &s->components, e->id); break;
  case CE_INSTANCE:
    if (name && kind == 0 && !prepare_instance_import(s, &e->id)) return false;
    if (name && kind == 1 && !prepare_instance_export(s, &e->id)) return false;
    ok = kb_vec_push(a, &s->instances, e->id);
    break;
  case CE_FUNC: ok = kb_vec_push(a, &s->funcs, e->id); break;
  case CE_VALUE: {
    if (!v->f.values) return vfail(v, off, "support for component model `value`s is not enabled");
    vvalue val = {e->vt, name && kind == 1};
    ok = kb_vec_push(a, &s->values, val);
    break;
  }
  case CE_TYPE: {
    ok = kb_vec_push(a, &s->types, e->created);
    const comp_type *ct = comp_ty(&v->ts, e->created);
    if (ok && ct->kind == CT_RESOURCE && name) {
      if (kind == 0) {
        if (e->created == e->id) {
          uint32_t *p = path1(v, (uint32_t)s->imports.len, NULL);
          ok = p && rpaths_set(v, &s->imported_res, ct->rid, p, 1);
        }
      } else {
        if (e->created == e->id) {
          vdefres d = {ct->rid, 0};
          ok = kb_vec_push(a, &s->defined_res, d);
        }
        uint32_t *p = path1(v, (uint32_t)s->exports.len, NULL);
        ok = ok && p && rpaths_set(v, &s->explicit_res, ct->rid, p, 1);
      }
    }
    break;
  }
  }
  if (!ok) return voom(v);
  if (name) {
    bool named = true;
    if (!register_named(s, name, kind, e, &named)) return false;
    if (!named)
      return vfail(v, off, "%s not valid to be used as %s", comp_entity_desc(&v->ts, e), kind == 0 ? "import" : "export");
  }
  return true;
}

/* ---- names ------------------------------------------------------------------------- */

static bool resource_name_ok(vstate *s, vnamecx *cx, comp_tid res, const char *rname, uint32_t rlen, uint32_t off) {
  uint64_t idx;
  if (!comp_u32map_get(&cx->by_tid, res, &idx))
    return vfail(s->v, off, "resource used in function does not have a name in this context");
  const comp_str *expected = &cx->names.items[idx];
  if (expected->len != rlen || memcmp(expected->s, rname, rlen) != 0)
    return vfail(s->v, off, "function does not match expected resource name `%s`", expected->s);
  return true;
}

static bool check_annotated(vstate *s, vnamecx *cx, const comp_name_info *ni, const comp_entity *e, uint32_t off) {
  vctx *v = s->v;
  if (ni->func == CN_FUNC_NONE) return true;
  if (e->kind != CE_FUNC) return vfail(v, off, "item is not a func");
  const comp_type *ft = comp_ty(&v->ts, e->id);
  switch (ni->func) {
  case CN_FUNC_CONSTRUCTOR: {
    if (ft->async) return vfail(v, off, "constructor function cannot be async");
    if (!ft->has_result) return vfail(v, off, "function should return one value");
    comp_tid res = 0;
    if (!ft->result.prim) {
      const comp_type *r = comp_ty(&v->ts, ft->result.id);
      if (r->dkind == 0x69) res = r->res;
      else if (r->dkind == 0x6a && r->has_a && !r->a.prim && comp_ty(&v->ts, r->a.id)->dkind == 0x69)
        res = comp_ty(&v->ts, r->a.id)->res;
    }
    if (!res) return vfail(v, off, "function should return `(own $T)` or `(result (own $T))`");
    return resource_name_ok(s, cx, res, ni->resource, ni->resource_len, off);
  }
  case CN_FUNC_METHOD: {
    if (ft->n == 0) return vfail(v, off, "function should have at least one argument");
    if (ft->fields[0].name.len != 4 || memcmp(ft->fields[0].name.s, "self", 4) != 0)
      return vfail(v, off, "function should have a first argument called `self`");
    comp_vt p = ft->fields[0].type;
    if (p.prim || comp_ty(&v->ts, p.id)->dkind != 0x68)
      return vfail(v, off, "function should take a first argument of `(borrow $T)`");
    return resource_name_ok(s, cx, comp_ty(&v->ts, p.id)->res, ni->resource, ni->resource_len, off);
  }
  case CN_FUNC_STATIC:
    for (size_t i = 0; i < cx->names.len; i++)
      if (cx->names.items[i].len == ni->resource_len && memcmp(cx->names.items[i].s, ni->resource, ni->resource_len) == 0)
        return true;
    return vfail(v, off, "static resource name is not known in this context");
  }
  return true;
}

/* 🔗: a versionsuffix needs a canonversion it completes to a valid semver. */
static bool check_version_suffix(vctx *v, const comp_name_info *ni, const comp_extname *n, uint32_t off) {
  if (!n->nversionsuffix) return true;
  if (!ni->version || !comp_canonversion(ni->version, ni->version_len))
    return vfail(v, off, "invalid interface version: a `versionsuffix` requires a canonical version");
  char buf[512];
  size_t total = (size_t)ni->version_len + n->versionsuffix.len;
  if (total >= sizeof buf || !(memcpy(buf, ni->version, ni->version_len),
                               memcpy(buf + ni->version_len, n->versionsuffix.s, n->versionsuffix.len),
                               comp_semver_valid(buf, total)))
    return vfail(v, off, "invalid interface version: `%.*s%s` is not a valid semver", (int)ni->version_len, ni->version,
                 n->versionsuffix.s);
  return true;
}

bool v_validate_extern(vstate *s, vnamecx *cx, const comp_extname *n, int kind, const comp_entity *e, kb_map *keys,
                       comp_item_vec *items, uint32_t *size, uint32_t off) {
  vctx *v = s->v;
  const char *kd = kind == 0 ? "import" : "export";
  char why[300];
  comp_name_info ni;
  if (!comp_name_parse(n->name.s, n->name.len, &v->f, &ni, why, sizeof why))
    return vfail(v, off, "%s name `%s` is not a valid extern name: %s", kd, n->name.s, why);
  if (kind == 1 && ni.kind != CN_PLAIN && ni.kind != CN_INTERFACE)
    return vfail(v, off, "name `%s` is not a valid export name", n->name.s);
  if (n->nimplements > 1) return vfail(v, off, "duplicate 'implements' option in name");
  if (n->nversionsuffix > 1) return vfail(v, off, "duplicate 'versionsuffix' option in name");
  if (n->nexternal_id > 1) return vfail(v, off, "duplicate 'external-id' option in name");
  if (n->nversionsuffix) {
    if (!v->f.canon_names) return vfail(v, off, "the `cm-canon-names` feature is not active");
    if (e->kind != CE_INSTANCE) return vfail(v, off, "only instances can have an `versionsuffix`");
    if (n->versionsuffix.len == 0) return vfail(v, off, "version suffix cannot be empty");
    if (!n->nimplements && ni.kind != CN_INTERFACE)
      return vfail(v, off, "`versionsuffix` requires an interface name or `implements`");
  }
  if (n->nimplements) {
    if (!v->f.implements) return vfail(v, off, "the `cm-implements` feature is not active");
    if (ni.kind != CN_PLAIN || ni.func != CN_FUNC_NONE)
      return vfail(v, off, "name `%s` is not valid with `implements`", n->name.s);
    if (e->kind != CE_INSTANCE) return vfail(v, off, "only instances can have an `implements`");
    comp_name_info ii;
    if (!comp_name_parse(n->implements.s, n->implements.len, &v->f, &ii, why, sizeof why))
      return vfail(v, off, "`%s` is not a valid name: %s", n->implements.s, why);
    if (ii.kind != CN_INTERFACE) return vfail(v, off, "name `%s` must be an interface", n->implements.s);
    if (!check_version_suffix(v, &ii, n, off)) return false;
  }
  if (n->nexternal_id && !v->f.implements) return vfail(v, off, "the `cm-implements` feature is not active");
  if (ni.kind == CN_INTERFACE && !n->nimplements && !check_version_suffix(v, &ni, n, off)) return false;
  if (!check_annotated(s, cx, &ni, e, off)) return false;

  /* Strong uniqueness. */
  char keybuf[256];
  char *key = n->name.len <= sizeof keybuf ? keybuf : kb_alloc(v->a, n->name.len);
  if (!key) return voom(v);
  size_t klen = comp_name_key(n->name.s, n->name.len, &ni, key);
  void *prev = NULL;
  bool dup = kb_map_get(keys, key, klen, &prev);
  bool put_ok = dup || kb_map_put(keys, key, klen, (void *)n->name.s);
  if (key != keybuf) kb_free(v->a, key, n->name.len);
  if (dup) return vfail(v, off, "%s name `%s` conflicts with previous name `%s`", kd, n->name.s, (const char *)prev);
  if (!put_ok) return voom(v);
  /* Identical names have identical keys, so raw uniqueness follows. */
  comp_item it = {n->name, *e};
  if (!kb_vec_push(v->a, items, it)) return voom(v);
  uint64_t sum = (uint64_t)*size + comp_entity_size(&v->ts, e);
  if (sum >= COMP_MAX_TYPE_SIZE) return vfail(v, off, "effective type size exceeds the limit of %u", COMP_MAX_TYPE_SIZE);
  *size = (uint32_t)sum;
  return true;
}
