/* Shared by the WASI test drivers (each tests/wasi/test_*.c is its own
 * executable): run a wasm32-wasi module through the public API with
 * captured stdout/stderr, and small host file-system helpers for scratch
 * directories. Test code, so it calls the OS directly. */
#ifndef KUMI_TESTS_WASI_HARNESS_H
#define KUMI_TESTS_WASI_HARNESS_H

#define _GNU_SOURCE
#include "kumi.h"
#include "kumi_wasi.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdarg.h>
#include <unistd.h>

/* snprintf for paths and messages; truncation is acceptable in tests. */
__attribute__((format(printf, 3, 4))) static inline void h_fmt(char *out, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(out, n, fmt, ap);
  va_end(ap);
}

/* ---- a growable string ------------------------------------------------------- */
typedef struct hbuf {
  char *s;
  size_t len, cap;
} hbuf;

__attribute__((noinline, unused)) static void hbuf_add(hbuf *b, const void *p, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < b->len + n + 1) cap *= 2;
    b->s = realloc(b->s, cap);
    if (!b->s) abort();
    b->cap = cap;
  }
  memcpy(b->s + b->len, p, n);
  b->len += n;
  b->s[b->len] = 0;
}
static inline void hbuf_str(hbuf *b, const char *s) { hbuf_add(b, s, strlen(s)); }
static inline void hbuf_free(hbuf *b) {
  free(b->s);
  memset(b, 0, sizeof *b);
}

/* ---- files ------------------------------------------------------------------------ */
static inline bool h_read_file(const char *path, hbuf *out) {
  FILE *f = fopen(path, "rb");
  if (!f) return false;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) hbuf_add(out, buf, n);
  fclose(f);
  if (!out->s) hbuf_add(out, "", 0);
  return true;
}

static inline bool h_write_file(const char *path, const char *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return false;
  bool ok = fwrite(data, 1, len, f) == len;
  return fclose(f) == 0 && ok;
}

/* Removes path and everything below it; links are removed, not followed. */
static inline void h_rm_rf(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    chmod(path, 0700);
    DIR *d = opendir(path);
    if (d) {
      struct dirent *e;
      while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char sub[PATH_MAX];
        h_fmt(sub, sizeof sub, "%s/%s", path, e->d_name);
        h_rm_rf(sub);
      }
      closedir(d);
    }
    rmdir(path);
  } else {
    unlink(path);
  }
}

/* Copies directory src into dst (created), files made writable. */
static inline bool h_copy_tree(const char *src, const char *dst) {
  if (mkdir(dst, 0755) != 0 && errno != EEXIST) return false;
  DIR *d = opendir(src);
  if (!d) return false;
  struct dirent *e;
  bool ok = true;
  while (ok && (e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char s[PATH_MAX], t[PATH_MAX];
    h_fmt(s, sizeof s, "%s/%s", src, e->d_name);
    h_fmt(t, sizeof t, "%s/%s", dst, e->d_name);
    struct stat st;
    if (lstat(s, &st) != 0) {
      ok = false;
    } else if (S_ISDIR(st.st_mode)) {
      ok = h_copy_tree(s, t);
    } else if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = readlink(s, target, sizeof target - 1);
      ok = n >= 0 && (target[n] = 0, symlink(target, t) == 0);
    } else {
      hbuf b = {0};
      ok = h_read_file(s, &b) && h_write_file(t, b.s, b.len);
      hbuf_free(&b);
    }
  }
  closedir(d);
  return ok;
}

/* A fresh scratch directory under $TMPDIR; the caller removes it. */
static inline bool h_mkdtemp(char *out, size_t n, const char *tag) {
  const char *tmp = getenv("TMPDIR");
  h_fmt(out, n, "%s/kumi-wasi-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", tag);
  return mkdtemp(out) != NULL;
}

/* The directory of this source file's folder (tests/wasi), from __FILE__. */
static inline void h_source_dir(char *out, size_t n, const char *file) {
  h_fmt(out, n, "%s", file);
  char *slash = strrchr(out, '/');
  if (slash) *slash = 0;
  else h_fmt(out, n, ".");
}

