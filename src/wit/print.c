/* wit: printing a resolved package as canonical WIT, with the layout of
 * `wasm-tools component wit`: two-space indentation, one item per line, a
 * blank line between items of an interface (not between `use`s or between
 * world imports), worlds printed elaborated, doc comments as `///` lines and
 * gates as attributes. Printing the printed text again gives the same text. */
#include "wit_int.h"

#include <stdio.h>

typedef struct out {
  wit_resolve *r;
  KB_VEC(char) buf;
  uint32_t indent;
  bool needs_indent;
  bool any_items;
  bool oom;
  const char *bad; /* an inconsistency of the model */
} out;

static void push(out *o, const char *s, size_t n) {
  if (o->oom) return;
  if (!kb_vec_reserve(o->r->alloc, &o->buf, n + 1)) {
    o->oom = true;
    return;
  }
  memcpy(o->buf.items + o->buf.len, s, n);
  o->buf.len += n;
}

static void indent_if_needed(out *o) {
  if (!o->needs_indent) return;
  for (uint32_t i = 0; i < o->indent; i++) push(o, "  ", 2);
  o->needs_indent = false;
}

static void str(out *o, const char *s) {
  indent_if_needed(o);
  push(o, s, strlen(s));
}

static void newline(out *o) {
  push(o, "\n", 1);
  o->needs_indent = true;
}

static void indent_start(out *o) {
  push(o, " {", 2);
  o->indent++;
  newline(o);
}

static void indent_end(out *o) {
  if (o->indent) o->indent--;
  indent_if_needed(o);
  push(o, "}", 1);
  newline(o);
}

static void semicolon(out *o) {
  push(o, ";", 1);
  newline(o);
}

static void name(out *o, const char *n) {
  /* Keywords need '%'; wasm-tools also escapes the old float type names. */
  if (wit_is_keyword(n) || !strcmp(n, "float32") || !strcmp(n, "float64")) str(o, "%");
  str(o, n);
}

static void new_item(out *o) {
  if (o->any_items) newline(o);
  o->any_items = true;
}

static void docs(out *o, wit_docs d) {
  if (!d) return;
  const char *p = d;
  for (;;) {
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    indent_if_needed(o);
    push(o, "///", 3);
    if (n) {
      push(o, " ", 1);
      push(o, p, n);
    }
    newline(o);
    if (!e) break;
    p = e + 1;
  }
}

static void stability(out *o, const wit_stability *s) {
  if (s->kind == WIT_STAB_UNKNOWN) return;
  if (s->kind == WIT_STAB_STABLE) {
    str(o, "@since(version = ");
    str(o, s->since->text);
  } else {
    str(o, "@unstable(feature = ");
    str(o, s->feature);
  }
  str(o, ")");
  newline(o);
  if (s->deprecated) {
    str(o, "@deprecated(version = ");
    str(o, s->deprecated->text);
    str(o, ")");
    newline(o);
  }
}

static const wit_typedef *td_of(out *o, wit_type t) { return &o->r->types.items[wit_t_index(t)]; }

static void type_name(out *o, wit_type t, int depth);

