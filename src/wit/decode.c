/* Decoding component types back into the WIT model (see wit_bin.h). The
 * binary is decoded with the component decoder (src/component) and its
 * type declarations are walked with a small index-space model: each type
 * index holds a WIT type, a function type, or an instance/component type
 * still to be opened; each instance index holds the interface it stands
 * for. Interfaces are named by their import/export names
 * ("ns:pkg/name@version"); packages are made on first mention; an
 * interface seen again is matched by type and function names, and gains
 * the functions it did not have yet (an interface a package only depends
 * on carries its types and no functions). */
#include "wit_bin.h"
#include "wit_int.h"

#include "component/ast.h"

#include <string.h>

enum { E_NONE, E_VT, E_FUNC, E_INST, E_COMP };

typedef struct dent {
  uint8_t kind;
  bool local; /* a definition made in this scope (named on export) */
  wit_type t;
  const comp_deftype *def;
} dent;

typedef struct dscope {
  struct dscope *parent;
  WIT_VEC(dent) types;
  WIT_VEC(uint32_t) instances; /* interface ids, WIT_NONE */
} dscope;

typedef struct dcx {
  wit_resolve *r;
  kb_arena *ar;
  kumi_error *err;
  uint32_t main_pkg;
  int depth;
} dcx;

static bool fail(dcx *c, uint32_t off, const char *msg) {
  if (!c->err) c->err = kb_error(c->r->alloc, KUMI_ERR_INVALID, off, "wit: %s", msg);
  return false;
}
static bool oom(dcx *c) {
  if (!c->err) c->err = kb_error_oom();
  return false;
}

static wit_type prim_of(uint8_t code) {
  switch (code) {
  case COMP_BOOL: return WIT_T_BOOL;
  case COMP_S8: return WIT_T_S8;
  case COMP_U8: return WIT_T_U8;
  case COMP_S16: return WIT_T_S16;
  case COMP_U16: return WIT_T_U16;
  case COMP_S32: return WIT_T_S32;
  case COMP_U32: return WIT_T_U32;
  case COMP_S64: return WIT_T_S64;
  case COMP_U64: return WIT_T_U64;
  case COMP_F32: return WIT_T_F32;
  case COMP_F64: return WIT_T_F64;
  case COMP_CHAR: return WIT_T_CHAR;
  case COMP_STRING: return WIT_T_STRING;
  case COMP_ERROR_CONTEXT: return WIT_T_ERROR_CONTEXT;
  default: return WIT_T_NONE;
  }
}

static bool push_ent(dcx *c, dscope *s, dent e) { return wit_vec_push(c->ar, &s->types, e) || oom(c); }
static bool push_inst(dcx *c, dscope *s, uint32_t iface) {
  return wit_vec_push(c->ar, &s->instances, iface) || oom(c);
}

static bool valtype(dcx *c, dscope *s, comp_valtype v, wit_type *out, uint32_t off) {
  if (v.prim) {
    *out = prim_of(v.prim);
    return *out != WIT_T_NONE || fail(c, off, "unknown primitive type");
  }
  if (v.idx >= s->types.len || s->types.items[v.idx].kind != E_VT) return fail(c, off, "type index is not a value type");
  *out = s->types.items[v.idx].t;
  return true;
}

static const char *dup(dcx *c, comp_str s) {
  char *p = kb_arena_strndup(c->ar, s.s, s.len);
  if (!p) oom(c);
  return p;
}

static uint32_t push_typedef(dcx *c, const wit_typedef *td) {
  if (!wit_vec_push(c->ar, &c->r->types, *td)) {
    oom(c);
    return WIT_NONE;
  }
  return c->r->types.len - 1;
}

/* A type declaration's entry. */
static bool deftype(dcx *c, dscope *s, const comp_deftype *d, dent *e) {
  memset(e, 0, sizeof *e);
  e->def = d;
  if (d->kind == 0x40 || d->kind == 0x43) {
    e->kind = E_FUNC;
    return true;
  }
  if (d->kind == 0x42) {
    e->kind = E_INST;
    return true;
  }
  if (d->kind == 0x41) {
    e->kind = E_COMP;
    return true;
  }
  if (d->kind == 0x3f) { /* a resource definition: named when exported */
    wit_typedef td;
    memset(&td, 0, sizeof td);
    td.kind = WIT_TD_RESOURCE;
    uint32_t id = push_typedef(c, &td);
    if (id == WIT_NONE) return false;
    e->kind = E_VT;
    e->local = true;
    e->t = wit_t_def(id);
    return true;
  }
  e->kind = E_VT;
  e->local = true;
  wit_type p = prim_of(d->kind);
  if (p != WIT_T_NONE) {
    e->t = p;
    return true;
  }
  wit_typedef td;
  memset(&td, 0, sizeof td);
  bool intern = true;
  switch (d->kind) {
  case 0x72:
  case 0x71:
  case 0x6e:
  case 0x6d:
    intern = false;
    td.kind = d->kind == 0x72 ? WIT_TD_RECORD : d->kind == 0x71 ? WIT_TD_VARIANT : d->kind == 0x6e ? WIT_TD_FLAGS : WIT_TD_ENUM;
    td.ncases = d->n;
    if (!(td.cases = kb_arena_alloc(c->ar, sizeof *td.cases * (d->n + 1)))) return oom(c);
    for (uint32_t i = 0; i < d->n; i++) {
      td.cases[i].name = dup(c, d->items[i].label);
      td.cases[i].type = WIT_T_NONE;
      td.cases[i].docs = NULL;
      if (!td.cases[i].name) return false;
      bool has = d->kind == 0x72 || (d->kind == 0x71 && d->items[i].has_type);
      if (has && !valtype(c, s, d->items[i].type, &td.cases[i].type, d->offset)) return false;
    }
    break;
  case 0x6f:
    td.kind = WIT_TD_TUPLE;
    td.ntypes = d->n;
    if (!(td.types = kb_arena_alloc(c->ar, sizeof *td.types * (d->n + 1)))) return oom(c);
    for (uint32_t i = 0; i < d->n; i++)
      if (!valtype(c, s, d->types[i], &td.types[i], d->offset)) return false;
    break;
  case 0x70:
  case 0x67:
  case 0x6b:
    td.kind = d->kind == 0x70 ? WIT_TD_LIST : d->kind == 0x67 ? WIT_TD_FIXED_LIST : WIT_TD_OPTION;
    td.size = d->len;
    if (!valtype(c, s, d->a, &td.a, d->offset)) return false;
    break;
  case 0x63:
    td.kind = WIT_TD_MAP;
    if (!valtype(c, s, d->a, &td.a, d->offset) || !valtype(c, s, d->b, &td.b, d->offset)) return false;
    break;
  case 0x6a:
  case 0x66:
  case 0x65:
    td.kind = d->kind == 0x6a ? WIT_TD_RESULT : d->kind == 0x66 ? WIT_TD_STREAM : WIT_TD_FUTURE;
    td.a = td.b = WIT_T_NONE;
    if (d->has_a && !valtype(c, s, d->a, &td.a, d->offset)) return false;
    if (d->has_b && !valtype(c, s, d->b, &td.b, d->offset)) return false;
    break;
  case 0x69:
  case 0x68:
    td.kind = d->kind == 0x69 ? WIT_TD_OWN : WIT_TD_BORROW;
    if (d->idx >= s->types.len || s->types.items[d->idx].kind != E_VT) return fail(c, d->offset, "handle of a non-resource");
    td.a = s->types.items[d->idx].t;
    break;
  default:
    e->kind = E_NONE;
    return true;
  }
  if (intern) {
    e->t = wit_intern_anon(c->r, &td);
    if (e->t == WIT_T_NONE) return oom(c);
  } else {
    uint32_t id = push_typedef(c, &td);
    if (id == WIT_NONE) return false;
    e->t = wit_t_def(id);
  }
  return true;
}

