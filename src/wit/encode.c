/* Encoding a resolved WIT package or world as component types, in the
 * order and shape wit-component produces, so the bytes agree with
 * wasm-tools and jco (see wit_bin.h). The rules that fix the bytes:
 * - types are encoded on first use, named types are exported (eq bound,
 *   resources as sub resource) right after their definition;
 * - a named type owned by another interface is reached by an alias of the
 *   export of that interface's instance in the enclosing component type
 *   (made once per type) and an outer alias inside the instance type;
 * - function types are shared between functions with the same signature
 *   within one instance type; an interface's functions come grouped by
 *   resource in type order, then the freestanding ones;
 * - value type indices are signed LEB128 (s33). */
#include "wit_bin.h"
#include "wit_int.h"

#include <string.h>

typedef struct ebuf {
  const kumi_allocator *a;
  uint8_t *p;
  size_t len, cap;
  bool oom;
} ebuf;

static void eb_reserve(ebuf *b, size_t n) {
  if (b->oom || b->len + n <= b->cap) return;
  size_t cap = b->cap ? b->cap * 2 : 256;
  while (cap < b->len + n) cap *= 2;
  uint8_t *p = kb_realloc(b->a, b->p, b->cap, cap);
  if (!p) {
    b->oom = true;
    return;
  }
  b->p = p;
  b->cap = cap;
}
static void eb_bytes(ebuf *b, const void *s, size_t n) {
  eb_reserve(b, n);
  if (b->oom || !n) return;
  memcpy(b->p + b->len, s, n);
  b->len += n;
}
static void eb_byte(ebuf *b, uint8_t x) { eb_bytes(b, &x, 1); }
static void eb_u32(ebuf *b, uint64_t v) {
  do {
    uint8_t x = v & 0x7f;
    v >>= 7;
    eb_byte(b, (uint8_t)(x | (v ? 0x80 : 0)));
  } while (v);
}
/* Signed LEB128 of a non-negative value (type indices are s33). */
static void eb_s33(ebuf *b, uint64_t v) {
  for (;;) {
    uint8_t x = v & 0x7f;
    v >>= 7;
    if (v == 0 && !(x & 0x40)) {
      eb_byte(b, x);
      return;
    }
    eb_byte(b, x | 0x80);
  }
}
static void eb_str(ebuf *b, const char *s) {
  size_t n = strlen(s);
  eb_u32(b, n);
  eb_bytes(b, s, n);
}
static void eb_free(ebuf *b) {
  kb_free(b->a, b->p, b->cap);
  b->p = NULL;
  b->len = b->cap = 0;
}

/* A value type being written: a primitive code or a type index. */
typedef struct evt {
  uint8_t prim; /* 0: index */
  uint32_t idx;
} evt;

typedef struct efunc {
  const wit_func *f;
  uint32_t idx;
} efunc;

/* One component or instance type under construction. */
typedef struct escope {
  ebuf b;
  uint32_t ndecls, ntypes;
  uint32_t *type_map; /* typedef id -> type index, WIT_NONE */
  KB_VEC(efunc) funcs;
} escope;

typedef struct enc {
  wit_resolve *r;
  const kumi_allocator *a;
  escope outer, inner;
  bool in_instance, import_types;
  uint32_t iface; /* interface being encoded, WIT_NONE */
  uint32_t ninstances;
  uint32_t *import_map; /* interface id -> instance index */
  bool bad;             /* an inconsistent model (a resolver bug) */
} enc;

static bool scope_init(enc *e, escope *s) {
  memset(s, 0, sizeof *s);
  s->b.a = e->a;
  size_t n = e->r->types.len + 1;
  s->type_map = kb_alloc(e->a, n * sizeof *s->type_map);
  if (!s->type_map) return false;
  memset(s->type_map, 0xff, n * sizeof *s->type_map);
  return true;
}
static void scope_reset(enc *e, escope *s) {
  s->b.len = 0;
  s->ndecls = s->ntypes = 0;
  memset(s->type_map, 0xff, (e->r->types.len + 1) * sizeof *s->type_map);
  s->funcs.len = 0;
}
static void scope_free(enc *e, escope *s) {
  eb_free(&s->b);
  kb_free(e->a, s->type_map, (e->r->types.len + 1) * sizeof *s->type_map);
  kb_vec_free(e->a, &s->funcs);
}

static bool enc_init(enc *e, wit_resolve *r) {
  memset(e, 0, sizeof *e);
  e->r = r;
  e->a = r->alloc;
  e->iface = WIT_NONE;
  size_t n = r->interfaces.len + 1;
  e->import_map = kb_alloc(e->a, n * sizeof *e->import_map);
  if (e->import_map) memset(e->import_map, 0xff, n * sizeof *e->import_map);
  bool ok1 = scope_init(e, &e->outer), ok2 = scope_init(e, &e->inner);
  return e->import_map && ok1 && ok2;
}
static void enc_free(enc *e) {
  scope_free(e, &e->outer);
  scope_free(e, &e->inner);
  kb_free(e->a, e->import_map, (e->r->interfaces.len + 1) * sizeof *e->import_map);
}

