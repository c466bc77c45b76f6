/* The component linker (linker.h, include/kumi.h "linking components to
 * the host"): host definitions keyed by interface and item name, and the
 * semver rule that picks the host interface for an imported one. The
 * definitions are only recorded here; inst_link.c turns them into runtime
 * functions and resource types for each instantiation. */
#include "linker.h"

#include "abi.h"
#include "names.h"
#include "../core/runtime.h"

#include <stdio.h>
#include <string.h>

/* ---- keys ---------------------------------------------------------------- */

/* The map key of (iface, name): 'I' iface NUL name, or 'T' name at the top
 * level. Writes at most cap bytes; returns the length (0: too long). */
static size_t link_key(const char *iface, uint32_t iface_len, const char *name, uint32_t name_len, char *out,
                       size_t cap) {
  size_t n = 1 + (iface ? (size_t)iface_len + 1 : 0) + name_len;
  if (n > cap) return 0;
  size_t o = 0;
  out[o++] = iface ? 'I' : 'T';
  if (iface) {
    memcpy(out + o, iface, iface_len);
    o += iface_len;
    out[o++] = 0;
  }
  memcpy(out + o, name, name_len);
  return n;
}

#define LINK_KEY_MAX 1024u

const comp_link_def *comp_link_find(const kumi_component_linker *l, const char *iface, uint32_t iface_len,
                                    const char *name, uint32_t name_len) {
  char key[LINK_KEY_MAX];
  size_t n = link_key(iface, iface_len, name, name_len, key, sizeof key);
  void *v = NULL;
  if (!l || !n || !kb_map_get(&l->by_key, key, n, &v)) return NULL;
  return v;
}

/* ---- semantic versions ------------------------------------------------------ */

/* An interface name split into its unversioned part and version. */
typedef struct link_ver {
  uint32_t base_len; /* name[0..base_len): without "@version" */
  bool has;          /* a version was given */
  bool plain;        /* MAJOR.MINOR.PATCH without pre-release or build */
  uint64_t v[3];
} link_ver;

static bool parse_num(const char **p, const char *end, uint64_t *out) {
  const char *s = *p;
  uint64_t x = 0;
  if (s >= end || *s < '0' || *s > '9') return false;
  while (s < end && *s >= '0' && *s <= '9') {
    if (x > (UINT64_MAX - 9) / 10) return false;
    x = x * 10 + (uint64_t)(*s++ - '0');
  }
  *p = s;
  *out = x;
  return true;
}

static void split_version(const char *name, uint32_t len, link_ver *out) {
  memset(out, 0, sizeof *out);
  out->base_len = len;
  comp_features f = comp_features_all();
  comp_name_info info;
  char err[8];
  if (!comp_name_parse(name, len, &f, &info, err, sizeof err) || info.kind != CN_INTERFACE || !info.version) return;
  if (info.version < name + 1 || info.version > name + len) return;
  out->base_len = (uint32_t)(info.version - name - 1); /* before '@' */
  out->has = true;
  const char *p = info.version, *end = info.version + info.version_len;
  out->plain = parse_num(&p, end, &out->v[0]) && p < end && *p++ == '.' && parse_num(&p, end, &out->v[1]) &&
               p < end && *p++ == '.' && parse_num(&p, end, &out->v[2]) && p == end;
}

/* Host version h can stand in for import version i: same major; for 0.x
 * the same minor; for 0.0.x the same patch; and h not lower than i. */
static bool compatible(const link_ver *h, const link_ver *i) {
  if (!h->plain || !i->plain || h->v[0] != i->v[0]) return false;
  if (i->v[0] == 0 && h->v[1] != i->v[1]) return false;
  if (i->v[0] == 0 && i->v[1] == 0 && h->v[2] != i->v[2]) return false;
  for (int k = 0; k < 3; k++)
    if (h->v[k] != i->v[k]) return h->v[k] > i->v[k];
  return true;
}

static bool higher(const link_ver *a, const link_ver *b) {
  for (int k = 0; k < 3; k++)
    if (a->v[k] != b->v[k]) return a->v[k] > b->v[k];
  return false;
}

