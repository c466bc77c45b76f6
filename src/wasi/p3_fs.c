/* wasi:filesystem@0.3.0: registration, value conversions, and the
 * descriptor methods that are 0.2's with other value types (the model is
 * described in p3_fs.h). */
#define _GNU_SOURCE
#include "p3_fs.h"

#include <string.h>

/* ---- conversions -------------------------------------------------------------------- */

/* A 0.2 error-code case as a 0.3 one: 0.3 has no would-block (it is
 * other(none) here) and so every later case moves down by one. */
static uint32_t error_case(uint32_t p2_case) {
  if (p2_case == WASI_P2_EC_ACCESS) return 0;
  if (p2_case == WASI_P2_EC_WOULD_BLOCK || p2_case > WASI_P2_EC_CROSS_DEVICE) return WASI_P3_EC_OTHER;
  return p2_case - 1;
}

/* variant case `index` whose payload is an option<string> none (the
 * `other` cases) or nothing. */
static bool case_value(const kumi_allocator *a, uint32_t index, bool other, kumi_cval *out) {
  if (!other) return kumi_cval_case(a, KUMI_CV_VARIANT, index, NULL, out);
  kumi_cval none;
  if (!kumi_cval_case(a, KUMI_CV_OPTION, 0, NULL, &none)) return false;
  if (kumi_cval_case(a, KUMI_CV_VARIANT, index, &none, out)) return true;
  kumi_cval_free(a, &none);
  return false;
}

static bool error_value(const kumi_allocator *a, uint32_t p2_case, kumi_cval *out) {
  uint32_t c = error_case(p2_case);
  return case_value(a, c, c == WASI_P3_EC_OTHER, out);
}

bool wasi_p3_fs_error_code(const kumi_allocator *a, wasi_errno e, kumi_cval *out) {
  return error_value(a, wasi_p2_fs_error_code(e), out);
}

/* 0.3 has no `unknown` type: it is other(none); every later case moves
 * down by one. */
bool wasi_p3_fs_type(const kumi_allocator *a, uint32_t p2_type, kumi_cval *out) {
  if (p2_type == WASI_P2_DT_UNKNOWN || p2_type > WASI_P2_DT_SOCKET) return case_value(a, WASI_P3_DT_OTHER, true, out);
  return case_value(a, p2_type - 1, false, out);
}

bool wasi_p3_fs_unit(const kumi_allocator *a, wasi_errno e, kumi_cval *out) {
  if (!e) return kumi_cval_case(a, KUMI_CV_RESULT, 0, NULL, out);
  kumi_cval code;
  if (!wasi_p3_fs_error_code(a, e, &code)) return false;
  if (kumi_cval_case(a, KUMI_CV_RESULT, 1, &code, out)) return true;
  kumi_cval_free(a, &code);
  return false;
}

/* Replaces enum value *v (a 0.2 case) by its 0.3 variant; false on OOM
 * (then *v is unchanged). */
static bool convert_enum(const kumi_allocator *a, kumi_cval *v, bool (*conv)(const kumi_allocator *, uint32_t,
                                                                            kumi_cval *)) {
  if (v->kind != KUMI_CV_ENUM) return true;
  kumi_cval nv;
  if (!conv(a, v->of.var.index, &nv)) return false;
  kumi_cval_free(a, v);
  *v = nv;
  return true;
}

/* A descriptor-stat of 0.2 as 0.3's: the type, and instants whose seconds
 * are signed (the host's are never negative here: 0.2 made them none). */
static bool convert_stat(const kumi_allocator *a, kumi_cval *rec) {
  if (rec->kind != KUMI_CV_RECORD || rec->of.agg.len != 6) return true;
  kumi_cval *f = rec->of.agg.items;
  if (!convert_enum(a, &f[0], wasi_p3_fs_type)) return false;
  for (int i = 3; i < 6; i++) {
    kumi_cval *o = &f[i];
    if (o->kind != KUMI_CV_OPTION || o->of.var.index != 1 || !o->of.var.payload) continue;
    kumi_cval *dt = o->of.var.payload;
    if (dt->kind == KUMI_CV_RECORD && dt->of.agg.len == 2 && dt->of.agg.items[0].kind == KUMI_CV_U64)
      dt->of.agg.items[0].kind = KUMI_CV_S64;
  }
  return true;
}

