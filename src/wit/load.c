/* wit: loading packages from files and folders, grouping files into
 * packages, and resolving packages in dependency order.
 *
 * This is the only file of src/wit that touches the file system (POSIX
 * directory listing; files are read with kb_read_file). */
#define _XOPEN_SOURCE 700
#include "wit_int.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

typedef WIT_VEC(wit_unresolved *) unresolved_vec;

/* A group: the packages of one file or folder (the main one first). */
typedef struct group {
  unresolved_vec pkgs;
  const char *origin; /* path, for messages */
} group;

static kumi_error *oomerr(void) { return kb_error_oom(); }

static bool pkgname_eq(const wit_ast_pkgname *a, const wit_ast_pkgname *b) {
  if (strcmp(a->ns.name, b->ns.name) || strcmp(a->name.name, b->name.name)) return false;
  if ((a->version == NULL) != (b->version == NULL)) return false;
  return !a->version || !strcmp(a->version->text, b->version->text);
}

static const char *pkgname_str(wit_resolve *r, const wit_ast_pkgname *n) {
  return wit_package_name_string(&r->arena, n->ns.name, n->name.name, n->version);
}

/* Adds one parsed file to a group: nested packages become packages of their
 * own, the rest goes to the group's main package. */
static kumi_error *add_file(wit_resolve *r, group *g, wit_ast_file *f, bool *have_main_docs) {
  kb_arena *ar = &r->arena;
  if (!g->pkgs.len) {
    wit_unresolved *m = kb_arena_alloc(ar, sizeof *m);
    if (!m || !wit_vec_push(ar, &g->pkgs, m)) return oomerr();
  }
  wit_unresolved *main = g->pkgs.items[0];
  if (f->has_package) {
    if (main->key && !pkgname_eq(&main->name, &f->package)) {
      const char *cur = pkgname_str(r, &f->package), *prev = main->key;
      return wit_span_error(r, KUMI_ERR_INVALID, f->package.span,
                            "package identifier `%s` does not match previous package name of `%s`", cur ? cur : "?",
                            prev);
    }
    if (!main->key) {
      main->name = f->package;
      if (!(main->key = pkgname_str(r, &f->package))) return oomerr();
    }
    if (f->package_docs) {
      if (*have_main_docs)
        return wit_span_error(r, KUMI_ERR_INVALID, f->package_docs_span,
                              "found doc comments on multiple 'package' items");
      *have_main_docs = true;
      main->docs = f->package_docs;
    }
  }
  wit_ast_decls *rest = kb_arena_alloc(ar, sizeof *rest);
  if (!rest) return oomerr();
  for (uint32_t i = 0; i < f->decls.items.len; i++) {
    wit_ast_titem *it = &f->decls.items.items[i];
    if (it->kind != WIT_TI_PACKAGE) {
      if (!wit_vec_push(ar, &rest->items, *it)) return oomerr();
      continue;
    }
    wit_unresolved *n = kb_arena_alloc(ar, sizeof *n);
    if (!n) return oomerr();
    n->name = it->pkg->package;
    n->docs = it->pkg->package_docs;
    if (!(n->key = pkgname_str(r, &n->name))) return oomerr();
    if (!wit_vec_push(ar, &n->files, &it->pkg->decls) || !wit_vec_push(ar, &g->pkgs, n)) return oomerr();
  }
  if (!wit_vec_push(ar, &main->files, rest)) return oomerr();
  return NULL;
}

static kumi_error *parse_text(wit_resolve *r, group *g, const char *path, const char *text, size_t len, bool *docs) {
  kumi_error *e = NULL;
  const wit_source *src = wit_add_source(r, path, text, len, &e);
  if (!src) return e;
  wit_ast_file *f;
  if ((e = wit_parse_file(r, src, &f))) return e;
  return add_file(r, g, f, docs);
}

