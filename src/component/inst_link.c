/* Top-level imports of a component from the host (inst_rt.h,
 * kumi_component_linker in include/kumi.h). An imported instance becomes a
 * runtime instance whose functions call the host and whose resource types
 * are the host's: one resource type (rid) per host resource definition and
 * component instance, shared by every import that names it, so a handle
 * returned by one interface can be passed to another. Host function types
 * written in WIT are checked against the import's type by the subtyping
 * rules (equality for functions). */
#include "inst_rt.h"

#include <stdarg.h>
#include <stdio.h>

/* ---- printing types for link errors ---------------------------------------------- */

typedef struct tbuf {
  char *p;
  size_t cap, len;
} tbuf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void tput(tbuf *b, const char *fmt, ...) {
  if (b->len + 1 >= b->cap) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
  va_end(ap);
  if (n > 0) b->len = b->len + (size_t)n < b->cap ? b->len + (size_t)n : b->cap - 1;
}

/* The name of resource type rid: a host resource's name, or "resource". */
static void resource_name(const kumi_component_instance *root, uint32_t rid, tbuf *b) {
  uint64_t v;
  if (comp_u32map_get(&root->res, rid, &v)) {
    const rt_resinfo *ri = (const rt_resinfo *)(uintptr_t)v;
    if (ri->host) {
      tput(b, "%s", ri->host->name);
      return;
    }
  }
  tput(b, "resource");
}

static void print_vt(const kumi_component_instance *root, comp_vt v, tbuf *b, unsigned depth);

static void print_fields(const kumi_component_instance *root, const comp_type *t, bool typed, bool paren, tbuf *b,
                         unsigned depth) {
  for (uint32_t i = 0; i < t->n; i++) {
    tput(b, "%s%s", i ? ", " : "", t->fields[i].name.s ? t->fields[i].name.s : "");
    if (typed && t->fields[i].has_type) {
      tput(b, paren ? "(" : ": ");
      print_vt(root, t->fields[i].type, b, depth + 1);
      if (paren) tput(b, ")");
    }
  }
}

static void print_vt(const kumi_component_instance *root, comp_vt v, tbuf *b, unsigned depth) {
  if (v.prim) {
    tput(b, "%s", comp_prim_name(v.prim));
    return;
  }
  if (!v.id || depth > 20) {
    tput(b, "...");
    return;
  }
  const comp_type *t = comp_ty(&root->ts, v.id);
  if (t->kind == CT_RESOURCE) {
    resource_name(root, t->rid, b);
    return;
  }
  if (t->kind == CT_FUNC) {
    tput(b, "func(");
    print_fields(root, t, true, false, b, depth);
    tput(b, ")");
    if (t->has_result) {
      tput(b, " -> ");
      print_vt(root, t->result, b, depth + 1);
    }
    return;
  }
  if (t->kind != CT_DEFINED) {
    tput(b, "?");
    return;
  }
  switch (t->dkind) {
  case 0x72: tput(b, "record{"); print_fields(root, t, true, false, b, depth); tput(b, "}"); return;
  case 0x71: tput(b, "variant{"); print_fields(root, t, true, true, b, depth); tput(b, "}"); return;
  case 0x6e: tput(b, "flags{"); print_fields(root, t, false, false, b, depth); tput(b, "}"); return;
  case 0x6d: tput(b, "enum{"); print_fields(root, t, false, false, b, depth); tput(b, "}"); return;
  case 0x6f:
    tput(b, "tuple<");
    for (uint32_t i = 0; i < t->n; i++) {
      if (i) tput(b, ", ");
      print_vt(root, t->fields[i].type, b, depth + 1);
    }
    tput(b, ">");
    return;
  case 0x70: case 0x67: case 0x6b: case 0x66: case 0x65:
    tput(b, "%s", t->dkind == 0x6b ? "option" : t->dkind == 0x66 ? "stream" : t->dkind == 0x65 ? "future" : "list");
    if (!t->has_a) return;
    tput(b, "<");
    print_vt(root, t->a, b, depth + 1);
    if (t->dkind == 0x67) tput(b, ", %u", t->len);
    tput(b, ">");
    return;
  case 0x6a:
    tput(b, "result");
    if (!t->has_a && !t->has_b) return;
    tput(b, "<");
    if (t->has_a) print_vt(root, t->a, b, depth + 1);
    else tput(b, "_");
    if (t->has_b) {
      tput(b, ", ");
      print_vt(root, t->b, b, depth + 1);
    }
    tput(b, ">");
    return;
  case 0x63:
    tput(b, "map<");
    print_vt(root, t->a, b, depth + 1);
    tput(b, ", ");
    print_vt(root, t->b, b, depth + 1);
    tput(b, ">");
    return;
  case 0x69: case 0x68: {
    tput(b, t->dkind == 0x69 ? "own<" : "borrow<");
    const comp_type *r = t->res ? comp_ty(&root->ts, t->res) : NULL;
    if (r && r->kind == CT_RESOURCE) resource_name(root, r->rid, b);
    else tput(b, "?");
    tput(b, ">");
    return;
  }
  default: tput(b, "?"); return;
  }
}

