/* `kumi run` on a component. The component is instantiated with a
 * kumi_component_linker holding WASI 0.2 and 0.3
 * (kumi_component_linker_add_wasi_p2 and _p3, one kumi_wasi behind both),
 * configured from the same options as preview1 (--dir, --env, --allow-ip,
 * ... and the arguments after FILE; stdio inherited). Without --invoke it
 * must be a command: the `run` of its `wasi:cli/run@0.3.x` export (an async
 * function; the call runs the instance's event loop until it returns), else
 * of its `wasi:cli/run@0.2.x`, is called, and the exit status is 0 for ok,
 * 1 for err, or the code the guest gave wasi:cli/exit.
 * --invoke 'name(arg, ...)' calls one exported function instead, arguments
 * parsed as WAVE typed by its parameters and the result printed as WAVE. */
#include "run_component.h"
#include "run_wasi.h"

#include "base/base.h"
#include "component/abi.h"
#include "component/ast.h"
#include "component/component.h"
#include "component/inst.h"
#include "component/types.h"

#include <stdio.h>
#include <string.h>

/* Prints a library error the way run.c does: traps as "error: wasm trap:
 * ..." with the backtrace, others as "FILE[:0xOFFSET]: error: ...". */
static int report(const char *file, kumi_error *e) {
  if (kumi_error_kind_of(e) == KUMI_ERR_EXIT) {
    int code = kumi_error_exit_code(e);
    kumi_error_free(e);
    return code;
  }
  if (kumi_error_kind_of(e) == KUMI_ERR_TRAP)
    kumi_error_print(e, stderr);
  else if (kumi_error_offset(e) != KUMI_NO_OFFSET)
    fprintf(stderr, "%s:0x%llx: error: %s\n", file, (unsigned long long)kumi_error_offset(e), kumi_error_message(e));
  else
    fprintf(stderr, "%s: error: %s\n", file, kumi_error_message(e));
  kumi_error_free(e);
  return 1;
}

/* ---- finding the function ---------------------------------------------------------------- */

typedef struct find_cx {
  const char *iface; /* `iface#name`; NULL: a bare name, top-level or in any interface */
  size_t iface_len;
  const char *name;
  size_t name_len;
  kumi_component_func *found, *top; /* a match; the top-level match */
  size_t nfound;                    /* matches of a bare name */
  FILE *list; /* non-NULL: print every function instead */
  size_t nlisted;
} find_cx;

static void visit(void *p, const char *iface, size_t iface_len, const char *name, size_t name_len,
                  kumi_component_func *f) {
  find_cx *c = p;
  if (c->list) {
    c->nlisted++;
    if (iface) fprintf(c->list, "  %.*s#%.*s\n", (int)iface_len, iface, (int)name_len, name);
    else fprintf(c->list, "  %.*s\n", (int)name_len, name);
    return;
  }
  if (name_len != c->name_len || memcmp(name, c->name, name_len) != 0) return;
  if (c->iface) {
    if (iface && iface_len == c->iface_len && memcmp(iface, c->iface, iface_len) == 0) c->found = f;
    return;
  }
  if (!iface) c->top = f;
  c->found = f;
  c->nfound++;
}

static void list_exports(kumi_component_instance *inst) {
  find_cx c;
  memset(&c, 0, sizeof c);
  c.list = stderr;
  fprintf(stderr, "note: exported functions:\n");
  comp_rt_each_export_func(inst, visit, &c);
  if (!c.nlisted) fprintf(stderr, "  (none)\n");
}

/* The function `name` or `iface#name`; prints why not and returns NULL. */
static kumi_component_func *find_func(const char *file, kumi_component_instance *inst, const char *s, size_t len) {
  find_cx c;
  memset(&c, 0, sizeof c);
  const char *hash = memchr(s, '#', len);
  if (hash) {
    c.iface = s;
    c.iface_len = (size_t)(hash - s);
    c.name = hash + 1;
    c.name_len = len - c.iface_len - 1;
  } else {
    c.name = s;
    c.name_len = len;
  }
  comp_rt_each_export_func(inst, visit, &c);
  /* A top-level export wins over interface members of the same name. */
  if (!hash && c.top) return c.top;
  if (c.found && (hash || c.nfound == 1)) return c.found;
  if (c.nfound > 1)
    fprintf(stderr, "error: %s exports several functions named '%.*s'; write INTERFACE#%.*s\n", file, (int)len, s,
            (int)len, s);
  else
    fprintf(stderr, "error: %s exports no function named '%.*s'\n", file, (int)len, s);
  list_exports(inst);
  return NULL;
}

/* ---- the call ------------------------------------------------------------------------------- */

/* Shows where in the call expr a WAVE error is: the text, and a caret
 * under byte `at` (columns count code points). */
static void caret(const char *expr, size_t at) {
  fprintf(stderr, "  %s\n  ", expr);
  for (size_t i = 0; i < at; i++)
    if (((unsigned char)expr[i] & 0xc0) != 0x80) fputc(' ', stderr);
  fputs("^\n", stderr);
}