/* The named type made by exporting (or importing) entry k as name. */
static uint32_t named_type(dcx *c, const dent *e, const char *name, wit_owner_kind ok, uint32_t owner) {
  wit_typedef td;
  memset(&td, 0, sizeof td);
  if (e->local && wit_t_is_def(e->t) && !c->r->types.items[wit_t_index(e->t)].name) {
    td = c->r->types.items[wit_t_index(e->t)];
  } else {
    td.kind = WIT_TD_ALIAS;
    td.a = e->t;
  }
  td.name = name;
  td.owner_kind = ok;
  td.owner = owner;
  return push_typedef(c, &td);
}

static uint32_t find_named(const wit_interface *in, const char *name) {
  for (uint32_t i = 0; i < in->ntypes; i++)
    if (!strcmp(in->types[i].name, name)) return in->types[i].id;
  return WIT_NONE;
}

/* A world's named type (resource functions of world-level resources). */
static uint32_t world_named(const wit_resolve *r, uint32_t world, const char *name) {
  if (world == WIT_NONE) return WIT_NONE;
  const wit_world *w = &r->worlds.items[world];
  for (uint32_t i = 0; i < w->nimports; i++)
    if (w->imports[i].kind == WIT_ITEM_TYPE && w->imports[i].name && !strcmp(w->imports[i].name, name)) return w->imports[i].id;
  return WIT_NONE;
}

/* A function from function type entry e; its resource (for [method] and
 * the like) is looked up among the types of interface in, or else of
 * world world. */
static bool make_func(dcx *c, dscope *s, const dent *e, const char *name, wit_func *f, const wit_interface *in,
                      uint32_t world) {
  const comp_deftype *d = e->def;
  memset(f, 0, sizeof *f);
  f->name = name;
  f->is_async = d->kind == 0x43;
  f->resource = WIT_NONE;
  f->result = WIT_T_NONE;
  const char *dot = NULL, *rname = NULL;
  size_t rlen = 0;
  if (!strncmp(name, "[method]", 8)) {
    f->kind = WIT_FUNC_METHOD;
    rname = name + 8;
    dot = strchr(rname, '.');
  } else if (!strncmp(name, "[static]", 8)) {
    f->kind = WIT_FUNC_STATIC;
    rname = name + 8;
    dot = strchr(rname, '.');
  } else if (!strncmp(name, "[constructor]", 13)) {
    f->kind = WIT_FUNC_CONSTRUCTOR;
    rname = name + 13;
    dot = rname + strlen(rname);
  }
  if (rname) {
    if (!dot) return fail(c, d->offset, "malformed resource function name");
    rlen = (size_t)(dot - rname);
    char *rn = kb_arena_strndup(c->ar, rname, rlen);
    if (!rn) return oom(c);
    if (in) f->resource = find_named(in, rn);
    else f->resource = world_named(c->r, world, rn);
    if (f->resource == WIT_NONE) return fail(c, d->offset, "resource function of an unknown resource");
    /* A `use`d resource: the function belongs to the resource itself. */
    for (int g = 0; g < 1000 && c->r->types.items[f->resource].kind == WIT_TD_ALIAS &&
                    wit_t_is_def(c->r->types.items[f->resource].a);
         g++)
      f->resource = wit_t_index(c->r->types.items[f->resource].a);
  }
  f->nparams = d->n;
  if (!(f->params = kb_arena_alloc(c->ar, sizeof *f->params * (d->n + 1)))) return oom(c);
  for (uint32_t i = 0; i < d->n; i++) {
    if (!(f->params[i].name = dup(c, d->items[i].label))) return false;
    if (!valtype(c, s, d->items[i].type, &f->params[i].type, d->offset)) return false;
  }
  if (d->has_result && !valtype(c, s, d->result, &f->result, d->offset)) return false;
  return true;
}

/* ---- packages and interfaces by name ---- */

static uint32_t get_package(dcx *c, const char *ns, size_t nslen, const char *name, size_t namelen, const char *ver,
                            size_t verlen) {
  for (uint32_t i = 0; i < c->r->packages.len; i++) {
    const wit_package *p = &c->r->packages.items[i];
    if (strlen(p->ns) != nslen || memcmp(p->ns, ns, nslen) || strlen(p->name) != namelen || memcmp(p->name, name, namelen))
      continue;
    const char *pv = p->version ? p->version->text : "";
    if (strlen(pv) == verlen && !memcmp(pv, ver, verlen)) return i;
  }
  wit_package p;
  memset(&p, 0, sizeof p);
  p.ns = kb_arena_strndup(c->ar, ns, nslen);
  p.name = kb_arena_strndup(c->ar, name, namelen);
  if (!p.ns || !p.name) return oom(c), WIT_NONE;
  if (verlen) {
    const char *why = NULL;
    wit_version *v = wit_parse_version(c->ar, ver, verlen, &why);
    if (!v) return why ? (fail(c, 0, "invalid version in a name"), WIT_NONE) : (oom(c), WIT_NONE);
    p.version = v;
  }
  if (!wit_vec_push(c->ar, &c->r->packages, p)) return oom(c), WIT_NONE;
  return c->r->packages.len - 1;
}