static kumi_error *parse_path_file(wit_resolve *r, group *g, const char *path, bool *docs) {
  uint8_t *data;
  size_t len;
  kumi_error *e = kb_read_file(r->alloc, path, &data, &len);
  if (e) return e;
  e = parse_text(r, g, path, (const char *)data, len, docs);
  kb_free(r->alloc, data, len);
  return e;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static char *join(wit_resolve *r, const char *dir, const char *name) {
  size_t a = strlen(dir), b = strlen(name);
  char *s = kb_arena_alloc(&r->arena, a + b + 2);
  if (!s) return NULL;
  memcpy(s, dir, a);
  size_t o = a;
  if (a && dir[a - 1] != '/') s[o++] = '/';
  memcpy(s + o, name, b + 1);
  return s;
}

/* The entries of a directory, sorted by name, "." and ".." left out. */
static kumi_error *list_dir(wit_resolve *r, const char *dir, const char ***names, uint32_t *n) {
  DIR *d = opendir(dir);
  if (!d) return kb_error(r->alloc, KUMI_ERR_IO, KUMI_NO_OFFSET, "cannot read directory %s", dir);
  WIT_VEC(const char *) v = {0};
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    const char *s = kb_arena_strndup(&r->arena, de->d_name, strlen(de->d_name));
    if (!s || !wit_vec_push(&r->arena, &v, s)) {
      closedir(d);
      return oomerr();
    }
  }
  closedir(d);
  if (v.len) qsort(v.items, v.len, sizeof *v.items, cmp_str);
  *names = v.items;
  *n = v.len;
  return NULL;
}

static bool is_dir(const char *p) {
  struct stat st;
  return !stat(p, &st) && S_ISDIR(st.st_mode);
}

static bool ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && !strcmp(s + a - b, suffix);
}

/* All *.wit files directly in dir form one package (plus nested ones). */
static kumi_error *parse_dir(wit_resolve *r, group *g, const char *dir) {
  const char **names;
  uint32_t n;
  kumi_error *e = list_dir(r, dir, &names, &n);
  if (e) return e;
  bool docs = false;
  uint32_t files = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (!ends_with(names[i], ".wit")) continue;
    char *p = join(r, dir, names[i]);
    if (!p) return oomerr();
    if (is_dir(p)) continue;
    if ((e = parse_path_file(r, g, p, &docs))) return e;
    files++;
  }
  if (!files) return kb_error(r->alloc, KUMI_ERR_INVALID, KUMI_NO_OFFSET, "no .wit files found in %s", dir);
  return NULL;
}

static kumi_error *finish_group(wit_resolve *r, group *g) {
  if (!g->pkgs.len || !g->pkgs.items[0]->key)
    return kb_error(r->alloc, KUMI_ERR_INVALID, KUMI_NO_OFFSET,
                    "no `package` header was found in any WIT file for this package\n  (in %s)", g->origin);
  return NULL;
}

/* ---- deps folders ---- */

typedef WIT_VEC(group *) group_vec;

static kumi_error *load_deps_dir(wit_resolve *r, const char *dir, const char *skip_real, group_vec *out) {
  const char **names;
  uint32_t n;
  kumi_error *e = list_dir(r, dir, &names, &n);
  if (e) return e;
  for (uint32_t i = 0; i < n; i++) {
    char *p = join(r, dir, names[i]);
    if (!p) return oomerr();
    bool d = is_dir(p);
    if (!d && !ends_with(names[i], ".wit")) continue;
    if (skip_real) {
      char *rp = realpath(p, NULL);
      bool same = rp && !strcmp(rp, skip_real);
      free(rp);
      if (same) continue;
    }
    group *g = kb_arena_alloc(&r->arena, sizeof *g);
    if (!g) return oomerr();
    g->origin = p;
    if (d) {
      e = parse_dir(r, g, p);
    } else {
      bool docs = false;
      e = parse_path_file(r, g, p, &docs);
    }
    if (!e) e = finish_group(r, g);
    if (e) return e;
    if (!wit_vec_push(&r->arena, out, g)) return oomerr();
  }
  return NULL;
}

/* ---- ordering packages ---- */

