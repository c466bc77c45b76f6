/* libFuzzer target for the WIT parser and resolver: any input either fails
 * with an error or resolves, and a resolved input prints to a fixed point.
 * Build (from the source root):
 *   clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *     src/base/[a-z]*.c src/wit/[a-z]*.c tests/wit/fuzz/fuzz_wit.c -lm -o fuzz_wit
 *   ./fuzz_wit -max_total_time=60 tests/wit/fuzz/corpus */
#include "wit/wit.h"

#include <stdlib.h>

static char *load_print(const char *text, size_t len, size_t *out_len) {
  wit_resolve *r = wit_resolve_new(NULL);
  if (!r) return NULL;
  wit_load_opts o;
  memset(&o, 0, sizeof o);
  o.source = text;
  o.source_len = len;
  o.source_name = "fuzz.wit";
  uint32_t pkg;
  char *out = NULL;
  kumi_error *e = wit_resolve_load(r, &o, &pkg);
  if (!e) {
    uint32_t nested[64];
    size_t n = 0;
    for (uint32_t i = 0; i < wit_package_count(r) && n < 64; i++)
      if (i != pkg) nested[n++] = i;
    e = wit_print(r, pkg, nested, n, &out, out_len);
  }
  if (e) kumi_error_free(e);
  wit_resolve_free(r);
  return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t len1, len2;
  char *a = load_print((const char *)data, size, &len1);
  if (!a) return 0;
  char *b = load_print(a, len1, &len2);
  if (!b || len1 != len2 || memcmp(a, b, len1)) abort(); /* printing must be a fixed point */
  kb_free(kb_default_allocator(), a, len1 + 1);
  kb_free(kb_default_allocator(), b, len2 + 1);
  return 0;
}
