/* wit: resolution of one package from its syntax trees into the model.
 *
 * The order of everything follows wit-parser, since it decides the
 * canonical printed form: interfaces and worlds are sorted topologically
 * (ties in source order, files sorted by path), an interface's types are its
 * `use`d names first and then its definitions in topological order, functions
 * stay in source order. Feature gates: an item whose gate is not enabled is
 * resolved (so its errors are still found) but left out of the model; using
 * such an item from one that is kept is an error. */
#include "wit_int.h"

#include <stdio.h>

/* ---- scopes ---- */

enum { S_TYPE, S_FUNC };
typedef struct sentry {
  int kind;
  uint32_t id;
  bool excluded;
  wit_span span;
} sentry;

typedef struct scope {
  wit_smap map;                 /* name -> sentry* */
  WIT_VEC(const char *) order;  /* type names in definition order */
} scope;

/* A package-level item: an interface or a world, or (in a file's namespace)
 * a top-level `use`. */
enum { P_MISSING = -1, P_IFACE, P_WORLD, P_FOREIGN };
typedef struct pitem {
  int kind;
  uint32_t id;
  bool excluded;
  const wit_ast_interface *ai;
  const wit_ast_world *aw;
  uint32_t file;
  const wit_ast_path *foreign; /* P_FOREIGN: resolved where used */
  wit_span span;
} pitem;

typedef struct rcx {
  wit_resolve *r;
  kb_arena *ar;
  uint32_t pkg;
  kumi_error *err;
  wit_smap items;     /* package items: name -> pitem* */
  wit_smap *file_ns;  /* per file: name -> pitem* (uses, interfaces, worlds) */
  uint32_t cur_file;
  wit_smap iface_scopes; /* "<id>" -> scope* for this package's interfaces */
  bool in_excluded;   /* resolving an item left out by its gate */
} rcx;

#define TRY(x)              \
  do {                      \
    if (!(x)) return false; \
  } while (0)

static bool oom(rcx *c) {
  if (!c->err) c->err = kb_error_oom();
  return false;
}

#define FAIL(c, span, ...)                                                         \
  ((c)->err ? false : ((c)->err = wit_span_error((c)->r, KUMI_ERR_INVALID, (span), __VA_ARGS__), false))

static scope *new_scope(rcx *c) {
  scope *s = kb_arena_alloc(c->ar, sizeof *s);
  if (!s) oom(c);
  return s;
}

static bool scope_define(rcx *c, scope *s, const wit_id *name, int kind, uint32_t id, bool excluded) {
  if (wit_smap_get(&s->map, name->name)) return FAIL(c, name->span, "name `%s` is defined more than once", name->name);
  sentry *e = kb_arena_alloc(c->ar, sizeof *e);
  if (!e) return oom(c);
  e->kind = kind;
  e->id = id;
  e->excluded = excluded;
  e->span = name->span;
  if (!wit_smap_put(c->ar, &s->map, name->name, e)) return oom(c);
  if (kind == S_TYPE && !wit_vec_push(c->ar, &s->order, name->name)) return oom(c);
  return true;
}

static bool set_iface_scope(rcx *c, uint32_t iface, scope *s) {
  char *key = kb_arena_alloc(c->ar, 16);
  if (!key) return oom(c);
  snprintf(key, 16, "%u", iface);
  return wit_smap_put(c->ar, &c->iface_scopes, key, s) || oom(c);
}

static scope *get_iface_scope(rcx *c, uint32_t iface) {
  char key[16];
  snprintf(key, sizeof key, "%u", iface);
  return wit_smap_get(&c->iface_scopes, key);
}

/* ---- gates ---- */

static bool stability_of(rcx *c, const wit_attrs *attrs, wit_stability *s) {
  memset(s, 0, sizeof *s);
  const wit_attr *a = attrs->items;
  uint32_t n = attrs->len;
  if (n == 0) return true;
  if (n == 1) {
    if (a[0].kind == WIT_ATTR_SINCE) {
      s->kind = WIT_STAB_STABLE;
      s->since = a[0].version;
    } else if (a[0].kind == WIT_ATTR_UNSTABLE) {
      s->kind = WIT_STAB_UNSTABLE;
      s->feature = a[0].feature.name;
    } else {
      return FAIL(c, a[0].span, "must pair @deprecated with either @since or @unstable");
    }
    return true;
  }
  if (n == 2) {
    const wit_attr *d = a[0].kind == WIT_ATTR_DEPRECATED ? &a[0] : &a[1];
    const wit_attr *o = d == &a[0] ? &a[1] : &a[0];
    if (d->kind == WIT_ATTR_DEPRECATED && o->kind != WIT_ATTR_DEPRECATED) {
      s->deprecated = d->version;
      if (o->kind == WIT_ATTR_SINCE) {
        s->kind = WIT_STAB_STABLE;
        s->since = o->version;
      } else {
        s->kind = WIT_STAB_UNSTABLE;
        s->feature = o->feature.name;
      }
      return true;
    }
  }
  return FAIL(c, a[1].span, "unsupported combination of attributes");
}

bool wit_include_stability(wit_resolve *r, const wit_stability *s, uint32_t pkg, wit_span span, kumi_error **err) {
  if (s->kind == WIT_STAB_UNKNOWN) return true;
  if (s->kind == WIT_STAB_UNSTABLE) {
    if (r->all_features) return true;
    for (uint32_t i = 0; i < r->features.len; i++)
      if (!strcmp(r->features.items[i], s->feature)) return true;
    return false;
  }
  const wit_package *p = &r->packages.items[pkg];
  if (p->version && wit_version_cmp(s->since, p->version) <= 0) return true;
  const char *pname = wit_package_name_string(&r->arena, p->ns, p->name, p->version);
  if (!pname) {
    *err = kb_error_oom();
    return false;
  }
  if (!p->version) {
    *err = wit_span_error(r, KUMI_ERR_INVALID, span,
                          "package [%s] contains a feature gate with a version specifier, so it must have a version",
                          pname);
    return false;
  }
  if (wit_version_cmp(s->since, p->version) > 0) {
    *err = wit_span_error(r, KUMI_ERR_INVALID, span,
                          "feature gate cannot reference unreleased version %s of package [%s] (current version %s)",
                          s->since->text, pname, p->version->text);
    return false;
  }
  return true;
}

/* Whether an item with stability s is kept; false with c->err on error. */
static bool kept(rcx *c, const wit_stability *s, wit_span span, bool *keep) {
  kumi_error *e = NULL;
  *keep = wit_include_stability(c->r, s, c->pkg, span, &e);
  if (e) {
    if (!c->err) c->err = e;
    else kumi_error_free(e);
    return false;
  }
  return true;
}

static bool excluded_ref(rcx *c, wit_span span, const char *what) {
  return FAIL(c, span, "found a reference to a %s which is excluded due to its feature not being activated", what);
}

/* ---- topological sort ----
 * Kahn's algorithm taking the ready node that came first in the input, as
 * wit-parser does, so input order survives where dependencies allow. */
typedef WIT_VEC(wit_id) edges_t;