bool comp_link_resolve_iface(const kumi_component_linker *l, const char *name, uint32_t len, const char **iface,
                             uint32_t *iface_len) {
  *iface = NULL;
  *iface_len = 0;
  if (!l) return false;
  link_ver want;
  split_version(name, len, &want);
  const comp_link_def *best = NULL;
  link_ver best_v;
  memset(&best_v, 0, sizeof best_v);
  for (size_t i = 0; i < l->defs.len; i++) {
    const comp_link_def *d = l->defs.items[i];
    if (!d->iface) continue;
    if (d->iface_len == len && memcmp(d->iface, name, len) == 0) {
      *iface = d->iface;
      *iface_len = d->iface_len;
      return true;
    }
    if (!want.has || d->iface_len <= want.base_len || memcmp(d->iface, name, want.base_len) != 0 ||
        d->iface[want.base_len] != '@')
      continue;
    link_ver hv;
    split_version(d->iface, d->iface_len, &hv);
    if (!hv.has || hv.base_len != want.base_len || !compatible(&hv, &want)) continue;
    if (!best || higher(&hv, &best_v)) {
      best = d;
      best_v = hv;
    }
  }
  if (!best) return false;
  *iface = best->iface;
  *iface_len = best->iface_len;
  return true;
}

/* ---- descriptions for link errors --------------------------------------------- */

static void append(char *buf, size_t cap, const char *fmt, const char *s, size_t n) {
  size_t o = strlen(buf);
  if (o + 1 >= cap) return;
  snprintf(buf + o, cap - o, fmt, (int)n, s);
}

void comp_link_describe(const kumi_component_linker *l, const char *name, uint32_t len, const char *iface,
                        uint32_t iface_len, char *buf, size_t cap) {
  if (!cap) return;
  buf[0] = 0;
  size_t shown = 0, total = 0;
  if (iface) {
    append(buf, cap, "the linker's %.*s defines:", iface, iface_len);
    for (size_t i = 0; l && i < l->defs.len; i++) {
      const comp_link_def *d = l->defs.items[i];
      if (!d->iface || d->iface_len != iface_len || memcmp(d->iface, iface, iface_len) != 0) continue;
      total++;
      if (shown < 40) {
        append(buf, cap, d->kind == COMP_LINK_FUNC ? " func %.*s" : " resource %.*s", d->name, d->name_len);
        shown++;
      }
    }
    if (total > shown) append(buf, cap, " (and more)%.*s", "", 0);
    return;
  }
  link_ver want;
  split_version(name, len, &want);
  append(buf, cap, "the linker has no interface %.*s", name, want.base_len);
  for (size_t i = 0; l && i < l->defs.len; i++) {
    const comp_link_def *d = l->defs.items[i];
    if (!d->iface || d->iface_len <= want.base_len || memcmp(d->iface, name, want.base_len) != 0 ||
        d->iface[want.base_len] != '@')
      continue;
    bool seen = false; /* print each interface once */
    for (size_t j = 0; j < i && !seen; j++) {
      const comp_link_def *e = l->defs.items[j];
      seen = e->iface && e->iface_len == d->iface_len && memcmp(e->iface, d->iface, d->iface_len) == 0;
    }
    if (seen) continue;
    append(buf, cap, total++ ? ", %.*s" : " with a compatible version; it has %.*s", d->iface, d->iface_len);
  }
  if (!total && !want.has) {
    buf[0] = 0;
    append(buf, cap, "the linker has no interface %.*s", name, len);
  }
}

/* ---- the public API ----------------------------------------------------------- */

kumi_component_linker *kumi_component_linker_new(kumi_engine *engine) {
  if (!engine) return NULL;
  kumi_component_linker *l = kb_zalloc(engine->alloc, sizeof *l);
  if (!l) return NULL;
  l->engine = engine;
  l->a = engine->alloc;
  kb_arena_init(&l->arena, l->a);
  kb_map_init(&l->by_key, l->a);
  return l;
}

void kumi_component_linker_free(kumi_component_linker *l) {
  if (!l) return;
  const kumi_allocator *a = l->a;
  kb_vec_free(a, &l->defs);
  kb_map_free(&l->by_key);
  kb_arena_free(&l->arena);
  kb_free(a, l, sizeof *l);
}