/* ---- the converted 0.2 methods ---------------------------------------------------------- */

enum { RES_PLAIN, RES_TYPE, RES_STAT };

typedef struct conv_fn {
  const char *name; /* the same in 0.2 and 0.3 (new-timestamp's signed
                     * seconds are 0.2's wasi_p2_fs_times's business) */
  uint8_t res;      /* RES_*: what an ok payload needs */
  bool open;        /* open-at: 0.3's defaults for the descriptor-flags */
} conv_fn;

static const conv_fn conv_fns[] = {
    {"[method]descriptor.advise", RES_PLAIN, false},
    {"[method]descriptor.sync-data", RES_PLAIN, false},
    {"[method]descriptor.get-flags", RES_PLAIN, false},
    {"[method]descriptor.get-type", RES_TYPE, false},
    {"[method]descriptor.set-size", RES_PLAIN, false},
    {"[method]descriptor.set-times", RES_PLAIN, false},
    {"[method]descriptor.sync", RES_PLAIN, false},
    {"[method]descriptor.create-directory-at", RES_PLAIN, false},
    {"[method]descriptor.stat", RES_STAT, false},
    {"[method]descriptor.stat-at", RES_STAT, false},
    {"[method]descriptor.set-times-at", RES_PLAIN, false},
    {"[method]descriptor.link-at", RES_PLAIN, false},
    {"[method]descriptor.open-at", RES_PLAIN, true},
    {"[method]descriptor.readlink-at", RES_PLAIN, false},
    {"[method]descriptor.remove-directory-at", RES_PLAIN, false},
    {"[method]descriptor.rename-at", RES_PLAIN, false},
    {"[method]descriptor.symlink-at", RES_PLAIN, false},
    {"[method]descriptor.unlink-file-at", RES_PLAIN, false},
    {"[method]descriptor.is-same-object", RES_PLAIN, false},
    {"[method]descriptor.metadata-hash", RES_PLAIN, false},
    {"[method]descriptor.metadata-hash-at", RES_PLAIN, false},
};
#define NCONV (sizeof conv_fns / sizeof conv_fns[0])

struct wasi_p3_fs_env {
  wasi_p3_fs *s;
  const conv_fn *fn;
  kumi_component_host_fn p2_fn;
};

/* Converts the result of a 0.2 method in place; false on OOM. */
static bool convert_result(const kumi_allocator *a, uint8_t what, kumi_cval *res) {
  if (res->kind != KUMI_CV_RESULT || !res->of.var.payload) return true;
  kumi_cval *pl = res->of.var.payload;
  if (res->of.var.index == 1) return convert_enum(a, pl, error_value);
  if (what == RES_TYPE) return convert_enum(a, pl, wasi_p3_fs_type);
  if (what == RES_STAT) return convert_stat(a, pl);
  return true;
}

