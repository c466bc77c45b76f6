/* Unit tests for the component decoder and validator: hand-made binaries
 * for the main rules, the feature gates, and the allocator hook (every
 * allocation freed, and allocation failure reported, never a crash). */
#include "component/component.h"

#include <stdio.h>
#include <stdlib.h>

static int failures, checks;

#define CHECK(cond, ...)                          \
  do {                                            \
    checks++;                                     \
    if (!(cond)) {                                \
      failures++;                                 \
      printf("FAIL %s:%d: ", __FILE__, __LINE__); \
      printf(__VA_ARGS__);                        \
      printf("\n");                               \
    }                                             \
  } while (0)

/* A counting allocator that can be told to fail after n allocations. */
typedef struct counting {
  long live, allocs, fail_after;
} counting;

static void *count_realloc(void *ud, void *p, size_t old_size, size_t new_size) {
  counting *c = ud;
  (void)old_size;
  if (new_size == 0) {
    if (p) c->live--;
    free(p);
    return NULL;
  }
  if (c->fail_after >= 0 && c->allocs >= c->fail_after) return NULL;
  c->allocs++;
  void *q = realloc(p, new_size);
  if (q && !p) c->live++;
  return q;
}

#define PRE "\0asm\x0d\0\x01\0"

static kumi_error_kind kind_of(const char *bytes, size_t len, const comp_features *f) {
  kumi_error *e = comp_validate_bytes(NULL, (const uint8_t *)bytes, len, f);
  if (!e) return 0;
  kumi_error_kind k = kumi_error_kind_of(e);
  kumi_error_free(e);
  return k;
}

#define BIN(s) s, sizeof(s) - 1

int main(void) {
  comp_features def = comp_features_default();

  /* Preamble. */
  CHECK(kind_of(BIN(PRE), &def) == 0, "empty component is valid");
  CHECK(kind_of(BIN("\0asm\x0c\0\x01\0"), &def) == KUMI_ERR_MALFORMED, "bad version");
  CHECK(kind_of(BIN("\0asm\x0d\0"), &def) == KUMI_ERR_MALFORMED, "short preamble");
  CHECK(comp_is_component((const uint8_t *)PRE, 8), "header says component");
  CHECK(!comp_is_component((const uint8_t *)"\0asm\x01\0\0\0", 8), "header says module");

  /* Type section: (type (record)) with no fields is invalid, a string is valid. */
  CHECK(kind_of(BIN(PRE "\x07\x02\x01\x73"), &def) == 0, "(type string)");
  CHECK(kind_of(BIN(PRE "\x07\x03\x01\x72\x00"), &def) == KUMI_ERR_INVALID, "empty record");
  CHECK(kind_of(BIN(PRE "\x07\x02\x01\x62"), &def) == KUMI_ERR_MALFORMED, "unknown type opcode");
  /* (type (record (field "a" u32) (field "A" u32))): names are unique up to case. */
  CHECK(kind_of(BIN(PRE "\x07\x09\x01\x72\x02\x01" "a" "\x79\x01" "A" "\x79"), &def) == KUMI_ERR_INVALID,
        "record labels strongly unique");
  /* (type (own 0)) where type 0 is a string: not a resource. */
  CHECK(kind_of(BIN(PRE "\x07\x04\x02\x73\x69\x00"), &def) == KUMI_ERR_INVALID, "own of a non-resource");

  /* Imports: (type (func)) (import "f" (func (type 0))) */
  CHECK(kind_of(BIN(PRE "\x07\x05\x01\x40\x00\x01\x00" "\x0a\x06\x01\x00\x01" "f" "\x01\x00"), &def) == 0, "import func");
  CHECK(kind_of(BIN(PRE "\x07\x05\x01\x40\x00\x01\x00" "\x0a\x06\x01\x00\x01" "F" "\x01\x00"), &def) == 0,
        "acronym names are kebab");
  CHECK(kind_of(BIN(PRE "\x07\x05\x01\x40\x00\x01\x00" "\x0a\x07\x01\x00\x02" "fO" "\x01\x00"), &def) == KUMI_ERR_INVALID,
        "mixed-case label");
  CHECK(kind_of(BIN(PRE "\x07\x05\x01\x40\x00\x01\x00" "\x0a\x0b\x02\x00\x01" "f" "\x01\x00" "\x00\x01" "F" "\x01\x00"), &def) ==
            KUMI_ERR_INVALID,
        "duplicate import names");
  CHECK(kind_of(BIN(PRE "\x0a\x06\x01\x00\x01" "f" "\x01\x00"), &def) == KUMI_ERR_INVALID, "type index out of bounds");

  /* Feature gates: (type (func async)) needs 🔀; (type (list u8 4)) needs 🔧. */
  comp_features none;
  memset(&none, 0, sizeof none);
  CHECK(kind_of(BIN(PRE "\x07\x05\x01\x43\x00\x01\x00"), &def) == 0, "async func type with async on");
  CHECK(kind_of(BIN(PRE "\x07\x05\x01\x43\x00\x01\x00"), &none) == KUMI_ERR_INVALID, "async func type with async off");
  CHECK(kind_of(BIN(PRE "\x07\x04\x01\x67\x7d\x04"), &def) == KUMI_ERR_INVALID, "fixed list without the feature");
  comp_features all = comp_features_all();
  CHECK(kind_of(BIN(PRE "\x07\x04\x01\x67\x7d\x04"), &all) == 0, "fixed list with the feature");

  const char *bad;
  size_t bad_len;
  comp_features f = comp_features_default();
  CHECK(comp_features_apply(&f, "cm-threading,-cm-async", &bad, &bad_len) && f.threading && !f.async, "feature list");
  CHECK(!comp_features_apply(&f, "cm-nope", &bad, &bad_len) && bad_len == 7, "unknown feature");

  /* Nested core module: an empty module instantiated, and a bad one. */
  CHECK(kind_of(BIN(PRE "\x01\x08\0asm\x01\0\0\0" "\x02\x04\x01\x00\x00\x00"), &def) == 0, "core module + instance");
  CHECK(kind_of(BIN(PRE "\x01\x08\0asm\x0d\0\x01\0"), &def) == KUMI_ERR_MALFORMED, "component in a core module section");

  /* The allocator hook: nothing leaks, and every allocation failure is an
   * error, not a crash. */
  static const char sample[] = PRE "\x07\x05\x01\x40\x00\x01\x00" "\x0a\x06\x01\x00\x01" "f" "\x01\x00"
                                   "\x01\x08\0asm\x01\0\0\0" "\x02\x04\x01\x00\x00\x00";
  counting c = {0, 0, -1};
  kumi_allocator a = {count_realloc, &c};
  kumi_error *e = comp_validate_bytes(&a, (const uint8_t *)sample, sizeof sample - 1, &def);
  CHECK(!e && c.live == 0, "valid sample, %ld live allocations", c.live);
  long total = c.allocs;
  for (long n = 0; n < total; n++) {
    c.live = c.allocs = 0;
    c.fail_after = n;
    e = comp_validate_bytes(&a, (const uint8_t *)sample, sizeof sample - 1, &def);
    CHECK(e != NULL, "allocation %ld failing must fail", n);
    if (e) kumi_error_free(e);
    CHECK(c.live == 0, "allocation %ld failing leaks %ld", n, c.live);
  }

  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures ? 1 : 0;
}
