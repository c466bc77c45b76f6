/* `kumi run` on a component: --invoke 'name(arg, ...)' calls one exported
 * function, arguments parsed as WAVE typed by its parameters and the
 * result printed as WAVE. Components with top-level imports are refused
 * with the names of the imports (the host linker by WIT name is later
 * work), and so is running a `wasi:cli/run` command. */
#include "run_component.h"

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
  if (kumi_error_kind_of(e) == KUMI_ERR_TRAP)
    kumi_error_print(e, stderr);
  else if (kumi_error_offset(e) != KUMI_NO_OFFSET)
    fprintf(stderr, "%s:0x%llx: error: %s\n", file, (unsigned long long)kumi_error_offset(e), kumi_error_message(e));
  else
    fprintf(stderr, "%s: error: %s\n", file, kumi_error_message(e));
  kumi_error_free(e);
  return 1;
}

static const char *extern_kind_name(uint8_t kind) {
  static const char *const names[] = {"a core module", "a function", "a value", "a type", "a component",
                                      "an instance"};
  return kind < sizeof names / sizeof names[0] ? names[kind] : "an item";
}

/* True when an export name is `wasi:cli/run`, with or without @version. */
static bool is_wasi_cli_run(const comp_str *n) {
  static const char k[] = "wasi:cli/run";
  size_t kl = sizeof k - 1;
  return n->len >= kl && memcmp(n->s, k, kl) == 0 && (n->len == kl || n->s[kl] == '@');
}

/* The checks that need only the decoded top level: without --invoke, the
 * component must be a command (which cannot run yet either); with it, it
 * must import nothing. Returns the exit status, or -1 to go on. */
static int check_top_level(const char *file, const uint8_t *bytes, size_t len, const char *expr) {
  const kumi_allocator *a = kb_default_allocator();
  kumi_error *e = NULL;
  comp_ast *ast = comp_decode(a, bytes, len, &e);
  if (!ast) return report(file, e);
  const comp_component *root = ast->root;
  int status = -1;
  if (!expr) {
    const comp_str *run = NULL;
    for (uint32_t i = 0; i < root->ndefs && !run; i++)
      if (root->defs[i].kind == COMP_DEF_EXPORT && is_wasi_cli_run(&root->defs[i].u.export_.name.name))
        run = &root->defs[i].u.export_.name.name;
    if (run)
      fprintf(stderr,
              "error: %s exports '%s', but running a component command is not supported yet; use --invoke "
              "'NAME(ARGS)' to call an exported function\n",
              file, run->s);
    else
      fprintf(stderr, "error: %s is a component without a 'wasi:cli/run' export; use --invoke 'NAME(ARGS)' to call "
                      "an exported function\n", file);
    status = 1;
    goto done;
  }
  for (uint32_t i = 0; i < root->ndefs; i++) {
    const comp_def *d = &root->defs[i];
    if (d->kind != COMP_DEF_IMPORT) continue;
    fprintf(stderr, "error: %s imports '%s' (%s), which kumi run cannot provide yet\n", file, d->u.import.name.name.s,
            extern_kind_name(d->u.import.ext.kind));
    status = 1;
  }
  if (status == 1)
    fprintf(stderr, "note: only components without imports can run; linking host functions by WIT name is not "
                    "implemented yet\n");
done:
  comp_ast_free(ast);
  return status;
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

int cli_run_component(const char *file, const uint8_t *bytes, size_t len, const char *expr, int argc,
                      char **argv) {
  (void)argv;
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
  kumi_component_instance *inst = NULL;
  if (!engine) goto oom;
  c = kumi_component_new(engine, bytes, len, &e);
  if (!c) {
    status = report(file, e);
    goto done;
  }
  if ((status = check_top_level(file, bytes, len, expr)) >= 0) goto done;
  status = 1;
  store = kumi_store_new(engine, NULL);
  if (!store) goto oom;
  inst = kumi_component_instantiate(store, c, &e);
  if (!inst) {
    status = report(file, e);
    goto done;
  }
  status = call(file, store, inst, expr);
  goto done;
oom:
  fprintf(stderr, "error: out of memory\n");
done:
  fflush(stdout);
  kumi_component_instance_free(inst);
  kumi_store_free(store);
  kumi_component_free(c);
  kumi_engine_free(engine);
  return status;
}
