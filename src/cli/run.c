/* `kumi run [--invoke NAME] FILE [ARGS...]`: instantiate a core module and
 * call one of its exported functions (or `_start`). Options come before
 * FILE; everything after FILE belongs to the guest. */
#include "base/base.h"
#include "cli.h"

#include <string.h>

static const char run_usage[] =
    "usage: kumi run [--invoke NAME] FILE [ARGS...]\n"
    "\n"
    "Instantiates the core WebAssembly module FILE (binary format) and calls\n"
    "its exported function NAME with ARGS parsed as the function's parameter\n"
    "types (integers in decimal or 0x hex; floats as decimal, hex float, inf,\n"
    "nan or nan:0xPAYLOAD). Results print one per line. Without --invoke the\n"
    "export `_start` is called. Modules with imports cannot run yet (WASI is\n"
    "not implemented), nor can components or text (.wat) files.\n";

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

/* Rejects what is not a core module binary with a message that says what
 * it is instead. */
static bool check_core_binary(const char *file, const uint8_t *b, size_t n) {
  static const uint8_t magic[4] = {0, 'a', 's', 'm'};
  if (n < 8 || memcmp(b, magic, 4) != 0) {
    fprintf(stderr, "error: %s is not a WebAssembly binary (the text format is not supported yet)\n", file);
    return false;
  }
  if (b[6] == 1 && b[7] == 0 && !(b[4] == 1 && b[5] == 0)) {
    fprintf(stderr, "error: %s is a component; components are not supported yet\n", file);
    return false;
  }
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

int cli_run(int argc, char **argv) {
  const char *name = NULL;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *opt = argv[i];
    if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
      fputs(run_usage, stdout);
      return 0;
    } else if (strcmp(opt, "--invoke") == 0) {
      if (++i == argc) {
        fprintf(stderr, "error: --invoke needs a function name\n%s", run_usage);
        return 1;
      }
      name = argv[i];
    } else if (strncmp(opt, "--invoke=", 9) == 0) {
      name = opt + 9;
    } else if (strcmp(opt, "--") == 0) {
      i++;
      break;
    } else {
      fprintf(stderr, "error: unknown option '%s'\n%s", opt, run_usage);
      return 1;
    }
  }
  if (i == argc) {
    fprintf(stderr, "error: no FILE given\n%s", run_usage);
    return 1;
  }
  const char *file = argv[i++];

  const kumi_allocator *a = kb_default_allocator();
  uint8_t *bytes = NULL;
  size_t len = 0;
  kumi_error *e = kb_read_file(a, file, &bytes, &len);
  if (e) {
    fprintf(stderr, "error: %s\n", kumi_error_message(e));
    kumi_error_free(e);
    return 1;
  }
  int status = 1;
  kumi_engine *engine = NULL;
  kumi_module *module = NULL;
  kumi_store *store = NULL;
  kumi_linker *linker = NULL;
  if (!check_core_binary(file, bytes, len)) goto done;
  engine = kumi_engine_new(NULL);
  if (!engine) goto oom;
  module = kumi_module_new(engine, bytes, len, &e);
  if (!module) {
    status = report(file, e);
    goto done;
  }
  size_t nimports = kumi_module_import_count(module);
  if (nimports) {
    kumi_import_desc d;
    kumi_module_import(module, 0, &d);
    fprintf(stderr,
            "error: %s imports \"%s\" \"%s\"%s; kumi run provides no imports to core modules yet (WASI is not "
            "implemented)\n",
            file, d.module, d.name, nimports > 1 ? " and more" : "");
    goto done;
  }
  store = kumi_store_new(engine, NULL);
  linker = store ? kumi_linker_new(store) : NULL;
  if (!linker) goto oom;
  kumi_instance *inst = kumi_linker_instantiate(linker, module, &e);
  if (!inst) {
    status = report(file, e);
    goto done;
  }
  if (name) {
    status = invoke(store, inst, file, name, argc - i, argv + i);
  } else if (kumi_instance_func(inst, "_start")) {
    /* The guest's ARGS would reach it through WASI, which is not there
     * yet; _start takes no parameters. */
    status = invoke(store, inst, file, "_start", 0, argv + i);
  } else {
    fprintf(stderr, "error: %s has no '_start' export; use --invoke NAME to call a function\n", file);
  }
  goto done;
oom:
  fprintf(stderr, "error: out of memory\n");
done:
  kumi_linker_free(linker);
  kumi_store_free(store);
  kumi_module_free(module);
  kumi_engine_free(engine);
  kb_free(a, bytes, len);
  return status;
}