static void type_body(out *o, const wit_typedef *d, int depth) {
  char num[24];
  switch (d->kind) {
  case WIT_TD_ALIAS: type_name(o, d->a, depth + 1); return;
  case WIT_TD_OWN:
    if (!wit_t_is_def(d->a) || !td_of(o, d->a)->name) break;
    name(o, td_of(o, d->a)->name);
    return;
  case WIT_TD_BORROW:
    if (!wit_t_is_def(d->a) || !td_of(o, d->a)->name) break;
    str(o, "borrow<");
    name(o, td_of(o, d->a)->name);
    str(o, ">");
    return;
  case WIT_TD_TUPLE:
    str(o, "tuple<");
    for (uint32_t i = 0; i < d->ntypes; i++) {
      if (i) str(o, ", ");
      type_name(o, d->types[i], depth + 1);
    }
    str(o, ">");
    return;
  case WIT_TD_OPTION:
    str(o, "option<");
    type_name(o, d->a, depth + 1);
    str(o, ">");
    return;
  case WIT_TD_RESULT:
    str(o, "result");
    if (d->a == WIT_T_NONE && d->b == WIT_T_NONE) return;
    str(o, "<");
    if (d->a == WIT_T_NONE) str(o, "_");
    else type_name(o, d->a, depth + 1);
    if (d->b != WIT_T_NONE) {
      str(o, ", ");
      type_name(o, d->b, depth + 1);
    }
    str(o, ">");
    return;
  case WIT_TD_LIST:
  case WIT_TD_FIXED_LIST:
    str(o, "list<");
    type_name(o, d->a, depth + 1);
    if (d->kind == WIT_TD_FIXED_LIST) {
      snprintf(num, sizeof num, ", %u", d->size);
      str(o, num);
    }
    str(o, ">");
    return;
  case WIT_TD_MAP:
    str(o, "map<");
    type_name(o, d->a, depth + 1);
    str(o, ", ");
    type_name(o, d->b, depth + 1);
    str(o, ">");
    return;
  case WIT_TD_FUTURE:
  case WIT_TD_STREAM:
    str(o, d->kind == WIT_TD_FUTURE ? "future" : "stream");
    if (d->a != WIT_T_NONE) {
      str(o, "<");
      type_name(o, d->a, depth + 1);
      str(o, ">");
    }
    return;
  default: break;
  }
  o->bad = "an unnamed type that needs a name";
}

static void type_name(out *o, wit_type t, int depth) {
  if (depth > 1000) {
    o->bad = "types nested too deeply";
    return;
  }
  if (!wit_t_is_def(t)) {
    const char *p = wit_prim_name(t);
    if (!p) {
      o->bad = "a missing type";
      return;
    }
    str(o, p);
    return;
  }
  const wit_typedef *d = td_of(o, t);
  if (d->name) {
    name(o, d->name);
    return;
  }
  type_body(o, d, depth);
}

static void print_function(out *o, const wit_func *f) {
  if (f->is_async) str(o, "async ");
  str(o, f->kind == WIT_FUNC_CONSTRUCTOR ? "constructor(" : "func(");
  for (uint32_t i = f->kind == WIT_FUNC_METHOD ? 1 : 0, k = 0; i < f->nparams; i++, k++) {
    if (k) str(o, ", ");
    name(o, f->params[i].name);
    str(o, ": ");
    type_name(o, f->params[i].type, 0);
  }
  str(o, ")");
  if (f->kind == WIT_FUNC_CONSTRUCTOR && wit_t_is_def(f->result)) {
    const wit_typedef *d = td_of(o, f->result);
    if (d->kind == WIT_TD_OWN && d->a == wit_t_def(f->resource)) return; /* the shorthand form */
  }
  if (f->result != WIT_T_NONE) {
    str(o, " -> ");
    type_name(o, f->result, 0);
  }
}

static void print_resource(out *o, uint32_t id, const wit_func *const *funcs, uint32_t n) {
  str(o, "resource ");
  name(o, o->r->types.items[id].name);
  if (!n) {
    semicolon(o);
    return;
  }
  indent_start(o);
  for (uint32_t i = 0; i < n; i++) {
    const wit_func *f = funcs[i];
    docs(o, f->docs);
    stability(o, &f->stability);
    if (f->kind == WIT_FUNC_METHOD || f->kind == WIT_FUNC_STATIC) {
      name(o, wit_func_item_name(f));
      str(o, f->kind == WIT_FUNC_STATIC ? ": static " : ": ");
    }
    print_function(o, f);
    semicolon(o);
  }
  indent_end(o);
}