static escope *cur(enc *e) { return e->in_instance ? &e->inner : &e->outer; }
static bool enc_oom(enc *e) { return e->outer.b.oom || e->inner.b.oom; }

static uint8_t prim_code(wit_type t) {
  static const uint8_t codes[] = {0,    0x7f, 0x7d, 0x7b, 0x79, 0x77, 0x7e, 0x7c,
                                  0x7a, 0x78, 0x76, 0x75, 0x74, 0x73, 0x64};
  return t < sizeof codes ? codes[t] : 0;
}

static void put_vt(ebuf *b, evt v) {
  if (v.prim) eb_byte(b, v.prim);
  else eb_s33(b, v.idx);
}

/* Starts a type declaration in the current scope; returns its index. */
static uint32_t begin_type(enc *e) {
  escope *s = cur(e);
  eb_byte(&s->b, 0x01);
  s->ndecls++;
  return s->ntypes++;
}

static const char *iface_id(enc *e, uint32_t iface) {
  const char *s = wit_interface_id_string(e->r, iface);
  if (!s) e->outer.b.oom = true;
  return s ? s : "";
}

static uint32_t export_type(enc *e, const char *name, uint32_t idx, bool resource) {
  escope *s = cur(e);
  eb_byte(&s->b, (!e->in_instance && e->import_types) ? 0x03 : 0x04);
  eb_byte(&s->b, 0x00);
  eb_str(&s->b, name);
  eb_byte(&s->b, 0x03);
  if (resource) {
    eb_byte(&s->b, 0x01);
  } else {
    eb_byte(&s->b, 0x00);
    eb_u32(&s->b, idx);
  }
  s->ndecls++;
  return s->ntypes++;
}

static uint32_t import_type(enc *e, uint32_t owner, uint32_t id) {
  const wit_typedef *td = &e->r->types.items[id];
  uint32_t inst = e->import_map[owner];
  if (inst == WIT_NONE) {
    e->bad = true;
    return 0;
  }
  uint32_t outer_idx = e->outer.type_map[id];
  if (outer_idx == WIT_NONE || !e->in_instance) {
    ebuf *b = &e->outer.b;
    eb_byte(b, 0x02);
    eb_byte(b, 0x03);
    eb_byte(b, 0x00);
    eb_u32(b, inst);
    eb_str(b, td->name);
    e->outer.ndecls++;
    outer_idx = e->outer.ntypes++;
    if (!e->in_instance) return outer_idx;
    e->outer.type_map[id] = outer_idx;
  }
  ebuf *b = &e->inner.b;
  eb_byte(b, 0x02);
  eb_byte(b, 0x03);
  eb_byte(b, 0x02);
  eb_u32(b, 1);
  eb_u32(b, outer_idx);
  e->inner.ndecls++;
  return e->inner.ntypes++;
}

static evt encode_vt(enc *e, wit_type t, int depth);

static void opt_vt(ebuf *b, bool has, evt v) {
  if (!has) {
    eb_byte(b, 0x00);
    return;
  }
  eb_byte(b, 0x01);
  put_vt(b, v);
}

