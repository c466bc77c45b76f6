/* wit: worlds after their own items are resolved: `include` (with `with`
 * renames) and elaboration, which lists every interface an import or export
 * depends on and puts the items in the order the printer and an encoder
 * want. The rules are wit-parser's, so the printed form matches
 * `wasm-tools component wit`. */
#include "wit_int.h"

#include <stdio.h>

uint32_t wit_type_interface_dep(const wit_resolve *r, uint32_t tid) {
  const wit_typedef *t = &r->types.items[tid];
  if (t->kind != WIT_TD_ALIAS || !wit_t_is_def(t->a)) return WIT_NONE;
  const wit_typedef *o = &r->types.items[wit_t_index(t->a)];
  if (o->owner_kind == t->owner_kind && o->owner == t->owner) return WIT_NONE;
  return o->owner_kind == WIT_OWNER_INTERFACE ? o->owner : WIT_NONE;
}

typedef WIT_VEC(wit_world_item) items_t;

static bool same_key(const wit_world_item *a, const wit_world_item *b) {
  if ((a->name == NULL) != (b->name == NULL)) return false;
  return a->name ? !strcmp(a->name, b->name) : a->id == b->id;
}

static int find_key(const items_t *v, const wit_world_item *k) {
  for (uint32_t i = 0; i < v->len; i++)
    if (same_key(&v->items[i], k)) return (int)i;
  return -1;
}

/* ---- cloning world-owned types into the including world ---- */

typedef struct clone_map {
  WIT_VEC(uint32_t) from, to;
  uint32_t src, dst; /* worlds */
} clone_map;

static bool clone_type(wit_resolve *r, clone_map *m, wit_type t, wit_type *out, int depth);

static bool clone_typedef_body(wit_resolve *r, clone_map *m, wit_typedef *td, bool *changed, int depth) {
  wit_type x;
  if (!clone_type(r, m, td->a, &x, depth + 1)) return false;
  *changed |= x != td->a;
  td->a = x;
  if (!clone_type(r, m, td->b, &x, depth + 1)) return false;
  *changed |= x != td->b;
  td->b = x;
  if (td->ntypes) {
    wit_type *ts = kb_arena_alloc(&r->arena, sizeof *ts * td->ntypes);
    if (!ts) return false;
    for (uint32_t i = 0; i < td->ntypes; i++) {
      if (!clone_type(r, m, td->types[i], &ts[i], depth + 1)) return false;
      *changed |= ts[i] != td->types[i];
    }
    td->types = ts;
  }
  if (td->ncases) {
    wit_case *cs = kb_arena_alloc(&r->arena, sizeof *cs * td->ncases);
    if (!cs) return false;
    for (uint32_t i = 0; i < td->ncases; i++) {
      cs[i] = td->cases[i];
      if (!clone_type(r, m, td->cases[i].type, &cs[i].type, depth + 1)) return false;
      *changed |= cs[i].type != td->cases[i].type;
    }
    td->cases = cs;
  }
  return true;
}

/* Types owned by the source world are copied (once) into the destination
 * world; anonymous types that mention them are re-made. */
static bool clone_type(wit_resolve *r, clone_map *m, wit_type t, wit_type *out, int depth) {
  *out = t;
  if (!wit_t_is_def(t) || depth > 1000) return true;
  uint32_t id = wit_t_index(t);
  wit_typedef td = r->types.items[id];
  if (td.owner_kind == WIT_OWNER_WORLD && td.owner == m->src) {
    for (uint32_t i = 0; i < m->from.len; i++)
      if (m->from.items[i] == id) {
        *out = wit_t_def(m->to.items[i]);
        return true;
      }
    bool changed = false;
    if (!clone_typedef_body(r, m, &td, &changed, depth)) return false;
    td.owner = m->dst;
    if (!wit_vec_push(&r->arena, &r->types, td)) return false;
    uint32_t nid = r->types.len - 1;
    if (!wit_vec_push(&r->arena, &m->from, id) || !wit_vec_push(&r->arena, &m->to, nid)) return false;
    *out = wit_t_def(nid);
    return true;
  }
  if (td.owner_kind == WIT_OWNER_NONE && !td.name) {
    bool changed = false;
    if (!clone_typedef_body(r, m, &td, &changed, depth)) return false;
    if (changed) {
      *out = wit_intern_anon(r, &td);
      return *out != WIT_T_NONE;
    }
  }
  return true;
}