/* ---- host resources and functions --------------------------------------------------- */

/* The resource type of host resource d in this instance (made on first use). */
static kumi_error *host_resource(rt_ctx *x, const comp_link_def *d, comp_vt *out) {
  kumi_component_instance *root = x->root;
  uint64_t v;
  out->prim = 0;
  if (comp_u32map_get(&root->host_res, d->index, &v)) {
    out->id = (comp_tid)v;
    return NULL;
  }
  rt_resinfo *ri = comp_rt_arena(x, sizeof *ri);
  comp_tid id = comp_types_fresh_resource(&root->ts);
  if (!ri || !id) return kb_error_oom();
  memset(ri, 0, sizeof *ri);
  ri->host = d;
  if (!comp_u32map_put(&root->res, comp_ty(&root->ts, id)->rid, (uint64_t)(uintptr_t)ri) ||
      !comp_u32map_put(&root->host_res, d->index, id))
    return kb_error_oom();
  out->id = id;
  return NULL;
}

/* What an import is called in messages: `name` or `iface#name`. */
typedef struct link_where {
  const comp_str *import; /* the top-level import */
  const char *iface;      /* the chosen host interface, or NULL (top level) */
  uint32_t iface_len;
  bool missing;           /* an imported instance no host interface satisfies */
} link_where;

static kumi_error *link_error(rt_ctx *x, const link_where *w, const char *item, const char *what, const char *expected,
                              const char *detail) {
  const kumi_component_linker *l = x->root->linker;
  if (!l) return kb_error(x->a, KUMI_ERR_LINK, KUMI_NO_OFFSET, "import \"%s\" not defined (no host definitions)", w->import->s);
  char has[1024];
  has[0] = 0;
  if (w->iface || !item) {
    comp_link_describe(l, w->import->s, w->import->len, w->iface, w->iface_len, has, sizeof has);
  } else {
    size_t o = 0;
    for (size_t i = 0; i < l->defs.len && o + 80 < sizeof has; i++)
      if (!l->defs.items[i]->iface)
        o += (size_t)snprintf(has + o, sizeof has - o, "%s %s %s", o ? "," : "the linker's top level defines:",
                              l->defs.items[i]->kind == COMP_LINK_FUNC ? "func" : "resource", l->defs.items[i]->name);
    if (!o) snprintf(has, sizeof has, "the linker defines nothing at the top level");
  }
  if (!item) return kb_error(x->a, KUMI_ERR_LINK, KUMI_NO_OFFSET, "import \"%s\" not defined: %s", w->import->s, has);
  return kb_error(x->a, KUMI_ERR_LINK, KUMI_NO_OFFSET, "import \"%s\": %s \"%s\" of type %s: %s; %s", w->import->s, what,
                  item, expected, detail ? detail : "not defined", has);
}

/* A link error about function item of type ft_id (printed). */
static kumi_error *func_error(rt_ctx *x, const link_where *w, const char *item, comp_tid ft_id, const char *detail) {
  char tyname[512];
  tbuf tb = {tyname, sizeof tyname, 0};
  tyname[0] = 0;
  comp_vt fv = {0, ft_id};
  print_vt(x->root, fv, &tb, 0);
  return link_error(x, w, item, "func", tyname, detail);
}

/* The host function for an import of type ft (the import's own type, in
 * root->ts) named item in host interface w->iface (NULL: top level). */