/* Splits "ns:pkg/name@ver" (name may be NULL for "ns:pkg@ver"). */
static bool split_id(dcx *c, const char *id, uint32_t *pkg, const char **item) {
  const char *colon = strchr(id, ':'), *slash = strchr(id, '/'), *at = strchr(id, '@');
  if (!colon || !slash || slash < colon || (at && at < slash)) return fail(c, 0, "malformed interface name");
  const char *end = at ? at : id + strlen(id);
  *pkg = get_package(c, id, (size_t)(colon - id), colon + 1, (size_t)(slash - colon - 1), at ? at + 1 : "",
                     at ? strlen(at + 1) : 0);
  if (*pkg == WIT_NONE) return false;
  char *it = kb_arena_strndup(c->ar, slash + 1, (size_t)(end - slash - 1));
  if (!it) return oom(c);
  *item = it;
  return true;
}

static uint32_t get_interface(dcx *c, const char *id) {
  uint32_t pkg;
  const char *name;
  if (!split_id(c, id, &pkg, &name)) return WIT_NONE;
  wit_package *p = &c->r->packages.items[pkg];
  for (uint32_t i = 0; i < p->ninterfaces; i++)
    if (!strcmp(c->r->interfaces.items[p->interfaces[i]].name, name)) return p->interfaces[i];
  wit_interface in;
  memset(&in, 0, sizeof in);
  in.name = name;
  in.package = pkg;
  if (!wit_vec_push(c->ar, &c->r->interfaces, in)) return oom(c), WIT_NONE;
  uint32_t iid = c->r->interfaces.len - 1;
  p = &c->r->packages.items[pkg];
  if (!wit_arr_push(c->ar, p->interfaces, p->ninterfaces, p->interfaces_cap, iid)) return oom(c), WIT_NONE;
  return iid;
}

/* ---- declarations ---- */

static const dent *outer_ent(dscope *s, uint32_t count, uint32_t idx) {
  for (uint32_t i = 0; i < count && s; i++) s = s->parent;
  if (!s || idx >= s->types.len) return NULL;
  return &s->types.items[idx];
}

static bool alias(dcx *c, dscope *s, const comp_alias *a, uint32_t off) {
  dent e;
  memset(&e, 0, sizeof e);
  if (a->kind == 2) {
    if (a->sort != COMP_SORT_TYPE) return true;
    const dent *o = outer_ent(s, a->count, a->idx);
    if (!o) return fail(c, off, "outer alias out of bounds");
    e = *o;
    e.local = false;
    return push_ent(c, s, e);
  }
  if (a->kind == 0 && (a->sort == COMP_SORT_TYPE || a->sort == COMP_SORT_INSTANCE)) {
    if (a->sort == COMP_SORT_INSTANCE) return push_inst(c, s, WIT_NONE);
    uint32_t iface = a->instance < s->instances.len ? s->instances.items[a->instance] : WIT_NONE;
    if (iface != WIT_NONE) {
      char *name = kb_arena_strndup(c->ar, a->name.s, a->name.len);
      if (!name) return oom(c);
      uint32_t id = find_named(&c->r->interfaces.items[iface], name);
      if (id != WIT_NONE) {
        e.kind = E_VT;
        e.t = wit_t_def(id);
      }
    }
    return push_ent(c, s, e);
  }
  return true;
}

static bool add_func(dcx *c, uint32_t iface, const wit_func *f) {
  wit_interface *in = &c->r->interfaces.items[iface];
  for (uint32_t i = 0; i < in->nfuncs; i++)
    if (!strcmp(in->funcs[i].name, f->name)) return true;
  return wit_arr_push(c->ar, in->funcs, in->nfuncs, in->funcs_cap, *f) || oom(c);
}

/* Opens instance type d as interface iface: types and functions it does not
 * have yet are added, those it has (by name) are reused. */
static bool instance(dcx *c, dscope *parent, const comp_deftype *d, uint32_t iface) {
  if (++c->depth > 100) return fail(c, d->offset, "nesting too deep");
  dscope s;
  memset(&s, 0, sizeof s);
  s.parent = parent;
  for (uint32_t i = 0; i < d->n && !c->err; i++) {
    const comp_decl *dc = &d->decls[i];
    dent e;
    switch (dc->kind) {
    case 1:
      if (deftype(c, &s, dc->type, &e)) push_ent(c, &s, e);
      break;
    case 2: alias(c, &s, &dc->alias, dc->offset); break;
    case 4: {
      const char *name = dup(c, dc->name.name);
      if (!name) break;
      wit_interface *in = &c->r->interfaces.items[iface];
      if (dc->ext.kind == 3) {
        memset(&e, 0, sizeof e);
        e.kind = E_VT;
        uint32_t id = find_named(in, name);
        if (id == WIT_NONE) {
          if (dc->ext.bound == 1) {
            wit_typedef td;
            memset(&td, 0, sizeof td);
            td.kind = WIT_TD_RESOURCE;
            td.name = name;
            td.owner_kind = WIT_OWNER_INTERFACE;
            td.owner = iface;
            id = push_typedef(c, &td);
          } else {
            if (dc->ext.idx >= s.types.len || s.types.items[dc->ext.idx].kind != E_VT) {
              fail(c, dc->offset, "type export of a non-value type");
              break;
            }
            id = named_type(c, &s.types.items[dc->ext.idx], name, WIT_OWNER_INTERFACE, iface);
          }
          if (id == WIT_NONE) break;
          wit_named nm = {name, id};
          in = &c->r->interfaces.items[iface];
          if (!wit_arr_push(c->ar, in->types, in->ntypes, in->types_cap, nm)) {
            oom(c);
            break;
          }
        }
        e.t = wit_t_def(id);
        push_ent(c, &s, e);
      } else if (dc->ext.kind == 1) {
        if (dc->ext.idx >= s.types.len || s.types.items[dc->ext.idx].kind != E_FUNC) {
          fail(c, dc->offset, "function export of a non-function type");
          break;
        }
        wit_func f;
        if (make_func(c, &s, &s.types.items[dc->ext.idx], name, &f, in, WIT_NONE)) add_func(c, iface, &f);
      } else if (dc->ext.kind == 5) {
        push_inst(c, &s, WIT_NONE);
      }
      break;
    }
    default: break;
    }
  }
  c->depth--;
  return !c->err;
}