static void declare_type(out *o, uint32_t id) {
  const wit_typedef *d = &o->r->types.items[id];
  switch (d->kind) {
  case WIT_TD_RECORD:
  case WIT_TD_FLAGS:
  case WIT_TD_VARIANT:
  case WIT_TD_ENUM:
    str(o, d->kind == WIT_TD_RECORD ? "record " : d->kind == WIT_TD_FLAGS ? "flags " : d->kind == WIT_TD_VARIANT ? "variant " : "enum ");
    name(o, d->name);
    indent_start(o);
    for (uint32_t i = 0; i < d->ncases; i++) {
      docs(o, d->cases[i].docs);
      name(o, d->cases[i].name);
      if (d->kind == WIT_TD_RECORD) {
        str(o, ": ");
        type_name(o, d->cases[i].type, 0);
      } else if (d->kind == WIT_TD_VARIANT && d->cases[i].type != WIT_T_NONE) {
        str(o, "(");
        type_name(o, d->cases[i].type, 0);
        str(o, ")");
      }
      str(o, ",");
      newline(o);
    }
    indent_end(o);
    return;
  case WIT_TD_OWN:
    /* A named owned handle is written out, since `type a = r` (r a
     * resource) means something else. */
    str(o, "type ");
    name(o, d->name);
    str(o, " = own<");
    name(o, td_of(o, d->a)->name);
    str(o, ">");
    semicolon(o);
    return;
  default:
    str(o, "type ");
    name(o, d->name);
    str(o, " = ");
    type_body(o, d, 0);
    semicolon(o);
  }
}

/* Resource functions grouped by resource, in function order. */
typedef struct rfuncs {
  WIT_VEC(const wit_func *) funcs;
  WIT_VEC(uint32_t) owner;
} rfuncs;

static void group_funcs(uint32_t res, const wit_func ***outp, uint32_t *outn, const rfuncs *rf, kb_arena *ar,
                        bool *oom) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < rf->funcs.len; i++) k += rf->owner.items[i] == res;
  const wit_func **v = kb_arena_alloc(ar, sizeof *v * (k + 1));
  if (!v) {
    *oom = true;
    *outn = 0;
    return;
  }
  k = 0;
  for (uint32_t i = 0; i < rf->funcs.len; i++)
    if (rf->owner.items[i] == res) v[k++] = rf->funcs.items[i];
  *outp = v;
  *outn = k;
}

static void path_to_interface(out *o, uint32_t iface, uint32_t cur_pkg) {
  const wit_interface *i = &o->r->interfaces.items[iface];
  if (i->package == cur_pkg) {
    name(o, i->name);
    return;
  }
  const wit_package *p = &o->r->packages.items[i->package];
  name(o, p->ns);
  str(o, ":");
  name(o, p->name);
  str(o, "/");
  name(o, i->name);
  if (p->version) {
    str(o, "@");
    str(o, p->version->text);
  }
}

typedef struct import_group {
  uint32_t iface;
  const wit_stability *stab;
  WIT_VEC(const char *) mine;
  WIT_VEC(const char *) theirs;
} import_group;

