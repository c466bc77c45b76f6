/* wasi:filesystem (WASI 0.2) host functions, called directly with
 * kumi_cval arguments as the component runtime would lift them: a scratch
 * directory preopened as "/", files opened, read, written, stat'ed,
 * renamed, linked, listed; every sandbox escape attempt ("..", absolute
 * paths, symbolic links leading out, link loops) under both path
 * resolvers, each failing with the error code the WIT and preview1 say; a
 * read-only preopen; the error-code enum checked against the WIT file's
 * case order; allocation failures at every step of a scenario.
 * Ends with "N passed, N failed". */
#include "wasi_harness.h"

#include "../test.h"
#include "wasi/p2_fs.h"

typedef struct fx {
  test_alloc counts;
  kumi_allocator alloc;
  kumi_wasi *w;
  wasi_p2 *p;
  kumi_engine *engine;
  kumi_component_linker *linker;
  uint32_t root, ro; /* the preopens' reps */
  char dir[PATH_MAX], rodir[PATH_MAX], outside[PATH_MAX], base[PATH_MAX];
} fx;

/* ---- values ------------------------------------------------------------------------ */

static kumi_cval S(fx *f, const char *s) {
  kumi_cval v;
  if (!kumi_cval_string(&f->alloc, s, strlen(s), &v)) abort();
  return v;
}
static kumi_cval H(uint32_t rep) { return kumi_cval_handle(KUMI_CV_BORROW, rep); }
static kumi_cval FL(uint32_t bits) { return kumi_cval_flags(bits); }
static kumi_cval U(uint64_t v) { return kumi_cval_int(KUMI_CV_U64, (int64_t)v); }
static kumi_cval EN(uint32_t i) {
  kumi_cval v;
  if (!kumi_cval_case(NULL, KUMI_CV_ENUM, i, NULL, &v)) abort();
  return v;
}
/* new-timestamp values. */
static kumi_cval TS_KEEP(void) {
  kumi_cval v;
  if (!kumi_cval_case(NULL, KUMI_CV_VARIANT, WASI_P2_TS_NO_CHANGE, NULL, &v)) abort();
  return v;
}
static kumi_cval TS_AT(fx *f, uint64_t sec, uint32_t ns) {
  kumi_cval dt, v;
  if (!kumi_cval_agg(&f->alloc, KUMI_CV_RECORD, 2, &dt)) abort();
  dt.of.agg.items[0] = U(sec);
  dt.of.agg.items[1] = kumi_cval_int(KUMI_CV_U32, ns);
  if (!kumi_cval_case(&f->alloc, KUMI_CV_VARIANT, WASI_P2_TS_TIMESTAMP, &dt, &v)) abort();
  return v;
}
static kumi_cval BYTES(fx *f, const char *s) {
  kumi_cval v;
  size_t n = strlen(s);
  if (!kumi_cval_agg(&f->alloc, KUMI_CV_LIST, n, &v)) abort();
  for (size_t i = 0; i < n; i++) v.of.agg.items[i] = kumi_cval_int(KUMI_CV_U8, (uint8_t)s[i]);
  return v;
}

/* Calls function `name` with args (freed afterwards); *res is the result
 * (the caller frees it). Returns the host function's error. */
static kumi_error *call(fx *f, const char *name, kumi_cval *args, size_t n, kumi_cval *res) {
  kumi_component_host_fn fn = wasi_p2_fs_find(name);
  *res = kumi_cval_bool(false);
  kumi_error *e = fn ? fn(f->p, &f->alloc, args, n, res) : kb_error_oom();
  if (!fn) fprintf(stderr, "no function %s\n", name);
  for (size_t i = 0; i < n; i++) kumi_cval_free(&f->alloc, &args[i]);
  return e;
}

/* The error-code of a result (-1 when ok, -2 when the call failed or the
 * value is no result); *ok gets the ok payload when there is one. */
static int callr(fx *f, const char *name, kumi_cval *args, size_t n, kumi_cval *ok) {
  kumi_cval res;
  kumi_error *e = call(f, name, args, n, &res);
  if (ok) *ok = kumi_cval_bool(false);
  if (e) {
    fprintf(stderr, "%s: %s\n", name, kumi_error_message(e));
    kumi_error_free(e);
    return -2;
  }
  int r = -2;
  if (res.kind == KUMI_CV_RESULT && res.of.var.index == 0) {
    r = -1;
    if (ok && res.of.var.payload) {
      *ok = *res.of.var.payload;
      *res.of.var.payload = kumi_cval_bool(false);
    }
  } else if (res.kind == KUMI_CV_RESULT && res.of.var.payload && res.of.var.payload->kind == KUMI_CV_ENUM) {
    r = (int)res.of.var.payload->of.var.index;
  }
  kumi_cval_free(&f->alloc, &res);
  return r;
}

#define A(...) ((kumi_cval[]){__VA_ARGS__})
#define NA(...) (sizeof((kumi_cval[]){__VA_ARGS__}) / sizeof(kumi_cval))
/* The error code (or -1 for ok) of calling name(args...). */
#define R(f, name, ...) callr((f), (name), A(__VA_ARGS__), NA(__VA_ARGS__), NULL)
#define M(x) "[method]descriptor." x

/* open-at beneath dir; the new rep, or UINT32_MAX with *code set. */
static uint32_t open_at(fx *f, uint32_t dir, uint32_t pflags, const char *path, uint32_t oflags, uint32_t dflags,
                        int *code) {
  kumi_cval ok;
  int c = callr(f, M("open-at"), A(H(dir), FL(pflags), S(f, path), FL(oflags), FL(dflags)), 5, &ok);
  if (code) *code = c;
  if (c != -1) return UINT32_MAX;
  uint32_t rep = ok.kind == KUMI_CV_OWN ? ok.of.handle : UINT32_MAX;
  kumi_cval_free(&f->alloc, &ok);
  return rep;
}

static void drop(fx *f, uint32_t rep) {
  if (rep != UINT32_MAX) wasi_p2_fs_descriptor_dtor(f->p, rep);
}