static bool world_item(dcx *c, uint32_t world, bool import, const wit_world_item *it) {
  wit_world *w = &c->r->worlds.items[world];
  bool ok = import ? wit_arr_push(c->ar, w->imports, w->nimports, w->imports_cap, *it)
                   : wit_arr_push(c->ar, w->exports, w->nexports, w->exports_cap, *it);
  return ok || oom(c);
}

static bool component_type(dcx *c, dscope *parent, const comp_decl *decls, uint32_t n, uint32_t world);

/* An import or export: name, extern descriptor. */
static bool extern_item(dcx *c, dscope *s, const comp_extname *xn, const comp_externtype *ext, bool import,
                        uint32_t world) {
  const char *name = dup(c, xn->name);
  if (!name) return false;
  wit_world_item it;
  memset(&it, 0, sizeof it);
  switch (ext->kind) {
  case 5: {
    if (ext->idx >= s->types.len || s->types.items[ext->idx].kind != E_INST) return fail(c, ext->offset, "instance of a non-instance type");
    const comp_deftype *d = s->types.items[ext->idx].def;
    uint32_t iface;
    if (strchr(name, ':')) {
      iface = get_interface(c, name);
      if (iface == WIT_NONE) return false;
      it.name = NULL;
    } else {
      wit_interface in;
      memset(&in, 0, sizeof in);
      in.package = world != WIT_NONE ? c->r->worlds.items[world].package : WIT_NONE;
      if (!wit_vec_push(c->ar, &c->r->interfaces, in)) return oom(c);
      iface = c->r->interfaces.len - 1;
      it.name = name;
    }
    if (!instance(c, s, d, iface)) return false;
    if (!push_inst(c, s, iface)) return false;
    if (world == WIT_NONE) return true;
    it.kind = WIT_ITEM_INTERFACE;
    it.id = iface;
    return world_item(c, world, import, &it);
  }
  case 1: {
    if (ext->idx >= s->types.len || s->types.items[ext->idx].kind != E_FUNC) return fail(c, ext->offset, "function of a non-function type");
    if (world == WIT_NONE) return true;
    it.kind = WIT_ITEM_FUNC;
    it.name = name;
    if (!make_func(c, s, &s->types.items[ext->idx], name, &it.func, NULL, world)) return false;
    return world_item(c, world, import, &it);
  }
  case 3: {
    dent e;
    memset(&e, 0, sizeof e);
    e.kind = E_VT;
    uint32_t id;
    wit_owner_kind ok = world != WIT_NONE ? WIT_OWNER_WORLD : WIT_OWNER_NONE;
    if (ext->bound == 1) {
      wit_typedef td;
      memset(&td, 0, sizeof td);
      td.kind = WIT_TD_RESOURCE;
      td.name = name;
      td.owner_kind = ok;
      td.owner = world;
      id = push_typedef(c, &td);
    } else {
      if (ext->idx >= s->types.len || s->types.items[ext->idx].kind != E_VT) return fail(c, ext->offset, "type of a non-value type");
      id = named_type(c, &s->types.items[ext->idx], name, ok, world);
    }
    if (id == WIT_NONE) return false;
    e.t = wit_t_def(id);
    if (!push_ent(c, s, e)) return false;
    if (world == WIT_NONE) return true;
    it.kind = WIT_ITEM_TYPE;
    it.name = name;
    it.id = id;
    return world_item(c, world, import, &it);
  }
  case 4: {
    /* A world: "ns:pkg/world@v" exported as a component type. */
    if (ext->idx >= s->types.len || s->types.items[ext->idx].kind != E_COMP) return fail(c, ext->offset, "component of a non-component type");
    uint32_t pkg;
    const char *wname;
    if (!split_id(c, name, &pkg, &wname)) return false;
    wit_world w;
    memset(&w, 0, sizeof w);
    w.name = wname;
    w.package = pkg;
    if (!wit_vec_push(c->ar, &c->r->worlds, w)) return oom(c);
    uint32_t wid = c->r->worlds.len - 1;
    wit_package *p = &c->r->packages.items[pkg];
    if (!wit_arr_push(c->ar, p->worlds, p->nworlds, p->worlds_cap, wid)) return oom(c);
    c->main_pkg = pkg;
    const comp_deftype *d = s->types.items[ext->idx].def;
    return component_type(c, s, d->decls, d->n, wid);
  }
  default: return true;
  }
}

static bool component_type(dcx *c, dscope *parent, const comp_decl *decls, uint32_t n, uint32_t world) {
  if (++c->depth > 100) return fail(c, 0, "nesting too deep");
  dscope s;
  memset(&s, 0, sizeof s);
  s.parent = parent;
  for (uint32_t i = 0; i < n && !c->err; i++) {
    const comp_decl *dc = &decls[i];
    dent e;
    switch (dc->kind) {
    case 1:
      if (deftype(c, &s, dc->type, &e)) push_ent(c, &s, e);
      break;
    case 2: alias(c, &s, &dc->alias, dc->offset); break;
    case 3:
    case 4:
      if (extern_item(c, &s, &dc->name, &dc->ext, dc->kind == 3, world) && dc->kind == 4 && dc->ext.kind == 5 &&
          world == WIT_NONE) {
        uint32_t iface = s.instances.items[s.instances.len - 1];
        if (iface != WIT_NONE) c->main_pkg = c->r->interfaces.items[iface].package;
      }
      break;
    default: break;
    }
  }
  c->depth--;
  return !c->err;
}

/* ---- ordinary components ----
 * Exports of a component made by wit-component are instances of small
 * "shim" components: the shim imports the types and functions it needs
 * (bound by the instantiation's `with` arguments) and exports them with
 * their types ascribed. Opening such an instantiation gives the exported
 * interface: a type imported from an outer definition that is still
 * unnamed becomes the interface's own named type, one that is already
 * named (a type of an imported interface) becomes a `use`. */

typedef WIT_VEC(uint32_t) u32vec; /* function index -> its type index, WIT_NONE */

static bool push_u32(dcx *c, u32vec *v, uint32_t x) { return wit_vec_push(c->ar, v, x) || oom(c); }