static bool toposort(rcx *c, const char *kind, uint32_t n, const char *const *names, const edges_t *deps,
                     uint32_t *order) {
  wit_smap idx = {0};
  uint32_t *remaining = kb_arena_alloc(c->ar, sizeof *remaining * (n + 1));
  WIT_VEC(uint32_t) *rev = kb_arena_alloc(c->ar, sizeof *rev * (n + 1));
  uint32_t *heap = kb_arena_alloc(c->ar, sizeof *heap * (n + 1));
  if (!remaining || !rev || !heap) return oom(c);
  for (uint32_t i = 0; i < n; i++)
    if (!wit_smap_put(c->ar, &idx, names[i], (void *)(uintptr_t)(i + 1))) return oom(c);
  for (uint32_t i = 0; i < n; i++) {
    remaining[i] = deps[i].len;
    for (uint32_t k = 0; k < deps[i].len; k++) {
      uintptr_t j = (uintptr_t)wit_smap_get(&idx, deps[i].items[k].name);
      if (!j) return FAIL(c, deps[i].items[k].span, "%s `%s` does not exist", kind, deps[i].items[k].name);
      if (!wit_vec_push(c->ar, &rev[j - 1], i)) return oom(c);
    }
  }
  uint32_t hn = 0, out = 0;
#define HPUSH(v)                                                   \
  do {                                                             \
    uint32_t _k = hn++;                                            \
    heap[_k] = (v);                                                \
    while (_k && heap[(_k - 1) / 2] > heap[_k]) {                  \
      uint32_t _t = heap[_k];                                      \
      heap[_k] = heap[(_k - 1) / 2];                               \
      heap[(_k - 1) / 2] = _t;                                     \
      _k = (_k - 1) / 2;                                           \
    }                                                              \
  } while (0)
  for (uint32_t i = 0; i < n; i++)
    if (!remaining[i]) HPUSH(i);
  while (hn) {
    uint32_t top = heap[0];
    heap[0] = heap[--hn];
    for (uint32_t k = 0;;) {
      uint32_t l = 2 * k + 1, m = k;
      if (l < hn && heap[l] < heap[m]) m = l;
      if (l + 1 < hn && heap[l + 1] < heap[m]) m = l + 1;
      if (m == k) break;
      uint32_t t = heap[k];
      heap[k] = heap[m];
      heap[m] = t;
      k = m;
    }
    order[out++] = top;
    for (uint32_t k = 0; k < rev[top].len; k++) {
      uint32_t d = rev[top].items[k];
      if (--remaining[d] == 0) HPUSH(d);
    }
  }
#undef HPUSH
  if (out == n) return true;
  for (uint32_t i = 0; i < n; i++) {
    if (!remaining[i]) continue;
    for (uint32_t k = 0; k < deps[i].len; k++) {
      uintptr_t j = (uintptr_t)wit_smap_get(&idx, deps[i].items[k].name);
      if (remaining[j - 1]) return FAIL(c, deps[i].items[k].span, "%s `%s` depends on itself", kind, deps[i].items[k].name);
    }
  }
  return FAIL(c, deps[0].items[0].span, "%s dependency cycle", kind);
}

/* ---- anonymous types ---- */

wit_type wit_intern_anon(wit_resolve *r, const wit_typedef *td) {
  char buf[96];
  int n = snprintf(buf, sizeof buf, "%d:%u:%u:%u:", (int)td->kind, td->a, td->b, td->size);
  size_t len = (size_t)n + (size_t)td->ntypes * 11 + 1;
  char *key = kb_arena_alloc(&r->arena, len);
  if (!key) return WIT_T_NONE;
  memcpy(key, buf, (size_t)n);
  size_t o = (size_t)n;
  for (uint32_t i = 0; i < td->ntypes; i++) o += (size_t)snprintf(key + o, len - o, "%u,", td->types[i]);
  uintptr_t found = (uintptr_t)wit_smap_get(&r->anon, key);
  if (found) return wit_t_def((uint32_t)(found - 1));
  if (!wit_vec_push(&r->arena, &r->types, *td)) return WIT_T_NONE;
  uint32_t id = r->types.len - 1;
  if (!wit_smap_put(&r->arena, &r->anon, key, (void *)(uintptr_t)(id + 1))) return WIT_T_NONE;
  return wit_t_def(id);
}

static wit_type anon(rcx *c, wit_typedef_kind kind, wit_type a, wit_type b) {
  wit_typedef td;
  memset(&td, 0, sizeof td);
  td.kind = kind;
  td.a = a;
  td.b = b;
  wit_type t = wit_intern_anon(c->r, &td);
  if (t == WIT_T_NONE) oom(c);
  return t;
}

static uint32_t alloc_typedef(rcx *c, const wit_typedef *td) {
  if (!wit_vec_push(c->ar, &c->r->types, *td)) {
    oom(c);
    return WIT_NONE;
  }
  return c->r->types.len - 1;
}

/* Follows aliases; true when t names a resource. */
static bool is_resource(const wit_resolve *r, wit_type t, uint32_t *res) {
  for (int guard = 0; wit_t_is_def(t) && guard < 10000; guard++) {
    const wit_typedef *d = &r->types.items[wit_t_index(t)];
    if (d->kind == WIT_TD_RESOURCE) {
      if (res) *res = wit_t_index(t);
      return true;
    }
    if (d->kind != WIT_TD_ALIAS) return false;
    t = d->a;
  }
  return false;
}

/* ---- types ---- */

static bool lookup_type(rcx *c, scope *s, const wit_id *name, uint32_t *id) {
  sentry *e = wit_smap_get(&s->map, name->name);
  if (!e) return FAIL(c, name->span, "name `%s` is not defined", name->name);
  if (e->kind == S_FUNC) return FAIL(c, name->span, "cannot use function `%s` as a type", name->name);
  if (e->excluded && !c->in_excluded) return excluded_ref(c, name->span, "type");
  *id = e->id;
  return true;
}

static bool resolve_type(rcx *c, scope *s, const wit_ast_type *t, wit_type *out);

static bool opt_type(rcx *c, scope *s, const wit_ast_type *t, wit_type *out) {
  *out = WIT_T_NONE;
  return !t || resolve_type(c, s, t, out);
}

static bool validate_resource(rcx *c, scope *s, const wit_id *name, uint32_t *id) {
  TRY(lookup_type(c, s, name, id));
  if (!is_resource(c->r, wit_t_def(*id), NULL))
    return FAIL(c, name->span, "type `%s` used in a handle must be a resource", name->name);
  return true;
}

static bool is_map_key(wit_type t) {
  return t == WIT_T_BOOL || (t >= WIT_T_U8 && t <= WIT_T_S64) || t == WIT_T_CHAR || t == WIT_T_STRING;
}

static bool check_unique_cases(rcx *c, const wit_ast_type *t, const char *what) {
  wit_smap seen = {0};
  for (uint32_t i = 0; i < t->cases.len; i++) {
    const wit_id *n = &t->cases.items[i].name;
    if (wit_smap_get(&seen, n->name)) return FAIL(c, n->span, "%s `%s` is defined more than once", what, n->name);
    if (!wit_smap_put(c->ar, &seen, n->name, (void *)1)) return oom(c);
  }
  return true;
}

/* The definition of a type from its syntax (the body of a named type, or an
 * anonymous type before interning). */
