/* wasi:cli@0.2.12 on the host: environment, exit, stdin/stdout/stderr and
 * the terminal interfaces, from the same kumi_wasi as preview1. */
#define _GNU_SOURCE
#include "p2.h"
#include "wasi_share.h"

#include <string.h>
#include <unistd.h>

#define CLI(x) WASI_P2_IFACE("wasi:cli/" x)

/* ---- environment ------------------------------------------------------------------ */

kumi_error *wasi_cli_environment(kumi_wasi *w, const kumi_allocator *a, kumi_cval *result) {
  if (!kumi_cval_agg(a, KUMI_CV_LIST, w->nenv, result)) return kb_error_oom();
  for (size_t i = 0; i < w->nenv; i++) {
    const char *s = w->env[i], *eq = strchr(s, '=');
    size_t nl = eq ? (size_t)(eq - s) : strlen(s);
    const char *v = eq ? eq + 1 : "";
    kumi_cval *t = &result->of.agg.items[i];
    if (!kumi_cval_agg(a, KUMI_CV_TUPLE, 2, t) || !kumi_cval_string(a, s, nl, &t->of.agg.items[0]) ||
        !kumi_cval_string(a, v, strlen(v), &t->of.agg.items[1])) {
      kumi_cval_free(a, result);
      return kb_error_oom();
    }
  }
  return NULL;
}

kumi_error *wasi_cli_arguments(kumi_wasi *w, const kumi_allocator *a, kumi_cval *result) {
  if (!kumi_cval_agg(a, KUMI_CV_LIST, w->nargs, result)) return kb_error_oom();
  for (size_t i = 0; i < w->nargs; i++)
    if (!kumi_cval_string(a, w->args[i], strlen(w->args[i]), &result->of.agg.items[i])) {
      kumi_cval_free(a, result);
      return kb_error_oom();
    }
  return NULL;
}

static kumi_error *f_get_environment(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                     kumi_cval *result) {
  (void)args, (void)nargs;
  wasi_p2 *p = env;
  return wasi_cli_environment(p->w, a, result);
}

static kumi_error *f_get_arguments(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                   kumi_cval *result) {
  (void)args, (void)nargs;
  wasi_p2 *p = env;
  return wasi_cli_arguments(p->w, a, result);
}

kumi_error *wasi_cli_initial_cwd(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                 kumi_cval *result) {
  (void)env, (void)args, (void)nargs;
  return kumi_cval_case(a, KUMI_CV_OPTION, 0, NULL, result) ? NULL : kb_error_oom();
}

/* ---- exit ---------------------------------------------------------------------------- */

int wasi_cli_exit_status(const kumi_cval *args, size_t nargs, bool with_code) {
  if (with_code) return nargs >= 1 ? (int)(uint8_t)args[0].of.u : 1;
  return nargs >= 1 && args[0].kind == KUMI_CV_RESULT && args[0].of.var.index == 0 ? 0 : 1;
}

static kumi_error *f_exit(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                          kumi_cval *result) {
  (void)a, (void)result;
  return wasi_p2_exit(env, wasi_cli_exit_status(args, nargs, false));
}

static kumi_error *f_exit_with_code(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                    kumi_cval *result) {
  (void)a, (void)result;
  return wasi_p2_exit(env, wasi_cli_exit_status(args, nargs, true));
}

/* ---- stdio -------------------------------------------------------------------------------- */

static kumi_error *stdio_stream(wasi_p2 *p, uint32_t which, kumi_cval *result) {
  uint32_t rep;
  if (wasi_p2_stdio_stream_new(p, which, &rep)) return kb_error_oom();
  *result = kumi_cval_handle(KUMI_CV_OWN, rep);
  return NULL;
}

static kumi_error *f_get_stdin(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)a, (void)args, (void)n;
  return stdio_stream(env, 0, r);
}
static kumi_error *f_get_stdout(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)a, (void)args, (void)n;
  return stdio_stream(env, 1, r);
}
static kumi_error *f_get_stderr(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)a, (void)args, (void)n;
  return stdio_stream(env, 2, r);
}

/* ---- terminals ------------------------------------------------------------------------------
 * A terminal resource carries nothing: the table stores the state itself
 * as a non-NULL marker, with no free_obj. A stream is a terminal when it is
 * the host's descriptor and isatty says so. */

static void dtor_term_in(void *env, uint32_t rep) {
  wasi_p2 *p = env;
  wasi_p2_table_take(&p->term_in, rep);
}
static void dtor_term_out(void *env, uint32_t rep) {
  wasi_p2 *p = env;
  wasi_p2_table_take(&p->term_out, rep);
}

bool wasi_cli_is_tty(const kumi_wasi *w, uint32_t which) {
  return which < w->fds.len && w->fds.items[which].kind == WASI_FD_HOST && isatty(w->fds.items[which].host);
}

static kumi_error *terminal(wasi_p2 *p, const kumi_allocator *a, uint32_t which, kumi_cval *result) {
  if (!wasi_cli_is_tty(p->w, which)) return kumi_cval_case(a, KUMI_CV_OPTION, 0, NULL, result) ? NULL : kb_error_oom();
  uint32_t rep;
  if (!wasi_p2_table_add(p, which == 0 ? &p->term_in : &p->term_out, p, &rep)) return kb_error_oom();
  kumi_cval h = kumi_cval_handle(KUMI_CV_OWN, rep);
  if (!kumi_cval_case(a, KUMI_CV_OPTION, 1, &h, result)) {
    wasi_p2_table_take(which == 0 ? &p->term_in : &p->term_out, rep);
    return kb_error_oom();
  }
  return NULL;
}

static kumi_error *f_term_stdin(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)args, (void)n;
  return terminal(env, a, 0, r);
}
static kumi_error *f_term_stdout(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)args, (void)n;
  return terminal(env, a, 1, r);
}
static kumi_error *f_term_stderr(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)args, (void)n;
  return terminal(env, a, 2, r);
}

typedef struct cli_fn {
  const char *iface, *name;
  kumi_component_host_fn fn;
} cli_fn;

static const cli_fn cli_fns[] = {
    {CLI("environment"), "get-environment", f_get_environment},
    {CLI("environment"), "get-arguments", f_get_arguments},
    {CLI("environment"), "initial-cwd", wasi_cli_initial_cwd},
    {CLI("exit"), "exit", f_exit},
    {CLI("exit"), "exit-with-code", f_exit_with_code},
    {CLI("stdin"), "get-stdin", f_get_stdin},
    {CLI("stdout"), "get-stdout", f_get_stdout},
    {CLI("stderr"), "get-stderr", f_get_stderr},
    {CLI("terminal-stdin"), "get-terminal-stdin", f_term_stdin},
    {CLI("terminal-stdout"), "get-terminal-stdout", f_term_stdout},
    {CLI("terminal-stderr"), "get-terminal-stderr", f_term_stderr},
};

kumi_error *wasi_p2_add_cli(kumi_component_linker *l, wasi_p2 *p) {
  kumi_error *e;
  if ((e = kumi_component_linker_define_resource(l, CLI("terminal-input"), "terminal-input", dtor_term_in, p)) ||
      (e = kumi_component_linker_define_resource(l, CLI("terminal-output"), "terminal-output", dtor_term_out, p)))
    return e;
  for (size_t i = 0; i < sizeof cli_fns / sizeof cli_fns[0]; i++)
    if ((e = wasi_p2_define(l, cli_fns[i].iface, cli_fns[i].name, cli_fns[i].fn, p))) return e;
  return NULL;
}