/* stat (path NULL) or stat-at; false when it failed (*code set). */
static bool stat_of(fx *f, uint32_t d, uint32_t pflags, const char *path, uint32_t *type, uint64_t *size,
                    uint64_t *nlink, uint64_t *mtime, int *code) {
  kumi_cval ok;
  int c = path ? callr(f, M("stat-at"), A(H(d), FL(pflags), S(f, path)), 3, &ok) : callr(f, M("stat"), A(H(d)), 1, &ok);
  if (code) *code = c;
  if (c != -1) return false;
  bool shape = ok.kind == KUMI_CV_RECORD && ok.of.agg.len == 6;
  if (shape) {
    const kumi_cval *it = ok.of.agg.items;
    if (type) *type = it[0].of.var.index;
    if (nlink) *nlink = it[1].of.u;
    if (size) *size = it[2].of.u;
    if (mtime) {
      const kumi_cval *o = &it[4];
      *mtime = o->of.var.index == 1 ? o->of.var.payload->of.agg.items[0].of.u : UINT64_MAX;
    }
  }
  kumi_cval_free(&f->alloc, &ok);
  return shape;
}

/* ---- setup ----------------------------------------------------------------------------- */

static bool fx_open(fx *f, bool walk) {
  memset(f, 0, sizeof *f);
  f->alloc = test_alloc_init(&f->counts, -1);
  if (!h_mkdtemp(f->base, sizeof f->base, "p2fs")) return false;
  h_fmt(f->dir, sizeof f->dir, "%s/sandbox", f->base);
  h_fmt(f->rodir, sizeof f->rodir, "%s/ro", f->base);
  h_fmt(f->outside, sizeof f->outside, "%s/secret", f->base);
  if (mkdir(f->dir, 0777) != 0 || mkdir(f->rodir, 0777) != 0) return false;
  if (!h_write_file(f->outside, "SECRET", 6)) return false;
  char p[PATH_MAX];
  h_fmt(p, sizeof p, "%s/old.txt", f->rodir);
  if (!h_write_file(p, "ro", 2)) return false;
  kumi_wasi_config *c = kumi_wasi_config_new(&f->alloc);
  if (!c) return false;
  wasi_config_force_walk(c, walk);
  kumi_error *e = kumi_wasi_config_preopen_dir(c, f->dir, "/", 0);
  if (!e) e = kumi_wasi_config_preopen_dir(c, f->rodir, "/ro", KUMI_WASI_DIR_READONLY);
  if (!e) f->w = kumi_wasi_new(c, &e);
  kumi_wasi_config_free(c);
  if (e) {
    fprintf(stderr, "setup: %s\n", kumi_error_message(e));
    kumi_error_free(e);
    return false;
  }
  /* The whole of WASI 0.2 registered in a linker, as a runner does it;
   * the functions are then called directly. */
  kumi_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.allocator = &f->alloc;
  f->engine = kumi_engine_new(&cfg);
  f->linker = f->engine ? kumi_component_linker_new(f->engine) : NULL;
  if (!f->linker) return false;
  e = kumi_component_linker_add_wasi_p2(f->linker, f->w);
  if (e) {
    fprintf(stderr, "add_wasi_p2: %s\n", kumi_error_message(e));
    kumi_error_free(e);
    return false;
  }
  f->p = wasi_p2_of(f->w);
  return f->p != NULL;
}

static void fx_close(fx *f) {
  kumi_component_linker_free(f->linker);
  kumi_engine_free(f->engine);
  kumi_wasi_free(f->w);
  CHECK(test_alloc_clean(&f->counts));
  h_rm_rf(f->base);
}

/* get-directories: both preopens, with their names. */
static void test_preopens(fx *f) {
  kumi_cval res;
  kumi_error *e = call(f, "get-directories", NULL, 0, &res);
  CHECK(!e);
  kumi_error_free(e);
  CHECK(res.kind == KUMI_CV_LIST && res.of.agg.len == 2);
  f->root = f->ro = UINT32_MAX;
  for (size_t i = 0; res.kind == KUMI_CV_LIST && i < res.of.agg.len; i++) {
    const kumi_cval *t = &res.of.agg.items[i];
    CHECK(t->kind == KUMI_CV_TUPLE && t->of.agg.len == 2 && t->of.agg.items[0].kind == KUMI_CV_OWN &&
          t->of.agg.items[1].kind == KUMI_CV_STRING);
    const kumi_cval *name = &t->of.agg.items[1];
    if (name->of.str.len == 1 && name->of.str.ptr[0] == '/') f->root = t->of.agg.items[0].of.handle;
    if (name->of.str.len == 3 && !memcmp(name->of.str.ptr, "/ro", 3)) f->ro = t->of.agg.items[0].of.handle;
  }
  CHECK(f->root != UINT32_MAX && f->ro != UINT32_MAX && f->root != f->ro);
  kumi_cval_free(&f->alloc, &res);
  /* Dropping a preopen handle leaves the preopen usable. */
  drop(f, f->root);
  uint32_t t;
  CHECK(stat_of(f, f->root, 0, NULL, &t, NULL, NULL, NULL, NULL) && t == WASI_P2_DT_DIRECTORY);
}

/* ---- files -------------------------------------------------------------------------- */

