/* kumi wit: read a WIT package (a .wit file, or a directory with an optional
 * deps/ folder) and print it as canonical WIT.
 *
 *   kumi wit [--deps DIR]... [--features F,G] [--all-features] [--with-deps] [-o FILE] PATH
 *
 * --deps names a folder laid out like deps/ (each entry a package); the
 * WASI proposal folders have no deps/ of their own, so their parent serves:
 *   kumi wit --deps spec/wasi/0.2.12 spec/wasi/0.2.12/cli */
#include "cli.h"
#include "wit/wit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(FILE *f) {
  fprintf(f,
          "usage: kumi wit [--deps DIR]... [--features F,G] [--all-features] [--with-deps] [-o FILE] PATH\n"
          "  Prints the WIT package at PATH (a .wit file or a directory of .wit files with an\n"
          "  optional deps/ folder) in canonical form.\n"
          "  --deps DIR       a folder of dependency packages (each entry a .wit file or a\n"
          "                   directory); may be repeated\n"
          "  --features F,G   keep items gated by @unstable(feature = F) or G\n"
          "  --all-features   keep all @unstable items\n"
          "  --with-deps      also print the dependency packages, as nested packages\n"
          "  -o FILE          write to FILE instead of standard output\n");
  return f == stderr ? 2 : 0;
}

int cli_wit(int argc, char **argv) {
  const char *path = NULL, *outpath = NULL;
  bool with_deps = false;
  const char **deps = calloc((size_t)argc + 1, sizeof *deps);
  size_t ndeps = 0;
  int status = 1;
  wit_resolve *r = wit_resolve_new(NULL);
  if (!deps || !r) {
    fprintf(stderr, "error: out of memory\n");
    free(deps);
    wit_resolve_free(r);
    return 1;
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      status = usage(stdout);
      goto done;
    } else if (!strcmp(a, "--deps") && i + 1 < argc) {
      deps[ndeps++] = argv[++i];
    } else if (!strncmp(a, "--deps=", 7)) {
      deps[ndeps++] = a + 7;
    } else if (!strcmp(a, "--with-deps")) {
      with_deps = true;
    } else if (!strcmp(a, "--all-features")) {
      wit_resolve_enable_all_features(r);
    } else if ((!strcmp(a, "--features") && i + 1 < argc) || !strncmp(a, "--features=", 11)) {
      const char *list = a[10] == '=' ? a + 11 : argv[++i];
      size_t n = strlen(list);
      char *copy = malloc(n + 1);
      if (!copy) goto done;
      memcpy(copy, list, n + 1);
      for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
        if (*tok && !wit_resolve_enable_feature(r, tok)) {
          free(copy);
          fprintf(stderr, "error: out of memory\n");
          goto done;
        }
      }
      free(copy);
    } else if (!strcmp(a, "-o") && i + 1 < argc) {
      outpath = argv[++i];
    } else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "kumi wit: unknown option %s\n", a);
      status = usage(stderr);
      goto done;
    } else if (!path) {
      path = a;
    } else {
      fprintf(stderr, "kumi wit: more than one PATH\n");
      status = usage(stderr);
      goto done;
    }
  }
  if (!path) {
    status = usage(stderr);
    goto done;
  }
  wit_load_opts opts;
  memset(&opts, 0, sizeof opts);
  opts.path = path;
  opts.deps = deps;
  opts.ndeps = ndeps;
  uint32_t pkg;
  kumi_error *e = wit_resolve_load(r, &opts, &pkg);
  char *text = NULL;
  size_t len = 0;
  if (!e) {
    /* Packages are numbered in resolution order, dependencies first. */
    size_t n = 0, total = wit_package_count(r);
    uint32_t *nested = calloc(total + 1, sizeof *nested);
    if (!nested) {
      fprintf(stderr, "error: out of memory\n");
      goto done;
    }
    for (uint32_t i = 0; with_deps && i < total; i++)
      if (i != pkg) nested[n++] = i;
    e = wit_print(r, pkg, nested, n, &text, &len);
    free(nested);
  }
  if (e) {
    fprintf(stderr, "error: %s\n", kumi_error_message(e));
    if (strstr(kumi_error_message(e), "not found") && !ndeps)
      fprintf(stderr, "note: dependencies come from PATH/deps/ or from --deps DIR\n");
    kumi_error_free(e);
    goto done;
  }
  FILE *f = outpath ? fopen(outpath, "wb") : stdout;
  if (!f) {
    fprintf(stderr, "error: cannot open %s\n", outpath);
  } else {
    bool ok = fwrite(text, 1, len, f) == len;
    if (outpath) ok = fclose(f) == 0 && ok;
    else ok = fflush(f) == 0 && ok;
    if (!ok) fprintf(stderr, "error: cannot write %s\n", outpath ? outpath : "standard output");
    else status = 0;
  }
  kb_free(kb_default_allocator(), text, len + 1);
done:
  free(deps);
  wit_resolve_free(r);
  return status;
}