static kumi_error *host_func(rt_ctx *x, const link_where *w, const char *item, uint32_t item_len, const comp_type *ft,
                             comp_tid ft_id, const rt_named_vec *seen, kumi_component_func **out) {
  kumi_component_instance *root = x->root;
  if (w->missing) return link_error(x, w, NULL, "", "", NULL);
  const comp_link_def *d = comp_link_find(root->linker, w->iface, w->iface_len, item, item_len);
  if (!d) return func_error(x, w, item, ft_id, "not defined");
  if (d->kind != COMP_LINK_FUNC) return func_error(x, w, item, ft_id, "the host defines a resource of that name");
  if (d->type) {
    /* the resources this function's type may name: those its interface
     * defines, and the resource types the imported instance exports before
     * it (a `use`d type such as input-stream in wasi:filesystem/types) */
    kb_map names;
    kb_map_init(&names, x->a);
    kumi_error *err = NULL;
    for (size_t i = 0; seen && i < seen->len && !err; i++) {
      const rt_named *n = &seen->items[i];
      if (n->e.sort != COMP_SORT_TYPE || n->e.u.vt.prim || !n->e.u.vt.id ||
          comp_ty(&root->ts, n->e.u.vt.id)->kind != CT_RESOURCE)
        continue;
      if (!kb_map_put(&names, n->name, n->len, (void *)(uintptr_t)n->e.u.vt.id)) err = kb_error_oom();
    }
    const kumi_component_linker *l = root->linker;
    for (size_t i = 0; i < l->defs.len && !err; i++) {
      const comp_link_def *r = l->defs.items[i];
      if (r->kind != COMP_LINK_RESOURCE || (r->iface == NULL) != (w->iface == NULL)) continue;
      if (w->iface && (r->iface_len != w->iface_len || memcmp(r->iface, w->iface, w->iface_len) != 0)) continue;
      comp_vt rv;
      if (!(err = host_resource(x, r, &rv)) && !kb_map_put(&names, r->name, r->name_len, (void *)(uintptr_t)rv.id))
        err = kb_error_oom();
    }
    comp_tid host_ft = 0;
    if (!err) err = comp_link_parse_type(&root->ts, d->type, &names, &host_ft);
    kb_map_free(&names);
    if (err) {
      if (kumi_error_kind_of(err) != KUMI_ERR_LINK) return err;
      char msg[300];
      snprintf(msg, sizeof msg, "%s", kumi_error_message(err));
      kumi_error_free(err);
      return func_error(x, w, item, ft_id, msg);
    }
    char why[400];
    comp_subcx cx = {&root->ts, why, sizeof why, false};
    comp_entity a = {.kind = CE_FUNC, .id = host_ft}, b = {.kind = CE_FUNC, .id = ft_id};
    why[0] = 0;
    if (!comp_sub_entity(&cx, &a, &b)) {
      if (cx.oom || root->ts.oom) return kb_error_oom();
      char msg[600];
      snprintf(msg, sizeof msg, "the host's type \"%s\" does not match: %s", d->type, why);
      return func_error(x, w, item, ft_id, msg);
    }
  }
  kumi_component_func *f = comp_rt_arena(x, sizeof *f);
  if (!f) return kb_error_oom();
  memset(f, 0, sizeof *f);
  f->root = root;
  f->ft = ft;
  f->host = d;
  *out = f;
  return NULL;
}

static kumi_error *host_type(rt_ctx *x, const link_where *w, const char *item, uint32_t item_len, comp_vt *out) {
  if (w->missing) return link_error(x, w, NULL, "", "", NULL);
  const comp_link_def *d = comp_link_find(x->root->linker, w->iface, w->iface_len, item, item_len);
  if (!d) return link_error(x, w, item, "resource", "(sub resource)", "not defined");
  if (d->kind != COMP_LINK_RESOURCE)
    return link_error(x, w, item, "resource", "(sub resource)", "the host defines a function of that name");
  return host_resource(x, d, out);
}

/* ---- imported instances ----------------------------------------------------------- */

static void scope_free(const kumi_allocator *a, rt_scope *s) {
  for (int k = 0; k < COMP_SORT_COUNT; k++) kb_vec_free(a, &s->sp[k]);
}

/* One export declaration of the imported instance type, into tmp and ex. */
static kumi_error *link_export(rt_ctx *x, const link_where *w, rt_scope *tmp, const comp_decl *dc, rt_named_vec *ex) {
  const comp_str *nm = &dc->name.name;
  rt_ent e;
  memset(&e, 0, sizeof e);
  kumi_error *err = NULL;
  switch (dc->ext.kind) {
  case 1: {
    const comp_type *ft = NULL;
    rt_ent te;
    if ((err = comp_rt_func_type_at(x, tmp, dc->ext.idx, &ft)) || (err = comp_rt_at(x, tmp, COMP_SORT_TYPE, dc->ext.idx, &te)))
      return err;
    e.sort = COMP_SORT_FUNC;
    if ((err = host_func(x, w, nm->s, nm->len, ft, te.u.vt.id, ex, &e.u.f))) return err;
    break;
  }
  case 3:
    e.sort = COMP_SORT_TYPE;
    if (dc->ext.bound == 1) err = host_type(x, w, nm->s, nm->len, &e.u.vt);
    else err = comp_rt_at(x, tmp, COMP_SORT_TYPE, dc->ext.idx, &e);
    e.sort = COMP_SORT_TYPE;
    if (err) return err;
    break;
  default:
    return link_error(x, w, nm->s, dc->ext.kind == 2 ? "value" : dc->ext.kind == 5 ? "instance" : "item",
                      "(exported by the imported instance)", "the host can only provide functions and resource types");
  }
  rt_named n = {nm->s, nm->len, e};
  if (!kb_vec_push(x->a, ex, n)) return kb_error_oom();
  return comp_rt_push(x, tmp, e);
}