static bool resolve_def(rcx *c, scope *s, const wit_ast_type *t, wit_typedef *td) {
  memset(td, 0, sizeof *td);
  uint32_t id;
  switch (t->kind) {
  case WA_PRIM:
    td->kind = WIT_TD_ALIAS;
    td->a = t->prim;
    return true;
  case WA_NAME:
    TRY(lookup_type(c, s, &t->name, &id));
    td->kind = WIT_TD_ALIAS;
    td->a = wit_t_def(id);
    return true;
  case WA_LIST:
  case WA_FIXED_LIST:
  case WA_OPTION:
    td->kind = t->kind == WA_LIST ? WIT_TD_LIST : t->kind == WA_OPTION ? WIT_TD_OPTION : WIT_TD_FIXED_LIST;
    td->size = t->size;
    return resolve_type(c, s, t->a, &td->a);
  case WA_FUTURE:
  case WA_STREAM:
    td->kind = t->kind == WA_FUTURE ? WIT_TD_FUTURE : WIT_TD_STREAM;
    return opt_type(c, s, t->a, &td->a);
  case WA_RESULT:
    td->kind = WIT_TD_RESULT;
    TRY(opt_type(c, s, t->a, &td->a));
    return opt_type(c, s, t->b, &td->b);
  case WA_MAP:
    td->kind = WIT_TD_MAP;
    TRY(resolve_type(c, s, t->a, &td->a));
    TRY(resolve_type(c, s, t->b, &td->b));
    if (!is_map_key(td->a))
      return FAIL(c, t->span,
                  "invalid map key type: map keys must be bool, u8, u16, u32, u64, s8, s16, s32, s64, char, or string");
    return true;
  case WA_OWN:
  case WA_BORROW:
    TRY(validate_resource(c, s, &t->name, &id));
    td->kind = t->kind == WA_OWN ? WIT_TD_OWN : WIT_TD_BORROW;
    td->a = wit_t_def(id);
    return true;
  case WA_TUPLE:
    if (!t->types.len) return FAIL(c, t->span, "empty tuple");
    td->kind = WIT_TD_TUPLE;
    td->ntypes = t->types.len;
    if (!(td->types = kb_arena_alloc(c->ar, sizeof *td->types * t->types.len))) return oom(c);
    for (uint32_t i = 0; i < t->types.len; i++) TRY(resolve_type(c, s, t->types.items[i], &td->types[i]));
    return true;
  case WA_RECORD:
  case WA_FLAGS:
  case WA_VARIANT:
  case WA_ENUM: {
    static const char *const empty[] = {"empty record", "empty flags", "empty variant", "empty enum"};
    static const char *const what[] = {"field", "flag", "case", "case"};
    static const wit_typedef_kind kinds[] = {WIT_TD_RECORD, WIT_TD_FLAGS, WIT_TD_VARIANT, WIT_TD_ENUM};
    int k = t->kind - WA_RECORD;
    if (!t->cases.len) return FAIL(c, t->span, "%s", empty[k]);
    TRY(check_unique_cases(c, t, what[k]));
    td->kind = kinds[k];
    td->ncases = t->cases.len;
    if (!(td->cases = kb_arena_alloc(c->ar, sizeof *td->cases * t->cases.len))) return oom(c);
    for (uint32_t i = 0; i < t->cases.len; i++) {
      td->cases[i].name = t->cases.items[i].name.name;
      td->cases[i].docs = t->cases.items[i].docs;
      TRY(opt_type(c, s, t->cases.items[i].type, &td->cases[i].type));
    }
    return true;
  }
  case WA_RESOURCE: {
    bool ctor = false;
    wit_smap seen = {0};
    for (uint32_t i = 0; i < t->funcs.len; i++) {
      const wit_ast_named_func *f = &t->funcs.items[i];
      if (f->kind == WIT_RF_CONSTRUCTOR) {
        if (ctor) return FAIL(c, f->name.span, "duplicate constructors");
        ctor = true;
        continue;
      }
      if (wit_smap_get(&seen, f->name.name)) return FAIL(c, f->name.span, "duplicate function name `%s`", f->name.name);
      if (!wit_smap_put(c->ar, &seen, f->name.name, (void *)1)) return oom(c);
    }
    td->kind = WIT_TD_RESOURCE;
    return true;
  }
  }
  return FAIL(c, t->span, "unsupported type");
}

static bool resolve_type(rcx *c, scope *s, const wit_ast_type *t, wit_type *out) {
  if (t->kind == WA_PRIM) {
    *out = t->prim;
    return true;
  }
  if (t->kind == WA_NAME || t->kind == WA_OWN) {
    uint32_t id;
    if (t->kind == WA_OWN) TRY(validate_resource(c, s, &t->name, &id));
    else TRY(lookup_type(c, s, &t->name, &id));
    /* A name standing for a resource is an owned handle to it. */
    if (is_resource(c->r, wit_t_def(id), NULL)) {
      *out = anon(c, WIT_TD_OWN, wit_t_def(id), WIT_T_NONE);
      return *out != WIT_T_NONE;
    }
    *out = wit_t_def(id);
    return true;
  }
  wit_typedef td;
  TRY(resolve_def(c, s, t, &td));
  *out = wit_intern_anon(c->r, &td);
  return *out != WIT_T_NONE || oom(c);
}

static bool has_borrow(const wit_resolve *r, wit_type t, int depth) {
  if (!wit_t_is_def(t) || depth > 200) return false;
  const wit_typedef *d = &r->types.items[wit_t_index(t)];
  switch (d->kind) {
  case WIT_TD_BORROW: return true;
  case WIT_TD_ALIAS:
  case WIT_TD_OPTION:
  case WIT_TD_LIST:
  case WIT_TD_FIXED_LIST:
  case WIT_TD_FUTURE:
  case WIT_TD_STREAM: return has_borrow(r, d->a, depth + 1);
  case WIT_TD_RESULT:
  case WIT_TD_MAP: return has_borrow(r, d->a, depth + 1) || has_borrow(r, d->b, depth + 1);
  case WIT_TD_TUPLE:
    for (uint32_t i = 0; i < d->ntypes; i++)
      if (has_borrow(r, d->types[i], depth + 1)) return true;
    return false;
  case WIT_TD_RECORD:
  case WIT_TD_VARIANT:
    for (uint32_t i = 0; i < d->ncases; i++)
      if (has_borrow(r, d->cases[i].type, depth + 1)) return true;
    return false;
  default: return false;
  }
}

/* ---- functions ---- */

static char *concat3(rcx *c, const char *a, const char *b, const char *d) {
  size_t x = strlen(a), y = strlen(b), z = strlen(d);
  char *s = kb_arena_alloc(c->ar, x + y + z + 1);
  if (!s) {
    oom(c);
    return NULL;
  }
  memcpy(s, a, x);
  memcpy(s + x, b, y);
  memcpy(s + x + y, d, z);
  s[x + y + z] = 0;
  return s;
}