static void print_types(out *o, wit_owner_kind ok, uint32_t owner, const wit_named *types, uint32_t n,
                        const rfuncs *rf) {
  kb_arena *ar = &o->r->arena;
  WIT_VEC(import_group) groups = {0};
  WIT_VEC(uint32_t) declare = {0};
  for (uint32_t i = 0; i < n; i++) {
    const wit_typedef *d = &o->r->types.items[types[i].id];
    if (d->kind == WIT_TD_ALIAS && wit_t_is_def(d->a)) {
      const wit_typedef *other = td_of(o, d->a);
      if (other->owner_kind != WIT_OWNER_NONE && (other->owner_kind != ok || other->owner != owner)) {
        if (other->owner_kind != WIT_OWNER_INTERFACE || !other->name) {
          o->bad = "a type imported from something other than an interface";
          return;
        }
        import_group *g = groups.len ? &groups.items[groups.len - 1] : NULL;
        if (!g || g->iface != other->owner || !wit_stability_eq(g->stab, &d->stability)) {
          import_group ng;
          memset(&ng, 0, sizeof ng);
          ng.iface = other->owner;
          ng.stab = &d->stability;
          if (!wit_vec_push(ar, &groups, ng)) {
            o->oom = true;
            return;
          }
          g = &groups.items[groups.len - 1];
        }
        if (!wit_vec_push(ar, &g->mine, types[i].name) || !wit_vec_push(ar, &g->theirs, other->name)) {
          o->oom = true;
          return;
        }
        continue;
      }
    }
    if (!wit_vec_push(ar, &declare, types[i].id)) {
      o->oom = true;
      return;
    }
  }
  uint32_t my_pkg = ok == WIT_OWNER_INTERFACE ? o->r->interfaces.items[owner].package : o->r->worlds.items[owner].package;
  for (uint32_t i = 0; i < groups.len; i++) {
    import_group *g = &groups.items[i];
    o->any_items = true;
    stability(o, g->stab);
    str(o, "use ");
    path_to_interface(o, g->iface, my_pkg);
    str(o, ".{");
    for (uint32_t k = 0; k < g->mine.len; k++) {
      if (k) str(o, ", ");
      name(o, g->theirs.items[k]);
      if (strcmp(g->mine.items[k], g->theirs.items[k])) {
        str(o, " as ");
        name(o, g->mine.items[k]);
      }
    }
    str(o, "}");
    semicolon(o);
  }
  for (uint32_t i = 0; i < declare.len; i++) {
    const wit_typedef *d = &o->r->types.items[declare.items[i]];
    new_item(o);
    docs(o, d->docs);
    stability(o, &d->stability);
    if (d->kind == WIT_TD_RESOURCE) {
      const wit_func **fs = NULL;
      uint32_t nf = 0;
      group_funcs(declare.items[i], &fs, &nf, rf, ar, &o->oom);
      print_resource(o, declare.items[i], fs, nf);
    } else {
      declare_type(o, declare.items[i]);
    }
  }
}

static void print_interface(out *o, uint32_t id) {
  bool prev = o->any_items;
  o->any_items = false;
  const wit_interface *iface = &o->r->interfaces.items[id];
  rfuncs rf;
  memset(&rf, 0, sizeof rf);
  kb_arena *ar = &o->r->arena;
  for (uint32_t i = 0; i < iface->nfuncs; i++) {
    const wit_func *f = &iface->funcs[i];
    if (f->kind == WIT_FUNC_FREESTANDING) continue;
    if (!wit_vec_push(ar, &rf.funcs, f) || !wit_vec_push(ar, &rf.owner, f->resource)) o->oom = true;
  }
  print_types(o, WIT_OWNER_INTERFACE, id, iface->types, iface->ntypes, &rf);
  iface = &o->r->interfaces.items[id];
  for (uint32_t i = 0; i < iface->nfuncs; i++) {
    const wit_func *f = &iface->funcs[i];
    if (f->kind != WIT_FUNC_FREESTANDING) continue;
    new_item(o);
    docs(o, f->docs);
    stability(o, &f->stability);
    name(o, f->name);
    str(o, ": ");
    print_function(o, f);
    semicolon(o);
  }
  o->any_items = prev;
}

static void print_world_item(out *o, const wit_world_item *it, uint32_t cur_pkg, const char *kw) {
  if (it->name) {
    if (it->kind == WIT_ITEM_INTERFACE) docs(o, o->r->interfaces.items[it->id].docs);
    else if (it->kind == WIT_ITEM_FUNC) docs(o, it->func.docs);
  }
  stability(o, it->kind == WIT_ITEM_FUNC ? &it->func.stability : &it->stability);
  str(o, kw);
  str(o, " ");
  if (!it->name) {
    path_to_interface(o, it->id, cur_pkg);
    semicolon(o);
    return;
  }
  name(o, it->name);
  str(o, ": ");
  if (it->kind == WIT_ITEM_INTERFACE) {
    str(o, "interface");
    indent_start(o);
    print_interface(o, it->id);
    indent_end(o);
  } else {
    print_function(o, &it->func);
    semicolon(o);
  }
}

