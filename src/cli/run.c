/* `kumi run [OPTIONS] FILE [ARGS...]`: instantiate a core module with
 * WASI preview1 and run `_start`, or call one export with --invoke.
 * Options come before FILE; everything after FILE belongs to the guest. */
#include "base/base.h"
#include "cli.h"
#include "component/component.h"
#include "run_component.h"
#include "run_wasi.h"
#include "text/text.h"
#include "value_v128.h"

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
    "the results one per line. A v128 argument is a shape word (i8x16, i16x8,\n"
    "i32x4, i64x2, f32x4, f64x2) followed by one argument per lane, lane 0\n"
    "first: `i32x4 1 2 3 4` (integer lanes signed or unsigned within the lane\n"
    "width); the words may also come as one quoted argument. A v128 result\n"
    "prints the same way, as i32x4 unless --v128-shape says otherwise. A trap\n"
    "prints `error: wasm trap: ...` and a backtrace and exits 1.\n"
    "\n"
    "A component FILE is told apart by its header; its imports get WASI 0.2\n"
    "(0.2.0 to 0.2.12) and WASI 0.3 (0.3.0: cli, clocks, random, filesystem,\n"
    "sockets), both configured by the options below. A command (exporting\n"
    "`wasi:cli/run`, @0.3 preferred) runs with ARGS as its arguments; its exit\n"
    "status is 0 for ok, 1 for err, or the code it gave wasi:cli/exit. --invoke\n"
    "'NAME(ARG, ...)' instead makes a WAVE call of an exported function: NAME\n"
    "is a top-level export, `ns:pkg/iface@1.2.3#name` inside an exported\n"
    "interface, or a bare name that only one interface exports. Arguments are\n"
    "WAVE values typed by the parameters; the result prints in WAVE.\n"
    "\n"
    "options:\n"
    "  --invoke NAME         call the export NAME instead of `_start`\n"
    "                        (a component: --invoke 'NAME(ARG, ...)')\n"
    "  --v128-shape SHAPE    print v128 results as SHAPE lanes (default i32x4)\n";

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

/* Turns the file's bytes into a binary: a binary stays as it is, anything
 * else is parsed as the text format (a core module or a component). */