static evt encode_def(enc *e, uint32_t id, int depth) {
  evt none = {0, 0};
  if (depth > 200) {
    e->bad = true;
    return none;
  }
  const wit_typedef *td = &e->r->types.items[id];
  escope *s = cur(e);
  if (s->type_map[id] != WIT_NONE) return (evt){0, s->type_map[id]};
  if (td->name && td->owner_kind == WIT_OWNER_INTERFACE && td->owner != e->iface) {
    uint32_t idx = import_type(e, td->owner, id);
    cur(e)->type_map[id] = idx;
    return (evt){0, idx};
  }
  evt out = none;
  switch (td->kind) {
  case WIT_TD_ALIAS: out = encode_vt(e, td->a, depth + 1); break;
  case WIT_TD_RESOURCE: {
    uint32_t idx = export_type(e, td->name ? td->name : "", 0, true);
    cur(e)->type_map[id] = idx;
    return (evt){0, idx};
  }
  case WIT_TD_OWN:
  case WIT_TD_BORROW: {
    evt r = encode_vt(e, td->a, depth + 1);
    uint32_t idx = begin_type(e);
    ebuf *b = &cur(e)->b;
    eb_byte(b, td->kind == WIT_TD_OWN ? 0x69 : 0x68);
    eb_u32(b, r.idx);
    out = (evt){0, idx};
    break;
  }
  case WIT_TD_RECORD:
  case WIT_TD_VARIANT: {
    evt *vs = kb_alloc(e->a, (td->ncases + 1) * sizeof *vs);
    if (!vs) {
      e->outer.b.oom = true;
      return none;
    }
    for (uint32_t i = 0; i < td->ncases; i++)
      vs[i] = td->cases[i].type == WIT_T_NONE ? none : encode_vt(e, td->cases[i].type, depth + 1);
    uint32_t idx = begin_type(e);
    ebuf *b = &cur(e)->b;
    eb_byte(b, td->kind == WIT_TD_RECORD ? 0x72 : 0x71);
    eb_u32(b, td->ncases);
    for (uint32_t i = 0; i < td->ncases; i++) {
      eb_str(b, td->cases[i].name);
      if (td->kind == WIT_TD_RECORD) {
        put_vt(b, vs[i]);
      } else {
        opt_vt(b, td->cases[i].type != WIT_T_NONE, vs[i]);
        eb_byte(b, 0x00);
      }
    }
    kb_free(e->a, vs, (td->ncases + 1) * sizeof *vs);
    out = (evt){0, idx};
    break;
  }
  case WIT_TD_FLAGS:
  case WIT_TD_ENUM: {
    uint32_t idx = begin_type(e);
    ebuf *b = &cur(e)->b;
    eb_byte(b, td->kind == WIT_TD_FLAGS ? 0x6e : 0x6d);
    eb_u32(b, td->ncases);
    for (uint32_t i = 0; i < td->ncases; i++) eb_str(b, td->cases[i].name);
    out = (evt){0, idx};
    break;
  }
  case WIT_TD_TUPLE: {
    evt *vs = kb_alloc(e->a, (td->ntypes + 1) * sizeof *vs);
    if (!vs) {
      e->outer.b.oom = true;
      return none;
    }
    for (uint32_t i = 0; i < td->ntypes; i++) vs[i] = encode_vt(e, td->types[i], depth + 1);
    uint32_t idx = begin_type(e);
    ebuf *b = &cur(e)->b;
    eb_byte(b, 0x6f);
    eb_u32(b, td->ntypes);
    for (uint32_t i = 0; i < td->ntypes; i++) put_vt(b, vs[i]);
    kb_free(e->a, vs, (td->ntypes + 1) * sizeof *vs);
    out = (evt){0, idx};
    break;
  }
  case WIT_TD_OPTION:
  case WIT_TD_LIST:
  case WIT_TD_FIXED_LIST: {
    evt a = encode_vt(e, td->a, depth + 1);
    uint32_t idx = begin_type(e);
    ebuf *b = &cur(e)->b;
    eb_byte(b, td->kind == WIT_TD_OPTION ? 0x6b : td->kind == WIT_TD_LIST ? 0x70 : 0x67);
    put_vt(b, a);
    if (td->kind == WIT_TD_FIXED_LIST) eb_u32(b, td->size);
    out = (evt){0, idx};
    break;
  }
  case WIT_TD_MAP: {
    evt k = encode_vt(e, td->a, depth + 1), v = encode_vt(e, td->b, depth + 1);
    uint32_t idx = begin_type(e);
    ebuf *b = &cur(e)->b;
    eb_byte(b, 0x63);
    put_vt(b, k);
    put_vt(b, v);
    out = (evt){0, idx};
    break;
  }
  case WIT_TD_RESULT: {
    evt ok = td->a == WIT_T_NONE ? none : encode_vt(e, td->a, depth + 1);
    evt er = td->b == WIT_T_NONE ? none : encode_vt(e, td->b, depth + 1);
    uint32_t idx = begin_type(e);
    ebuf *b = &cur(e)->b;
    eb_byte(b, 0x6a);
    opt_vt(b, td->a != WIT_T_NONE, ok);
    opt_vt(b, td->b != WIT_T_NONE, er);
    out = (evt){0, idx};
    break;
  }
  case WIT_TD_FUTURE:
  case WIT_TD_STREAM: {
    evt a = td->a == WIT_T_NONE ? none : encode_vt(e, td->a, depth + 1);
    uint32_t idx = begin_type(e);
    ebuf *b = &cur(e)->b;
    eb_byte(b, td->kind == WIT_TD_FUTURE ? 0x65 : 0x66);
    opt_vt(b, td->a != WIT_T_NONE, a);
    out = (evt){0, idx};
    break;
  }
  }
  if (td->name) {
    uint32_t idx = out.idx;
    if (out.prim) {
      idx = begin_type(e);
      eb_byte(&cur(e)->b, out.prim);
    }
    out = (evt){0, export_type(e, td->name, idx, false)};
  }
  if (!out.prim) cur(e)->type_map[id] = out.idx;
  return out;
}

static evt encode_vt(enc *e, wit_type t, int depth) {
  if (!wit_t_is_def(t)) return (evt){prim_code(t), 0};
  if (wit_t_index(t) >= e->r->types.len) {
    e->bad = true;
    return (evt){0, 0};
  }
  return encode_def(e, wit_t_index(t), depth);
}

static bool same_sig(const wit_func *a, const wit_func *b) {
  if (a->is_async != b->is_async || a->nparams != b->nparams || a->result != b->result) return false;
  for (uint32_t i = 0; i < a->nparams; i++)
    if (a->params[i].type != b->params[i].type || strcmp(a->params[i].name, b->params[i].name)) return false;
  return true;
}

