/* Fuzz target 4: the component decoder and validator. comp_validate_bytes
 * with every feature on (the widest grammar) and with the defaults, on the
 * input bytes. Checks that each call returns a well-formed result (an error
 * carries a known kind, a message and an offset inside the input), that
 * what the defaults accept all features accept too, and that nothing
 * allocated through the hook outlives the call. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "component/component.h"
#include "fuzz_alloc.h"

static void die(const char *what, const kumi_error *e) {
  fprintf(stderr, "fuzz_component: %s: %s\n", what, e ? kumi_error_message(e) : "(no error)");
  abort();
}

static void check_error(const kumi_error *e, size_t size) {
  if (!e) return;
  kumi_error_kind k = kumi_error_kind_of(e);
  if (k != KUMI_ERR_MALFORMED && k != KUMI_ERR_INVALID && k != KUMI_ERR_OOM)
    die("error of a kind other than malformed/invalid", e);
  if (!kumi_error_message(e)) die("error without a message", NULL);
  uint64_t off = kumi_error_offset(e);
  if (off != KUMI_NO_OFFSET && off > size) die("error offset past the end of the input", e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_alloc fa;
  fuzz_alloc_init(&fa, 0);
  comp_features all = comp_features_all();
  kumi_error *e_all = comp_validate_bytes(&fa.hook, data, size, &all);
  check_error(e_all, size);
  kumi_error *e_def = comp_validate_bytes(&fa.hook, data, size, NULL);
  check_error(e_def, size);
  if (!e_def && e_all) die("valid with the default features, invalid with all of them", e_all);
  if (e_all) kumi_error_free(e_all);
  if (e_def) kumi_error_free(e_def);
  fuzz_alloc_finish(&fa);
  return 0;
}
