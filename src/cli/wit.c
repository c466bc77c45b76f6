/* kumi wit: read a WIT package (a .wit file, a directory with an optional
 * deps/ folder, an encoded WIT package, or any component) and print it as
 * canonical WIT, or write its binary form.
 *
 *   kumi wit [--deps DIR]... [--features F,G] [--all-features] [--with-deps]
 *            [--wasm | --world-metadata WORLD] [-o FILE] PATH
 *
 * --deps names a folder laid out like deps/ (each entry a package); the
 * WASI proposal folders have no deps/ of their own, so their parent serves:
 *   kumi wit --deps spec/wasi/0.2.12 spec/wasi/0.2.12/cli
 * A PATH starting with "\0asm" is binary: a component prints its imports and
 * exports as world root:component/root; an encoded package prints that
 * package; a core module prints the world of its component-type section.
 * --wasm writes the package encoded as `wasm-tools component wit --wasm`
 * does; --world-metadata writes a world as the payload of a
 * `component-type` custom section (what `jco embed` puts in a module). */
#include "cli.h"
#include "wit/wit.h"
#include "wit/wit_bin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(FILE *f) {
  fprintf(f,
          "usage: kumi wit [--deps DIR]... [--features F,G] [--all-features] [--with-deps] [--wasm] [-o FILE] PATH\n"
          "  Prints the WIT package at PATH (a .wit file, a directory of .wit files with an\n"
          "  optional deps/ folder, an encoded WIT package, or a component, whose imports\n"
          "  and exports are printed as a world) in canonical form.\n"
          "  --wasm           write the package in its binary form (a component of\n"
          "                   component types, as `wasm-tools component wit --wasm`)\n"
          "  --world-metadata W  write world W as a `component-type` custom section payload\n"
          "  --deps DIR       a folder of dependency packages (each entry a .wit file or a\n"
          "                   directory); may be repeated\n"
          "  --features F,G   keep items gated by @unstable(feature = F) or G\n"
          "  --all-features   keep all @unstable items\n"
          "  --with-deps      also print the dependency packages, as nested packages\n"
          "  -o FILE          write to FILE instead of standard output\n");
  return f == stderr ? 2 : 0;
}

/* A binary (component or core module) rather than WIT text. */
static bool is_binary(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return false;
  unsigned char m[4];
  bool bin = fread(m, 1, 4, f) == 4 && !memcmp(m, "\0asm", 4);
  fclose(f);
  return bin;
}

int cli_wit(int argc, char **argv) {
  const char *path = NULL, *outpath = NULL;
  bool with_deps = false, wasm = false;
  const char *world_meta = NULL;
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
    } else if (!strcmp(a, "--wasm")) {
      wasm = true;
    } else if (!strcmp(a, "--world-metadata") && i + 1 < argc) {
      world_meta = argv[++i];
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
  uint32_t pkg;
  kumi_error *e = NULL;
  uint8_t *bin = NULL;
  size_t bin_len = 0;
  if (is_binary(path)) {
    e = kb_read_file(kb_default_allocator(), path, &bin, &bin_len);
    if (!e) e = wit_decode(r, bin, bin_len, &pkg);
    kb_free(kb_default_allocator(), bin, bin_len);
  } else {
    wit_load_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.path = path;
    opts.deps = deps;
    opts.ndeps = ndeps;
    e = wit_resolve_load(r, &opts, &pkg);
  }
  char *text = NULL;
  size_t len = 0;
  uint8_t *enc = NULL;
  if (!e && world_meta) {
    const wit_package *p = wit_get_package(r, pkg);
    uint32_t w = WIT_NONE;
    for (uint32_t i = 0; i < p->nworlds; i++)
      if (!strcmp(wit_get_world(r, p->worlds[i])->name, world_meta)) w = p->worlds[i];
    if (w == WIT_NONE) {
      fprintf(stderr, "error: no world `%s` in the package\n", world_meta);
      goto done;
    }
    e = wit_encode_world_metadata(r, w, &enc, &len);
    text = (char *)enc;
  } else if (!e && wasm) {
    e = wit_encode_package(r, pkg, &enc, &len);
    text = (char *)enc;
  } else if (!e) {
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
  if (enc) kb_free(kb_default_allocator(), enc, len);
  else kb_free(kb_default_allocator(), text, len + 1);
done:
  free(deps);
  wit_resolve_free(r);
  return status;
}