static uint32_t encode_func_type(enc *e, const wit_func *f) {
  escope *s = cur(e);
  for (size_t i = 0; i < s->funcs.len; i++)
    if (same_sig(s->funcs.items[i].f, f)) return s->funcs.items[i].idx;
  evt *vs = kb_alloc(e->a, (f->nparams + 1) * sizeof *vs);
  if (!vs) {
    e->outer.b.oom = true;
    return 0;
  }
  for (uint32_t i = 0; i < f->nparams; i++) vs[i] = encode_vt(e, f->params[i].type, 0);
  evt res = f->result == WIT_T_NONE ? (evt){0, 0} : encode_vt(e, f->result, 0);
  uint32_t idx = begin_type(e);
  ebuf *b = &cur(e)->b;
  eb_byte(b, f->is_async ? 0x43 : 0x40);
  eb_u32(b, f->nparams);
  for (uint32_t i = 0; i < f->nparams; i++) {
    eb_str(b, f->params[i].name);
    put_vt(b, vs[i]);
  }
  if (f->result == WIT_T_NONE) {
    eb_byte(b, 0x01);
    eb_byte(b, 0x00);
  } else {
    eb_byte(b, 0x00);
    put_vt(b, res);
  }
  kb_free(e->a, vs, (f->nparams + 1) * sizeof *vs);
  efunc ef = {f, idx};
  if (!kb_vec_push(e->a, &cur(e)->funcs, ef)) e->outer.b.oom = true;
  return idx;
}

/* Appends the instance type built in e->inner to the outer scope. */
static uint32_t pop_instance(enc *e) {
  e->in_instance = false;
  ebuf *b = &e->outer.b;
  eb_byte(b, 0x01);
  eb_byte(b, 0x42);
  eb_u32(b, e->inner.ndecls);
  eb_bytes(b, e->inner.b.p, e->inner.b.len);
  e->outer.ndecls++;
  return e->outer.ntypes++;
}

static void push_instance(enc *e) {
  scope_reset(e, &e->inner);
  e->in_instance = true;
}

/* The instance type of a whole interface (types and functions). */
static uint32_t encode_instance(enc *e, uint32_t iface) {
  const wit_interface *in = &e->r->interfaces.items[iface];
  e->iface = iface;
  push_instance(e);
  for (uint32_t i = 0; i < in->ntypes; i++) encode_vt(e, wit_t_def(in->types[i].id), 0);
  /* Functions grouped by their resource's position among the types (a
   * stable sort), freestanding ones last. */
  for (uint32_t k = 0; k <= in->ntypes; k++) {
    for (uint32_t j = 0; j < in->nfuncs; j++) {
      const wit_func *f = &in->funcs[j];
      uint32_t pos = in->ntypes;
      if (f->kind != WIT_FUNC_FREESTANDING)
        for (uint32_t i = 0; i < in->ntypes; i++)
          if (in->types[i].id == f->resource) {
            pos = i;
            break;
          }
      if (pos != k) continue;
      uint32_t ft = encode_func_type(e, f);
      ebuf *b = &e->inner.b;
      eb_byte(b, 0x04);
      eb_byte(b, 0x00);
      eb_str(b, f->name);
      eb_byte(b, 0x01);
      eb_u32(b, ft);
      e->inner.ndecls++;
    }
  }
  uint32_t idx = pop_instance(e);
  e->import_map[iface] = e->ninstances++;
  return idx;
}

static void outer_extern(enc *e, uint8_t decl, const char *name, uint8_t kind, uint32_t idx) {
  ebuf *b = &e->outer.b;
  eb_byte(b, decl);
  eb_byte(b, 0x00);
  eb_str(b, name);
  eb_byte(b, kind);
  eb_u32(b, idx);
  e->outer.ndecls++;
}

static void add_live(enc *e, uint32_t iface, uint32_t *list, uint32_t *n, uint8_t *seen, int depth) {
  if (seen[iface] || depth > 10000) return;
  const wit_interface *in = &e->r->interfaces.items[iface];
  for (uint32_t i = 0; i < in->ntypes; i++) {
    uint32_t dep = wit_type_interface_dep(e->r, in->types[i].id);
    if (dep != WIT_NONE && dep != iface) add_live(e, dep, list, n, seen, depth + 1);
  }
  if (seen[iface]) return;
  seen[iface] = 1;
  list[(*n)++] = iface;
}

/* The component type of one interface of the package: its dependencies
 * imported (types only), itself exported. Left in e->outer. */