static void test_files(fx *f) {
  int code;
  uint32_t fd = open_at(f, f->root, 0, "a.txt", WASI_P2_OF_CREATE, WASI_P2_DF_READ | WASI_P2_DF_WRITE, &code);
  CHECKF(fd != UINT32_MAX, "open-at create: %d", code);
  kumi_cval ok;
  CHECK(callr(f, M("write"), A(H(fd), BYTES(f, "hello world"), U(0)), 3, &ok) == -1 && ok.kind == KUMI_CV_U64 &&
        ok.of.u == 11);
  CHECK(callr(f, M("write"), A(H(fd), BYTES(f, "W"), U(6)), 3, &ok) == -1 && ok.of.u == 1);
  /* The host sees what was written. */
  char p[PATH_MAX];
  hbuf hb = {0};
  h_fmt(p, sizeof p, "%s/a.txt", f->dir);
  CHECK(h_read_file(p, &hb) && hb.len == 11 && !memcmp(hb.s, "hello World", 11));
  hbuf_free(&hb);

  CHECK(callr(f, M("read"), A(H(fd), U(5), U(6)), 3, &ok) == -1);
  CHECK(ok.kind == KUMI_CV_TUPLE && ok.of.agg.len == 2 && ok.of.agg.items[0].of.agg.len == 5 &&
        ok.of.agg.items[0].of.agg.items[0].of.u == 'W' && ok.of.agg.items[0].of.agg.items[4].of.u == 'd' &&
        ok.of.agg.items[1].of.b == false);
  kumi_cval_free(&f->alloc, &ok);
  CHECK(callr(f, M("read"), A(H(fd), U(100), U(11)), 3, &ok) == -1);
  CHECK(ok.kind == KUMI_CV_TUPLE && ok.of.agg.items[0].of.agg.len == 0 && ok.of.agg.items[1].of.b == true);
  kumi_cval_free(&f->alloc, &ok);

  uint32_t type = 99;
  uint64_t size = 0, nlink = 0;
  CHECK(stat_of(f, fd, 0, NULL, &type, &size, &nlink, NULL, NULL) && type == WASI_P2_DT_REGULAR_FILE && size == 11 &&
        nlink == 1);
  CHECK(stat_of(f, f->root, 0, "a.txt", &type, &size, NULL, NULL, NULL) && type == WASI_P2_DT_REGULAR_FILE &&
        size == 11);
  CHECK(callr(f, M("get-type"), A(H(fd)), 1, &ok) == -1 && ok.kind == KUMI_CV_ENUM &&
        ok.of.var.index == WASI_P2_DT_REGULAR_FILE);
  CHECK(callr(f, M("get-flags"), A(H(fd)), 1, &ok) == -1 && ok.kind == KUMI_CV_FLAGS &&
        ok.of.flags == (WASI_P2_DF_READ | WASI_P2_DF_WRITE));
  CHECK(callr(f, M("get-flags"), A(H(f->root)), 1, &ok) == -1 &&
        ok.of.flags == (WASI_P2_DF_READ | WASI_P2_DF_MUTATE_DIRECTORY));
  CHECK(callr(f, M("get-flags"), A(H(f->ro)), 1, &ok) == -1 && ok.of.flags == WASI_P2_DF_READ);

  /* metadata-hash agrees with metadata-hash-at for the same file and
   * differs for another. */
  kumi_cval h1, h2, h3;
  CHECK(callr(f, M("metadata-hash"), A(H(fd)), 1, &h1) == -1);
  CHECK(callr(f, M("metadata-hash-at"), A(H(f->root), FL(0), S(f, "a.txt")), 3, &h2) == -1);
  CHECK(callr(f, M("metadata-hash"), A(H(f->root)), 1, &h3) == -1);
  CHECK(h1.kind == KUMI_CV_RECORD && kumi_cval_equal(&h1, &h2) && !kumi_cval_equal(&h1, &h3));
  kumi_cval_free(&f->alloc, &h1);
  kumi_cval_free(&f->alloc, &h2);
  kumi_cval_free(&f->alloc, &h3);
  kumi_cval r;
  kumi_error_free(call(f, M("is-same-object"), A(H(fd), H(fd)), 2, &r));
  CHECK(r.kind == KUMI_CV_BOOL && r.of.b);
  kumi_error_free(call(f, M("is-same-object"), A(H(fd), H(f->root)), 2, &r));
  CHECK(r.kind == KUMI_CV_BOOL && !r.of.b);

  CHECK(R(f, M("set-size"), H(fd), U(5)) == -1);
  CHECK(stat_of(f, fd, 0, NULL, NULL, &size, NULL, NULL, NULL) && size == 5);
  CHECK(R(f, M("set-times"), H(fd), TS_KEEP(), TS_AT(f, 1000000, 7)) == -1);
  uint64_t mt = 0;
  CHECK(stat_of(f, fd, 0, NULL, NULL, NULL, NULL, &mt, NULL) && mt == 1000000);
  CHECK(R(f, M("set-times"), H(fd), TS_KEEP(), TS_AT(f, 1, 1000000000u)) == WASI_P2_EC_INVALID);
  CHECK(R(f, M("set-times-at"), H(f->root), FL(0), S(f, "a.txt"), TS_KEEP(), TS_AT(f, 2000000, 0)) == -1);
  CHECK(stat_of(f, fd, 0, NULL, NULL, NULL, NULL, &mt, NULL) && mt == 2000000);
  CHECK(R(f, M("sync"), H(fd)) == -1);
  CHECK(R(f, M("sync-data"), H(fd)) == -1);
  CHECK(R(f, M("advise"), H(fd), U(0), U(5), EN(1)) == -1);

  /* Data methods refuse what the descriptor was not opened for. */
  uint32_t rd = open_at(f, f->root, 0, "a.txt", 0, WASI_P2_DF_READ, &code);
  CHECK(rd != UINT32_MAX);
  CHECK(R(f, M("write"), H(rd), BYTES(f, "x"), U(0)) == WASI_P2_EC_BAD_DESCRIPTOR);
  CHECK(R(f, M("write-via-stream"), H(rd), U(0)) == WASI_P2_EC_BAD_DESCRIPTOR);
  CHECK(R(f, M("set-size"), H(rd), U(0)) == WASI_P2_EC_BAD_DESCRIPTOR);
  CHECK(callr(f, M("get-flags"), A(H(rd)), 1, &ok) == -1 && ok.of.flags == WASI_P2_DF_READ);
  uint32_t wr = open_at(f, f->root, 0, "a.txt", 0, WASI_P2_DF_WRITE, &code);
  CHECK(wr != UINT32_MAX);
  CHECK(R(f, M("read"), H(wr), U(1), U(0)) == WASI_P2_EC_BAD_DESCRIPTOR);
  CHECK(R(f, M("read-via-stream"), H(wr), U(0)) == WASI_P2_EC_BAD_DESCRIPTOR);
  /* Streams over the file: handles from the wasi:io tables. */
  CHECK(callr(f, M("read-via-stream"), A(H(rd), U(0)), 2, &ok) == -1 && ok.kind == KUMI_CV_OWN);
  CHECK(wasi_p2_table_get(&f->p->inputs, ok.of.handle) != NULL);
  CHECK(callr(f, M("write-via-stream"), A(H(wr), U(3)), 2, &ok) == -1 && ok.kind == KUMI_CV_OWN);
  const wasi_p2_stream *st = wasi_p2_table_get(&f->p->outputs, ok.of.handle);
  CHECK(st && st->offset == 3 && !st->append);
  CHECK(callr(f, M("append-via-stream"), A(H(wr)), 1, &ok) == -1 && ok.kind == KUMI_CV_OWN);
  st = wasi_p2_table_get(&f->p->outputs, ok.of.handle);
  CHECK(st && st->append);
  /* Directories are not files. */
  CHECK(R(f, M("read"), H(f->root), U(1), U(0)) == WASI_P2_EC_BAD_DESCRIPTOR);
  CHECK(R(f, M("read-via-stream"), H(f->root), U(0)) == WASI_P2_EC_BAD_DESCRIPTOR);
  CHECK(R(f, M("read-directory"), H(fd)) == WASI_P2_EC_NOT_DIRECTORY);
  CHECK(R(f, M("open-at"), H(fd), FL(0), S(f, "x"), FL(0), FL(WASI_P2_DF_READ)) == WASI_P2_EC_NOT_DIRECTORY);
  CHECK(R(f, M("stat-at"), H(fd), FL(0), S(f, "x")) == WASI_P2_EC_NOT_DIRECTORY);
  CHECK(R(f, M("open-at"), H(f->root), FL(0), S(f, "."), FL(0), FL(WASI_P2_DF_WRITE)) == WASI_P2_EC_IS_DIRECTORY);
  /* open-at flags. */
  CHECK(R(f, M("open-at"), H(f->root), FL(0), S(f, "a.txt"), FL(WASI_P2_OF_CREATE | WASI_P2_OF_EXCLUSIVE),
          FL(WASI_P2_DF_WRITE)) == WASI_P2_EC_EXIST);
  CHECK(R(f, M("open-at"), H(f->root), FL(0), S(f, "a.txt"), FL(WASI_P2_OF_DIRECTORY), FL(WASI_P2_DF_READ)) ==
        WASI_P2_EC_NOT_DIRECTORY);
  CHECK(R(f, M("open-at"), H(f->root), FL(0), S(f, "nope"), FL(0), FL(WASI_P2_DF_READ)) == WASI_P2_EC_NO_ENTRY);
  CHECK(R(f, M("open-at"), H(f->root), FL(0), S(f, ""), FL(0), FL(WASI_P2_DF_READ)) == WASI_P2_EC_NO_ENTRY);
  uint32_t tr = open_at(f, f->root, 0, "a.txt", WASI_P2_OF_TRUNCATE, WASI_P2_DF_WRITE, &code);
  CHECK(tr != UINT32_MAX && stat_of(f, tr, 0, NULL, NULL, &size, NULL, NULL, NULL) && size == 0);
  drop(f, tr);
  drop(f, rd);
  drop(f, wr);

  /* A dropped descriptor is gone; its slot is free again. */
  drop(f, fd);
  CHECK(R(f, M("stat"), H(fd)) == WASI_P2_EC_BAD_DESCRIPTOR);
}