static kumi_error *link_instance(rt_ctx *x, rt_scope *s, const comp_def *d, rt_ent *out) {
  const comp_str *nm = &d->u.import.name.name;
  link_where w = {nm, NULL, 0, false};
  rt_ent te;
  kumi_error *err = comp_rt_at(x, s, COMP_SORT_TYPE, d->u.import.ext.idx, &te);
  if (err) return err;
  if (!te.decl || te.decl->d->kind != 0x42) return UNSUPPORTED(x->a, "an imported instance whose type the runtime does not model");
  const comp_deftype *it = te.decl->d;
  /* An instance type that exports only types defined in it (or in earlier
   * imports) needs nothing from the host: missing is an error only when a
   * function or resource type is asked for. */
  w.missing = !comp_link_resolve_iface(x->root->linker, nm->s, nm->len, &w.iface, &w.iface_len);
  /* a scope for the instance type's own index spaces, nested in the one it
   * was defined in (outer aliases) */
  rt_scope tmp;
  memset(&tmp, 0, sizeof tmp);
  tmp.parent = te.decl->scope;
  rt_named_vec ex = {0};
  for (uint32_t i = 0; i < it->n && !err; i++) {
    const comp_decl *dc = &it->decls[i];
    rt_ent e;
    memset(&e, 0, sizeof e);
    switch (dc->kind) {
    case 0: e.sort = COMP_SORT_CORE_TYPE; err = comp_rt_push(x, &tmp, e); break;
    case 1:
      e.sort = COMP_SORT_TYPE;
      if (!(err = comp_rt_build_type(x, &tmp, dc->type, &e.u.vt))) err = comp_rt_push(x, &tmp, e);
      break;
    case 2: err = comp_rt_alias_def(x, &tmp, &dc->alias); break;
    case 4: err = link_export(x, &w, &tmp, dc, &ex); break;
    default: err = kb_error(x->a, KUMI_ERR_INVALID, dc->offset, "bad instance type declaration"); break;
    }
  }
  scope_free(x->a, &tmp);
  rt_inst *ri = err ? NULL : comp_rt_arena(x, sizeof *ri);
  rt_named *items = err ? NULL : comp_rt_arena(x, ex.len * sizeof *items);
  if (!err && (!ri || !items)) err = kb_error_oom();
  if (!err) {
    if (ex.len) memcpy(items, ex.items, ex.len * sizeof *items);
    ri->n = (uint32_t)ex.len;
    ri->exports = items;
    out->sort = COMP_SORT_INSTANCE;
    out->u.inst = ri;
  }
  kb_vec_free(x->a, &ex);
  return err;
}

kumi_error *comp_rt_link_import(rt_ctx *x, rt_scope *s, const comp_def *d) {
  const comp_str *nm = &d->u.import.name.name;
  const comp_externtype *ext = &d->u.import.ext;
  link_where w = {nm, NULL, 0, false};
  rt_ent e;
  memset(&e, 0, sizeof e);
  kumi_error *err = NULL;
  switch (ext->kind) {
  case 5: err = link_instance(x, s, d, &e); break;
  case 1: {
    const comp_type *ft = NULL;
    rt_ent te;
    if ((err = comp_rt_func_type_at(x, s, ext->idx, &ft)) || (err = comp_rt_at(x, s, COMP_SORT_TYPE, ext->idx, &te)))
      return err;
    e.sort = COMP_SORT_FUNC;
    err = host_func(x, &w, nm->s, nm->len, ft, te.u.vt.id, NULL, &e.u.f);
    break;
  }
  case 3:
    if (ext->bound == 1) {
      e.sort = COMP_SORT_TYPE;
      err = host_type(x, &w, nm->s, nm->len, &e.u.vt);
    } else {
      err = comp_rt_at(x, s, COMP_SORT_TYPE, ext->idx, &e); /* (eq T): the type itself */
    }
    e.sort = COMP_SORT_TYPE;
    break;
  default:
    return kb_error(x->a, KUMI_ERR_LINK, d->offset, "import \"%s\": the host cannot provide a %s", nm->s,
                    ext->kind == 0 ? "core module" : ext->kind == 4 ? "component" : "value");
  }
  if (err) return err;
  return comp_rt_push(x, s, e);
}