static bool clone_func(wit_resolve *r, clone_map *m, wit_func *f) {
  wit_param *ps = kb_arena_alloc(&r->arena, sizeof *ps * (f->nparams + 1));
  if (!ps) return false;
  for (uint32_t i = 0; i < f->nparams; i++) {
    ps[i] = f->params[i];
    if (!clone_type(r, m, f->params[i].type, &ps[i].type, 0)) return false;
  }
  f->params = ps;
  if (!clone_type(r, m, f->result, &f->result, 0)) return false;
  if (f->resource != WIT_NONE) {
    wit_type t;
    if (!clone_type(r, m, wit_t_def(f->resource), &t, 0)) return false;
    f->resource = wit_t_index(t);
  }
  return true;
}

/* ---- include ---- */

/* The name an include's `with { a as b }` gives to an item, or NULL. */
static const char *include_rename(kb_arena *ar, const char *orig, const wit_ast_include_name *n) {
  if (!strcmp(orig, n->name.name)) return n->as.name;
  const char *close = strchr(orig, ']');
  if (!close) return NULL;
  const char *rest = close + 1;
  const char *dot = strchr(rest, '.');
  size_t klen = (size_t)(close - orig) + 1, alen = strlen(n->as.name);
  if (dot && (size_t)(dot - rest) == strlen(n->name.name) && !memcmp(rest, n->name.name, (size_t)(dot - rest))) {
    size_t tlen = strlen(dot);
    char *s = kb_arena_alloc(ar, klen + alen + tlen + 1);
    if (!s) return NULL;
    memcpy(s, orig, klen);
    memcpy(s + klen, n->as.name, alen);
    memcpy(s + klen + alen, dot, tlen + 1);
    return s;
  }
  if (!strcmp(rest, n->name.name)) {
    char *s = kb_arena_alloc(ar, klen + alen + 1);
    if (!s) return NULL;
    memcpy(s, orig, klen);
    memcpy(s + klen, n->as.name, alen + 1);
    return s;
  }
  return NULL;
}

static kumi_error *include_items(wit_resolve *r, uint32_t world, const wit_world_item *src, uint32_t n,
                                 const wit_include *inc, clone_map *m, bool is_import, bool external) {
  const char *desc = is_import ? "import" : "export";
  for (uint32_t i = 0; i < n; i++) {
    wit_world_item it = src[i];
    wit_world *w = &r->worlds.items[world];
    items_t dst = {is_import ? w->imports : w->exports, is_import ? w->nimports : w->nexports,
                   is_import ? w->imports_cap : w->exports_cap};
    if (it.name) {
      const char *nn = NULL;
      for (uint32_t k = 0; k < inc->names.len && !nn; k++) nn = include_rename(&r->arena, it.name, &inc->names.items[k]);
      if (nn) it.name = nn;
      if (it.kind == WIT_ITEM_FUNC) {
        if (!clone_func(r, m, &it.func)) return kb_error_oom();
        it.func.name = it.name;
      } else if (it.kind == WIT_ITEM_TYPE) {
        wit_type t;
        if (!clone_type(r, m, wit_t_def(it.id), &t, 0)) return kb_error_oom();
        it.id = wit_t_index(t);
        r->types.items[it.id].name = it.name;
      }
      if (find_key(&dst, &it) >= 0)
        return wit_span_error(r, KUMI_ERR_INVALID, inc->span, "%s of `%s` shadows previously %sed items", desc,
                              it.name, desc);
      if (!wit_vec_push(&r->arena, &dst, it)) return kb_error_oom();
    } else {
      int k = find_key(&dst, &it);
      if (k < 0) {
        if (!wit_vec_push(&r->arena, &dst, it)) return kb_error_oom();
        k = (int)dst.len - 1;
      }
      wit_stability *into = &dst.items[k].stability;
      const wit_stability *from = &it.stability;
      if (external && from->kind == WIT_STAB_STABLE) {
        memset(into, 0, sizeof *into); /* gates of another package's world are dropped */
      } else if (!wit_stability_eq(from, into) && from->kind != WIT_STAB_UNKNOWN) {
        if (into->kind == WIT_STAB_UNKNOWN) *into = *from;
        else
          return wit_span_error(r, KUMI_ERR_INVALID, inc->span,
                                "mismatch in stability of included interface `%s`",
                                wit_interface_id_string(r, it.id));
      }
    }
    w = &r->worlds.items[world];
    if (is_import) {
      w->imports = dst.items;
      w->nimports = dst.len;
      w->imports_cap = dst.cap;
    } else {
      w->exports = dst.items;
      w->nexports = dst.len;
      w->exports_cap = dst.cap;
    }
  }
  return NULL;
}

static bool ascii_ieq(const char *a, const char *b) {
  for (; *a && *b; a++, b++) {
    char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a, y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
    if (x != y) return false;
  }
  return *a == *b;
}

