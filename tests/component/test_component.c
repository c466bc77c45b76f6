/* Unit tests for the component decoder and validator: hand-made binaries
 * for the main rules, the feature gates, and the allocator hook (every
 * allocation freed, and allocation failure reported, never a crash). */
#include "component/component.h"

#include "../test.h"

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
  CHECKF(kind_of(BIN(PRE), &def) == 0, "empty component is valid");
  CHECKF(kind_of(BIN("\0asm\x0c\0\x01\0"), &def) == KUMI_ERR_MALFORMED, "bad version");
  CHECKF(kind_of(BIN("\0asm\x0d\0"), &def) == KUMI_ERR_MALFORMED, "short preamble");
  CHECKF(comp_is_component((const uint8_t *)PRE, 8), "header says component");
  CHECKF(!comp_is_component((const uint8_t *)"\0asm\x01\0\0\0", 8), "header says module");

  /* Type section: (type (record)) with no fields is invalid, a string is valid. */
  CHECKF(kind_of(BIN(PRE "\x07\x02\x01\x73"), &def) == 0, "(type string)");
  CHECKF(kind_of(BIN(PRE "\x07\x03\x01\x72\x00"), &def) == KUMI_ERR_INVALID, "empty record");
  CHECKF(kind_of(BIN(PRE "\x07\x02\x01\x62"), &def) == KUMI_ERR_MALFORMED, "unknown type opcode");
  /* (type (record (field "a" u32) (field "A" u32))): names are unique up to case. */
  CHECKF(kind_of(BIN(PRE "\x07\x09\x01\x72\x02\x01" "a" "\x79\x01" "A" "\x79"), &def) == KUMI_ERR_INVALID,
         "record labels strongly unique");
  /* (type (own 0)) where type 0 is a string: not a resource. */
  CHECKF(kind_of(BIN(PRE "\x07\x04\x02\x73\x69\x00"), &def) == KUMI_ERR_INVALID, "own of a non-resource");

  /* Imports: (type (func)) (import "f" (func (type 0))) */
  CHECKF(kind_of(BIN(PRE "\x07\x05\x01\x40\x00\x01\x00" "\x0a\x06\x01\x00\x01" "f" "\x01\x00"), &def) == 0, "import func");
  CHECKF(kind_of(BIN(PRE "\x07\x05\x01\x40\x00\x01\x00" "\x0a\x06\x01\x00\x01" "F" "\x01\x00"), &def) == 0,
         "acronym names are kebab");
  CHECKF(kind_of(BIN(PRE "\x07\x05\x01\x40\x00\x01\x00" "\x0a\x07\x01\x00\x02" "fO" "\x01\x00"), &def) == KUMI_ERR_INVALID,
         "mixed-case label");
  CHECKF(kind_of(BIN(PRE "\x07\x05\x01\x40\x00\x01\x00" "\x0a\x0b\x02\x00\x01" "f" "\x01\x00" "\x00\x01" "F" "\x01\x00"), &def) ==
             KUMI_ERR_INVALID,
         "duplicate import names");
  CHECKF(kind_of(BIN(PRE "\x0a\x06\x01\x00\x01" "f" "\x01\x00"), &def) == KUMI_ERR_INVALID, "type index out of bounds");

  /* Feature gates: (type (func async)) needs 🔀; (type (list u8 4)) needs 🔧. */
  comp_features none;
  memset(&none, 0, sizeof none);
  CHECKF(kind_of(BIN(PRE "\x07\x05\x01\x43\x00\x01\x00"), &def) == 0, "async func type with async on");
  CHECKF(kind_of(BIN(PRE "\x07\x05\x01\x43\x00\x01\x00"), &none) == KUMI_ERR_INVALID, "async func type with async off");
  CHECKF(kind_of(BIN(PRE "\x07\x04\x01\x67\x7d\x04"), &def) == KUMI_ERR_INVALID, "fixed list without the feature");
  comp_features all = comp_features_all();
  CHECKF(kind_of(BIN(PRE "\x07\x04\x01\x67\x7d\x04"), &all) == 0, "fixed list with the feature");

  const char *bad;
  size_t bad_len;
  comp_features f = comp_features_default();
  CHECKF(comp_features_apply(&f, "cm-threading,-cm-async", &bad, &bad_len) && f.threading && !f.async, "feature list");
  CHECKF(!comp_features_apply(&f, "cm-nope", &bad, &bad_len) && bad_len == 7, "unknown feature");

  /* Nested core module: an empty module instantiated, and a bad one. */
  CHECKF(kind_of(BIN(PRE "\x01\x08\0asm\x01\0\0\0" "\x02\x04\x01\x00\x00\x00"), &def) == 0, "core module + instance");
  CHECKF(kind_of(BIN(PRE "\x01\x08\0asm\x0d\0\x01\0"), &def) == KUMI_ERR_MALFORMED, "component in a core module section");

  /* The allocator hook: nothing leaks, and every allocation failure is an
   * error, not a crash. */
  static const char sample[] = PRE "\x07\x05\x01\x40\x00\x01\x00" "\x0a\x06\x01\x00\x01" "f" "\x01\x00"
                                   "\x01\x08\0asm\x01\0\0\0" "\x02\x04\x01\x00\x00\x00";
  test_alloc c;
  kumi_allocator a = test_alloc_init(&c, -1);
  kumi_error *e = comp_validate_bytes(&a, (const uint8_t *)sample, sizeof sample - 1, &def);
  CHECKF(!e && test_alloc_clean(&c), "valid sample");
  long total = c.allocs;
  for (long n = 0; n < total; n++) {
    a = test_alloc_init(&c, n);
    e = comp_validate_bytes(&a, (const uint8_t *)sample, sizeof sample - 1, &def);
    CHECKF(e != NULL, "allocation %ld failing must fail", n);
    if (e) kumi_error_free(e);
    CHECKF(test_alloc_clean(&c), "allocation %ld failing leaks", n);
  }

  return test_summary();
}