static void encode_interface(enc *e, uint32_t iface) {
  size_t ni = e->r->interfaces.len;
  uint32_t *list = kb_alloc(e->a, (ni + 1) * sizeof *list);
  uint8_t *seen = kb_zalloc(e->a, ni + 1);
  if (!list || !seen) {
    e->outer.b.oom = true;
    kb_free(e->a, list, (ni + 1) * sizeof *list);
    kb_free(e->a, seen, ni + 1);
    return;
  }
  uint32_t n = 0;
  add_live(e, iface, list, &n, seen, 0);
  for (uint32_t k = 0; k < n; k++) {
    uint32_t id = list[k];
    const char *name = iface_id(e, id);
    if (id == iface) {
      uint32_t idx = encode_instance(e, id);
      outer_extern(e, 0x04, name, 0x05, idx);
    } else {
      const wit_interface *in = &e->r->interfaces.items[id];
      e->iface = id;
      push_instance(e);
      for (uint32_t i = 0; i < in->ntypes; i++) encode_vt(e, wit_t_def(in->types[i].id), 0);
      uint32_t idx = pop_instance(e);
      e->import_map[id] = e->ninstances++;
      outer_extern(e, 0x03, name, 0x05, idx);
    }
  }
  e->iface = WIT_NONE;
  kb_free(e->a, list, (ni + 1) * sizeof *list);
  kb_free(e->a, seen, ni + 1);
}

static void encode_items(enc *e, const wit_world_item *items, uint32_t n, uint8_t decl) {
  for (uint32_t i = 0; i < n; i++) {
    const wit_world_item *it = &items[i];
    const char *name = it->name ? it->name : NULL;
    switch (it->kind) {
    case WIT_ITEM_INTERFACE: {
      if (!name) name = iface_id(e, it->id);
      uint32_t idx = encode_instance(e, it->id);
      outer_extern(e, decl, name, 0x05, idx);
      break;
    }
    case WIT_ITEM_FUNC: {
      e->iface = WIT_NONE;
      uint32_t idx = encode_func_type(e, &it->func);
      outer_extern(e, decl, name ? name : it->func.name, 0x01, idx);
      break;
    }
    case WIT_ITEM_TYPE:
      e->iface = WIT_NONE;
      e->import_types = true;
      encode_vt(e, wit_t_def(it->id), 0);
      e->import_types = false;
      break;
    }
  }
  e->iface = WIT_NONE;
}

/* The component type of a world, wrapped in a component type exporting it
 * as "ns:pkg/world@v" (the shape both encodings use), into out. */
static void encode_world_wrapper(enc *e, uint32_t world, ebuf *out) {
  const wit_world *w = &e->r->worlds.items[world];
  encode_items(e, w->imports, w->nimports, 0x03);
  encode_items(e, w->exports, w->nexports, 0x04);
  const char *pkg = wit_package_id_string(e->r, w->package);
  const wit_package *p = &e->r->packages.items[w->package];
  char *full = NULL;
  size_t flen = 0;
  if (pkg) {
    /* "ns:name/world@version" */
    size_t nlen = strlen(p->ns) + 1 + strlen(p->name);
    const char *ver = p->version ? p->version->text : NULL;
    flen = nlen + 1 + strlen(w->name) + (ver ? 1 + strlen(ver) : 0) + 1;
    full = kb_alloc(e->a, flen);
    if (full) {
      memcpy(full, pkg, nlen);
      full[nlen] = '/';
      strcpy(full + nlen + 1, w->name);
      if (ver) {
        strcat(full, "@");
        strcat(full, ver);
      }
    }
  }
  if (!full) {
    out->oom = true;
    return;
  }
  eb_byte(out, 0x41);
  eb_u32(out, 2);
  eb_byte(out, 0x01);
  eb_byte(out, 0x41);
  eb_u32(out, e->outer.ndecls);
  eb_bytes(out, e->outer.b.p, e->outer.b.len);
  eb_byte(out, 0x04);
  eb_byte(out, 0x00);
  eb_str(out, full);
  eb_byte(out, 0x04);
  eb_u32(out, 0);
  kb_free(e->a, full, flen);
}

static void section(ebuf *out, uint8_t id, const ebuf *body) {
  eb_byte(out, id);
  eb_u32(out, body->len);
  eb_bytes(out, body->p, body->len);
  if (body->oom) out->oom = true;
}

static void custom(ebuf *out, const char *name, const void *data, size_t n) {
  ebuf body = {out->a, NULL, 0, 0, false};
  eb_str(&body, name);
  eb_bytes(&body, data, n);
  section(out, 0, &body);
  eb_free(&body);
}

static void producers(ebuf *out) {
  ebuf body = {out->a, NULL, 0, 0, false};
  eb_u32(&body, 1);
  eb_str(&body, "processed-by");
  eb_u32(&body, 1);
  eb_str(&body, "kumi");
  eb_str(&body, "0.1.0");
  ebuf sec = {out->a, NULL, 0, 0, false};
  eb_str(&sec, "producers");
  eb_bytes(&sec, body.p, body.len);
  section(out, 0, &sec);
  eb_free(&body);
  eb_free(&sec);
}