static bool resolve_function(rcx *c, scope *s, const wit_ast_named_func *nf, const char *resource_name,
                             uint32_t resource, wit_func *f) {
  memset(f, 0, sizeof *f);
  f->docs = nf->docs;
  TRY(stability_of(c, &nf->attrs, &f->stability));
  f->is_async = nf->func.is_async;
  f->resource = resource;
  switch (nf->kind) {
  case WIT_RF_FREESTANDING:
    f->kind = WIT_FUNC_FREESTANDING;
    f->name = nf->name.name;
    break;
  case WIT_RF_METHOD:
    f->kind = WIT_FUNC_METHOD;
    TRY(f->name = concat3(c, "[method]", resource_name, "."));
    TRY(f->name = concat3(c, f->name, nf->name.name, ""));
    break;
  case WIT_RF_STATIC:
    f->kind = WIT_FUNC_STATIC;
    TRY(f->name = concat3(c, "[static]", resource_name, "."));
    TRY(f->name = concat3(c, f->name, nf->name.name, ""));
    break;
  case WIT_RF_CONSTRUCTOR:
    f->kind = WIT_FUNC_CONSTRUCTOR;
    TRY(f->name = concat3(c, "[constructor]", resource_name, ""));
    break;
  }
  uint32_t n = nf->func.params.len + (f->kind == WIT_FUNC_METHOD);
  if (!(f->params = kb_arena_alloc(c->ar, sizeof *f->params * (n + 1)))) return oom(c);
  wit_smap seen = {0};
  if (f->kind == WIT_FUNC_METHOD) {
    f->params[f->nparams].name = "self";
    TRY((f->params[f->nparams].type = anon(c, WIT_TD_BORROW, wit_t_def(resource), WIT_T_NONE)) != WIT_T_NONE);
    f->nparams++;
    if (!wit_smap_put(c->ar, &seen, "self", (void *)1)) return oom(c);
  }
  for (uint32_t i = 0; i < nf->func.params.len; i++) {
    const wit_ast_param *p = &nf->func.params.items[i];
    if (wit_smap_get(&seen, p->name.name)) return FAIL(c, p->name.span, "param `%s` is defined more than once", p->name.name);
    if (!wit_smap_put(c->ar, &seen, p->name.name, (void *)1)) return oom(c);
    f->params[f->nparams].name = p->name.name;
    TRY(resolve_type(c, s, p->type, &f->params[f->nparams].type));
    f->nparams++;
  }
  if (f->kind == WIT_FUNC_CONSTRUCTOR) {
    if (!nf->func.result) {
      TRY((f->result = anon(c, WIT_TD_OWN, wit_t_def(resource), WIT_T_NONE)) != WIT_T_NONE);
    } else {
      TRY(resolve_type(c, s, nf->func.result, &f->result));
      const wit_typedef *d = wit_t_is_def(f->result) ? &c->r->types.items[wit_t_index(f->result)] : NULL;
      if (!d || d->kind != WIT_TD_RESULT || d->name)
        return FAIL(c, nf->func.result->span, "if a constructor return type is declared it must be a `result`");
      const wit_typedef *ok = wit_t_is_def(d->a) ? &c->r->types.items[wit_t_index(d->a)] : NULL;
      if (!ok || ok->kind != WIT_TD_OWN || ok->a != wit_t_def(resource)) {
        wit_span sp = nf->func.result->a ? nf->func.result->a->span : nf->func.result->span;
        return FAIL(c, sp, "the `ok` type must be the resource being constructed");
      }
    }
  } else if (nf->func.result) {
    TRY(resolve_type(c, s, nf->func.result, &f->result));
  }
  if (f->result != WIT_T_NONE && has_borrow(c->r, f->result, 0))
    return FAIL(c, nf->name.span, "function returns a type which contains a `borrow<T>` which is not supported");
  return true;
}

/* ---- paths ---- */

static uint32_t find_package(const wit_resolve *r, const wit_ast_pkgname *n) {
  for (uint32_t i = 0; i < r->packages.len; i++) {
    const wit_package *p = &r->packages.items[i];
    if (strcmp(p->ns, n->ns.name) || strcmp(p->name, n->name.name)) continue;
    if ((p->version == NULL) != (n->version == NULL)) continue;
    if (p->version && strcmp(p->version->text, n->version->text)) continue;
    return i;
  }
  return WIT_NONE;
}

static bool resolve_foreign(rcx *c, const wit_ast_path *path, bool want_world, uint32_t *id) {
  const wit_ast_pkgname *pn = &path->pkg;
  const char *key = wit_package_name_string(c->ar, pn->ns.name, pn->name.name, pn->version);
  if (!key) return oom(c);
  uint32_t pkg = find_package(c->r, pn);
  if (pkg == WIT_NONE) return FAIL(c, pn->span, "package `%s` not found", key);
  const wit_package *p = &c->r->packages.items[pkg];
  if (!want_world) {
    for (uint32_t i = 0; i < p->ninterfaces; i++) {
      if (!strcmp(c->r->interfaces.items[p->interfaces[i]].name, path->name.name)) {
        *id = p->interfaces[i];
        return true;
      }
    }
    for (uint32_t i = 0; i < p->nworlds; i++)
      if (!strcmp(c->r->worlds.items[p->worlds[i]].name, path->name.name))
        return FAIL(c, path->name.span, "name `%s` is defined as a world, not an interface", path->name.name);
    return FAIL(c, path->name.span, "interface `%s` not found in package `%s`", path->name.name, key);
  }
  for (uint32_t i = 0; i < p->nworlds; i++) {
    if (!strcmp(c->r->worlds.items[p->worlds[i]].name, path->name.name)) {
      *id = p->worlds[i];
      return true;
    }
  }
  for (uint32_t i = 0; i < p->ninterfaces; i++)
    if (!strcmp(c->r->interfaces.items[p->interfaces[i]].name, path->name.name))
      return FAIL(c, path->name.span, "name `%s` is defined as an interface, not a world", path->name.name);
  return FAIL(c, path->name.span, "world `%s` not found in package `%s`", path->name.name, key);
}

/* Resolves a use-path to an interface (or a world); a local item left out
 * by its gate may only be used from items left out too. */
static bool resolve_path(rcx *c, const wit_ast_path *path, bool want_world, uint32_t *id) {
  if (path->foreign) return resolve_foreign(c, path, want_world, id);
  pitem *it = wit_smap_get(&c->file_ns[c->cur_file], path->name.name);
  if (!it) it = wit_smap_get(&c->items, path->name.name);
  if (!it) return FAIL(c, path->name.span, "interface or world `%s` does not exist", path->name.name);
  if (it->kind == P_FOREIGN) return resolve_foreign(c, it->foreign, want_world, id);
  if (it->kind == P_WORLD && !want_world)
    return FAIL(c, path->name.span, "name `%s` is defined as a world, not an interface", path->name.name);
  if (it->kind == P_IFACE && want_world)
    return FAIL(c, path->name.span, "name `%s` is defined as an interface, not a world", path->name.name);
  if (it->excluded && !c->in_excluded) return excluded_ref(c, path->name.span, want_world ? "world" : "interface");
  *id = it->id;
  return true;
}

/* ---- uses and type definitions ---- */