/* ---- directories ------------------------------------------------------------------------ */

/* Lists dir: the names joined by ',' in sorted order into out; -1 when ok,
 * else the error code. */
static int list_dir(fx *f, uint32_t dir, char *out, size_t cap) {
  kumi_cval ok;
  int c = callr(f, M("read-directory"), A(H(dir)), 1, &ok);
  if (c != -1) return c;
  uint32_t s = ok.of.handle;
  char names[32][64];
  size_t n = 0;
  for (;;) {
    kumi_cval ent;
    c = callr(f, "[method]directory-entry-stream.read-directory-entry", A(H(s)), 1, &ent);
    if (c != -1) break;
    if (ent.kind != KUMI_CV_OPTION) {
      c = -3;
      break;
    }
    if (ent.of.var.index == 0) break;
    const kumi_cval *rec = ent.of.var.payload;
    const kumi_cval *name = &rec->of.agg.items[1];
    if (n < 32) {
      h_fmt(names[n], sizeof names[n], "%.*s%s", (int)name->of.str.len, name->of.str.ptr,
            rec->of.agg.items[0].of.var.index == WASI_P2_DT_DIRECTORY       ? "/"
            : rec->of.agg.items[0].of.var.index == WASI_P2_DT_SYMBOLIC_LINK ? "@"
                                                                            : "");
      n++;
    }
    kumi_cval_free(&f->alloc, &ent);
  }
  wasi_p2_fs_dirstream_dtor(f->p, s);
  qsort(names, n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
  out[0] = 0;
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(out);
    h_fmt(out + l, cap - l, "%s%s", i ? "," : "", names[i]);
  }
  return c;
}

/* A big directory read to the end by a stream that outlives its
 * descriptor: every entry once. */
static void test_big_dir(fx *f) {
  char p[PATH_MAX];
  h_fmt(p, sizeof p, "%s/big", f->dir);
  CHECK(mkdir(p, 0777) == 0);
  enum { N = 300 };
  for (int i = 0; i < N; i++) {
    h_fmt(p, sizeof p, "%s/big/file-with-a-longish-name-%03d", f->dir, i);
    if (!h_write_file(p, "", 0)) break;
  }
  int code;
  uint32_t big = open_at(f, f->root, 0, "big", WASI_P2_OF_DIRECTORY, WASI_P2_DF_READ, &code);
  kumi_cval ok;
  CHECK(callr(f, M("read-directory"), A(H(big)), 1, &ok) == -1 && ok.kind == KUMI_CV_OWN);
  uint32_t s = ok.of.handle;
  drop(f, big);
  bool seen[N];
  memset(seen, 0, sizeof seen);
  int count = 0, dups = 0;
  for (;;) {
    kumi_cval ent;
    if (callr(f, "[method]directory-entry-stream.read-directory-entry", A(H(s)), 1, &ent) != -1) break;
    if (ent.kind != KUMI_CV_OPTION || ent.of.var.index == 0) break;
    const kumi_cval *name = &ent.of.var.payload->of.agg.items[1];
    int i = -1;
    if (name->of.str.len > 3) i = atoi(name->of.str.ptr + name->of.str.len - 3);
    if (i >= 0 && i < N) {
      dups += seen[i];
      seen[i] = true;
    }
    count++;
    kumi_cval_free(&f->alloc, &ent);
  }
  CHECKF(count == N && dups == 0, "%d entries, %d repeated", count, dups);
  /* At the end it stays at the end. */
  CHECK(callr(f, "[method]directory-entry-stream.read-directory-entry", A(H(s)), 1, &ok) == -1 &&
        ok.kind == KUMI_CV_OPTION && ok.of.var.index == 0);
  wasi_p2_fs_dirstream_dtor(f->p, s);
}