static const comp_arg *find_arg(const comp_def *inst, const comp_str *name, comp_sort sort) {
  for (uint32_t i = 0; i < inst->u.instance.n; i++) {
    const comp_arg *a = &inst->u.instance.args[i];
    if (a->sort == sort && a->name.len == name->len && !memcmp(a->name.s, name->s, name->len)) return a;
  }
  return NULL;
}

static bool add_named(dcx *c, uint32_t iface, const char *name, uint32_t id) {
  wit_interface *in = &c->r->interfaces.items[iface];
  wit_named nm = {name, id};
  return wit_arr_push(c->ar, in->types, in->ntypes, in->types_cap, nm) || oom(c);
}

static bool open_shim(dcx *c, dscope *outer, const comp_component *comp, const comp_def *inst, uint32_t iface) {
  if (++c->depth > 100) return fail(c, inst->offset, "nesting too deep");
  dscope s;
  memset(&s, 0, sizeof s);
  s.parent = outer;
  u32vec funcs = {0};
  dent none;
  memset(&none, 0, sizeof none);
  for (uint32_t i = 0; i < comp->ndefs && !c->err; i++) {
    const comp_def *d = &comp->defs[i];
    dent e;
    switch (d->kind) {
    case COMP_DEF_TYPE:
      if (deftype(c, &s, d->u.type, &e)) push_ent(c, &s, e);
      break;
    case COMP_DEF_ALIAS:
      if (d->u.alias.sort == COMP_SORT_FUNC) push_u32(c, &funcs, WIT_NONE);
      else alias(c, &s, &d->u.alias, d->offset);
      break;
    case COMP_DEF_INSTANCE: push_inst(c, &s, WIT_NONE); break;
    case COMP_DEF_CANON:
      if (d->u.canon.op == 0x00) push_u32(c, &funcs, d->u.canon.type);
      break;
    case COMP_DEF_IMPORT: {
      const comp_externtype *x = &d->u.import.ext;
      if (x->kind == 3) {
        const comp_arg *a = find_arg(inst, &d->u.import.name.name, COMP_SORT_TYPE);
        e = a && a->idx < outer->types.len ? outer->types.items[a->idx] : none;
        push_ent(c, &s, e);
      } else if (x->kind == 1) {
        push_u32(c, &funcs, x->idx);
      } else if (x->kind == 5) {
        push_inst(c, &s, WIT_NONE);
      }
      break;
    }
    case COMP_DEF_EXPORT: {
      const char *name = dup(c, d->u.export_.name.name);
      if (!name) break;
      const comp_externtype *x = d->u.export_.has_type ? &d->u.export_.ext : NULL;
      if (d->u.export_.sort == COMP_SORT_TYPE) {
        uint32_t id = WIT_NONE;
        uint32_t idx = x && x->kind == 3 && x->bound == 0 ? x->idx : d->u.export_.idx;
        dent src = idx < s.types.len ? s.types.items[idx] : none;
        if (src.kind == E_VT) id = named_type(c, &src, name, WIT_OWNER_INTERFACE, iface);
        if (id != WIT_NONE && add_named(c, iface, name, id)) {
          memset(&e, 0, sizeof e);
          e.kind = E_VT;
          e.t = wit_t_def(id);
          push_ent(c, &s, e);
        } else {
          push_ent(c, &s, none);
        }
      } else if (d->u.export_.sort == COMP_SORT_FUNC) {
        uint32_t ti = x && x->kind == 1 ? x->idx : d->u.export_.idx < funcs.len ? funcs.items[d->u.export_.idx] : WIT_NONE;
        push_u32(c, &funcs, ti);
        if (ti < s.types.len && s.types.items[ti].kind == E_FUNC) {
          wit_func f;
          if (make_func(c, &s, &s.types.items[ti], name, &f, &c->r->interfaces.items[iface], WIT_NONE)) add_func(c, iface, &f);
        }
      } else if (d->u.export_.sort == COMP_SORT_INSTANCE) {
        push_inst(c, &s, WIT_NONE);
      }
      break;
    }
    default: break;
    }
  }
  c->depth--;
  return !c->err;
}

/* An ordinary component: its imports and exports as world
 * root:component/root. Definitions that add to the type, function and
 * instance index spaces without a WIT meaning get placeholders. */