static kumi_error *check_case(wit_resolve *r, const wit_world_item *v, uint32_t n, const char *desc, wit_span span) {
  for (uint32_t i = 0; i < n; i++) {
    if (!v[i].name) continue;
    for (uint32_t j = 0; j < i; j++)
      if (v[j].name && strcmp(v[i].name, v[j].name) && ascii_ieq(v[i].name, v[j].name))
        return wit_span_error(r, KUMI_ERR_INVALID, span,
                              "%s `%s` conflicts with %s `%s` (kebab-case identifiers are case-insensitive)", desc,
                              v[i].name, desc, v[j].name);
  }
  return NULL;
}

kumi_error *wit_process_includes(wit_resolve *r, uint32_t world, const wit_include *incs, uint32_t n, wit_span span) {
  for (uint32_t i = 0; i < n; i++) {
    const wit_include *inc = &incs[i];
    wit_world src = r->worlds.items[inc->world];
    bool external = src.package != r->worlds.items[world].package;
    for (uint32_t k = 0; k < inc->names.len; k++) {
      bool found = false;
      for (uint32_t j = 0; j < src.nimports && !found; j++)
        found = src.imports[j].name && include_rename(&r->arena, src.imports[j].name, &inc->names.items[k]);
      for (uint32_t j = 0; j < src.nexports && !found; j++)
        found = src.exports[j].name && include_rename(&r->arena, src.exports[j].name, &inc->names.items[k]);
      if (!found)
        return wit_span_error(r, KUMI_ERR_INVALID, inc->names.items[k].name.span,
                              "no import or export kebab-name `%s`. Note that an ID does not support renaming",
                              inc->names.items[k].name.name);
    }
    clone_map m;
    memset(&m, 0, sizeof m);
    m.src = inc->world;
    m.dst = world;
    kumi_error *e = include_items(r, world, src.imports, src.nimports, inc, &m, true, external);
    if (!e) e = include_items(r, world, src.exports, src.nexports, inc, &m, false, external);
    if (e) return e;
  }
  const wit_world *w = &r->worlds.items[world];
  kumi_error *e = check_case(r, w->imports, w->nimports, "import", span);
  if (!e) e = check_case(r, w->exports, w->nexports, "export", span);
  return e;
}

/* ---- elaboration ---- */

static int sort_key(const wit_resolve *r, const wit_world_item *it) {
  switch (it->kind) {
  case WIT_ITEM_INTERFACE: return 0;
  case WIT_ITEM_TYPE: {
    const wit_typedef *t = &r->types.items[it->id];
    if (t->kind == WIT_TD_ALIAS && wit_t_is_def(t->a)) {
      const wit_typedef *o = &r->types.items[wit_t_index(t->a)];
      if (o->owner_kind != t->owner_kind || o->owner != t->owner) return 1;
    }
    return 2;
  }
  case WIT_ITEM_FUNC: return it->func.kind == WIT_FUNC_FREESTANDING ? 3 : 4;
  }
  return 5;
}

static bool stable_sort(kb_arena *ar, const wit_resolve *r, wit_world_item *v, uint32_t n) {
  wit_world_item *tmp = kb_arena_alloc(ar, sizeof *tmp * (n + 1));
  if (!tmp) return false;
  uint32_t o = 0;
  for (int k = 0; k <= 5; k++)
    for (uint32_t i = 0; i < n; i++)
      if (sort_key(r, &v[i]) == k) tmp[o++] = v[i];
  if (n) memcpy(v, tmp, sizeof *v * n);
  return true;
}

static bool elaborate_import(wit_resolve *r, items_t *imports, const char *name, uint32_t id,
                             const wit_stability *stab, int depth) {
  wit_world_item key;
  memset(&key, 0, sizeof key);
  key.kind = WIT_ITEM_INTERFACE;
  key.name = name;
  key.id = id;
  if (find_key(imports, &key) >= 0 || depth > 10000) return true;
  const wit_interface *iface = &r->interfaces.items[id];
  for (uint32_t i = 0; i < iface->ntypes; i++) {
    uint32_t dep = wit_type_interface_dep(r, iface->types[i].id);
    if (dep != WIT_NONE && !elaborate_import(r, imports, NULL, dep, stab, depth + 1)) return false;
  }
  key.stability = *stab;
  return wit_vec_push(&r->arena, imports, key);
}

/* Inserts or replaces (keeping the position), like an IndexMap. */
static bool put(kb_arena *ar, items_t *v, const wit_world_item *it) {
  int k = find_key(v, it);
  if (k >= 0) {
    v->items[k] = *it;
    return true;
  }
  return wit_vec_push(ar, v, *it);
}

typedef struct export_state {
  wit_resolve *r;
  items_t *imports, *exports;
  const wit_world_item *ifaces; /* the world's interface exports */
  uint32_t nifaces;
  WIT_VEC(uint32_t) required; /* interfaces that must be imported */
} export_state;