static kumi_error *conv_call(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  wasi_p3_fs_env *e = env;
  const kumi_allocator *a = kumi_async_call_allocator(call);
  kumi_cval shadow[5]; /* open-at's arguments, flags adjusted */
  /* open-at: no read or write asked is read; create implies write. A
   * directory may change what is beneath it only when mutate-directory
   * was asked for (0.2 lets it inherit that from its parent). */
  uint32_t dflags = 0;
  bool is_open = e->fn->open && nargs == 5 && args[3].kind == KUMI_CV_FLAGS && args[4].kind == KUMI_CV_FLAGS;
  if (is_open) {
    memcpy(shadow, args, nargs * sizeof *args);
    dflags = args[4].of.flags;
    if (!(dflags & (WASI_P2_DF_READ | WASI_P2_DF_WRITE))) dflags |= WASI_P2_DF_READ;
    if (args[3].of.flags & WASI_P2_OF_CREATE) dflags |= WASI_P2_DF_WRITE;
    shadow[4].of.flags = dflags;
    args = shadow;
  }
  kumi_cval res = kumi_cval_bool(false);
  kumi_error *err = e->p2_fn(e->s->p2, a, args, nargs, &res);
  if (err) return err;
  if (is_open && !(dflags & WASI_P2_DF_MUTATE_DIRECTORY) && res.kind == KUMI_CV_RESULT && res.of.var.index == 0 &&
      res.of.var.payload && res.of.var.payload->kind == KUMI_CV_OWN) {
    wasi_fd *fe;
    if (!wasi_fd_get(e->s->w, res.of.var.payload->of.handle, 0, &fe) && fe->filetype == WASI_FT_DIR) {
      fe->base &= ~(uint64_t)WASI_RIGHTS_MUTATE;
      fe->inheriting &= ~(uint64_t)WASI_RIGHTS_MUTATE;
    }
  }
  if (!convert_result(a, e->fn->res, &res)) {
    kumi_cval_free(a, &res);
    return kb_error_oom();
  }
  kumi_async_call_return(call, &res);
  return NULL;
}

/* ---- registration ------------------------------------------------------------------------- */

static void fs_free(void *state) {
  wasi_p3_fs *s = state;
  if (!s) return;
  wasi_p3_fs_ops_free(s);
  if (s->envs) kb_free(s->alloc, s->envs, s->nenvs * sizeof *s->envs);
  kb_free(s->alloc, s, sizeof *s);
}

static const struct {
  const char *name;
  kumi_component_async_fn fn;
} stream_fns[] = {
    {"[method]descriptor.read-via-stream", wasi_p3_fs_read_via_stream},
    {"[method]descriptor.write-via-stream", wasi_p3_fs_write_via_stream},
    {"[method]descriptor.append-via-stream", wasi_p3_fs_append_via_stream},
    {"[method]descriptor.read-directory", wasi_p3_fs_read_directory},
};

kumi_error *wasi_p3_add_filesystem(kumi_component_linker *l, kumi_wasi *w, wasi_p3_part *part) {
  part->state = NULL;
  part->free = NULL;
  wasi_p2 *p2 = wasi_p2_of(w);
  if (!p2 || !wasi_p2_fs_init(p2)) return kb_error_oom();
  wasi_p3_fs *s = kb_zalloc(w->alloc, sizeof *s);
  if (!s) return kb_error_oom();
  s->w = w;
  s->p2 = p2;
  s->alloc = w->alloc;
  part->state = s;
  part->free = fs_free;
  s->envs = kb_zalloc(s->alloc, NCONV * sizeof *s->envs);
  if (!s->envs) return kb_error_oom();
  s->nenvs = NCONV;
  /* The descriptor resource of 0.3 is another type than 0.2's, over the
   * same objects: its destructor is 0.2's. */
  kumi_error *err = kumi_component_linker_define_resource(l, WASI_P3_FS_TYPES, "descriptor",
                                                          wasi_p2_fs_descriptor_dtor, p2);
  for (size_t i = 0; !err && i < NCONV; i++) {
    wasi_p3_fs_env *e = &s->envs[i];
    e->s = s;
    e->fn = &conv_fns[i];
    e->p2_fn = wasi_p2_fs_find(conv_fns[i].name);
    if (!e->p2_fn) return wasi_p3_trap(w, "filesystem: no 0.2 method %s", conv_fns[i].name);
    err = kumi_component_linker_define_async(l, WASI_P3_FS_TYPES, conv_fns[i].name, NULL, conv_call, e);
  }
  for (size_t i = 0; !err && i < sizeof stream_fns / sizeof stream_fns[0]; i++)
    err = kumi_component_linker_define_async(l, WASI_P3_FS_TYPES, stream_fns[i].name, NULL, stream_fns[i].fn, s);
  /* get-directories has the same shape in both versions (the handles
   * take the type of the import). */
  if (!err)
    err = kumi_component_linker_define_func(l, WASI_P3_FS_PREOPENS, "get-directories", NULL,
                                            wasi_p2_fs_find("get-directories"), p2);
  return err;
}
