/* The component type store: allocation, hash-consing of value, function
 * and resource types, substitution and free resource variables. See
 * types.h for the model. */
#include "types.h"

/* ---- u32 map ----------------------------------------------------------------- */

void comp_u32map_init(comp_u32map *m, const kumi_allocator *a) {
  memset(m, 0, sizeof *m);
  m->alloc = a;
}

void comp_u32map_free(comp_u32map *m) {
  kb_free(m->alloc, m->keys, m->cap * sizeof *m->keys);
  kb_free(m->alloc, m->vals, m->cap * sizeof *m->vals);
  m->keys = NULL;
  m->vals = NULL;
  m->count = m->cap = 0;
}

void comp_u32map_clear(comp_u32map *m) {
  if (m->cap) memset(m->keys, 0, m->cap * sizeof *m->keys);
  m->count = 0;
}

static size_t u32_slot(const uint32_t *keys, size_t cap, uint32_t key) {
  uint32_t h = (key + 1) * 2654435761u;
  size_t i = h & (cap - 1);
  while (keys[i] && keys[i] != key + 1) i = (i + 1) & (cap - 1);
  return i;
}

bool comp_u32map_put(comp_u32map *m, uint32_t key, uint64_t val) {
  if ((m->count + 1) * 2 > m->cap) {
    size_t ncap = m->cap ? m->cap * 2 : 16;
    uint32_t *nk = kb_zalloc(m->alloc, ncap * sizeof *nk);
    uint64_t *nv = kb_zalloc(m->alloc, ncap * sizeof *nv);
    if (!nk || !nv) {
      kb_free(m->alloc, nk, ncap * sizeof *nk);
      kb_free(m->alloc, nv, ncap * sizeof *nv);
      return false;
    }
    for (size_t i = 0; i < m->cap; i++) {
      if (!m->keys[i]) continue;
      size_t j = u32_slot(nk, ncap, m->keys[i] - 1);
      nk[j] = m->keys[i];
      nv[j] = m->vals[i];
    }
    kb_free(m->alloc, m->keys, m->cap * sizeof *m->keys);
    kb_free(m->alloc, m->vals, m->cap * sizeof *m->vals);
    m->keys = nk;
    m->vals = nv;
    m->cap = ncap;
  }
  size_t i = u32_slot(m->keys, m->cap, key);
  if (!m->keys[i]) {
    m->keys[i] = key + 1;
    m->count++;
  }
  m->vals[i] = val;
  return true;
}

bool comp_u32map_get(const comp_u32map *m, uint32_t key, uint64_t *val) {
  if (!m->cap) return false;
  size_t i = u32_slot(m->keys, m->cap, key);
  if (!m->keys[i]) return false;
  if (val) *val = m->vals[i];
  return true;
}

/* ---- the store ------------------------------------------------------------------ */

bool comp_types_init(comp_types *ts, const kumi_allocator *a) {
  memset(ts, 0, sizeof *ts);
  ts->alloc = a;
  kb_arena_init(&ts->arena, a);
  kb_map_init(&ts->canon, a);
  ts->next_rid = 1;
  comp_type *nil = NULL;
  return kb_vec_push(a, &ts->list, nil);
}

void comp_types_free(comp_types *ts) {
  kb_vec_free(ts->alloc, &ts->list);
  kb_map_free(&ts->canon);
  kb_arena_free(&ts->arena);
}

void *comp_types_alloc(comp_types *ts, size_t n, size_t size) {
  if (n == 0) n = 1;
  if (n > SIZE_MAX / size) {
    ts->oom = true;
    return NULL;
  }
  void *p = kb_arena_alloc(&ts->arena, n * size);
  if (!p) ts->oom = true;
  return p;
}

comp_type *comp_type_new(comp_types *ts, uint8_t kind) {
  comp_type *t = comp_types_alloc(ts, 1, sizeof *t);
  if (t) t->kind = kind;
  return t;
}