typedef struct pnode {
  wit_unresolved *u;
  int state; /* 0 new, 1 visiting, 2 done */
} pnode;

static int cmp_pkgname(const wit_ast_pkgname *a, const wit_ast_pkgname *b) {
  int c = strcmp(a->ns.name, b->ns.name);
  if (c) return c;
  if ((c = strcmp(a->name.name, b->name.name))) return c;
  if (!a->version || !b->version) return (a->version != NULL) - (b->version != NULL);
  if ((c = wit_version_cmp(a->version, b->version))) return c;
  return strcmp(a->version->build, b->version->build);
}

static int cmp_node(const void *x, const void *y) {
  return cmp_pkgname(&((const pnode *)x)->u->name, &((const pnode *)y)->u->name);
}

/* Foreign package references of a package, in order of appearance. */
typedef WIT_VEC(const wit_ast_pkgname *) refs_t;

static bool add_ref(kb_arena *ar, refs_t *refs, const wit_ast_path *p) {
  return !p->foreign || wit_vec_push(ar, refs, &p->pkg);
}

static bool iface_refs(kb_arena *ar, refs_t *refs, const wit_ast_iitems *items) {
  for (uint32_t i = 0; i < items->len; i++)
    if (items->items[i].kind == WIT_II_USE && !add_ref(ar, refs, &items->items[i].use.from)) return false;
  return true;
}

static bool package_refs(kb_arena *ar, const wit_unresolved *u, refs_t *refs) {
  for (uint32_t f = 0; f < u->files.len; f++) {
    const wit_ast_decls *d = u->files.items[f];
    for (uint32_t i = 0; i < d->items.len; i++) {
      const wit_ast_titem *t = &d->items.items[i];
      if (t->kind == WIT_TI_USE && !add_ref(ar, refs, &t->use->path)) return false;
      if (t->kind == WIT_TI_INTERFACE && !iface_refs(ar, refs, &t->iface->items)) return false;
      if (t->kind != WIT_TI_WORLD) continue;
      for (uint32_t k = 0; k < t->world->items.len; k++) {
        const wit_ast_witem *w = &t->world->items.items[k];
        bool ok = true;
        if (w->kind == WIT_WI_USE) ok = add_ref(ar, refs, &w->use.from);
        else if (w->kind == WIT_WI_INCLUDE) ok = add_ref(ar, refs, &w->include);
        else if ((w->kind == WIT_WI_IMPORT || w->kind == WIT_WI_EXPORT) && w->ext.kind == WIT_EXT_PATH)
          ok = add_ref(ar, refs, &w->ext.path);
        else if ((w->kind == WIT_WI_IMPORT || w->kind == WIT_WI_EXPORT) && w->ext.kind == WIT_EXT_INTERFACE)
          ok = iface_refs(ar, refs, &w->ext.items);
        if (!ok) return false;
      }
    }
  }
  return true;
}

static pnode *find_node(pnode *nodes, uint32_t n, const wit_ast_pkgname *name) {
  for (uint32_t i = 0; i < n; i++)
    if (pkgname_eq(&nodes[i].u->name, name)) return &nodes[i];
  return NULL;
}

static kumi_error *visit(wit_resolve *r, pnode *nodes, uint32_t n, pnode *p, unresolved_vec *order, int depth) {
  if (p->state == 2) return NULL;
  p->state = 1;
  refs_t refs = {0};
  if (!package_refs(&r->arena, p->u, &refs)) return oomerr();
  for (uint32_t i = 0; i < refs.len; i++) {
    pnode *d = find_node(nodes, n, refs.items[i]);
    if (!d) continue; /* reported when resolving the reference */
    if (d->state == 1 || depth > 10000)
      return wit_span_error(r, KUMI_ERR_INVALID, refs.items[i]->span, "package depends on itself");
    kumi_error *e = visit(r, nodes, n, d, order, depth + 1);
    if (e) return e;
  }
  p->state = 2;
  return wit_vec_push(&r->arena, order, p->u) ? NULL : oomerr();
}