static bool resolve_use(rcx *c, scope *s, wit_owner_kind ok, uint32_t owner, const wit_ast_use *u) {
  uint32_t from;
  TRY(resolve_path(c, &u->from, false, &from));
  wit_stability st;
  TRY(stability_of(c, &u->attrs, &st));
  bool keep;
  wit_span sp = u->from.name.span;
  TRY(kept(c, &st, sp, &keep));
  bool saved = c->in_excluded;
  if (!keep) c->in_excluded = true;
  scope *src = get_iface_scope(c, from);
  for (uint32_t i = 0; i < u->names.len; i++) {
    const wit_ast_use_name *n = &u->names.items[i];
    uint32_t tid = WIT_NONE;
    if (src) {
      sentry *e = wit_smap_get(&src->map, n->name.name);
      if (!e) return FAIL(c, n->name.span, "name `%s` is not defined", n->name.name);
      if (e->kind == S_FUNC) return FAIL(c, n->name.span, "cannot import function `%s`", n->name.name);
      if (e->excluded && !c->in_excluded) return excluded_ref(c, n->name.span, "type");
      tid = e->id;
    } else {
      const wit_interface *fi = &c->r->interfaces.items[from];
      for (uint32_t k = 0; k < fi->ntypes; k++)
        if (!strcmp(fi->types[k].name, n->name.name)) tid = fi->types[k].id;
      if (tid == WIT_NONE) return FAIL(c, n->name.span, "type `%s` not defined in interface", n->name.name);
    }
    const wit_id *name = n->as.name ? &n->as : &n->name;
    wit_typedef td;
    memset(&td, 0, sizeof td);
    td.kind = WIT_TD_ALIAS;
    td.a = wit_t_def(tid);
    td.name = name->name;
    td.owner_kind = ok;
    td.owner = owner;
    td.stability = st;
    uint32_t id = alloc_typedef(c, &td);
    if (id == WIT_NONE) return false;
    TRY(scope_define(c, s, name, S_TYPE, id, !keep || saved));
  }
  c->in_excluded = saved;
  return true;
}

static void collect_deps(const wit_ast_type *t, edges_t *deps, kb_arena *ar, bool *fail) {
  if (!t) return;
  switch (t->kind) {
  case WA_NAME:
  case WA_OWN:
  case WA_BORROW:
    if (!wit_vec_push(ar, deps, t->name)) *fail = true;
    return;
  case WA_TUPLE:
    for (uint32_t i = 0; i < t->types.len; i++) collect_deps(t->types.items[i], deps, ar, fail);
    return;
  case WA_RECORD:
  case WA_VARIANT:
    for (uint32_t i = 0; i < t->cases.len; i++) collect_deps(t->cases.items[i].type, deps, ar, fail);
    return;
  default:
    collect_deps(t->a, deps, ar, fail);
    collect_deps(t->b, deps, ar, fail);
  }
}

/* `use`s and type definitions of an interface or world, in wit-parser's
 * order: uses first, then definitions sorted topologically. */
static bool resolve_types(rcx *c, scope *s, wit_owner_kind ok, uint32_t owner, const wit_ast_use *const *uses,
                          uint32_t nuses, const wit_ast_typedef *const *defs, uint32_t ndefs,
                          const uint32_t *item_order, uint32_t nitems) {
  for (uint32_t i = 0; i < nuses; i++) TRY(resolve_use(c, s, ok, owner, uses[i]));
  /* Nodes in source order: use names (no dependencies) and definitions. */
  uint32_t n = 0;
  for (uint32_t i = 0; i < nuses; i++) n += uses[i]->names.len;
  n += ndefs;
  const char **names = kb_arena_alloc(c->ar, sizeof *names * (n + 1));
  edges_t *deps = kb_arena_alloc(c->ar, sizeof *deps * (n + 1));
  const wit_ast_typedef **node_def = kb_arena_alloc(c->ar, sizeof *node_def * (n + 1));
  uint32_t *order = kb_arena_alloc(c->ar, sizeof *order * (n + 1));
  if (!names || !deps || !node_def || !order) return oom(c);
  wit_smap pos = {0};
  uint32_t m = 0, ui = 0, di = 0;
  for (uint32_t k = 0; k < nitems; k++) {
    if (item_order[k] == 0) {
      const wit_ast_use *u = uses[ui++];
      for (uint32_t j = 0; j < u->names.len; j++) {
        const char *nm = u->names.items[j].as.name ? u->names.items[j].as.name : u->names.items[j].name.name;
        uintptr_t prev = (uintptr_t)wit_smap_get(&pos, nm);
        if (prev) continue; /* already reported by resolve_use */
        names[m] = nm;
        node_def[m] = NULL;
        if (!wit_smap_put(c->ar, &pos, nm, (void *)(uintptr_t)(m + 1))) return oom(c);
        m++;
      }
    } else {
      const wit_ast_typedef *d = defs[di++];
      if (wit_smap_get(&pos, d->name.name))
        return FAIL(c, d->name.span, "name `%s` is defined more than once", d->name.name);
      names[m] = d->name.name;
      node_def[m] = d;
      bool f = false;
      if (d->type->kind != WA_RESOURCE) collect_deps(d->type, &deps[m], c->ar, &f);
      if (f) return oom(c);
      if (!wit_smap_put(c->ar, &pos, d->name.name, (void *)(uintptr_t)(m + 1))) return oom(c);
      m++;
    }
  }
  TRY(toposort(c, "type", m, names, deps, order));
  for (uint32_t k = 0; k < m; k++) {
    const wit_ast_typedef *d = node_def[order[k]];
    if (!d) continue;
    wit_typedef td;
    wit_stability st;
    TRY(stability_of(c, &d->attrs, &st));
    bool keep;
    TRY(kept(c, &st, d->name.span, &keep));
    bool saved = c->in_excluded;
    if (!keep) c->in_excluded = true;
    TRY(resolve_def(c, s, d->type, &td));
    c->in_excluded = saved;
    td.name = d->name.name;
    td.owner_kind = ok;
    td.owner = owner;
    td.docs = d->docs;
    td.stability = st;
    uint32_t id = alloc_typedef(c, &td);
    if (id == WIT_NONE) return false;
    TRY(scope_define(c, s, &d->name, S_TYPE, id, !keep || saved));
  }
  return true;
}

/* ---- interfaces ---- */