/* A type section with one type and an export section exporting it. */
static void type_and_export(ebuf *out, const ebuf *type, const char *name, uint32_t type_idx) {
  ebuf body = {out->a, NULL, 0, 0, false};
  eb_u32(&body, 1);
  eb_bytes(&body, type->p, type->len);
  if (type->oom) body.oom = true;
  section(out, 7, &body);
  body.len = 0;
  eb_u32(&body, 1);
  eb_byte(&body, 0x00);
  eb_str(&body, name);
  eb_byte(&body, 0x03);
  eb_u32(&body, type_idx);
  eb_byte(&body, 0x00);
  section(out, 11, &body);
  eb_free(&body);
}

/* ---- package-docs: docs and stability as JSON (wit-parser's
 * PackageMetadata, section version 1). Empty entries are left out. ---- */

static void js_str(ebuf *b, const char *s) {
  static const char hex[] = "0123456789abcdef";
  eb_byte(b, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    unsigned char ch = *p;
    if (ch == '"' || ch == '\\') {
      eb_byte(b, '\\');
      eb_byte(b, ch);
    } else if (ch == '\n') {
      eb_bytes(b, "\\n", 2);
    } else if (ch == '\r') {
      eb_bytes(b, "\\r", 2);
    } else if (ch == '\t') {
      eb_bytes(b, "\\t", 2);
    } else if (ch == '\b') {
      eb_bytes(b, "\\b", 2);
    } else if (ch == '\f') {
      eb_bytes(b, "\\f", 2);
    } else if (ch < 0x20) {
      char u[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
      eb_bytes(b, u, 6);
    } else {
      eb_byte(b, ch);
    }
  }
  eb_byte(b, '"');
}

/* Object writer: js_key opens the object on the first key. */
typedef struct jobj {
  ebuf *b;
  bool open;
} jobj;
static void js_key(jobj *o, const char *k) {
  eb_byte(o->b, o->open ? ',' : '{');
  o->open = true;
  js_str(o->b, k);
  eb_byte(o->b, ':');
}
static void js_end(jobj *o) {
  if (o->open) eb_byte(o->b, '}');
}

static bool stab_known(const wit_stability *s) { return s->kind != WIT_STAB_UNKNOWN; }
static void js_stability(ebuf *b, const wit_stability *s) {
  jobj o = {b, false}, in = {b, false};
  js_key(&o, s->kind == WIT_STAB_STABLE ? "stable" : "unstable");
  if (s->kind == WIT_STAB_STABLE) {
    js_key(&in, "since");
    js_str(b, s->since ? s->since->text : "");
  } else {
    js_key(&in, "feature");
    js_str(b, s->feature ? s->feature : "");
  }
  if (s->deprecated) {
    js_key(&in, "deprecated");
    js_str(b, s->deprecated->text);
  }
  js_end(&in);
  js_end(&o);
}
static void js_docs_stab(jobj *o, wit_docs d, const wit_stability *s) {
  if (d) {
    js_key(o, "docs");
    js_str(o->b, d);
  }
  if (s && stab_known(s)) {
    js_key(o, "stability");
    js_stability(o->b, s);
  }
}

static bool type_meta_empty(const wit_typedef *td) {
  if (td->docs || stab_known(&td->stability)) return false;
  bool items = td->kind == WIT_TD_RECORD || td->kind == WIT_TD_VARIANT || td->kind == WIT_TD_FLAGS || td->kind == WIT_TD_ENUM;
  for (uint32_t i = 0; items && i < td->ncases; i++)
    if (td->cases[i].docs) return false;
  return true;
}
static void js_type(ebuf *b, const wit_typedef *td) {
  jobj o = {b, false};
  js_docs_stab(&o, td->docs, &td->stability);
  bool items = td->kind == WIT_TD_RECORD || td->kind == WIT_TD_VARIANT || td->kind == WIT_TD_FLAGS || td->kind == WIT_TD_ENUM;
  jobj it = {b, false};
  for (uint32_t i = 0; items && i < td->ncases; i++) {
    if (!td->cases[i].docs) continue;
    if (!it.open) js_key(&o, "items");
    js_key(&it, td->cases[i].name);
    js_str(b, td->cases[i].docs);
  }
  js_end(&it);
  if (!o.open) eb_bytes(b, "{", 1);
  eb_byte(b, '}');
}
static bool func_meta_empty(const wit_func *f) { return !f->docs && !stab_known(&f->stability); }
static void js_func(ebuf *b, const wit_func *f) {
  jobj o = {b, false};
  js_docs_stab(&o, f->docs, &f->stability);
  if (!o.open) eb_byte(b, '{');
  eb_byte(b, '}');
}

static bool iface_meta_empty(const wit_resolve *r, const wit_interface *in) {
  if (in->docs || stab_known(&in->stability)) return false;
  for (uint32_t i = 0; i < in->nfuncs; i++)
    if (!func_meta_empty(&in->funcs[i])) return false;
  for (uint32_t i = 0; i < in->ntypes; i++)
    if (!type_meta_empty(&r->types.items[in->types[i].id])) return false;
  return true;
}
static void js_iface(ebuf *b, const wit_resolve *r, const wit_interface *in) {
  jobj o = {b, false};
  js_docs_stab(&o, in->docs, &in->stability);
  jobj m = {b, false};
  for (uint32_t i = 0; i < in->nfuncs; i++) {
    if (func_meta_empty(&in->funcs[i])) continue;
    if (!m.open) js_key(&o, "funcs");
    js_key(&m, in->funcs[i].name);
    js_func(b, &in->funcs[i]);
  }
  js_end(&m);
  m.open = false;
  for (uint32_t i = 0; i < in->ntypes; i++) {
    const wit_typedef *td = &r->types.items[in->types[i].id];
    if (type_meta_empty(td)) continue;
    if (!m.open) js_key(&o, "types");
    js_key(&m, in->types[i].name);
    js_type(b, td);
  }
  js_end(&m);
  if (!o.open) eb_byte(b, '{');
  eb_byte(b, '}');
}

/* One map of a world's metadata: which = 0 interfaces (inline, imports),
 * 1 types, 2 funcs (imports), 3 interface_exports, 4 func_exports,
 * 5 interface_import_stability, 6 interface_export_stability. */
static void js_world_map(enc *e, ebuf *b, jobj *o, const wit_world *w, int which) {
  static const char *const keys[] = {"interfaces", "types", "funcs", "interface_exports",
                                     "func_exports", "interface_import_stability", "interface_export_stability"};
  bool exports = which == 3 || which == 4 || which == 6;
  const wit_world_item *items = exports ? w->exports : w->imports;
  uint32_t n = exports ? w->nexports : w->nimports;
  jobj m = {b, false};
  for (uint32_t i = 0; i < n; i++) {
    const wit_world_item *it = &items[i];
    const char *key = it->name;
    if (which == 5 || which == 6) {
      if (it->kind != WIT_ITEM_INTERFACE || !stab_known(&it->stability)) continue;
      if (it->name && !e->r->interfaces.items[it->id].name) continue;
      if (!key) key = iface_id(e, it->id);
      if (!m.open) js_key(o, keys[which]);
      js_key(&m, key);
      js_stability(b, &it->stability);
      continue;
    }
    if (!key) continue;
    if ((which == 0 || which == 3) && it->kind == WIT_ITEM_INTERFACE) {
      const wit_interface *in = &e->r->interfaces.items[it->id];
      if (in->name || iface_meta_empty(e->r, in)) continue;
      if (!m.open) js_key(o, keys[which]);
      js_key(&m, key);
      js_iface(b, e->r, in);
    } else if (which == 1 && it->kind == WIT_ITEM_TYPE) {
      const wit_typedef *td = &e->r->types.items[it->id];
      if (type_meta_empty(td)) continue;
      if (!m.open) js_key(o, keys[which]);
      js_key(&m, key);
      js_type(b, td);
    } else if ((which == 2 || which == 4) && it->kind == WIT_ITEM_FUNC) {
      if (func_meta_empty(&it->func)) continue;
      if (!m.open) js_key(o, keys[which]);
      js_key(&m, key);
      js_func(b, &it->func);
    }
  }
  js_end(&m);
}

static void js_world(enc *e, ebuf *b, const wit_world *w) {
  jobj o = {b, false};
  js_docs_stab(&o, w->docs, &w->stability);
  for (int k = 0; k < 7; k++) js_world_map(e, b, &o, w, k);
  if (!o.open) eb_byte(b, '{');
  eb_byte(b, '}');
}

/* The package-docs section payload: version byte 1 and the JSON. */
static void package_docs(enc *e, uint32_t pkg, ebuf *b) {
  const wit_package *p = &e->r->packages.items[pkg];
  eb_byte(b, 1);
  jobj o = {b, false};
  if (p->docs) {
    js_key(&o, "docs");
    js_str(b, p->docs);
  }
  ebuf tmp = {e->a, NULL, 0, 0, false};
  jobj m = {b, false};
  for (uint32_t i = 0; i < p->nworlds; i++) {
    const wit_world *w = &e->r->worlds.items[p->worlds[i]];
    tmp.len = 0;
    js_world(e, &tmp, w);
    if (tmp.len == 2) continue; /* {} */
    if (!m.open) js_key(&o, "worlds");
    js_key(&m, w->name);
    eb_bytes(b, tmp.p, tmp.len);
  }
  js_end(&m);
  m.open = false;
  for (uint32_t i = 0; i < p->ninterfaces; i++) {
    const wit_interface *in = &e->r->interfaces.items[p->interfaces[i]];
    if (iface_meta_empty(e->r, in)) continue;
    if (!m.open) js_key(&o, "interfaces");
    js_key(&m, in->name);
    js_iface(b, e->r, in);
  }
  js_end(&m);
  if (!o.open) eb_byte(b, '{');
  eb_byte(b, '}');
  if (tmp.oom) b->oom = true;
  eb_free(&tmp);
}

static const uint8_t preamble[8] = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};

