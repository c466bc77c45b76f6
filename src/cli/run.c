/* `kumi run [OPTIONS] FILE [ARGS...]`: instantiate a core module with
 * WASI preview1 and run `_start`, or call one export with --invoke.
 * Options come before FILE; everything after FILE belongs to the guest. */
#include "base/base.h"
#include "cli.h"
#include "component/component.h"
#include "run_component.h"
#include "run_wasi.h"
#include "text/text.h"

#include <string.h>

static const char run_usage[] =
    "usage: kumi run [OPTIONS] FILE [ARGS...]\n"
    "\n"
    "Instantiates the core WebAssembly module FILE (binary, or text .wat) with\n"
    "WASI preview1 (wasi_snapshot_preview1) and runs its `_start` with ARGS as\n"
    "the guest's arguments; the guest's exit code becomes kumi's. With\n"
    "--invoke NAME it runs `_initialize` if exported, then calls the export\n"
    "NAME with ARGS parsed as its parameter types (integers in decimal or 0x\n"
    "hex; floats as decimal, hex float, inf, nan or nan:0xPAYLOAD) and prints\n"
    "the results one per line. A trap prints `error: wasm trap: ...` and a\n"
    "backtrace and exits 1.\n"
    "\n"
    "A component FILE is told apart by its header. It runs with --invoke\n"
    "'NAME(ARG, ...)', a WAVE call of an exported function: NAME is a top-level\n"
    "export, `ns:pkg/iface@1.2.3#name` inside an exported interface, or a bare\n"
    "name that only one interface exports. Arguments are WAVE values typed by\n"
    "the parameters; the result prints in WAVE. Components with imports, and\n"
    "running a `wasi:cli/run` command, are not supported yet.\n"
    "\n"
    "options:\n"
    "  --invoke NAME         call the export NAME instead of `_start`\n"
    "                        (a component: --invoke 'NAME(ARG, ...)')\n";

/* Prints an error from the library and returns the exit status. Traps come
 * out as "error: wasm trap: <reason>" and the backtrace; other errors as
 * "FILE[:0xOFFSET]: error: <message>", like `kumi validate`. */
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

/* Turns the file's bytes into a core module binary: a binary stays as it
 * is, anything else is parsed as the text format. (Components were sent to
 * run_component.c before.) */
static bool to_core_binary(const char *file, uint8_t **b, size_t *n) {
  static const uint8_t magic[4] = {0, 'a', 's', 'm'};
  const kumi_allocator *a = kb_default_allocator();
  if (*n >= 4 && memcmp(*b, magic, 4) == 0) return true;
  uint8_t *wasm = NULL;
  size_t wasm_len = 0;
  kumi_error *e = text_parse_wat(a, (const char *)*b, *n, &wasm, &wasm_len);
  if (e) {
    fprintf(stderr, "%s:%s\n", file, kumi_error_message(e));
    kumi_error_free(e);
    return false;
  }
  kb_free(a, *b, *n);
  *b = wasm;
  *n = wasm_len;
  return true;
}

static int invoke(kumi_store *store, kumi_instance *inst, const char *file, const char *name, int argc,
                  char **argv) {
  kumi_func *f = kumi_instance_func(inst, name);
  if (!f) {
    fprintf(stderr, "error: %s exports no function named '%s'\n", file, name);
    return 1;
  }
  const kumi_functype *t = kumi_func_type(f);
  if ((uint32_t)argc != t->nparams) {
    fprintf(stderr, "error: '%s' takes %u argument%s, %d given\n", name, t->nparams, t->nparams == 1 ? "" : "s",
            argc);
    return 1;
  }
  const kumi_allocator *a = kb_default_allocator();
  size_t nargs = t->nparams, nres = t->nresults;
  kumi_val *args = kb_alloc(a, (nargs + 1) * sizeof *args);
  kumi_val *res = kb_alloc(a, (nres + 1) * sizeof *res);
  int status = 1;
  if (!args || !res) {
    fprintf(stderr, "error: out of memory\n");
    goto done;
  }
  static const char *const kind_names[] = {"i32", "i64", "f32", "f64", "v128", "funcref", "externref"};
  for (size_t i = 0; i < nargs; i++) {
    if (!cli_parse_val(t->params[i], argv[i], &args[i])) {
      fprintf(stderr, "error: argument %zu ('%s') is not a valid %s\n", i + 1, argv[i], kind_names[t->params[i]]);
      goto done;
    }
  }
  kumi_error *e = kumi_func_call(store, f, args, nargs, res, nres);
  if (e) {
    status = report(file, e);
    goto done;
  }
  for (size_t i = 0; i < nres; i++) {
    cli_print_val(stdout, &res[i]);
    fputc('\n', stdout);
  }
  status = 0;
done:
  kb_free(a, args, (nargs + 1) * sizeof *args);
  kb_free(a, res, (nres + 1) * sizeof *res);
  return status;
}