static bool contains_u32(const uint32_t *v, uint32_t n, uint32_t x) {
  for (uint32_t i = 0; i < n; i++)
    if (v[i] == x) return true;
  return false;
}

static bool exported_iface(const export_state *s, uint32_t id) {
  for (uint32_t i = 0; i < s->nifaces; i++)
    if (s->ifaces[i].id == id) return true;
  return false;
}

/* false when the exports need an interface both imported and exported;
 * *oom when memory ran out. */
static bool add_export(export_state *s, uint32_t id, const char *name, bool as_export, const wit_stability *stab,
                       bool *oom, int depth) {
  wit_world_item it;
  memset(&it, 0, sizeof it);
  it.kind = WIT_ITEM_INTERFACE;
  it.name = name;
  it.id = id;
  it.stability = *stab;
  if (find_key(s->exports, &it) >= 0) return as_export;
  if (!as_export && contains_u32(s->required.items, s->required.len, id)) return true;
  if (depth > 10000) return true;
  const wit_interface *iface = &s->r->interfaces.items[id];
  for (uint32_t i = 0; i < iface->ntypes; i++) {
    uint32_t dep = wit_type_interface_dep(s->r, iface->types[i].id);
    if (dep == WIT_NONE) continue;
    if (!add_export(s, dep, NULL, as_export && exported_iface(s, dep), stab, oom, depth + 1)) return false;
    if (*oom) return false;
  }
  if (as_export) {
    if (contains_u32(s->required.items, s->required.len, id)) return false;
    if (!put(&s->r->arena, s->exports, &it)) *oom = true;
  } else {
    if (!wit_vec_push(&s->r->arena, &s->required, id) || !put(&s->r->arena, s->imports, &it)) *oom = true;
  }
  return !*oom;
}

kumi_error *wit_elaborate_world(wit_resolve *r, uint32_t world, wit_span span) {
  kb_arena *ar = &r->arena;
  wit_world w = r->worlds.items[world];
  wit_world_item *sorted = kb_arena_alloc(ar, sizeof *sorted * (w.nimports + 1));
  if (!sorted) return kb_error_oom();
  if (w.nimports) memcpy(sorted, w.imports, sizeof *sorted * w.nimports);
  if (!stable_sort(ar, r, sorted, w.nimports)) return kb_error_oom();
  items_t imports = {0}, exports = {0};
  for (uint32_t i = 0; i < w.nimports; i++) {
    const wit_world_item *it = &sorted[i];
    if (it->kind == WIT_ITEM_INTERFACE) {
      if (!elaborate_import(r, &imports, it->name, it->id, &it->stability, 0)) return kb_error_oom();
      continue;
    }
    if (it->kind == WIT_ITEM_TYPE) {
      uint32_t dep = wit_type_interface_dep(r, it->id);
      if (dep != WIT_NONE && !elaborate_import(r, &imports, NULL, dep, &r->types.items[it->id].stability, 0))
        return kb_error_oom();
    }
    if (!wit_vec_push(ar, &imports, *it)) return kb_error_oom();
  }
  WIT_VEC(wit_world_item) ifaces = {0};
  for (uint32_t i = 0; i < w.nexports; i++) {
    const wit_world_item *it = &w.exports[i];
    if (it->kind == WIT_ITEM_INTERFACE) {
      if (!wit_vec_push(ar, &ifaces, *it)) return kb_error_oom();
    } else if (!wit_vec_push(ar, &exports, *it)) {
      return kb_error_oom();
    }
  }
  export_state s;
  memset(&s, 0, sizeof s);
  s.r = r;
  s.imports = &imports;
  s.exports = &exports;
  s.ifaces = ifaces.items;
  s.nifaces = ifaces.len;
  for (uint32_t i = 0; i < ifaces.len; i++) {
    bool oom = false;
    if (!add_export(&s, ifaces.items[i].id, ifaces.items[i].name, true, &ifaces.items[i].stability, &oom, 0)) {
      if (oom) return kb_error_oom();
      const char *name = ifaces.items[i].name ? ifaces.items[i].name : wit_interface_id_string(r, ifaces.items[i].id);
      return wit_span_error(r, KUMI_ERR_INVALID, span,
                            "failed to elaborate world `%s`: interface `%s` transitively depends on an interface in "
                            "incompatible ways",
                            w.name, name);
    }
  }
  if (!stable_sort(ar, r, imports.items, imports.len)) return kb_error_oom();
  wit_world *dst = &r->worlds.items[world];
  dst->imports = imports.items;
  dst->nimports = imports.len;
  dst->imports_cap = imports.cap;
  dst->exports = exports.items;
  dst->nexports = exports.len;
  dst->exports_cap = exports.cap;
  return NULL;
}