static kumi_error *finish(enc *e, ebuf *out, uint8_t **res, size_t *len) {
  bool oom = out->oom || enc_oom(e);
  bool bad = e->bad;
  enc_free(e);
  if (oom || bad) {
    eb_free(out);
    return oom ? kb_error_oom() : kb_error(e->a, KUMI_ERR_INVALID, 0, "wit: the package cannot be encoded");
  }
  /* Shrink to the exact length so callers free with *len. */
  uint8_t *p = kb_realloc(out->a, out->p, out->cap, out->len ? out->len : 1);
  if (!p) {
    eb_free(out);
    return kb_error_oom();
  }
  *res = p;
  *len = out->len;
  return NULL;
}

kumi_error *wit_encode_package(wit_resolve *r, uint32_t pkg, uint8_t **res, size_t *len) {
  *res = NULL;
  *len = 0;
  if (pkg >= r->packages.len) return kb_error(r->alloc, KUMI_ERR_ARG, 0, "wit: no package %u", pkg);
  enc e;
  ebuf out = {r->alloc, NULL, 0, 0, false};
  if (!enc_init(&e, r)) {
    enc_free(&e);
    return kb_error_oom();
  }
  eb_bytes(&out, preamble, sizeof preamble);
  const wit_package *p = &r->packages.items[pkg];
  uint32_t exported = 0;
  ebuf ty = {r->alloc, NULL, 0, 0, false};
  for (uint32_t i = 0; i < p->ninterfaces && !out.oom; i++) {
    uint32_t id = p->interfaces[i];
    scope_reset(&e, &e.outer);
    memset(e.import_map, 0xff, (r->interfaces.len + 1) * sizeof *e.import_map);
    e.ninstances = 0;
    encode_interface(&e, id);
    ty.len = 0;
    eb_byte(&ty, 0x41);
    eb_u32(&ty, e.outer.ndecls);
    eb_bytes(&ty, e.outer.b.p, e.outer.b.len);
    type_and_export(&out, &ty, r->interfaces.items[id].name, exported);
    exported += 2;
  }
  for (uint32_t i = 0; i < p->nworlds && !out.oom; i++) {
    uint32_t id = p->worlds[i];
    scope_reset(&e, &e.outer);
    memset(e.import_map, 0xff, (r->interfaces.len + 1) * sizeof *e.import_map);
    e.ninstances = 0;
    ty.len = 0;
    encode_world_wrapper(&e, id, &ty);
    type_and_export(&out, &ty, r->worlds.items[id].name, exported);
    exported += 2;
  }
  if (ty.oom) out.oom = true;
  ty.len = 0;
  package_docs(&e, pkg, &ty);
  custom(&out, "package-docs", ty.p, ty.len);
  if (ty.oom) out.oom = true;
  eb_free(&ty);
  producers(&out);
  return finish(&e, &out, res, len);
}