static void test_dirs(fx *f) {
  char list[1024];
  CHECK(R(f, M("create-directory-at"), H(f->root), S(f, "sub")) == -1);
  CHECK(R(f, M("create-directory-at"), H(f->root), S(f, "sub")) == WASI_P2_EC_EXIST);
  CHECK(R(f, M("create-directory-at"), H(f->root), S(f, "sub/deeper/")) == -1);
  int code;
  uint32_t fd = open_at(f, f->root, 0, "sub/f.txt", WASI_P2_OF_CREATE, WASI_P2_DF_WRITE, &code);
  CHECK(fd != UINT32_MAX);
  drop(f, fd);
  CHECK(R(f, M("symlink-at"), H(f->root), S(f, "sub/f.txt"), S(f, "lnk")) == -1);
  CHECK(list_dir(f, f->root, list, sizeof list) == -1);
  CHECKF(!strcmp(list, "a.txt,lnk@,sub/"), "root lists %s", list);
  /* A directory opened beneath the root lists its own entries. */
  uint32_t sub = open_at(f, f->root, 0, "sub", WASI_P2_OF_DIRECTORY, WASI_P2_DF_READ, &code);
  CHECK(sub != UINT32_MAX);
  CHECK(list_dir(f, sub, list, sizeof list) == -1);
  CHECKF(!strcmp(list, "deeper/,f.txt"), "sub lists %s", list);
  kumi_cval ok;
  CHECK(callr(f, M("get-flags"), A(H(sub)), 1, &ok) == -1 &&
        ok.of.flags == (WASI_P2_DF_READ | WASI_P2_DF_MUTATE_DIRECTORY));

  /* readlink-at, and stat-at with and without following. */
  CHECK(callr(f, M("readlink-at"), A(H(f->root), S(f, "lnk")), 2, &ok) == -1 && ok.kind == KUMI_CV_STRING &&
        ok.of.str.len == 9 && !memcmp(ok.of.str.ptr, "sub/f.txt", 9));
  kumi_cval_free(&f->alloc, &ok);
  CHECK(R(f, M("readlink-at"), H(f->root), S(f, "sub")) == WASI_P2_EC_INVALID);
  uint32_t type;
  CHECK(stat_of(f, f->root, 0, "lnk", &type, NULL, NULL, NULL, NULL) && type == WASI_P2_DT_SYMBOLIC_LINK);
  CHECK(stat_of(f, f->root, WASI_P2_PF_SYMLINK_FOLLOW, "lnk", &type, NULL, NULL, NULL, NULL) &&
        type == WASI_P2_DT_REGULAR_FILE);
  CHECK(R(f, M("stat-at"), H(f->root), FL(0), S(f, "lnk/")) == WASI_P2_EC_NOT_DIRECTORY);

  /* link-at, rename-at, unlink, remove. */
  CHECK(R(f, M("link-at"), H(f->root), FL(0), S(f, "sub/f.txt"), H(sub), S(f, "hard")) == -1);
  uint64_t nlink = 0;
  CHECK(stat_of(f, f->root, 0, "sub/hard", NULL, NULL, &nlink, NULL, NULL) && nlink == 2);
  CHECK(R(f, M("link-at"), H(f->root), FL(0), S(f, "sub/f.txt"), H(sub), S(f, "hard")) == WASI_P2_EC_EXIST);
  CHECK(R(f, M("rename-at"), H(sub), S(f, "hard"), H(f->root), S(f, "moved")) == -1);
  CHECK(R(f, M("stat-at"), H(sub), FL(0), S(f, "hard")) == WASI_P2_EC_NO_ENTRY);
  CHECK(stat_of(f, f->root, 0, "moved", NULL, NULL, &nlink, NULL, NULL) && nlink == 2);
  CHECK(R(f, M("remove-directory-at"), H(f->root), S(f, "sub")) == WASI_P2_EC_NOT_EMPTY);
  CHECK(R(f, M("unlink-file-at"), H(f->root), S(f, "sub")) == WASI_P2_EC_IS_DIRECTORY);
  CHECK(R(f, M("unlink-file-at"), H(f->root), S(f, "moved")) == -1);
  CHECK(R(f, M("unlink-file-at"), H(f->root), S(f, "moved")) == WASI_P2_EC_NO_ENTRY);
  CHECK(R(f, M("remove-directory-at"), H(f->root), S(f, "sub/deeper")) == -1);
  CHECK(R(f, M("remove-directory-at"), H(f->root), S(f, "lnk")) == WASI_P2_EC_NOT_DIRECTORY);
  CHECK(R(f, M("symlink-at"), H(f->root), S(f, ""), S(f, "empty")) == WASI_P2_EC_NO_ENTRY);
  drop(f, sub);
}

/* ---- the sandbox -------------------------------------------------------------------------- */