static int call(const char *file, kumi_store *store, kumi_component_instance *inst, const char *expr) {
  const kumi_allocator *a = kb_default_allocator();
  size_t len = strlen(expr), name_off, name_len, args_off;
  if (!wave_call_name(expr, len, &name_off, &name_len, &args_off)) {
    fprintf(stderr, "error: --invoke on a component takes a call 'NAME(ARG, ...)', not '%s'\n", expr);
    return 1;
  }
  kumi_component_func *f = find_func(file, inst, expr + name_off, name_len);
  if (!f) return 1;
  const comp_types *ts;
  const comp_type *ft;
  comp_rt_func_type(f, &ts, &ft);
  size_t nargs = ft->n, nres = ft->has_result ? 1 : 0;
  kumi_cval *args = kb_alloc(a, (nargs + 1) * sizeof *args);
  kumi_cval res = kumi_cval_bool(false);
  wave_buf out = {0};
  int status = 1;
  if (!args) {
    fprintf(stderr, "error: out of memory\n");
    goto done;
  }
  kumi_error *e = wave_parse_args(a, ts, ft, expr + args_off, len - args_off, args);
  if (e) {
    fprintf(stderr, "error: bad arguments to '%.*s' (it takes %zu argument%s): %s\n", (int)name_len, expr + name_off,
            nargs, nargs == 1 ? "" : "s", kumi_error_message(e));
    uint64_t at = kumi_error_offset(e);
    kumi_error_free(e);
    if (at != KUMI_NO_OFFSET && at <= len - args_off && !memchr(expr, '\n', len)) caret(expr, args_off + (size_t)at);
    goto done_args;
  }
  e = kumi_component_func_call(store, f, args, nargs, nres ? &res : NULL, nres);
  for (size_t i = 0; i < nargs; i++) kumi_cval_free(a, &args[i]);
  if (e) {
    status = report(file, e);
    goto done_args;
  }
  if (nres) {
    if (!wave_print(a, ts, ft->result, &res, &out)) {
      fprintf(stderr, "error: cannot print the result\n");
      goto done_res;
    }
    fwrite(out.items, 1, out.len, stdout);
    fputc('\n', stdout);
  }
  status = 0;
done_res:
  kumi_cval_free(a, &res);
  kb_vec_free(a, &out);
done_args:
  kb_free(a, args, (nargs + 1) * sizeof *args);
done:
  return status;
}

/* ---- commands ------------------------------------------------------------------------------- */

/* Finds the `run` function of an exported `wasi:cli/run`: of @0.3.x when
 * there is one (a component built for WASI 0.3 exports both), else of any
 * version. */
typedef struct run_cx {
  kumi_component_func *run;
  bool v03;
} run_cx;

static void visit_run(void *p, const char *iface, size_t iface_len, const char *name, size_t name_len,
                      kumi_component_func *f) {
  static const char k[] = "wasi:cli/run@", k03[] = "wasi:cli/run@0.3.";
  run_cx *c = p;
  if (!iface || iface_len < sizeof k - 1 || memcmp(iface, k, sizeof k - 1) != 0 || name_len != 3 ||
      memcmp(name, "run", 3) != 0)
    return;
  bool v03 = iface_len >= sizeof k03 - 1 && memcmp(iface, k03, sizeof k03 - 1) == 0;
  if (!c->run || v03 || !c->v03) {
    c->run = f;
    c->v03 = v03;
  }
}

static int run_command(const char *file, kumi_store *store, kumi_component_instance *inst) {
  run_cx c = {NULL, false};
  comp_rt_each_export_func(inst, visit_run, &c);
  if (!c.run) {
    fprintf(stderr, "error: %s is a component without a 'wasi:cli/run' export; use --invoke 'NAME(ARGS)' to call "
                    "an exported function\n", file);
    list_exports(inst);
    return 1;
  }
  kumi_cval res = kumi_cval_bool(false);
  size_t nres = kumi_component_func_result_count(c.run);
  kumi_error *e = kumi_component_func_call(store, c.run, NULL, 0, nres ? &res : NULL, nres);
  if (e) return report(file, e);
  int status = nres && res.kind == KUMI_CV_RESULT && res.of.var.index != 0 ? 1 : 0;
  kumi_cval_free(kb_default_allocator(), &res);
  return status;
}

int cli_run_component(const cli_wasi_opts *o, const char *file, const uint8_t *bytes, size_t len, int argc,
                      char **argv) {
  const char *expr = o->invoke;
  if (expr && argc > 0) {
    fprintf(stderr, "error: a component call takes its arguments inside --invoke 'NAME(ARG, ...)', not after "
                    "FILE\n");
    return 1;
  }
  int status = 1;
  kumi_error *e = NULL;
  kumi_engine *engine = kumi_engine_new(NULL);
  kumi_component *c = NULL;
  kumi_store *store = NULL;
  kumi_component_linker *linker = NULL;
  kumi_component_instance *inst = NULL;
  kumi_wasi_config *cfg = NULL;
  kumi_wasi *wasi = NULL;
  if (!engine) goto oom;
  c = kumi_component_new_with(engine, bytes, len, o->features, &e);
  if (!c) {
    status = report(file, e);
    goto done;
  }
  store = kumi_store_new(engine, NULL);
  linker = store ? kumi_component_linker_new(engine) : NULL;
  if (!linker) goto oom;
  if ((e = cli_wasi_make(o, file, argc, argv, &cfg, &wasi)) || (e = kumi_component_linker_add_wasi_p2(linker, wasi)) ||
      (e = kumi_component_linker_add_wasi_p3(linker, wasi))) {
    status = report(file, e);
    goto done;
  }
  inst = kumi_component_linker_instantiate(linker, store, c, &e);
  if (!inst) {
    status = report(file, e);
    goto done;
  }
  status = expr ? call(file, store, inst, expr) : run_command(file, store, inst);
  goto done;
oom:
  fprintf(stderr, "error: out of memory\n");
done:
  fflush(stdout);
  kumi_component_instance_free(inst);
  kumi_store_free(store);
  kumi_component_linker_free(linker);
  kumi_wasi_free(wasi);
  kumi_wasi_config_free(cfg);
  kumi_component_free(c);
  kumi_engine_free(engine);
  return status;
}