static bool resolve_interface(rcx *c, uint32_t id, const wit_ast_iitems *items, wit_docs docs, const wit_attrs *attrs,
                              bool excluded) {
  wit_interface *iface = &c->r->interfaces.items[id];
  iface->docs = docs;
  TRY(stability_of(c, attrs, &iface->stability));
  scope *s = new_scope(c);
  if (!s) return false;
  TRY(set_iface_scope(c, id, s));
  bool saved = c->in_excluded;
  if (excluded) c->in_excluded = true;
  uint32_t nuses = 0, ndefs = 0, nitems = 0;
  for (uint32_t i = 0; i < items->len; i++) {
    if (items->items[i].kind == WIT_II_USE) nuses++;
    if (items->items[i].kind == WIT_II_TYPEDEF) ndefs++;
  }
  const wit_ast_use **uses = kb_arena_alloc(c->ar, sizeof *uses * (nuses + 1));
  const wit_ast_typedef **defs = kb_arena_alloc(c->ar, sizeof *defs * (ndefs + 1));
  uint32_t *ord = kb_arena_alloc(c->ar, sizeof *ord * (nuses + ndefs + 1));
  if (!uses || !defs || !ord) return oom(c);
  nuses = ndefs = 0;
  for (uint32_t i = 0; i < items->len; i++) {
    if (items->items[i].kind == WIT_II_USE) {
      uses[nuses++] = &items->items[i].use;
      ord[nitems++] = 0;
    } else if (items->items[i].kind == WIT_II_TYPEDEF) {
      defs[ndefs++] = &items->items[i].td;
      ord[nitems++] = 1;
    }
  }
  TRY(resolve_types(c, s, WIT_OWNER_INTERFACE, id, uses, nuses, defs, ndefs, ord, nitems));
  for (uint32_t i = 0; i < s->order.len; i++) {
    sentry *e = wit_smap_get(&s->map, s->order.items[i]);
    if (e->excluded && !excluded) continue;
    iface = &c->r->interfaces.items[id];
    wit_named nm = {s->order.items[i], e->id};
    if (!wit_arr_push(c->ar, iface->types, iface->ntypes, iface->types_cap, nm)) return oom(c);
  }
  for (uint32_t i = 0; i < items->len; i++) {
    const wit_ast_iitem *it = &items->items[i];
    if (it->kind == WIT_II_FUNC) {
      TRY(scope_define(c, s, &it->func.name, S_FUNC, 0, false));
      wit_func f;
      wit_stability st;
      TRY(stability_of(c, &it->func.attrs, &st));
      bool keep;
      TRY(kept(c, &st, it->func.name.span, &keep));
      bool sv = c->in_excluded;
      if (!keep) c->in_excluded = true;
      TRY(resolve_function(c, s, &it->func, NULL, WIT_NONE, &f));
      c->in_excluded = sv;
      iface = &c->r->interfaces.items[id];
      if (keep && !wit_arr_push(c->ar, iface->funcs, iface->nfuncs, iface->funcs_cap, f)) return oom(c);
    } else if (it->kind == WIT_II_TYPEDEF && it->td.type->kind == WA_RESOURCE) {
      sentry *e = wit_smap_get(&s->map, it->td.name.name);
      bool res_excluded = e->excluded && !excluded;
      for (uint32_t k = 0; k < it->td.type->funcs.len; k++) {
        const wit_ast_named_func *nf = &it->td.type->funcs.items[k];
        wit_stability st;
        TRY(stability_of(c, &nf->attrs, &st));
        bool keep;
        TRY(kept(c, &st, nf->name.span, &keep));
        bool sv = c->in_excluded;
        if (!keep || res_excluded) c->in_excluded = true;
        wit_func f;
        TRY(resolve_function(c, s, nf, it->td.name.name, e->id, &f));
        c->in_excluded = sv;
        iface = &c->r->interfaces.items[id];
        if (keep && !res_excluded && !wit_arr_push(c->ar, iface->funcs, iface->nfuncs, iface->funcs_cap, f))
          return oom(c);
      }
    }
  }
  c->in_excluded = saved;
  return true;
}

/* ---- worlds ---- */

static bool same_key(const wit_world_item *a, const wit_world_item *b) {
  if ((a->name == NULL) != (b->name == NULL)) return false;
  return a->name ? !strcmp(a->name, b->name) : a->id == b->id;
}

typedef struct pending {
  wit_world_item item;
  bool keep;
  wit_span span;
} pending;
typedef WIT_VEC(pending) pending_vec;

static const char *item_desc(const wit_world_item *it) {
  return it->kind == WIT_ITEM_INTERFACE ? "interface" : it->kind == WIT_ITEM_FUNC ? "func" : "type";
}

static bool add_item(rcx *c, pending_vec *v, const pending *p, const char *desc) {
  for (uint32_t i = 0; i < v->len; i++) {
    if (!same_key(&v->items[i].item, &p->item)) continue;
    if (p->item.kind == WIT_ITEM_TYPE)
      return FAIL(c, p->span, "import `%s` conflicts with prior import of same name", p->item.name);
    if (!p->item.name) return FAIL(c, p->span, "interface cannot be %sed more than once", desc);
    return FAIL(c, p->span, "%s `%s` conflicts with prior %s of same name", desc, p->item.name,
                item_desc(&v->items[i].item));
  }
  return wit_vec_push(c->ar, v, *p) || oom(c);
}