static void test_sandbox(fx *f) {
  char p[PATH_MAX];
  /* Links made behind the guest's back, pointing out. */
  h_fmt(p, sizeof p, "%s/abs", f->dir);
  CHECK(symlink(f->outside, p) == 0);
  h_fmt(p, sizeof p, "%s/loop", f->dir);
  CHECK(symlink("loop", p) == 0);
  h_fmt(p, sizeof p, "%s/ping", f->dir);
  CHECK(symlink("pong", p) == 0);
  h_fmt(p, sizeof p, "%s/pong", f->dir);
  CHECK(symlink("ping/x", p) == 0);
  /* Relative links that climb out may be made, never followed. */
  CHECK(R(f, M("symlink-at"), H(f->root), S(f, "../secret"), S(f, "up")) == -1);
  CHECK(R(f, M("symlink-at"), H(f->root), S(f, ".."), S(f, "updir")) == -1);
  CHECK(R(f, M("create-directory-at"), H(f->root), S(f, "d")) == -1);
  CHECK(R(f, M("symlink-at"), H(f->root), S(f, "../.."), S(f, "d/up2")) == -1);
  CHECK(R(f, M("symlink-at"), H(f->root), S(f, f->outside), S(f, "abs2")) == WASI_P2_EC_NOT_PERMITTED);
  CHECK(R(f, M("symlink-at"), H(f->root), S(f, "x"), S(f, "../made")) == WASI_P2_EC_NOT_PERMITTED);

  const uint32_t FOLLOW = WASI_P2_PF_SYMLINK_FOLLOW;
  static const struct {
    const char *path;
    uint32_t pflags;
    int code;
  } cases[] = {
      {"..", 0, WASI_P2_EC_NOT_PERMITTED},
      {"../secret", 0, WASI_P2_EC_NOT_PERMITTED},
      {"d/../../secret", 0, WASI_P2_EC_NOT_PERMITTED},
      {"d/../..", 0, WASI_P2_EC_NOT_PERMITTED},
      {"/secret", 0, WASI_P2_EC_NOT_PERMITTED},
      {"/", 0, WASI_P2_EC_NOT_PERMITTED},
      {"up", FOLLOW, WASI_P2_EC_NOT_PERMITTED},
      {"updir/secret", 0, WASI_P2_EC_NOT_PERMITTED},
      {"updir/", 0, WASI_P2_EC_NOT_PERMITTED},
      {"d/up2/secret", 0, WASI_P2_EC_NOT_PERMITTED},
      {"abs", FOLLOW, WASI_P2_EC_NOT_PERMITTED},
      {"loop", FOLLOW, WASI_P2_EC_LOOP},
      {"loop/x", 0, WASI_P2_EC_LOOP},
      {"ping", FOLLOW, WASI_P2_EC_LOOP},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int code;
    uint32_t fd = open_at(f, f->root, cases[i].pflags, cases[i].path, 0, WASI_P2_DF_READ, &code);
    CHECKF(fd == UINT32_MAX && code == cases[i].code, "open-at %s: got %d, want %d", cases[i].path, code,
           cases[i].code);
    drop(f, fd);
    CHECKF(R(f, M("stat-at"), H(f->root), FL(cases[i].pflags), S(f, cases[i].path)) == cases[i].code,
           "stat-at %s", cases[i].path);
    CHECKF(R(f, M("metadata-hash-at"), H(f->root), FL(cases[i].pflags), S(f, cases[i].path)) == cases[i].code,
           "metadata-hash-at %s", cases[i].path);
  }
  /* Changing things outside is refused the same way. */
  CHECK(R(f, M("unlink-file-at"), H(f->root), S(f, "../secret")) == WASI_P2_EC_NOT_PERMITTED);
  CHECK(R(f, M("unlink-file-at"), H(f->root), S(f, "updir/secret")) == WASI_P2_EC_NOT_PERMITTED);
  CHECK(R(f, M("create-directory-at"), H(f->root), S(f, "../made")) == WASI_P2_EC_NOT_PERMITTED);
  CHECK(R(f, M("rename-at"), H(f->root), S(f, "d"), H(f->root), S(f, "../stolen")) == WASI_P2_EC_NOT_PERMITTED);
  CHECK(R(f, M("rename-at"), H(f->root), S(f, "updir/secret"), H(f->root), S(f, "got")) ==
        WASI_P2_EC_NOT_PERMITTED);
  CHECK(R(f, M("link-at"), H(f->root), FL(FOLLOW), S(f, "up"), H(f->root), S(f, "got")) == WASI_P2_EC_NOT_PERMITTED);
  CHECK(R(f, M("link-at"), H(f->root), FL(0), S(f, "/secret"), H(f->root), S(f, "got")) ==
        WASI_P2_EC_NOT_PERMITTED);
  CHECK(R(f, M("set-times-at"), H(f->root), FL(FOLLOW), S(f, "abs"), TS_KEEP(), TS_KEEP()) ==
        WASI_P2_EC_NOT_PERMITTED);
  CHECK(R(f, M("readlink-at"), H(f->root), S(f, "updir/x")) == WASI_P2_EC_NOT_PERMITTED);
  /* readlink-at does not reveal an absolute target; a relative one that
   * climbs out is only text. */
  CHECK(R(f, M("readlink-at"), H(f->root), S(f, "abs")) == WASI_P2_EC_NOT_PERMITTED);
  CHECK(R(f, M("readlink-at"), H(f->root), S(f, "up")) == -1);
  /* A link itself (not followed) is fine to look at; opening it without
   * following is a loop, as O_NOFOLLOW says. */
  uint32_t type;
  CHECK(stat_of(f, f->root, 0, "up", &type, NULL, NULL, NULL, NULL) && type == WASI_P2_DT_SYMBOLIC_LINK);
  CHECK(R(f, M("open-at"), H(f->root), FL(0), S(f, "up"), FL(0), FL(WASI_P2_DF_READ)) == WASI_P2_EC_LOOP);
  /* Permissions of the host still hold inside: access (root may read
   * anything, so only checked for others). */
  h_fmt(p, sizeof p, "%s/locked", f->dir);
  CHECK(h_write_file(p, "x", 1) && chmod(p, 0) == 0);
  if (geteuid() != 0)
    CHECK(R(f, M("open-at"), H(f->root), FL(0), S(f, "locked"), FL(0), FL(WASI_P2_DF_READ)) == WASI_P2_EC_ACCESS);
  /* The outside file is untouched. */
  hbuf hb = {0};
  CHECK(h_read_file(f->outside, &hb) && hb.len == 6 && !memcmp(hb.s, "SECRET", 6));
  hbuf_free(&hb);
  h_fmt(p, sizeof p, "%s/got", f->dir);
  struct stat st;
  CHECK(lstat(p, &st) != 0);
}