kumi_error *wit_resolve_load(wit_resolve *r, const wit_load_opts *o, uint32_t *main_pkg) {
  kumi_error *e = NULL;
  group *main = kb_arena_alloc(&r->arena, sizeof *main);
  if (!main) return oomerr();
  group_vec deps = {0};
  char *main_real = NULL;
  if (o->path) {
    main->origin = o->path;
    if (is_dir(o->path)) {
      if ((e = parse_dir(r, main, o->path))) return e;
      char *dd = join(r, o->path, "deps");
      if (!dd) return oomerr();
      if (is_dir(dd) && (e = load_deps_dir(r, dd, NULL, &deps))) return e;
      main_real = realpath(o->path, NULL);
    } else {
      bool docs = false;
      if ((e = parse_path_file(r, main, o->path, &docs))) return e;
    }
  } else {
    main->origin = o->source_name ? o->source_name : "<input>";
    bool docs = false;
    if ((e = parse_text(r, main, main->origin, o->source ? o->source : "", o->source_len, &docs))) return e;
  }
  if ((e = finish_group(r, main))) {
    free(main_real);
    return e;
  }
  /* Extra folders: entries defining one of the main group's packages are the
   * main package itself seen from its parent, and are skipped. */
  for (size_t i = 0; i < o->ndeps; i++) {
    group_vec extra = {0};
    if (!is_dir(o->deps[i])) {
      e = kb_error(r->alloc, KUMI_ERR_IO, KUMI_NO_OFFSET, "dependency folder %s is not a directory", o->deps[i]);
      break;
    }
    if ((e = load_deps_dir(r, o->deps[i], main_real, &extra))) break;
    for (uint32_t k = 0; k < extra.len; k++) {
      bool dup = false;
      for (uint32_t j = 0; j < main->pkgs.len && !dup; j++)
        for (uint32_t m = 0; m < extra.items[k]->pkgs.len && !dup; m++)
          dup = pkgname_eq(&main->pkgs.items[j]->name, &extra.items[k]->pkgs.items[m]->name);
      if (!dup && !wit_vec_push(&r->arena, &deps, extra.items[k])) {
        e = oomerr();
        break;
      }
    }
    if (e) break;
  }
  free(main_real);
  if (e) return e;

  /* Every package once. */
  WIT_VEC(pnode) nodes = {0};
  WIT_VEC(const char *) origins = {0};
  for (uint32_t g = 0; g <= deps.len; g++) {
    group *gr = g == 0 ? main : deps.items[g - 1];
    for (uint32_t k = 0; k < gr->pkgs.len; k++) {
      wit_unresolved *u = gr->pkgs.items[k];
      for (uint32_t j = 0; j < nodes.len; j++) {
        if (!pkgname_eq(&nodes.items[j].u->name, &u->name)) continue;
        return kb_error(r->alloc, KUMI_ERR_INVALID, KUMI_NO_OFFSET,
                        "package %s is defined in two different locations:\n  * %s\n  * %s", u->key,
                        wit_render_location(r, u->name.span.start),
                        wit_render_location(r, nodes.items[j].u->name.span.start));
      }
      pnode pn = {u, 0};
      if (!wit_vec_push(&r->arena, &nodes, pn) || !wit_vec_push(&r->arena, &origins, gr->origin)) return oomerr();
    }
  }
  wit_unresolved *main_u = main->pkgs.items[0];
  if (nodes.len > 1) qsort(nodes.items, nodes.len, sizeof *nodes.items, cmp_node);
  unresolved_vec order = {0};
  for (uint32_t i = 0; i < nodes.len; i++)
    if ((e = visit(r, nodes.items, nodes.len, &nodes.items[i], &order, 0))) return e;
  *main_pkg = WIT_NONE;
  for (uint32_t i = 0; i < order.len; i++) {
    uint32_t id;
    if ((e = wit_resolve_package(r, order.items[i], &id))) return e;
    if (order.items[i] == main_u) *main_pkg = id;
  }
  return NULL;
}