/* Runs a shell command line; returns its exit status (-1 if it did not
 * run or died of a signal). Output goes to `out` when non-NULL. */
static inline int h_system(const char *cmd, hbuf *out) {
  FILE *p = popen(cmd, "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0)
    if (out) hbuf_add(out, buf, n);
  int st = pclose(p);
  if (out && !out->s) hbuf_add(out, "", 0);
  if (st < 0) return -1;
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Quotes s for a POSIX shell command line. */
static inline void h_shell_quote(hbuf *b, const char *s) {
  hbuf_str(b, "'");
  for (; *s; s++) {
    if (*s == '\'') hbuf_str(b, "'\\''");
    else hbuf_add(b, s, 1);
  }
  hbuf_str(b, "'");
}

/* The C compiler for wasm32-wasi: $KUMI_WASI_CC, else clang. */
static inline const char *h_wasi_cc(void) {
  const char *cc = getenv("KUMI_WASI_CC");
  return cc && *cc ? cc : "clang";
}

/* Compiles src to out (wasm32-wasi, -O1) with include directory inc. On
 * failure the compiler's output is in log. */
static inline bool h_compile(const char *src, const char *out, const char *inc, hbuf *log) {
  hbuf cmd = {0};
  hbuf_str(&cmd, h_wasi_cc());
  hbuf_str(&cmd, " --target=wasm32-wasi -O1 -Wall -I");
  h_shell_quote(&cmd, inc);
  hbuf_str(&cmd, " -o ");
  h_shell_quote(&cmd, out);
  hbuf_str(&cmd, " ");
  h_shell_quote(&cmd, src);
  hbuf_str(&cmd, " 2>&1");
  int st = h_system(cmd.s, log);
  hbuf_free(&cmd);
  return st == 0;
}

/* ---- running a module --------------------------------------------------------------- */
typedef struct h_preopen {
  const char *host, *guest;
  bool readonly;
} h_preopen;

typedef struct h_run {
  /* inputs */
  const char *wasm;
  const char *const *args; /* argv, NULL-terminated; argv[0] included */
  const char *const *env;  /* "NAME=VALUE", NULL-terminated */
  const h_preopen *preopens;
  size_t npreopens;
  const char *stdin_data; /* NULL: no stdin */
  size_t stdin_len;
  int sock_fd; /* > 0: a listening socket preopened after the directories */
  int stdin_fd; /* > 0: stdin reads this host descriptor (duplicated) instead */
  bool walk_only; /* resolve paths without openat2 */
  /* outputs */
  int exit_code; /* proc_exit code, 0 when _start returned, -1 on a kumi error (message in err) */
  hbuf out, errout;
  char err[512];
} h_run;

void wasi_config_force_walk(kumi_wasi_config *c, bool on); /* src/wasi (internal, for tests) */

/* Makes the kumi_wasi of a run: args, env, preopens, stdin, captured
 * stdout/stderr. On failure *e is set; the caller frees *cfg and *w. */
static inline kumi_error *h_make_wasi(const h_run *r, kumi_wasi_config **cfgp, kumi_wasi **wp) {
  kumi_error *e = NULL;
  kumi_wasi_config *cfg = *cfgp = kumi_wasi_config_new(NULL);
  for (size_t i = 0; r->args && r->args[i]; i++)
    if ((e = kumi_wasi_config_arg(cfg, r->args[i]))) return e;
  for (size_t i = 0; r->env && r->env[i]; i++) {
    const char *eq = strchr(r->env[i], '=');
    char name[256];
    h_fmt(name, sizeof name, "%.*s", (int)(eq - r->env[i]), r->env[i]);
    if ((e = kumi_wasi_config_env(cfg, name, eq + 1))) return e;
  }
  for (size_t i = 0; i < r->npreopens; i++)
    if ((e = kumi_wasi_config_preopen_dir(cfg, r->preopens[i].host, r->preopens[i].guest,
                                          r->preopens[i].readonly ? KUMI_WASI_DIR_READONLY : 0)))
      return e;
  if (r->sock_fd > 0 && (e = kumi_wasi_config_preopen_socket(cfg, r->sock_fd))) return e;
  if (r->stdin_data && (e = kumi_wasi_config_stdin_bytes(cfg, r->stdin_data, r->stdin_len))) return e;
  if (r->stdin_fd > 0 && (e = kumi_wasi_config_stdio_fd(cfg, KUMI_WASI_STDIN, r->stdin_fd))) return e;
  if ((e = kumi_wasi_config_stdio_capture(cfg, KUMI_WASI_STDOUT, 0))) return e;
  if ((e = kumi_wasi_config_stdio_capture(cfg, KUMI_WASI_STDERR, 0))) return e;
  wasi_config_force_walk(cfg, r->walk_only);
  *wp = kumi_wasi_new(cfg, &e);
  return e;
}

static inline void h_take_output(h_run *r, kumi_wasi *w) {
  if (!w) return;
  size_t n;
  const uint8_t *p = kumi_wasi_output(w, KUMI_WASI_STDOUT, &n);
  hbuf_add(&r->out, p ? p : (const uint8_t *)"", n);
  p = kumi_wasi_output(w, KUMI_WASI_STDERR, &n);
  hbuf_add(&r->errout, p ? p : (const uint8_t *)"", n);
}

static inline bool h_run_module(h_run *r) {
  r->exit_code = -1;
  r->err[0] = 0;
  hbuf bytes = {0};
  kumi_error *e = NULL;
  bool ran = false;
  kumi_engine *engine = NULL;
  kumi_module *m = NULL;
  kumi_store *store = NULL;
  kumi_linker *l = NULL;
  kumi_wasi_config *cfg = NULL;
  kumi_wasi *w = NULL;
  if (!h_read_file(r->wasm, &bytes)) {
    h_fmt(r->err, sizeof r->err, "cannot read %s", r->wasm);
    return false;
  }
  engine = kumi_engine_new(NULL);
  m = kumi_module_new(engine, (const uint8_t *)bytes.s, bytes.len, &e);
  if (!m) goto fail;
  if ((e = h_make_wasi(r, &cfg, &w))) goto fail;
  store = kumi_store_new(engine, NULL);
  l = kumi_linker_new(store);
  if ((e = kumi_linker_add_wasi_preview1(l, w))) goto fail;
  kumi_instance *inst = kumi_linker_instantiate(l, m, &e);
  if (!inst) goto fail;
  kumi_func *start = kumi_instance_func(inst, "_start");
  if (!start) {
    h_fmt(r->err, sizeof r->err, "no _start");
    goto done;
  }
  e = kumi_func_call(store, start, NULL, 0, NULL, 0);
  ran = true;
  if (!e) r->exit_code = 0;
  else if (kumi_error_kind_of(e) == KUMI_ERR_EXIT) r->exit_code = kumi_error_exit_code(e);
  else goto fail;
  goto done;
fail:
  if (e) h_fmt(r->err, sizeof r->err, "%s", kumi_error_message(e));
done:
  h_take_output(r, w);
  if (e) kumi_error_free(e);
  kumi_linker_free(l);
  kumi_store_free(store);
  kumi_wasi_free(w);
  kumi_wasi_config_free(cfg);
  kumi_module_free(m);
  kumi_engine_free(engine);
  hbuf_free(&bytes);
  return ran;
}

/* Runs a WASI 0.2 command component: its wasi:cli/run export's `run`
 * (any 0.2.x), with WASI p2 linked. exit_code: 0 for ok, 1 for err, or
 * the code given to wasi:cli/exit; -1 on a kumi error (in err). */
static inline bool h_run_component(h_run *r) {
  r->exit_code = -1;
  r->err[0] = 0;
  hbuf bytes = {0};
  kumi_error *e = NULL;
  bool ran = false;
  kumi_engine *engine = NULL;
  kumi_component *c = NULL;
  kumi_store *store = NULL;
  kumi_component_linker *l = NULL;
  kumi_component_instance *inst = NULL;
  kumi_wasi_config *cfg = NULL;
  kumi_wasi *w = NULL;
  kumi_cval res = kumi_cval_bool(false);
  if (!h_read_file(r->wasm, &bytes)) {
    h_fmt(r->err, sizeof r->err, "cannot read %s", r->wasm);
    return false;
  }
  engine = kumi_engine_new(NULL);
  c = kumi_component_new(engine, (const uint8_t *)bytes.s, bytes.len, &e);
  if (!c) goto fail;
  if ((e = h_make_wasi(r, &cfg, &w))) goto fail;
  store = kumi_store_new(engine, NULL);
  l = kumi_component_linker_new(engine);
  if ((e = kumi_component_linker_add_wasi_p2(l, w))) goto fail;
  inst = kumi_component_linker_instantiate(l, store, c, &e);
  if (!inst) goto fail;
  kumi_component_func *run = NULL;
  for (int minor = 12; minor >= 0 && !run; minor--) {
    char iface[64];
    h_fmt(iface, sizeof iface, "wasi:cli/run@0.2.%d", minor);
    run = kumi_component_instance_func(inst, iface, "run");
  }
  if (!run) {
    h_fmt(r->err, sizeof r->err, "no wasi:cli/run export");
    goto done;
  }
  e = kumi_component_func_call(store, run, NULL, 0, &res, 1);
  ran = true;
  if (!e) r->exit_code = res.kind == KUMI_CV_RESULT && res.of.var.index == 0 ? 0 : 1;
  else if (kumi_error_kind_of(e) == KUMI_ERR_EXIT) r->exit_code = kumi_error_exit_code(e);
  else goto fail;
  goto done;
fail:
  if (e) h_fmt(r->err, sizeof r->err, "%s", kumi_error_message(e));
done:
  h_take_output(r, w);
  if (e) kumi_error_free(e);
  kumi_cval_free(NULL, &res);
  kumi_component_instance_free(inst);
  kumi_store_free(store);
  kumi_component_linker_free(l);
  kumi_wasi_free(w);
  kumi_wasi_config_free(cfg);
  kumi_component_free(c);
  kumi_engine_free(engine);
  hbuf_free(&bytes);
  return ran;
}

static inline void h_run_free(h_run *r) {
  hbuf_free(&r->out);
  hbuf_free(&r->errout);
}

/* Copies a test's root folder (dir/root) to a fresh scratch directory
 * (its path in scratch, n bytes; "" until made) and preopens it as "/"
 * in r through *pre. False with why set when that fails; the caller
 * removes scratch when it is not empty. */
static inline bool h_copy_root(const char *dir, const char *root, const char *tag, h_run *r, h_preopen *pre,
                               char *scratch, size_t n, char *why, size_t why_n) {
  bool ok = true;
  char src[PATH_MAX], base[PATH_MAX];
  h_fmt(src, sizeof src, "%s/%s", dir, root);
  if (!h_mkdtemp(base, sizeof base, tag)) {
    h_fmt(why, why_n, "cannot make a scratch directory");
    ok = false;
  } else {
    h_fmt(scratch, n, "%s", base);
    if (!h_copy_tree(src, scratch)) {
      h_fmt(why, why_n, "cannot copy %s", src);
      ok = false;
    }
  }
  pre->host = scratch;
  pre->guest = "/";
  pre->readonly = false;
  r->preopens = pre;
  r->npreopens = 1;
  return ok;
}

/* The wasi-testsuite folder (+ "/" sub when sub is not NULL):
 * $KUMI_WASI_TESTSUITE, else ../shared beside the repository (here: the
 * test's source folder). True when it exists. */
static inline bool h_suite_dir(const char *here, const char *sub, char *out, size_t n) {
  const char *env_suite = getenv("KUMI_WASI_TESTSUITE");
  if (env_suite && *env_suite) h_fmt(out, n, "%s%s%s", env_suite, sub ? "/" : "", sub ? sub : "");
  else h_fmt(out, n, "%s/../../../shared/conformance/wasi-testsuite%s%s", here, sub ? "/" : "", sub ? sub : "");
  struct stat st;
  return stat(out, &st) == 0;
}

#endif