/* Records a definition; kind-specific fields are filled by the caller. */
static kumi_error *define(kumi_component_linker *l, const char *iface, const char *name, uint8_t kind,
                          comp_link_def **out) {
  *out = NULL;
  if (!l || !name) return kb_error(l ? l->a : kb_default_allocator(), KUMI_ERR_ARG, KUMI_NO_OFFSET, "linker: no linker or name");
  size_t il = iface ? strlen(iface) : 0, nl = strlen(name);
  if ((iface && !il) || !nl || il > UINT32_MAX / 2 || nl > UINT32_MAX / 2)
    return kb_error(l->a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "linker: empty interface or item name");
  char key[LINK_KEY_MAX];
  size_t kn = link_key(iface, (uint32_t)il, name, (uint32_t)nl, key, sizeof key);
  if (!kn) return kb_error(l->a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "linker: name too long");
  void *old = NULL;
  if (kb_map_get(&l->by_key, key, kn, &old))
    return kb_error(l->a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "linker: %s%s%s is already defined", iface ? iface : "",
                    iface ? "#" : "", name);
  if (l->defs.len >= UINT32_MAX - 1) return kb_error(l->a, KUMI_ERR_LIMIT, KUMI_NO_OFFSET, "linker: too many definitions");
  comp_link_def *d = kb_arena_alloc(&l->arena, sizeof *d);
  if (!d) return kb_error_oom();
  memset(d, 0, sizeof *d);
  d->iface = iface ? kb_arena_strndup(&l->arena, iface, il) : NULL;
  d->name = kb_arena_strndup(&l->arena, name, nl);
  if ((iface && !d->iface) || !d->name) return kb_error_oom();
  d->iface_len = (uint32_t)il;
  d->name_len = (uint32_t)nl;
  d->kind = kind;
  d->index = (uint32_t)l->defs.len;
  if (!kb_vec_reserve(l->a, &l->defs, 1) || !kb_map_put(&l->by_key, key, kn, d)) return kb_error_oom();
  l->defs.items[l->defs.len++] = d;
  *out = d;
  return NULL;
}

/* A function definition: fn or afn. */
static kumi_error *define_fn(kumi_component_linker *l, const char *iface, const char *name, const char *type,
                             kumi_component_host_fn fn, kumi_component_async_fn afn, void *env) {
  if (!fn && !afn) return kb_error(l ? l->a : kb_default_allocator(), KUMI_ERR_ARG, KUMI_NO_OFFSET, "linker: no host function");
  const char *tcopy = NULL;
  if (type && l) {
    /* The syntax is checked now (any unknown name taken for a resource); the
     * resource names are resolved when a component is instantiated. */
    kumi_error *e = comp_link_check_type_syntax(l->a, type);
    if (e) return e;
    tcopy = kb_arena_strndup(&l->arena, type, strlen(type));
    if (!tcopy) return kb_error_oom();
  }
  comp_link_def *d;
  kumi_error *e = define(l, iface, name, COMP_LINK_FUNC, &d);
  if (e) return e;
  d->type = tcopy;
  d->fn = fn;
  d->afn = afn;
  d->env = env;
  return NULL;
}

kumi_error *kumi_component_linker_define_func(kumi_component_linker *l, const char *iface, const char *name,
                                              const char *type, kumi_component_host_fn fn, void *env) {
  return define_fn(l, iface, name, type, fn, NULL, env);
}

kumi_error *kumi_component_linker_define_async(kumi_component_linker *l, const char *iface, const char *name,
                                               const char *type, kumi_component_async_fn fn, void *env) {
  return define_fn(l, iface, name, type, NULL, fn, env);
}

kumi_error *kumi_component_linker_define_resource(kumi_component_linker *l, const char *iface, const char *name,
                                                  kumi_component_host_dtor dtor, void *env) {
  comp_link_def *d;
  kumi_error *e = define(l, iface, name, COMP_LINK_RESOURCE, &d);
  if (e) return e;
  d->dtor = dtor;
  d->env = env;
  return NULL;
}