kumi_error *wit_encode_world_metadata(wit_resolve *r, uint32_t world, uint8_t **res, size_t *len) {
  *res = NULL;
  *len = 0;
  if (world >= r->worlds.len) return kb_error(r->alloc, KUMI_ERR_ARG, 0, "wit: no world %u", world);
  enc e;
  ebuf out = {r->alloc, NULL, 0, 0, false};
  if (!enc_init(&e, r)) {
    enc_free(&e);
    return kb_error_oom();
  }
  eb_bytes(&out, preamble, sizeof preamble);
  static const uint8_t version[2] = {0x04, 0x00}; /* encoding version 4, UTF-8 */
  custom(&out, "wit-component-encoding", version, sizeof version);
  ebuf ty = {r->alloc, NULL, 0, 0, false};
  encode_world_wrapper(&e, world, &ty);
  type_and_export(&out, &ty, r->worlds.items[world].name, 0);
  if (ty.oom) out.oom = true;
  eb_free(&ty);
  producers(&out);
  return finish(&e, &out, res, len);
}

const uint8_t *wit_find_custom(const uint8_t *bytes, size_t len, const char *name, bool prefix, size_t *out_len) {
  size_t pos = 8, nlen = strlen(name);
  if (len < 8) return NULL;
  while (pos < len) {
    uint8_t id = bytes[pos++];
    uint64_t size, sl;
    const char *why;
    if (!kb_leb_u(bytes, len, &pos, 32, &size, &why) || size > len - pos) return NULL;
    size_t end = pos + (size_t)size;
    if (id == 0) {
      size_t p = pos;
      if (kb_leb_u(bytes, end, &p, 32, &sl, &why) && sl <= end - p) {
        bool match = prefix ? (sl >= nlen && !memcmp(bytes + p, name, nlen))
                            : (sl == nlen && !memcmp(bytes + p, name, nlen));
        if (match) {
          *out_len = end - (p + (size_t)sl);
          return bytes + p + sl;
        }
      }
    }
    pos = end;
  }
  return NULL;
}