/* A read-only preopen: reading works, every change is refused. */
static void test_readonly(fx *f) {
  int code;
  uint32_t fd = open_at(f, f->ro, 0, "old.txt", 0, WASI_P2_DF_READ, &code);
  CHECK(fd != UINT32_MAX);
  drop(f, fd);
  CHECK(R(f, M("open-at"), H(f->ro), FL(0), S(f, "new"), FL(WASI_P2_OF_CREATE), FL(WASI_P2_DF_READ)) ==
        WASI_P2_EC_READ_ONLY);
  CHECK(R(f, M("open-at"), H(f->ro), FL(0), S(f, "old.txt"), FL(0), FL(WASI_P2_DF_WRITE)) == WASI_P2_EC_READ_ONLY);
  CHECK(R(f, M("open-at"), H(f->ro), FL(0), S(f, "old.txt"), FL(WASI_P2_OF_TRUNCATE), FL(WASI_P2_DF_READ)) ==
        WASI_P2_EC_READ_ONLY);
  CHECK(R(f, M("open-at"), H(f->ro), FL(0), S(f, "."), FL(0), FL(WASI_P2_DF_MUTATE_DIRECTORY)) ==
        WASI_P2_EC_READ_ONLY);
  CHECK(R(f, M("create-directory-at"), H(f->ro), S(f, "x")) == WASI_P2_EC_READ_ONLY);
  CHECK(R(f, M("unlink-file-at"), H(f->ro), S(f, "old.txt")) == WASI_P2_EC_READ_ONLY);
  CHECK(R(f, M("rename-at"), H(f->ro), S(f, "old.txt"), H(f->root), S(f, "taken")) == WASI_P2_EC_READ_ONLY);
  CHECK(R(f, M("rename-at"), H(f->root), S(f, "d"), H(f->ro), S(f, "given")) == WASI_P2_EC_READ_ONLY);
  CHECK(R(f, M("symlink-at"), H(f->ro), S(f, "old.txt"), S(f, "l")) == WASI_P2_EC_READ_ONLY);
  CHECK(R(f, M("link-at"), H(f->ro), FL(0), S(f, "old.txt"), H(f->ro), S(f, "l")) == WASI_P2_EC_READ_ONLY);
  CHECK(R(f, M("set-times"), H(f->ro), TS_KEEP(), TS_KEEP()) == WASI_P2_EC_READ_ONLY);
  CHECK(R(f, M("set-times-at"), H(f->ro), FL(0), S(f, "old.txt"), TS_KEEP(), TS_KEEP()) == WASI_P2_EC_READ_ONLY);
  CHECK(R(f, M("remove-directory-at"), H(f->ro), S(f, ".")) != -1);
  /* An escape is still an escape. */
  CHECK(R(f, M("create-directory-at"), H(f->ro), S(f, "../x")) == WASI_P2_EC_NOT_PERMITTED);
  CHECK(R(f, M("unlink-file-at"), H(f->ro), S(f, "/old.txt")) == WASI_P2_EC_NOT_PERMITTED);
  /* A directory opened beneath a read-only one is read-only too. */
  uint32_t dot = open_at(f, f->ro, 0, ".", WASI_P2_OF_DIRECTORY, WASI_P2_DF_READ, &code);
  CHECK(dot != UINT32_MAX);
  CHECK(R(f, M("create-directory-at"), H(dot), S(f, "x")) == WASI_P2_EC_READ_ONLY);
  drop(f, dot);
  char p[PATH_MAX];
  h_fmt(p, sizeof p, "%s/x", f->rodir);
  struct stat st;
  CHECK(lstat(p, &st) != 0);
}

/* filesystem-error-code reads the host errno of a wasi:io error. */
static void test_error_code(fx *f) {
  uint32_t e1 = 0, e2 = 0;
  CHECK(wasi_p2_error_new(f->p, ENOENT, NULL, &e1) && wasi_p2_error_new(f->p, 0, "not an os error", &e2));
  kumi_cval r;
  kumi_error_free(call(f, "filesystem-error-code", A(H(e1)), 1, &r));
  CHECK(r.kind == KUMI_CV_OPTION && r.of.var.index == 1 && r.of.var.payload->of.var.index == WASI_P2_EC_NO_ENTRY);
  kumi_cval_free(&f->alloc, &r);
  kumi_error_free(call(f, "filesystem-error-code", A(H(e2)), 1, &r));
  CHECK(r.kind == KUMI_CV_OPTION && r.of.var.index == 0);
  kumi_error_free(call(f, "filesystem-error-code", A(H(e2 + 100)), 1, &r));
  CHECK(r.kind == KUMI_CV_OPTION && r.of.var.index == 0);
}

/* Arguments of the wrong shape are a trap, never a crash. */
static void test_bad_args(fx *f) {
  kumi_cval r;
  kumi_error *e = call(f, M("open-at"), A(H(f->root), S(f, "x")), 2, &r);
  CHECK(e && kumi_error_kind_of(e) == KUMI_ERR_TRAP);
  kumi_error_free(e);
  e = call(f, M("write"), A(H(f->root), A(S(f, "x"))[0], U(0)), 3, &r);
  CHECK(e != NULL);
  kumi_error_free(e);
  kumi_cval odd;
  CHECK(kumi_cval_agg(&f->alloc, KUMI_CV_LIST, 1, &odd));
  odd.of.agg.items[0] = U(300);
  e = call(f, M("write"), A(H(f->root), odd, U(0)), 3, &r);
  CHECK(e && kumi_error_kind_of(e) == KUMI_ERR_TRAP);
  kumi_error_free(e);
  /* A handle that is no descriptor. */
  CHECK(R(f, M("stat"), H(9999)) == WASI_P2_EC_BAD_DESCRIPTOR);
  CHECK(R(f, "[method]directory-entry-stream.read-directory-entry", H(9999)) == WASI_P2_EC_BAD_DESCRIPTOR);
  wasi_p2_fs_descriptor_dtor(f->p, 9999);
  wasi_p2_fs_dirstream_dtor(f->p, 9999);
}

/* ---- the error-code enum against the WIT ---------------------------------------------------- */