/* A growable byte buffer for structural keys. */
typedef struct keybuf {
  uint8_t small[256];
  uint8_t *p;
  size_t len, cap;
  const kumi_allocator *a;
  bool oom;
} keybuf;

static void kb_put(keybuf *k, const void *data, size_t n) {
  if (k->oom) return;
  if (k->len + n > k->cap) {
    size_t ncap = k->cap * 2;
    while (ncap < k->len + n) ncap *= 2;
    uint8_t *np = kb_alloc(k->a, ncap);
    if (!np) {
      k->oom = true;
      return;
    }
    memcpy(np, k->p, k->len);
    if (k->p != k->small) kb_free(k->a, k->p, k->cap);
    k->p = np;
    k->cap = ncap;
  }
  memcpy(k->p + k->len, data, n);
  k->len += n;
}
static void kb_u32(keybuf *k, uint32_t v) { kb_put(k, &v, 4); }
static void kb_u8(keybuf *k, uint8_t v) { kb_put(k, &v, 1); }

static void key_vt(keybuf *k, const comp_types *ts, comp_vt v) {
  kb_u8(k, v.prim);
  kb_u32(k, v.prim ? 0 : ts->list.items[v.id]->canon);
}

static uint32_t sat_add(uint32_t a, uint32_t b) {
  uint64_t s = (uint64_t)a + b;
  return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

uint32_t comp_vt_size(const comp_types *ts, comp_vt v) { return v.prim ? 1 : ts->list.items[v.id]->size; }

bool comp_vt_has_borrow(const comp_types *ts, comp_vt v) { return !v.prim && ts->list.items[v.id]->has_borrow; }

/* Fills size and has_borrow of a defined or function type. */
static void summarize(comp_types *ts, comp_type *t) {
  uint32_t size = 1;
  bool borrow = false;
  for (uint32_t i = 0; i < t->n; i++) {
    if (!t->fields[i].has_type) continue;
    size = sat_add(size, comp_vt_size(ts, t->fields[i].type));
    borrow |= comp_vt_has_borrow(ts, t->fields[i].type);
  }
  if (t->has_a) {
    size = sat_add(size, comp_vt_size(ts, t->a));
    borrow |= comp_vt_has_borrow(ts, t->a);
  }
  if (t->has_b) {
    size = sat_add(size, comp_vt_size(ts, t->b));
    borrow |= comp_vt_has_borrow(ts, t->b);
  }
  if (t->kind == CT_FUNC && t->has_result) {
    size = sat_add(size, comp_vt_size(ts, t->result));
    borrow |= comp_vt_has_borrow(ts, t->result);
  }
  if (t->kind == CT_DEFINED && t->dkind == 0x68) borrow = true;
  t->size = size;
  t->has_borrow = borrow;
}

comp_tid comp_types_push(comp_types *ts, comp_type *t) {
  if (!t || ts->list.len >= UINT32_MAX - 1) {
    ts->oom = true;
    return 0;
  }
  comp_tid id = (comp_tid)ts->list.len;
  if (!kb_vec_push(ts->alloc, &ts->list, t)) {
    ts->oom = true;
    return 0;
  }
  t->canon = id;
  if (t->kind == CT_DEFINED || t->kind == CT_FUNC) summarize(ts, t);
  else if (!t->size) t->size = 1;
  if (t->kind != CT_DEFINED && t->kind != CT_FUNC && t->kind != CT_RESOURCE) return id;

  keybuf k;
  k.p = k.small;
  k.len = 0;
  k.cap = sizeof k.small;
  k.a = ts->alloc;
  k.oom = false;
  kb_u8(&k, t->kind);
  if (t->kind == CT_RESOURCE) {
    kb_u32(&k, t->rid);
  } else {
    kb_u8(&k, t->dkind);
    kb_u8(&k, t->async);
    kb_u32(&k, t->n);
    for (uint32_t i = 0; i < t->n; i++) {
      kb_u32(&k, t->fields[i].name.len);
      kb_put(&k, t->fields[i].name.s, t->fields[i].name.len);
      kb_u8(&k, t->fields[i].has_type);
      if (t->fields[i].has_type) key_vt(&k, ts, t->fields[i].type);
    }
    kb_u8(&k, (uint8_t)(t->has_a | t->has_b << 1 | t->has_result << 2));
    if (t->has_a) key_vt(&k, ts, t->a);
    if (t->has_b) key_vt(&k, ts, t->b);
    if (t->has_result) key_vt(&k, ts, t->result);
    kb_u32(&k, t->len);
    kb_u32(&k, t->res ? ts->list.items[t->res]->canon : 0);
  }
  if (k.oom) {
    ts->oom = true;
    return 0;
  }
  void *found = NULL;
  if (kb_map_get(&ts->canon, (const char *)k.p, k.len, &found)) {
    t->canon = (comp_tid)(uintptr_t)found;
  } else if (!kb_map_put(&ts->canon, (const char *)k.p, k.len, (void *)(uintptr_t)id)) {
    ts->oom = true;
  }
  if (k.p != k.small) kb_free(ts->alloc, k.p, k.cap);
  return ts->oom ? 0 : id;
}

comp_tid comp_types_resource(comp_types *ts, uint32_t rid) {
  comp_type *t = comp_type_new(ts, CT_RESOURCE);
  if (!t) return 0;
  t->rid = rid;
  return comp_types_push(ts, t);
}

comp_tid comp_types_fresh_resource(comp_types *ts) { return comp_types_resource(ts, ts->next_rid++); }

comp_tid comp_types_alias(comp_types *ts, comp_tid t) {
  comp_type *c = comp_type_new(ts, CT_DEFINED);
  if (!c) return 0;
  *c = *ts->list.items[t];
  comp_tid canon = c->canon;
  comp_tid id = comp_types_push(ts, c);
  /* Instance and component types have no structural key: share the
   * original's identity for comparisons. */
  if (id && c->canon == id) c->canon = canon;
  return id;
}

comp_tid comp_types_core_func(comp_types *ts, uint32_t np, const uint8_t *params, uint32_t nr, const uint8_t *results) {
  comp_type *t = comp_type_new(ts, CT_CORE_FUNC);
  if (!t) return 0;
  t->core.nparams = np;
  t->core.nresults = nr;
  t->core.params = comp_types_alloc(ts, np, sizeof *t->core.params);
  t->core.results = comp_types_alloc(ts, nr, sizeof *t->core.results);
  if (!t->core.params || !t->core.results) return 0;
  for (uint32_t i = 0; i < np; i++) t->core.params[i].code = params[i];
  for (uint32_t i = 0; i < nr; i++) t->core.results[i].code = results[i];
  return comp_types_push(ts, t);
}

bool comp_vt_equal(const comp_types *ts, comp_vt a, comp_vt b) {
  if (a.prim || b.prim) return a.prim == b.prim;
  return ts->list.items[a.id]->canon == ts->list.items[b.id]->canon;
}

uint32_t comp_entity_size(const comp_types *ts, const comp_entity *e) {
  switch (e->kind) {
  case CE_VALUE: return comp_vt_size(ts, e->vt);
  default: return e->id ? ts->list.items[e->id]->size : 1;
  }
}

bool core_valtype_equal(const comp_core_valtype *a, const comp_core_valtype *b) {
  return a->code == b->code && a->nullable == b->nullable && a->concrete == b->concrete && a->shared == b->shared &&
         a->heap == b->heap;
}

bool core_functype_eq(const comp_core_functype *a, const comp_core_functype *b) {
  if (a->nparams != b->nparams || a->nresults != b->nresults) return false;
  for (uint32_t i = 0; i < a->nparams; i++)
    if (!core_valtype_equal(&a->params[i], &b->params[i])) return false;
  for (uint32_t i = 0; i < a->nresults; i++)
    if (!core_valtype_equal(&a->results[i], &b->results[i])) return false;
  return true;
}

/* ---- substitution ------------------------------------------------------------ */

void comp_remapping_init(comp_remapping *m, const kumi_allocator *a) {
  comp_u32map_init(&m->resources, a);
  comp_u32map_init(&m->types, a);
}

void comp_remapping_free(comp_remapping *m) {
  comp_u32map_free(&m->resources);
  comp_u32map_free(&m->types);
}

bool comp_remap_vt(comp_types *ts, comp_vt *v, comp_remapping *m) {
  if (v->prim) return false;
  comp_tid n = comp_remap(ts, v->id, m);
  if (n && n != v->id) {
    v->id = n;
    return true;
  }
  return false;
}

bool comp_remap_entity(comp_types *ts, comp_entity *e, comp_remapping *m) {
  switch (e->kind) {
  case CE_MODULE:
    return false;
  case CE_VALUE:
    return comp_remap_vt(ts, &e->vt, m);
  case CE_TYPE: {
    comp_tid r = comp_remap(ts, e->id, m);
    bool changed = r && r != e->id;
    if (e->created == e->id) {
      e->created = r ? r : e->created;
    } else {
      comp_tid c = comp_remap(ts, e->created, m);
      if (c && c != e->created) {
        e->created = c;
        changed = true;
      }
    }
    if (r) e->id = r;
    return changed;
  }
  default: {
    comp_tid r = comp_remap(ts, e->id, m);
    if (r && r != e->id) {
      e->id = r;
      return true;
    }
    return false;
  }
  }
}

static bool remap_rpaths(comp_types *ts, uint32_t n, comp_rpath **paths, comp_remapping *m) {
  bool changed = false;
  for (uint32_t i = 0; i < n && !changed; i++)
    if (comp_u32map_get(&m->resources, (*paths)[i].rid, NULL)) changed = true;
  if (!changed) return false;
  comp_rpath *np = comp_types_alloc(ts, n, sizeof *np);
  if (!np) return false;
  for (uint32_t i = 0; i < n; i++) {
    np[i] = (*paths)[i];
    uint64_t v;
    if (comp_u32map_get(&m->resources, np[i].rid, &v)) np[i].rid = (uint32_t)v;
  }
  *paths = np;
  return true;
}

static bool remap_items(comp_types *ts, uint32_t n, comp_item **items, comp_remapping *m) {
  comp_item *copy = NULL;
  for (uint32_t i = 0; i < n; i++) {
    comp_entity e = (*items)[i].e;
    if (comp_remap_entity(ts, &e, m)) {
      if (!copy) {
        copy = comp_types_alloc(ts, n, sizeof *copy);
        if (!copy) return false;
        memcpy(copy, *items, n * sizeof *copy);
      }
      copy[i].e = e;
    }
  }
  if (copy) *items = copy;
  return copy != NULL;
}

comp_tid comp_remap(comp_types *ts, comp_tid t, comp_remapping *m) {
  if (!t) return t;
  uint64_t v;
  if (comp_u32map_get(&m->types, t, &v)) return (comp_tid)v;
  comp_type *old = ts->list.items[t];
  comp_type tmp = *old;
  bool changed = false;
  switch (old->kind) {
  case CT_RESOURCE:
    if (comp_u32map_get(&m->resources, old->rid, &v) && (uint32_t)v != old->rid) {
      comp_tid n = comp_types_resource(ts, (uint32_t)v);
      if (n && !comp_u32map_put(&m->types, t, n)) ts->oom = true;
      return n ? n : t;
    }
    return t;
  case CT_DEFINED:
  case CT_FUNC: {
    comp_field *copy = NULL;
    for (uint32_t i = 0; i < old->n; i++) {
      if (!old->fields[i].has_type) continue;
      comp_vt f = old->fields[i].type;
      if (comp_remap_vt(ts, &f, m)) {
        if (!copy) {
          copy = comp_types_alloc(ts, old->n, sizeof *copy);
          if (!copy) return t;
          memcpy(copy, old->fields, old->n * sizeof *copy);
        }
        copy[i].type = f;
      }
    }
    if (copy) {
      tmp.fields = copy;
      changed = true;
    }
    if (tmp.has_a) changed |= comp_remap_vt(ts, &tmp.a, m);
    if (tmp.has_b) changed |= comp_remap_vt(ts, &tmp.b, m);
    if (tmp.kind == CT_FUNC && tmp.has_result) changed |= comp_remap_vt(ts, &tmp.result, m);
    if (tmp.res) {
      comp_tid r = comp_remap(ts, tmp.res, m);
      if (r && r != tmp.res) {
        tmp.res = r;
        changed = true;
      }
    }
    break;
  }
  case CT_INSTANCE:
  case CT_COMPONENT:
    changed |= remap_items(ts, tmp.nimports, &tmp.imports, m);
    changed |= remap_items(ts, tmp.nexports, &tmp.exports, m);
    changed |= remap_rpaths(ts, tmp.nimported_res, &tmp.imported_res, m);
    changed |= remap_rpaths(ts, tmp.ndefined_res, &tmp.defined_res, m);
    changed |= remap_rpaths(ts, tmp.nexplicit_res, &tmp.explicit_res, m);
    break;
  default:
    return t;
  }
  if (!changed) return t;
  comp_type *nt = comp_type_new(ts, tmp.kind);
  if (!nt) return t;
  *nt = tmp;
  nt->canon = 0;
  comp_tid n = comp_types_push(ts, nt);
  if (!n) return t;
  if (!comp_u32map_put(&m->types, t, n)) ts->oom = true;
  return n;
}

/* ---- free variables ---------------------------------------------------------------- */

static bool free_vt(const comp_types *ts, comp_vt v, comp_u32map *set) {
  return v.prim ? true : comp_free_vars(ts, v.id, set);
}

bool comp_free_vars_entity(const comp_types *ts, const comp_entity *e, comp_u32map *set) {
  switch (e->kind) {
  case CE_MODULE: return true;
  case CE_VALUE: return free_vt(ts, e->vt, set);
  default: return comp_free_vars(ts, e->id, set);
  }
}

static bool in_rpaths(const comp_rpath *p, uint32_t n, uint32_t rid) {
  for (uint32_t i = 0; i < n; i++)
    if (p[i].rid == rid) return true;
  return false;
}

bool comp_free_vars(const comp_types *ts, comp_tid t, comp_u32map *set) {
  const comp_type *ty = ts->list.items[t];
  switch (ty->kind) {
  case CT_RESOURCE:
    return comp_u32map_put(set, ty->rid, 1);
  case CT_DEFINED:
  case CT_FUNC:
    for (uint32_t i = 0; i < ty->n; i++)
      if (ty->fields[i].has_type && !free_vt(ts, ty->fields[i].type, set)) return false;
    if (ty->has_a && !free_vt(ts, ty->a, set)) return false;
    if (ty->has_b && !free_vt(ts, ty->b, set)) return false;
    if (ty->kind == CT_FUNC && ty->has_result && !free_vt(ts, ty->result, set)) return false;
    if (ty->res && !comp_free_vars(ts, ty->res, set)) return false;
    return true;
  case CT_INSTANCE:
  case CT_COMPONENT: {
    comp_u32map inner;
    comp_u32map_init(&inner, set->alloc);
    bool ok = true;
    for (uint32_t i = 0; ok && i < ty->nimports; i++) ok = comp_free_vars_entity(ts, &ty->imports[i].e, &inner);
    for (uint32_t i = 0; ok && i < ty->nexports; i++) ok = comp_free_vars_entity(ts, &ty->exports[i].e, &inner);
    for (size_t i = 0; ok && i < inner.cap; i++) {
      if (!inner.keys[i]) continue;
      uint32_t rid = inner.keys[i] - 1;
      if (in_rpaths(ty->imported_res, ty->nimported_res, rid) || in_rpaths(ty->defined_res, ty->ndefined_res, rid))
        continue;
      ok = comp_u32map_put(set, rid, 1);
    }
    comp_u32map_free(&inner);
    return ok;
  }
  default:
    return true;
  }
}
