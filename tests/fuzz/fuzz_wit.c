/* Fuzz target 6: the WIT text format. The input is one .wit file, loaded
 * from memory (no filesystem) through the parser and resolver, twice: with
 * the default feature gates and with every feature enabled. When it
 * resolves, the main package (followed by the other packages as nested
 * blocks) is printed, and the printed text must load and print to itself
 * (printing is a fixed point). Errors must carry a message; nothing
 * allocated through the hook may outlive the resolve. (Adapted from
 * tests/wit/fuzz/fuzz_wit.c, whose corpus seeds this target.) */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_alloc.h"
#include "wit/wit.h"

static void die(const char *what, const char *detail) {
  fprintf(stderr, "fuzz_wit: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  abort();
}

/* Loads text and prints the result; NULL when it does not resolve. The
 * printed text is allocated with a (free with kb_free(a, p, *out_len + 1)). */
static char *load_print(const kumi_allocator *a, bool all_features, const char *text, size_t len, size_t *out_len) {
  wit_resolve *r = wit_resolve_new(a);
  if (!r) return NULL;
  if (all_features) wit_resolve_enable_all_features(r);
  wit_load_opts o;
  memset(&o, 0, sizeof o);
  o.source = text;
  o.source_len = len;
  o.source_name = "fuzz.wit";
  uint32_t pkg;
  char *out = NULL;
  kumi_error *e = wit_resolve_load(r, &o, &pkg);
  if (!e) {
    if (pkg >= wit_package_count(r)) die("main package id out of range", NULL);
    uint32_t nested[64];
    size_t n = 0;
    for (uint32_t i = 0; i < wit_package_count(r) && n < 64; i++)
      if (i != pkg) nested[n++] = i;
    e = wit_print(r, pkg, nested, n, &out, out_len);
    if (!e && (!out || strlen(out) != *out_len)) die("printed text is not NUL-terminated at its length", NULL);
  }
  if (e) {
    if (!kumi_error_message(e)) die("error without a message", NULL);
    kumi_error_free(e);
    out = NULL;
  }
  wit_resolve_free(r);
  return out;
}

static void round_trip(bool all_features, const uint8_t *data, size_t size) {
  fuzz_alloc fa;
  fuzz_alloc_init(&fa, 0);
  size_t len1, len2;
  char *p1 = load_print(&fa.hook, all_features, (const char *)data, size, &len1);
  if (p1) {
    char *p2 = load_print(&fa.hook, all_features, p1, len1, &len2);
    if (!p2) die("printed WIT does not load again", p1);
    if (len1 != len2 || memcmp(p1, p2, len1) != 0) {
      fprintf(stderr, "---- first print:\n%s\n---- second print:\n%s\n", p1, p2);
      die("printing is not a fixed point", NULL);
    }
    kb_free(&fa.hook, p1, len1 + 1);
    kb_free(&fa.hook, p2, len2 + 1);
  }
  fuzz_alloc_finish(&fa);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  round_trip(false, data, size);
  round_trip(true, data, size);
  return 0;
}