/* The case index of `name` in the WIT's "enum error-code", -1 if absent. */
static int wit_case(const char *wit, const char *name) {
  const char *s = strstr(wit, "enum error-code {");
  if (!s) return -1;
  const char *end = strchr(s, '}');
  int idx = 0;
  for (const char *q = strchr(s, '{') + 1; q && q < end;) {
    while (q < end && (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r')) q++;
    if (q >= end) break;
    if (q[0] == '/' && q[1] == '/') {
      q = strchr(q, '\n');
      continue;
    }
    if (*q == '@') { /* a gate like @since(...) */
      q = strchr(q, ')') + 1;
      continue;
    }
    const char *c = q;
    while (q < end && *q != ',' && *q != '\n' && *q != ' ') q++;
    if ((size_t)(q - c) == strlen(name) && !memcmp(c, name, (size_t)(q - c))) return idx;
    idx++;
    while (q < end && *q != '\n') q++;
  }
  return -1;
}

static void test_wit_order(void) {
  char here[PATH_MAX], path[PATH_MAX];
  h_source_dir(here, sizeof here, __FILE__);
  h_fmt(path, sizeof path, "%s/../../../shared/spec/wasi/0.2.12/filesystem/types.wit", here);
  hbuf wit = {0};
  if (!h_read_file(path, &wit)) {
    printf("%s not found: error-code order not checked\n", path);
    return;
  }
  hbuf_add(&wit, "", 1);
  static const struct {
    wasi_errno e;
    const char *name;
  } map[] = {
      {WASI_EACCES, "access"},          {WASI_EAGAIN, "would-block"},      {WASI_EBADF, "bad-descriptor"},
      {WASI_EEXIST, "exist"},           {WASI_EFBIG, "file-too-large"},    {WASI_EILSEQ, "illegal-byte-sequence"},
      {WASI_EINVAL, "invalid"},         {WASI_EIO, "io"},                  {WASI_EISDIR, "is-directory"},
      {WASI_ELOOP, "loop"},             {WASI_EMLINK, "too-many-links"},   {WASI_ENAMETOOLONG, "name-too-long"},
      {WASI_ENOENT, "no-entry"},        {WASI_ENOMEM, "insufficient-memory"},
      {WASI_ENOSPC, "insufficient-space"}, {WASI_ENOTDIR, "not-directory"}, {WASI_ENOTEMPTY, "not-empty"},
      {WASI_ENOTSUP, "unsupported"},    {WASI_ENXIO, "no-such-device"},    {WASI_EOVERFLOW, "overflow"},
      {WASI_EPERM, "not-permitted"},    {WASI_ENOTCAPABLE, "not-permitted"}, {WASI_EPIPE, "pipe"},
      {WASI_EROFS, "read-only"},        {WASI_ESPIPE, "invalid-seek"},     {WASI_ETXTBSY, "text-file-busy"},
      {WASI_EXDEV, "cross-device"},     {WASI_EDQUOT, "quota"},            {WASI_EDEADLK, "deadlock"},
      {WASI_EINTR, "interrupted"},      {WASI_ENOTTY, "no-tty"},           {WASI_ENODEV, "no-device"},
      {WASI_EFAULT, "io"},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
    int want = wit_case((const char *)wit.s, map[i].name);
    CHECKF(want >= 0 && (int)wasi_p2_fs_error_code(map[i].e) == want, "%s: %u, WIT %d", map[i].name,
           wasi_p2_fs_error_code(map[i].e), want);
  }
  CHECK(wit_case((const char *)wit.s, "cross-device") == 36);
  hbuf_free(&wit);
}

/* ---- allocation failures ------------------------------------------------------------------- */

/* One scenario with the allocator failing from the Nth allocation on:
 * whatever fails must fail cleanly (an error or an error code, nothing
 * leaked once the state is freed). */
static void test_oom(void) {
  long n;
  for (n = 0; n < 400; n++) {
    fx f;
    memset(&f, 0, sizeof f);
    if (!h_mkdtemp(f.base, sizeof f.base, "p2fs-oom")) return;
    f.alloc = test_alloc_init(&f.counts, -1);
    kumi_wasi_config *c = kumi_wasi_config_new(&f.alloc);
    kumi_error *e = kumi_wasi_config_preopen_dir(c, f.base, "/", 0);
    if (!e) f.w = kumi_wasi_new(c, &e);
    kumi_wasi_config_free(c);
    kumi_error_free(e);
    f.p = f.w ? wasi_p2_of(f.w) : NULL;
    if (!f.p || !wasi_p2_fs_init(f.p)) return;
    kumi_cval res;
    /* Argument strings are made before the failures begin to count. */
    kumi_cval args[5] = {H(3), FL(0), S(&f, "f"), FL(WASI_P2_OF_CREATE), FL(WASI_P2_DF_READ | WASI_P2_DF_WRITE)};
    f.counts.fail_after = f.counts.allocs + n;
    kumi_error *ke = call(&f, M("open-at"), args, 5, &res);
    bool all_ok = !ke && res.kind == KUMI_CV_RESULT && res.of.var.index == 0;
    kumi_error_free(ke);
    kumi_cval_free(&f.alloc, &res);
    kumi_cval a2[1] = {H(3)};
    ke = call(&f, M("read-directory"), a2, 1, &res);
    all_ok = all_ok && !ke;
    kumi_error_free(ke);
    if (!ke && res.kind == KUMI_CV_RESULT && res.of.var.index == 0) {
      uint32_t s = res.of.var.payload->of.handle;
      kumi_cval a3[1] = {H(s)}, r3;
      ke = call(&f, "[method]directory-entry-stream.read-directory-entry", a3, 1, &r3);
      all_ok = all_ok && !ke && r3.kind == KUMI_CV_RESULT && r3.of.var.index == 0;
      kumi_error_free(ke);
      kumi_cval_free(&f.alloc, &r3);
    } else {
      all_ok = false;
    }
    kumi_cval_free(&f.alloc, &res);
    ke = call(&f, "get-directories", NULL, 0, &res);
    all_ok = all_ok && !ke;
    kumi_error_free(ke);
    kumi_cval_free(&f.alloc, &res);
    f.counts.fail_after = -1;
    kumi_wasi_free(f.w);
    bool clean = test_alloc_clean(&f.counts);
    h_rm_rf(f.base);
    if (!clean) {
      CHECKF(clean, "leak with allocation %ld failing", n);
      return;
    }
    if (all_ok) break; /* no allocation failed: every step was covered */
  }
  CHECKF(n < 400 && n > 0, "allocation-failure sweep ended at %ld", n);
}

int main(void) {
  for (int walk = 0; walk < 2; walk++) {
    fx f;
    if (!fx_open(&f, walk)) {
      CHECKF(false, "setup failed");
      return test_summary();
    }
    printf("resolver: %s\n", walk ? "openat walk" : "openat2 (or the walk where the kernel lacks it)");
    test_preopens(&f);
    test_files(&f);
    test_dirs(&f);
    test_big_dir(&f);
    test_sandbox(&f);
    test_readonly(&f);
    test_error_code(&f);
    test_bad_args(&f);
    fx_close(&f);
  }
  test_wit_order();
  test_oom();
  return test_summary();
}