static void print_world(out *o, uint32_t id) {
  bool prev = o->any_items;
  o->any_items = false;
  kb_arena *ar = &o->r->arena;
  const wit_world *w = &o->r->worlds.items[id];
  WIT_VEC(wit_named) types = {0};
  WIT_VEC(const wit_world_item *) funcs = {0};
  rfuncs rf;
  memset(&rf, 0, sizeof rf);
  for (uint32_t i = 0; i < w->nimports; i++) {
    const wit_world_item *it = &w->imports[i];
    if (it->kind == WIT_ITEM_TYPE) {
      wit_named nm = {it->name, it->id};
      if (!wit_vec_push(ar, &types, nm)) o->oom = true;
    } else if (it->kind == WIT_ITEM_FUNC) {
      bool ok = it->func.kind == WIT_FUNC_FREESTANDING
                    ? wit_vec_push(ar, &funcs, it)
                    : wit_vec_push(ar, &rf.funcs, &it->func) && wit_vec_push(ar, &rf.owner, it->func.resource);
      if (!ok) o->oom = true;
    } else {
      print_world_item(o, it, w->package, "import");
      o->any_items = true;
    }
  }
  print_types(o, WIT_OWNER_WORLD, id, types.items, types.len, &rf);
  for (uint32_t i = 0; i < funcs.len; i++) {
    print_world_item(o, funcs.items[i], w->package, "import");
    o->any_items = true;
  }
  if (w->nexports) new_item(o);
  for (uint32_t i = 0; i < w->nexports; i++) print_world_item(o, &w->exports[i], w->package, "export");
  o->any_items = prev;
}

static void print_package(out *o, uint32_t pkg, bool is_main) {
  wit_resolve *r = o->r;
  const wit_package *p = &r->packages.items[pkg];
  docs(o, p->docs);
  str(o, "package ");
  name(o, p->ns);
  str(o, ":");
  name(o, p->name);
  if (p->version) {
    str(o, "@");
    str(o, p->version->text);
  }
  if (is_main) {
    semicolon(o);
    newline(o);
  } else {
    indent_start(o);
  }
  for (uint32_t i = 0; i < p->ninterfaces; i++) {
    const wit_interface *iface = &r->interfaces.items[p->interfaces[i]];
    docs(o, iface->docs);
    stability(o, &iface->stability);
    str(o, "interface ");
    name(o, iface->name);
    indent_start(o);
    print_interface(o, p->interfaces[i]);
    indent_end(o);
    if (is_main) newline(o);
  }
  for (uint32_t i = 0; i < p->nworlds; i++) {
    const wit_world *w = &r->worlds.items[p->worlds[i]];
    docs(o, w->docs);
    stability(o, &w->stability);
    str(o, "world ");
    name(o, w->name);
    indent_start(o);
    print_world(o, p->worlds[i]);
    indent_end(o);
  }
  if (!is_main) indent_end(o);
}

kumi_error *wit_print_package(wit_resolve *r, uint32_t pkg, char **outp, size_t *lenp) {
  return wit_print(r, pkg, NULL, 0, outp, lenp);
}

kumi_error *wit_print(wit_resolve *r, uint32_t pkg, const uint32_t *nested, size_t nnested, char **outp,
                      size_t *lenp) {
  out o;
  memset(&o, 0, sizeof o);
  o.r = r;
  print_package(&o, pkg, true);
  for (size_t i = 0; i < nnested; i++) {
    if (i) {
      newline(&o);
      newline(&o);
    }
    print_package(&o, nested[i], false);
  }
  push(&o, "", 1); /* the terminating NUL */
  if (o.oom || o.bad) {
    kb_vec_free(r->alloc, &o.buf);
    if (o.oom) return kb_error_oom();
    return kb_error(r->alloc, KUMI_ERR_INVALID, KUMI_NO_OFFSET, "cannot print package: %s", o.bad);
  }
  /* Shrink to the exact size so the caller frees with (len + 1). */
  size_t len = o.buf.len - 1;
  char *s = kb_realloc(r->alloc, o.buf.items, o.buf.cap, len + 1);
  if (!s) {
    kb_vec_free(r->alloc, &o.buf);
    return kb_error_oom();
  }
  *outp = s;
  *lenp = len;
  return NULL;
}