static bool component_world(dcx *c, const comp_component *comp) {
  uint32_t pkg = get_package(c, "root", 4, "component", 9, "", 0);
  if (pkg == WIT_NONE) return false;
  wit_world w;
  memset(&w, 0, sizeof w);
  w.name = "root";
  w.package = pkg;
  if (!wit_vec_push(c->ar, &c->r->worlds, w)) return oom(c);
  uint32_t wid = c->r->worlds.len - 1;
  wit_package *p = &c->r->packages.items[pkg];
  if (!wit_arr_push(c->ar, p->worlds, p->nworlds, p->worlds_cap, wid)) return oom(c);
  c->main_pkg = pkg;
  dscope s;
  memset(&s, 0, sizeof s);
  u32vec funcs = {0};
  WIT_VEC(const comp_component *) comps = {0};
  dent none;
  memset(&none, 0, sizeof none);
  for (uint32_t i = 0; i < comp->ndefs && !c->err; i++) {
    const comp_def *d = &comp->defs[i];
    dent e;
    switch (d->kind) {
    case COMP_DEF_TYPE:
      if (deftype(c, &s, d->u.type, &e)) push_ent(c, &s, e);
      break;
    case COMP_DEF_ALIAS:
      if (d->u.alias.sort == COMP_SORT_FUNC) push_u32(c, &funcs, WIT_NONE);
      else if (d->u.alias.sort == COMP_SORT_COMPONENT) {
        if (!wit_vec_push(c->ar, &comps, NULL)) oom(c);
      } else alias(c, &s, &d->u.alias, d->offset);
      break;
    case COMP_DEF_COMPONENT:
      if (!wit_vec_push(c->ar, &comps, d->u.component)) oom(c);
      break;
    case COMP_DEF_CANON:
      if (d->u.canon.op == 0x00) push_u32(c, &funcs, d->u.canon.type);
      break;
    case COMP_DEF_INSTANCE: {
      uint32_t iface = WIT_NONE;
      const comp_component *sub = NULL;
      if (d->u.instance.instantiate && d->u.instance.component < comps.len) sub = comps.items[d->u.instance.component];
      if (sub) {
        wit_interface in;
        memset(&in, 0, sizeof in);
        in.package = WIT_NONE;
        if (!wit_vec_push(c->ar, &c->r->interfaces, in)) {
          oom(c);
          break;
        }
        iface = c->r->interfaces.len - 1;
        if (!open_shim(c, &s, sub, d, iface)) break;
      }
      push_inst(c, &s, iface);
      break;
    }
    case COMP_DEF_IMPORT: {
      uint8_t k = d->u.import.ext.kind;
      if (k == 5 || k == 1 || k == 3) extern_item(c, &s, &d->u.import.name, &d->u.import.ext, true, wid);
      if (k == 1) push_u32(c, &funcs, d->u.import.ext.idx);
      else if (k == 4) {
        if (!wit_vec_push(c->ar, &comps, NULL)) oom(c);
      }
      break;
    }
    case COMP_DEF_EXPORT: {
      comp_sort so = d->u.export_.sort;
      const char *name = dup(c, d->u.export_.name.name);
      if (!name) break;
      wit_world_item it;
      memset(&it, 0, sizeof it);
      if (so == COMP_SORT_INSTANCE) {
        uint32_t iface = d->u.export_.idx < s.instances.len ? s.instances.items[d->u.export_.idx] : WIT_NONE;
        push_inst(c, &s, iface);
        if (iface == WIT_NONE) break;
        wit_interface *in = &c->r->interfaces.items[iface];
        if (in->name || in->package != WIT_NONE) break; /* re-export of an import */
        if (strchr(name, ':')) {
          uint32_t ipkg;
          const char *iname;
          if (!split_id(c, name, &ipkg, &iname)) break;
          in = &c->r->interfaces.items[iface];
          in->name = iname;
          in->package = ipkg;
          wit_package *ip = &c->r->packages.items[ipkg];
          if (!wit_arr_push(c->ar, ip->interfaces, ip->ninterfaces, ip->interfaces_cap, iface)) {
            oom(c);
            break;
          }
        } else {
          in->package = pkg;
          it.name = name;
        }
        it.kind = WIT_ITEM_INTERFACE;
        it.id = iface;
        world_item(c, wid, false, &it);
      } else if (so == COMP_SORT_FUNC) {
        const comp_externtype *x = d->u.export_.has_type ? &d->u.export_.ext : NULL;
        uint32_t ti = x && x->kind == 1 ? x->idx : d->u.export_.idx < funcs.len ? funcs.items[d->u.export_.idx] : WIT_NONE;
        push_u32(c, &funcs, ti);
        if (ti < s.types.len && s.types.items[ti].kind == E_FUNC) {
          it.kind = WIT_ITEM_FUNC;
          it.name = name;
          if (make_func(c, &s, &s.types.items[ti], name, &it.func, NULL, wid)) world_item(c, wid, false, &it);
        }
      } else if (so == COMP_SORT_TYPE) {
        dent t = d->u.export_.idx < s.types.len ? s.types.items[d->u.export_.idx] : none;
        if (t.kind == E_VT) {
          uint32_t id = named_type(c, &t, name, WIT_OWNER_WORLD, wid);
          if (id != WIT_NONE) {
            it.kind = WIT_ITEM_TYPE;
            it.name = name;
            it.id = id;
            world_item(c, wid, false, &it);
            t.t = wit_t_def(id);
            t.local = false;
          }
        }
        push_ent(c, &s, t);
      } else if (so == COMP_SORT_COMPONENT) {
        if (!wit_vec_push(c->ar, &comps, NULL)) oom(c);
      }
      break;
    }
    default: break;
    }
  }
  return !c->err;
}

/* ---- package-docs (docs and stability, JSON; see encode.c) ---- */

typedef struct jv {
  uint8_t kind; /* 0 null, 1 string, 2 object, 3 other */
  const char *s;
  uint32_t n; /* object members */
  const char **keys;
  struct jv *vals;
} jv;

typedef struct jrd {
  const char *p, *end;
  kb_arena *ar;
  bool bad;
} jrd;

static void j_ws(jrd *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t')) j->p++;
}