static bool to_binary(const char *file, uint8_t **b, size_t *n) {
  static const uint8_t magic[4] = {0, 'a', 's', 'm'};
  const kumi_allocator *a = kb_default_allocator();
  if (*n >= 4 && memcmp(*b, magic, 4) == 0) return true;
  uint8_t *wasm = NULL;
  size_t wasm_len = 0;
  kumi_error *e = text_parse_any(a, (const char *)*b, *n, &wasm, &wasm_len);
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

/* Reads the text of the next parameter (of type t) from argv[*j ..], advancing *j:
 * one argument, except that a v128 given as a bare shape word takes the
 * lane arguments after it too (joined with spaces into *text, which the
 * caller frees with kb_free(a, *text, *cap)). Returns the text, or NULL
 * after printing an error. */
static const char *arg_text(const char *name, kumi_valkind t, int argc, char **argv, int *j, char **text,
                            size_t *cap) {
  const kumi_allocator *a = kb_default_allocator();
  if (*j >= argc) {
    fprintf(stderr, "error: too few arguments for '%s'\n", name);
    return NULL;
  }
  cli_v128_shape shape;
  if (t != KUMI_V128 || !cli_v128_shape_of(argv[*j], &shape)) return argv[(*j)++];
  unsigned lanes = cli_v128_lanes(shape);
  if ((unsigned)(argc - *j - 1) < lanes) {
    fprintf(stderr, "error: too few arguments for '%s': %s takes %u lanes, %d given\n", name, argv[*j], lanes,
            argc - *j - 1);
    return NULL;
  }
  size_t n = 0;
  for (unsigned k = 0; k <= lanes; k++) n += strlen(argv[*j + (int)k]) + 1;
  char *buf = kb_alloc(a, n);
  if (!buf) {
    fprintf(stderr, "error: out of memory\n");
    return NULL;
  }
  size_t at = 0;
  for (unsigned k = 0; k <= lanes; k++) {
    size_t len = strlen(argv[*j + (int)k]);
    memcpy(buf + at, argv[*j + (int)k], len);
    at += len;
    buf[at++] = k == lanes ? 0 : ' ';
  }
  *j += (int)lanes + 1;
  *text = buf;
  *cap = n;
  return buf;
}

static int invoke(kumi_store *store, kumi_instance *inst, const char *file, const char *name, int argc,
                  char **argv, cli_v128_shape v128_shape) {
  kumi_func *f = kumi_instance_func(inst, name);
  if (!f) {
    fprintf(stderr, "error: %s exports no function named '%s'\n", file, name);
    return 1;
  }
  const kumi_functype *t = kumi_func_type(f);
  bool has_v128 = false;
  for (uint32_t i = 0; i < t->nparams; i++) has_v128 |= t->params[i] == KUMI_V128;
  /* With a v128 parameter the count depends on how it is written; the
   * argument loop below checks it. */
  if (!has_v128 && (uint32_t)argc != t->nparams) {
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
  int j = 0;
  for (size_t i = 0; i < nargs; i++) {
    char *joined = NULL;
    size_t joined_cap = 0;
    const char *text = arg_text(name, t->params[i], argc, argv, &j, &joined, &joined_cap);
    if (!text) goto done;
    bool ok = cli_parse_val(t->params[i], text, &args[i]);
    if (!ok)
      fprintf(stderr, "error: argument %zu ('%s') is not a valid %s%s\n", i + 1, text, kind_names[t->params[i]],
              t->params[i] == KUMI_V128 ? " (a shape word, then one number per lane: i32x4 1 2 3 4)" : "");
    kb_free(a, joined, joined_cap);
    if (!ok) goto done;
  }
  if (j < argc) {
    fprintf(stderr, "error: too many arguments for '%s': '%s' is left over\n", name, argv[j]);
    goto done;
  }
  kumi_error *e = kumi_func_call(store, f, args, nargs, res, nres);
  if (e) {
    status = report(file, e);
    goto done;
  }
  for (size_t i = 0; i < nres; i++) {
    if (res[i].kind == KUMI_V128) cli_print_v128(stdout, res[i].of.v128, v128_shape);
    else cli_print_val(stdout, &res[i]);
    fputc('\n', stdout);
  }
  status = 0;
done:
  kb_free(a, args, (nargs + 1) * sizeof *args);
  kb_free(a, res, (nres + 1) * sizeof *res);
  return status;
}

static int run_file(const cli_wasi_opts *o, cli_v128_shape v128_shape, const char *file, int argc, char **argv);

int cli_run(int argc, char **argv) {
  cli_wasi_opts o;
  cli_wasi_opts_init(&o);
  int i = 1, status = 1;
  cli_v128_shape v128_shape = CLI_V128_DEFAULT_SHAPE;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *opt = argv[i];
    if (strncmp(opt, "--v128-shape", 12) == 0 && (opt[12] == 0 || opt[12] == '=')) {
      const char *word = opt[12] ? opt + 13 : i + 1 < argc ? argv[++i] : "";
      if (!cli_v128_shape_of(word, &v128_shape)) {
        fprintf(stderr, "error: --v128-shape takes i8x16, i16x8, i32x4, i64x2, f32x4 or f64x2, not '%s'\n", word);
        goto done;
      }
      continue;
    }
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
  status = run_file(&o, v128_shape, argv[i], argc - i - 1, argv + i + 1);
done:
  cli_wasi_opts_free(&o);
  return status;
}

static int run_file(const cli_wasi_opts *o, cli_v128_shape v128_shape, const char *file, int argc, char **argv) {
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
  if (!to_binary(file, &bytes, &len)) {
    kb_free(a, bytes, len);
    return 1;
  }
  if (comp_is_component(bytes, len)) {
    int st = cli_run_component(o, file, bytes, len, argc, argv);
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
    status = invoke(store, inst, file, name, argc, argv, v128_shape);
  } else if (kumi_instance_func(inst, "_start")) {
    status = invoke(store, inst, file, "_start", 0, argv, v128_shape);
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