static bool resolve_world(rcx *c, uint32_t id, const wit_ast_world *w, bool excluded, wit_include **incs_out,
                          uint32_t *ninc_out) {
  wit_world *world = &c->r->worlds.items[id];
  world->docs = w->docs;
  TRY(stability_of(c, &w->attrs, &world->stability));
  bool saved = c->in_excluded;
  if (excluded) c->in_excluded = true;
  scope *s = new_scope(c);
  if (!s) return false;
  uint32_t nuses = 0, ndefs = 0, nitems = 0, ninc = 0;
  for (uint32_t i = 0; i < w->items.len; i++) {
    wit_witem_kind k = w->items.items[i].kind;
    nuses += k == WIT_WI_USE;
    ndefs += k == WIT_WI_TYPEDEF;
    ninc += k == WIT_WI_INCLUDE;
  }
  const wit_ast_use **uses = kb_arena_alloc(c->ar, sizeof *uses * (nuses + 1));
  const wit_ast_typedef **defs = kb_arena_alloc(c->ar, sizeof *defs * (ndefs + 1));
  uint32_t *ord = kb_arena_alloc(c->ar, sizeof *ord * (nuses + ndefs + 1));
  wit_include *incs = kb_arena_alloc(c->ar, sizeof *incs * (ninc + 1));
  if (!uses || !defs || !ord || !incs) return oom(c);
  nuses = ndefs = ninc = 0;
  for (uint32_t i = 0; i < w->items.len; i++) {
    const wit_ast_witem *it = &w->items.items[i];
    if (it->kind == WIT_WI_USE) {
      uses[nuses++] = &it->use;
      ord[nitems++] = 0;
    } else if (it->kind == WIT_WI_TYPEDEF) {
      defs[ndefs++] = &it->td;
      ord[nitems++] = 1;
    }
  }
  TRY(resolve_types(c, s, WIT_OWNER_WORLD, id, uses, nuses, defs, ndefs, ord, nitems));
  for (uint32_t i = 0; i < w->items.len; i++) {
    const wit_ast_witem *it = &w->items.items[i];
    if (it->kind != WIT_WI_INCLUDE) continue;
    wit_include *inc = &incs[ninc];
    TRY(stability_of(c, &it->attrs, &inc->stability));
    TRY(resolve_path(c, &it->include, true, &inc->world));
    inc->span = it->include.name.span;
    inc->names.items = it->with.items;
    inc->names.len = inc->names.cap = it->with.len;
    bool keep;
    TRY(kept(c, &inc->stability, inc->span, &keep));
    if (keep && !excluded) ninc++;
  }
  pending_vec imports = {0}, exports = {0};
  for (uint32_t i = 0; i < s->order.len; i++) {
    sentry *e = wit_smap_get(&s->map, s->order.items[i]);
    pending p;
    memset(&p, 0, sizeof p);
    p.item.kind = WIT_ITEM_TYPE;
    p.item.name = s->order.items[i];
    p.item.id = e->id;
    p.keep = !e->excluded || excluded;
    p.span = e->span;
    TRY(add_item(c, &imports, &p, "import"));
  }
  for (uint32_t i = 0; i < w->items.len; i++) {
    const wit_ast_witem *it = &w->items.items[i];
    pending p;
    memset(&p, 0, sizeof p);
    if (it->kind == WIT_WI_TYPEDEF && it->td.type->kind == WA_RESOURCE) {
      sentry *e = wit_smap_get(&s->map, it->td.name.name);
      for (uint32_t k = 0; k < it->td.type->funcs.len; k++) {
        const wit_ast_named_func *nf = &it->td.type->funcs.items[k];
        wit_stability st;
        TRY(stability_of(c, &nf->attrs, &st));
        bool keep;
        TRY(kept(c, &st, nf->name.span, &keep));
        keep = keep && (!e->excluded || excluded);
        bool sv = c->in_excluded;
        if (!keep) c->in_excluded = true;
        memset(&p, 0, sizeof p);
        p.item.kind = WIT_ITEM_FUNC;
        TRY(resolve_function(c, s, nf, it->td.name.name, e->id, &p.item.func));
        c->in_excluded = sv;
        p.item.name = p.item.func.name;
        p.keep = keep;
        p.span = nf->name.span;
        TRY(add_item(c, &imports, &p, "import"));
      }
      continue;
    }
    if (it->kind != WIT_WI_IMPORT && it->kind != WIT_WI_EXPORT) continue;
    const char *desc = it->kind == WIT_WI_IMPORT ? "import" : "export";
    const wit_ast_extern *e = &it->ext;
    wit_stability st;
    TRY(stability_of(c, &it->attrs, &st));
    bool keep;
    wit_span sp = e->kind == WIT_EXT_PATH ? e->path.name.span : e->name.span;
    TRY(kept(c, &st, sp, &keep));
    bool sv = c->in_excluded;
    if (!keep) c->in_excluded = true;
    p.span = sp;
    p.keep = keep;
    if (e->kind == WIT_EXT_INTERFACE) {
      wit_interface ni;
      memset(&ni, 0, sizeof ni);
      ni.package = c->pkg;
      if (!wit_vec_push(c->ar, &c->r->interfaces, ni)) return oom(c);
      uint32_t iid = c->r->interfaces.len - 1;
      TRY(resolve_interface(c, iid, &e->items, it->docs, &it->attrs, !keep || c->in_excluded));
      p.item.kind = WIT_ITEM_INTERFACE;
      p.item.name = e->name.name;
      p.item.id = iid;
      p.item.stability = c->r->interfaces.items[iid].stability;
    } else if (e->kind == WIT_EXT_PATH) {
      p.item.kind = WIT_ITEM_INTERFACE;
      TRY(resolve_path(c, &e->path, false, &p.item.id));
      p.item.stability = st;
    } else {
      wit_ast_named_func nf;
      memset(&nf, 0, sizeof nf);
      nf.docs = it->docs;
      nf.attrs = it->attrs;
      nf.name = e->name;
      nf.kind = WIT_RF_FREESTANDING;
      nf.func = e->func;
      p.item.kind = WIT_ITEM_FUNC;
      TRY(resolve_function(c, s, &nf, NULL, WIT_NONE, &p.item.func));
      p.item.name = p.item.func.name;
    }
    c->in_excluded = sv;
    TRY(add_item(c, it->kind == WIT_WI_IMPORT ? &imports : &exports, &p, desc));
  }
  world = &c->r->worlds.items[id];
  for (uint32_t i = 0; i < imports.len; i++)
    if (imports.items[i].keep &&
        !wit_arr_push(c->ar, world->imports, world->nimports, world->imports_cap, imports.items[i].item))
      return oom(c);
  for (uint32_t i = 0; i < exports.len; i++)
    if (exports.items[i].keep &&
        !wit_arr_push(c->ar, world->exports, world->nexports, world->exports_cap, exports.items[i].item))
      return oom(c);
  c->in_excluded = saved;
  *incs_out = incs;
  *ninc_out = ninc;
  return true;
}

/* ---- the package ---- */

/* Calls f for every use-path of a declaration list that orders interfaces:
 * `use`s inside interfaces (from = the interface) and `include`s of worlds
 * (from = the world). */
typedef bool (*path_fn)(rcx *c, const wit_id *from, const wit_ast_path *path, edges_t *edges);

static bool add_edge(rcx *c, const wit_id *from, const wit_ast_path *path, edges_t *edges) {
  (void)from;
  if (path->foreign) return true;
  pitem *it = wit_smap_get(&c->file_ns[c->cur_file], path->name.name);
  if (it) {
    if (it->kind == P_FOREIGN) return true;
    /* A local top-level `use x as y` depends on x; the edge keeps the
     * span of the path for messages. */
    wit_id e = path->name;
    if (it->ai) e.name = it->ai->name.name;
    else if (it->aw) e.name = it->aw->name.name;
    return wit_vec_push(c->ar, edges, e) || oom(c);
  }
  if (!wit_smap_get(&c->items, path->name.name))
    return FAIL(c, path->name.span, "interface or world `%s` not found in package", path->name.name);
  return wit_vec_push(c->ar, edges, path->name) || oom(c);
}