static void j_utf8(char *o, size_t *k, uint32_t cp) {
  if (cp < 0x80) {
    o[(*k)++] = (char)cp;
  } else if (cp < 0x800) {
    o[(*k)++] = (char)(0xc0 | (cp >> 6));
    o[(*k)++] = (char)(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    o[(*k)++] = (char)(0xe0 | (cp >> 12));
    o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[(*k)++] = (char)(0x80 | (cp & 0x3f));
  } else {
    o[(*k)++] = (char)(0xf0 | (cp >> 18));
    o[(*k)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[(*k)++] = (char)(0x80 | (cp & 0x3f));
  }
}

static int j_hex4(jrd *j) {
  if (j->end - j->p < 4) return -1;
  int v = 0;
  for (int i = 0; i < 4; i++) {
    char ch = j->p[i];
    int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  j->p += 4;
  return v;
}

static const char *j_string(jrd *j) {
  if (j->p >= j->end || *j->p != '"') return j->bad = true, NULL;
  j->p++;
  const char *q = j->p;
  size_t n = 0;
  while (q < j->end && *q != '"') {
    if (*q == '\\') q++;
    q++;
    n++;
  }
  char *o = kb_arena_alloc(j->ar, n * 4 + 1);
  if (!o) return j->bad = true, NULL;
  size_t k = 0;
  while (j->p < j->end && *j->p != '"') {
    char ch = *j->p++;
    if (ch != '\\') {
      o[k++] = ch;
      continue;
    }
    if (j->p >= j->end) return j->bad = true, NULL;
    ch = *j->p++;
    switch (ch) {
    case 'n': o[k++] = '\n'; break;
    case 't': o[k++] = '\t'; break;
    case 'r': o[k++] = '\r'; break;
    case 'b': o[k++] = '\b'; break;
    case 'f': o[k++] = '\f'; break;
    case 'u': {
      int cp = j_hex4(j);
      if (cp < 0) return j->bad = true, NULL;
      if (cp >= 0xd800 && cp < 0xdc00 && j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u') {
        j->p += 2;
        int lo = j_hex4(j);
        if (lo < 0xdc00 || lo >= 0xe000) return j->bad = true, NULL;
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
      }
      if (cp == 0) return j->bad = true, NULL;
      j_utf8(o, &k, (uint32_t)cp);
      break;
    }
    default: o[k++] = ch; break;
    }
  }
  if (j->p >= j->end) return j->bad = true, NULL;
  j->p++;
  o[k] = 0;
  return o;
}

static void j_value(jrd *j, jv *v, int depth) {
  memset(v, 0, sizeof *v);
  j_ws(j);
  if (depth > 64 || j->p >= j->end) {
    j->bad = true;
    return;
  }
  if (*j->p == '"') {
    v->kind = 1;
    v->s = j_string(j);
    return;
  }
  if (*j->p == '{') {
    v->kind = 2;
    j->p++;
    WIT_VEC(const char *) keys = {0};
    WIT_VEC(jv) vals = {0};
    j_ws(j);
    if (j->p < j->end && *j->p == '}') {
      j->p++;
      return;
    }
    while (!j->bad) {
      j_ws(j);
      const char *k = j_string(j);
      j_ws(j);
      if (j->bad || j->p >= j->end || *j->p != ':') {
        j->bad = true;
        return;
      }
      j->p++;
      jv val;
      j_value(j, &val, depth + 1);
      if (j->bad || !wit_vec_push(j->ar, &keys, k) || !wit_vec_push(j->ar, &vals, val)) {
        j->bad = true;
        return;
      }
      j_ws(j);
      if (j->p < j->end && *j->p == ',') {
        j->p++;
        continue;
      }
      if (j->p < j->end && *j->p == '}') {
        j->p++;
        break;
      }
      j->bad = true;
    }
    v->n = keys.len;
    v->keys = keys.items;
    v->vals = vals.items;
    return;
  }
  if (j->end - j->p >= 4 && !memcmp(j->p, "null", 4)) {
    j->p += 4;
    return;
  }
  j->bad = true;
}

static const jv *j_get(const jv *o, const char *key) {
  if (!o || o->kind != 2) return NULL;
  for (uint32_t i = 0; i < o->n; i++)
    if (o->keys[i] && !strcmp(o->keys[i], key)) return &o->vals[i];
  return NULL;
}
static const char *j_str(const jv *v) { return v && v->kind == 1 ? v->s : NULL; }

static const wit_version *j_version(dcx *c, const jv *v) {
  const char *s = j_str(v);
  if (!s) return NULL;
  const char *why = NULL;
  return wit_parse_version(c->ar, s, strlen(s), &why);
}

static void j_stability(dcx *c, const jv *v, wit_stability *st) {
  const jv *x;
  if (!v) return;
  memset(st, 0, sizeof *st);
  if ((x = j_get(v, "stable"))) {
    st->kind = WIT_STAB_STABLE;
    st->since = j_version(c, j_get(x, "since"));
    st->deprecated = j_version(c, j_get(x, "deprecated"));
    if (!st->since) st->kind = WIT_STAB_UNKNOWN;
  } else if ((x = j_get(v, "unstable"))) {
    st->kind = WIT_STAB_UNSTABLE;
    st->feature = j_str(j_get(x, "feature"));
    st->deprecated = j_version(c, j_get(x, "deprecated"));
    if (!st->feature) st->kind = WIT_STAB_UNKNOWN;
  }
}

static void inject_func(dcx *c, const jv *v, wit_func *f) {
  if (v->kind == 1) {
    f->docs = v->s;
    return;
  }
  if (j_str(j_get(v, "docs"))) f->docs = j_str(j_get(v, "docs"));
  j_stability(c, j_get(v, "stability"), &f->stability);
}

static void inject_type(dcx *c, const jv *v, uint32_t id) {
  wit_typedef *td = &c->r->types.items[id];
  if (j_str(j_get(v, "docs"))) td->docs = j_str(j_get(v, "docs"));
  j_stability(c, j_get(v, "stability"), &td->stability);
  const jv *items = j_get(v, "items");
  for (uint32_t i = 0; items && items->kind == 2 && i < items->n; i++)
    for (uint32_t k = 0; k < td->ncases; k++)
      if (!strcmp(td->cases[k].name, items->keys[i])) td->cases[k].docs = j_str(&items->vals[i]);
}

static void inject_iface(dcx *c, const jv *v, uint32_t iface) {
  wit_interface *in = &c->r->interfaces.items[iface];
  if (j_str(j_get(v, "docs"))) in->docs = j_str(j_get(v, "docs"));
  j_stability(c, j_get(v, "stability"), &in->stability);
  const jv *m = j_get(v, "types");
  for (uint32_t i = 0; m && m->kind == 2 && i < m->n; i++) {
    uint32_t id = find_named(in, m->keys[i]);
    if (id != WIT_NONE) inject_type(c, &m->vals[i], id);
  }
  m = j_get(v, "funcs");
  for (uint32_t i = 0; m && m->kind == 2 && i < m->n; i++)
    for (uint32_t k = 0; k < in->nfuncs; k++)
      if (!strcmp(in->funcs[k].name, m->keys[i])) inject_func(c, &m->vals[i], &in->funcs[k]);
}

static wit_world_item *world_find(wit_world *w, const char *name, int which /* 0 import-then-export, 1 import, 2 export */) {
  if (which != 2)
    for (uint32_t i = 0; i < w->nimports; i++)
      if (w->imports[i].name && !strcmp(w->imports[i].name, name)) return &w->imports[i];
  if (which != 1)
    for (uint32_t i = 0; i < w->nexports; i++)
      if (w->exports[i].name && !strcmp(w->exports[i].name, name)) return &w->exports[i];
  return NULL;
}

static void inject_world(dcx *c, const jv *v, uint32_t wid) {
  wit_world *w = &c->r->worlds.items[wid];
  if (j_str(j_get(v, "docs"))) w->docs = j_str(j_get(v, "docs"));
  j_stability(c, j_get(v, "stability"), &w->stability);
  static const char *const ikeys[] = {"interfaces", "interface_exports"};
  for (int k = 0; k < 2; k++) {
    const jv *m = j_get(v, ikeys[k]);
    for (uint32_t i = 0; m && m->kind == 2 && i < m->n; i++) {
      wit_world_item *it = world_find(w, m->keys[i], k ? 2 : 0);
      if (!it || it->kind != WIT_ITEM_INTERFACE) continue;
      j_stability(c, j_get(&m->vals[i], "stability"), &it->stability);
      inject_iface(c, &m->vals[i], it->id);
    }
  }
  const jv *m = j_get(v, "types");
  for (uint32_t i = 0; m && m->kind == 2 && i < m->n; i++) {
    wit_world_item *it = world_find(w, m->keys[i], 1);
    if (it && it->kind == WIT_ITEM_TYPE) inject_type(c, &m->vals[i], it->id);
  }
  static const char *const fkeys[] = {"funcs", "func_exports"};
  for (int k = 0; k < 2; k++) {
    m = j_get(v, fkeys[k]);
    for (uint32_t i = 0; m && m->kind == 2 && i < m->n; i++) {
      wit_world_item *it = world_find(w, m->keys[i], k ? 2 : 0);
      if (it && it->kind == WIT_ITEM_FUNC) inject_func(c, &m->vals[i], &it->func);
    }
  }
  static const char *const skeys[] = {"interface_import_stability", "interface_export_stability"};
  for (int k = 0; k < 2; k++) {
    m = j_get(v, skeys[k]);
    for (uint32_t i = 0; m && m->kind == 2 && i < m->n; i++) {
      wit_world_item *items = k ? w->exports : w->imports;
      uint32_t n = k ? w->nexports : w->nimports;
      for (uint32_t j = 0; j < n; j++) {
        if (items[j].kind != WIT_ITEM_INTERFACE) continue;
        const char *key = items[j].name ? items[j].name : wit_interface_id_string(c->r, items[j].id);
        if (key && !strcmp(key, m->keys[i])) j_stability(c, &m->vals[i], &items[j].stability);
      }
    }
  }
}

/* Applies a package-docs payload to package pkg; a payload that does not
 * parse is ignored (docs are an extra). */
static void package_docs(dcx *c, uint32_t pkg, const uint8_t *p, size_t n) {
  if (n < 1 || p[0] > 1 || pkg == WIT_NONE) return;
  jrd j = {(const char *)p + 1, (const char *)p + n, c->ar, false};
  jv root;
  j_value(&j, &root, 0);
  if (j.bad || root.kind != 2) return;
  wit_package *pk = &c->r->packages.items[pkg];
  if (j_str(j_get(&root, "docs"))) pk->docs = j_str(j_get(&root, "docs"));
  const jv *m = j_get(&root, "interfaces");
  for (uint32_t i = 0; m && m->kind == 2 && i < m->n; i++)
    for (uint32_t k = 0; k < pk->ninterfaces; k++)
      if (!strcmp(c->r->interfaces.items[pk->interfaces[k]].name, m->keys[i])) inject_iface(c, &m->vals[i], pk->interfaces[k]);
  m = j_get(&root, "worlds");
  for (uint32_t i = 0; m && m->kind == 2 && i < m->n; i++)
    for (uint32_t k = 0; k < pk->nworlds; k++)
      if (!strcmp(c->r->worlds.items[pk->worlds[k]].name, m->keys[i])) inject_world(c, &m->vals[i], pk->worlds[k]);
}

static bool is_package_encoding(const comp_component *comp) {
  if (!comp->ndefs) return false;
  for (uint32_t i = 0; i < comp->ndefs; i++) {
    const comp_def *d = &comp->defs[i];
    if (d->kind == COMP_DEF_TYPE && d->u.type->kind == 0x41) continue;
    if (d->kind == COMP_DEF_EXPORT && d->u.export_.sort == COMP_SORT_TYPE) continue;
    return false;
  }
  return true;
}

/* The decoded model must be printable WIT: a type alias (a `use`) refers to
 * a type of a named interface, or to one of its own owner. */
static bool check_model(dcx *c) {
  for (uint32_t i = 0; i < c->r->types.len; i++) {
    const wit_typedef *t = &c->r->types.items[i];
    if (t->kind != WIT_TD_ALIAS || !wit_t_is_def(t->a) || t->owner_kind == WIT_OWNER_NONE) continue;
    const wit_typedef *d = &c->r->types.items[wit_t_index(t->a)];
    if (!d->name) continue;
    if (d->owner_kind == t->owner_kind && d->owner == t->owner) continue;
    if (d->owner_kind == WIT_OWNER_INTERFACE && d->owner < c->r->interfaces.len) {
      const wit_interface *in = &c->r->interfaces.items[d->owner];
      if (in->name && in->package != WIT_NONE) continue;
    }
    return fail(c, 0, "a type refers to a type that WIT cannot name");
  }
  return true;
}

static kumi_error *decode_component(wit_resolve *r, const uint8_t *bytes, size_t len, uint32_t *main_pkg) {
  kumi_error *err = NULL;
  comp_ast *ast = comp_decode(r->alloc, bytes, len, &err);
  if (!ast) return err;
  dcx c;
  memset(&c, 0, sizeof c);
  c.r = r;
  c.ar = &r->arena;
  c.main_pkg = WIT_NONE;
  const comp_component *comp = ast->root;
  if (is_package_encoding(comp)) {
    dscope s;
    memset(&s, 0, sizeof s);
    for (uint32_t i = 0; i < comp->ndefs && !c.err; i++) {
      const comp_def *d = &comp->defs[i];
      if (d->kind != COMP_DEF_TYPE) continue;
      component_type(&c, &s, d->u.type->decls, d->u.type->n, WIT_NONE);
    }
  } else {
    component_world(&c, comp);
  }
  comp_ast_free(ast);
  if (!c.err) check_model(&c);
  if (!c.err && c.main_pkg != WIT_NONE) {
    size_t n = 0;
    const uint8_t *p = wit_find_custom(bytes, len, "package-docs", false, &n);
    if (p) package_docs(&c, c.main_pkg, p, n);
  }
  if (!c.err && c.main_pkg == WIT_NONE) c.err = kb_error(r->alloc, KUMI_ERR_INVALID, 0, "wit: the binary holds no WIT package");
  if (c.err) return c.err;
  *main_pkg = c.main_pkg;
  return NULL;
}

kumi_error *wit_decode(wit_resolve *r, const uint8_t *bytes, size_t len, uint32_t *main_pkg) {
  if (len < 8 || memcmp(bytes, "\0asm", 4)) return kb_error(r->alloc, KUMI_ERR_MALFORMED, 0, "wit: not a WebAssembly binary");
  if (bytes[4] == 0x01 && bytes[5] == 0 && bytes[6] == 0 && bytes[7] == 0) {
    size_t n = 0;
    const uint8_t *p = wit_find_custom(bytes, len, "component-type", true, &n);
    if (!p) return kb_error(r->alloc, KUMI_ERR_INVALID, 0, "wit: the core module has no component-type custom section");
    return decode_component(r, p, n, main_pkg);
  }
  return decode_component(r, bytes, len, main_pkg);
}