static int run_file(const cli_wasi_opts *o, const char *file, int argc, char **argv);

int cli_run(int argc, char **argv) {
  cli_wasi_opts o;
  cli_wasi_opts_init(&o);
  int i = 1, status = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *opt = argv[i];
    if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
      fputs(run_usage, stdout);
      fputs(cli_wasi_usage, stdout);
      status = 0;
      goto done;
    }
    if (strcmp(opt, "--") == 0) {
      i++;
      break;
    }
    int used = cli_wasi_option(&o, argc, argv, i); /* --invoke too */
    if (used < 0) goto done;
    if (used == 0) {
      fprintf(stderr, "error: unknown option '%s'\n%s%s", opt, run_usage, cli_wasi_usage);
      goto done;
    }
    i += used - 1;
  }
  if (i == argc) {
    fprintf(stderr, "error: no FILE given\n%s%s", run_usage, cli_wasi_usage);
    goto done;
  }
  status = run_file(&o, argv[i], argc - i - 1, argv + i + 1);
done:
  cli_wasi_opts_free(&o);
  return status;
}

static int run_file(const cli_wasi_opts *o, const char *file, int argc, char **argv) {
  const char *name = o->invoke;

  const kumi_allocator *a = kb_default_allocator();
  uint8_t *bytes = NULL;
  size_t len = 0;
  kumi_error *e = kb_read_file(a, file, &bytes, &len);
  if (e) {
    fprintf(stderr, "error: %s\n", kumi_error_message(e));
    kumi_error_free(e);
    return 1;
  }
  if (comp_is_component(bytes, len)) {
    int st = cli_run_component(file, bytes, len, name, argc, argv);
    kb_free(a, bytes, len);
    return st;
  }
  int status = 1;
  kumi_engine *engine = NULL;
  kumi_module *module = NULL;
  kumi_store *store = NULL;
  kumi_linker *linker = NULL;
  kumi_wasi_config *wasi_cfg = NULL;
  kumi_wasi *wasi = NULL;
  if (!to_core_binary(file, &bytes, &len)) goto done;
  engine = kumi_engine_new(NULL);
  if (!engine) goto oom;
  module = kumi_module_new(engine, bytes, len, &e);
  if (!module) {
    status = report(file, e);
    goto done;
  }
  store = kumi_store_new(engine, NULL);
  linker = store ? kumi_linker_new(store) : NULL;
  if (!linker) goto oom;
  if ((e = cli_wasi_link(o, file, argc, argv, linker, &wasi_cfg, &wasi))) {
    status = report(file, e);
    goto done;
  }
  kumi_instance *inst = kumi_linker_instantiate(linker, module, &e);
  if (!inst) {
    status = report(file, e);
    goto done;
  }
  if (name) {
    /* A reactor initializes itself before its exports are used. */
    kumi_func *init = kumi_instance_func(inst, "_initialize");
    if (init && (e = kumi_func_call(store, init, NULL, 0, NULL, 0))) {
      status = report(file, e);
      goto done;
    }
    status = invoke(store, inst, file, name, argc, argv);
  } else if (kumi_instance_func(inst, "_start")) {
    status = invoke(store, inst, file, "_start", 0, argv);
  } else {
    fprintf(stderr, "error: %s has no '_start' export (a reactor?); use --invoke NAME to call a function\n", file);
  }
  goto done;
oom:
  fprintf(stderr, "error: out of memory\n");
done:
  fflush(stdout);
  kumi_linker_free(linker);
  kumi_store_free(store);
  kumi_wasi_free(wasi);
  kumi_wasi_config_free(wasi_cfg);
  kumi_module_free(module);
  kumi_engine_free(engine);
  kb_free(a, bytes, len);
  return status;
}