kumi_error *wit_resolve_package(wit_resolve *r, wit_unresolved *u, uint32_t *pkg_id) {
  rcx cx;
  rcx *c = &cx;
  memset(c, 0, sizeof cx);
  c->r = r;
  c->ar = &r->arena;
  wit_package pk;
  memset(&pk, 0, sizeof pk);
  pk.ns = u->name.ns.name;
  pk.name = u->name.name.name;
  pk.version = u->name.version;
  pk.docs = u->docs;
  if (!wit_vec_push(c->ar, &r->packages, pk)) return kb_error_oom();
  c->pkg = r->packages.len - 1;
  uint32_t nfiles = u->files.len;
  c->file_ns = kb_arena_alloc(c->ar, sizeof *c->file_ns * (nfiles + 1));
  if (!c->file_ns) return kb_error_oom();

  /* Package items, unique across files; the order of first appearance. */
  WIT_VEC(pitem *) all = {0};
  for (uint32_t f = 0; f < nfiles; f++) {
    const wit_ast_decls *d = u->files.items[f];
    for (uint32_t i = 0; i < d->items.len; i++) {
      const wit_ast_titem *ti = &d->items.items[i];
      if (ti->kind != WIT_TI_INTERFACE && ti->kind != WIT_TI_WORLD) continue;
      const wit_id *name = ti->kind == WIT_TI_INTERFACE ? &ti->iface->name : &ti->world->name;
      if (wit_smap_get(&c->items, name->name)) {
        FAIL(c, name->span, "duplicate item named `%s`", name->name);
        return c->err;
      }
      pitem *it = kb_arena_alloc(c->ar, sizeof *it);
      if (!it) return kb_error_oom();
      it->kind = ti->kind == WIT_TI_INTERFACE ? P_IFACE : P_WORLD;
      it->ai = ti->iface;
      it->aw = ti->world;
      it->file = f;
      it->span = name->span;
      if (!wit_smap_put(c->ar, &c->items, name->name, it) || !wit_vec_push(c->ar, &all, it)) return kb_error_oom();
    }
  }
  /* Each file's namespace, and dependencies between items. */
  edges_t *deps = kb_arena_alloc(c->ar, sizeof *deps * (all.len + 1));
  const char **names = kb_arena_alloc(c->ar, sizeof *names * (all.len + 1));
  uint32_t *order = kb_arena_alloc(c->ar, sizeof *order * (all.len + 1));
  if (!deps || !names || !order) return kb_error_oom();
  for (uint32_t i = 0; i < all.len; i++) names[i] = all.items[i]->ai ? all.items[i]->ai->name.name : all.items[i]->aw->name.name;
  for (uint32_t f = 0; f < nfiles; f++) {
    const wit_ast_decls *d = u->files.items[f];
    c->cur_file = f;
    for (uint32_t i = 0; i < d->items.len; i++) {
      const wit_ast_titem *ti = &d->items.items[i];
      const wit_id *name;
      pitem *it;
      if (ti->kind == WIT_TI_USE) {
        name = ti->use->as.name ? &ti->use->as : &ti->use->path.name;
        if (!(it = kb_arena_alloc(c->ar, sizeof *it))) return kb_error_oom();
        it->file = f;
        it->span = name->span;
        if (ti->use->path.foreign) {
          it->kind = P_FOREIGN;
          it->foreign = &ti->use->path;
        } else {
          pitem *target = wit_smap_get(&c->items, ti->use->path.name.name);
          if (target) *it = *target;
          else it->kind = P_MISSING; /* reported below */
          it->span = ti->use->path.name.span;
        }
      } else if (ti->kind == WIT_TI_INTERFACE || ti->kind == WIT_TI_WORLD) {
        name = ti->kind == WIT_TI_INTERFACE ? &ti->iface->name : &ti->world->name;
        it = wit_smap_get(&c->items, name->name);
      } else {
        FAIL(c, ti->pkg->package.span, "nested packages must be placed at the top-level");
        return c->err;
      }
      if (wit_smap_get(&c->file_ns[f], name->name)) {
        FAIL(c, name->span, "duplicate name `%s` in this file", name->name);
        return c->err;
      }
      if (!wit_smap_put(c->ar, &c->file_ns[f], name->name, it)) return kb_error_oom();
    }
    for (uint32_t i = 0; i < d->items.len; i++) {
      const wit_ast_titem *ti = &d->items.items[i];
      if (ti->kind == WIT_TI_USE && !ti->use->path.foreign) {
        pitem *it = wit_smap_get(&c->file_ns[f], ti->use->as.name ? ti->use->as.name : ti->use->path.name.name);
        if (it && it->kind == P_MISSING) {
          FAIL(c, ti->use->path.name.span, "interface or world `%s` does not exist", ti->use->path.name.name);
          return c->err;
        }
      }
      if (ti->kind == WIT_TI_USE && ti->use->attrs.len) {
        FAIL(c, ti->use->span, "attributes not allowed on top-level use");
        return c->err;
      }
      if (ti->kind == WIT_TI_INTERFACE) {
        uint32_t k = 0;
        while (all.items[k]->ai != ti->iface) k++;
        for (uint32_t j = 0; j < ti->iface->items.len; j++)
          if (ti->iface->items.items[j].kind == WIT_II_USE &&
              !add_edge(c, &ti->iface->name, &ti->iface->items.items[j].use.from, &deps[k]))
            return c->err;
      } else if (ti->kind == WIT_TI_WORLD) {
        uint32_t k = 0;
        while (all.items[k]->aw != ti->world) k++;
        for (uint32_t j = 0; j < ti->world->items.len; j++)
          if (ti->world->items.items[j].kind == WIT_WI_INCLUDE &&
              !add_edge(c, &ti->world->name, &ti->world->items.items[j].include, &deps[k]))
            return c->err;
      }
    }
  }
  if (!toposort(c, "interface or world", all.len, names, deps, order)) return c->err;

  /* Allocate in order; gates decide what the package keeps. */
  for (uint32_t k = 0; k < all.len; k++) {
    pitem *it = all.items[order[k]];
    wit_stability st;
    const wit_attrs *attrs = it->ai ? &it->ai->attrs : &it->aw->attrs;
    if (!stability_of(c, attrs, &st)) return c->err;
    bool keep;
    if (!kept(c, &st, it->span, &keep)) return c->err;
    it->excluded = !keep;
    if (it->kind == P_IFACE) {
      wit_interface ni;
      memset(&ni, 0, sizeof ni);
      ni.name = it->ai->name.name;
      ni.package = c->pkg;
      if (!wit_vec_push(c->ar, &r->interfaces, ni)) return kb_error_oom();
      it->id = r->interfaces.len - 1;
    } else {
      wit_world nw;
      memset(&nw, 0, sizeof nw);
      nw.name = it->aw->name.name;
      nw.package = c->pkg;
      if (!wit_vec_push(c->ar, &r->worlds, nw)) return kb_error_oom();
      it->id = r->worlds.len - 1;
    }
  }
  /* File namespaces hold copies of the items they alias: refresh them. */
  for (uint32_t f = 0; f < nfiles; f++) {
    for (uint32_t i = 0; i < c->file_ns[f].cap; i++) {
      pitem *it = c->file_ns[f].slots[i].value;
      if (!it || it->kind == P_FOREIGN) continue;
      const char *target = it->ai ? it->ai->name.name : it->aw ? it->aw->name.name : NULL;
      pitem *real = target ? wit_smap_get(&c->items, target) : NULL;
      if (real && real != it) *it = *real;
    }
  }
  for (uint32_t k = 0; k < all.len; k++) {
    pitem *it = all.items[order[k]];
    if (it->kind != P_IFACE) continue;
    c->cur_file = it->file;
    if (!resolve_interface(c, it->id, &it->ai->items, it->ai->docs, &it->ai->attrs, it->excluded)) return c->err;
  }
  /* Worlds: all items first, then includes and elaboration in order (an
   * included world of this package comes earlier in the order). */
  uint32_t nworlds = 0;
  for (uint32_t k = 0; k < all.len; k++) nworlds += all.items[order[k]]->kind == P_WORLD;
  wit_include **incs = kb_arena_alloc(c->ar, sizeof *incs * (nworlds + 1));
  uint32_t *nincs = kb_arena_alloc(c->ar, sizeof *nincs * (nworlds + 1));
  pitem **worlds = kb_arena_alloc(c->ar, sizeof *worlds * (nworlds + 1));
  if (!incs || !nincs || !worlds) return kb_error_oom();
  nworlds = 0;
  for (uint32_t k = 0; k < all.len; k++) {
    pitem *it = all.items[order[k]];
    if (it->kind != P_WORLD) continue;
    c->cur_file = it->file;
    worlds[nworlds] = it;
    if (!resolve_world(c, it->id, it->aw, it->excluded, &incs[nworlds], &nincs[nworlds])) return c->err;
    nworlds++;
  }
  for (uint32_t k = 0; k < all.len; k++) {
    pitem *it = all.items[order[k]];
    if (it->kind == P_IFACE && !it->excluded) {
      wit_package *p = &r->packages.items[c->pkg];
      if (!wit_arr_push(c->ar, p->interfaces, p->ninterfaces, p->interfaces_cap, it->id)) return kb_error_oom();
    }
  }
  for (uint32_t k = 0; k < nworlds; k++) {
    pitem *it = worlds[k];
    if (it->excluded) continue;
    kumi_error *e = wit_process_includes(r, it->id, incs[k], nincs[k], it->span);
    if (!e) e = wit_elaborate_world(r, it->id, it->span);
    if (e) return e;
    wit_package *p = &r->packages.items[c->pkg];
    if (!wit_arr_push(c->ar, p->worlds, p->nworlds, p->worlds_cap, it->id)) return kb_error_oom();
  }
  *pkg_id = c->pkg;
  return NULL;
}
