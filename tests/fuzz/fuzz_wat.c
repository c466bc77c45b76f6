/* Fuzz target 5: the text format, core modules and components.
 * text_parse_any on the input (not NUL-terminated, so a read past the end
 * is caught), then, when a core module parses, kumi_module_validate on the
 * binary it produced (components are only parsed: validating them needs
 * the component library, which this target does not link). Checks that a
 * failure is KUMI_ERR_MALFORMED (or OOM) with a message and an offset
 * inside the input, that a success returns a binary starting with the
 * module or component preamble, and that nothing allocated through the
 * hook leaks. */
#define _GNU_SOURCE /* memmem */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_alloc.h"
#include "kumi.h"
#include "text/text.h"

static void die(const char *what, const kumi_error *e) {
  fprintf(stderr, "fuzz_wat: %s: %s\n", what, e ? kumi_error_message(e) : "(no error)");
  abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_alloc fa;
  fuzz_alloc_init(&fa, 0);
  uint8_t *bin = NULL;
  size_t bin_len = 0;
  bool component = text_is_component((const char *)data, size);
  kumi_error *e = text_parse_any(&fa.hook, (const char *)data, size, &bin, &bin_len);
  if (e) {
    kumi_error_kind k = kumi_error_kind_of(e);
    if (k != KUMI_ERR_MALFORMED && k != KUMI_ERR_OOM) die("parse error of a kind other than malformed", e);
    if (!kumi_error_message(e)) die("error without a message", NULL);
    uint64_t off = kumi_error_offset(e);
    if (k == KUMI_ERR_MALFORMED && off != KUMI_NO_OFFSET && off > size) die("error offset past the end of the input", e);
    kumi_error_free(e);
  } else {
    static const uint8_t preamble[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    static const uint8_t comp_preamble[8] = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};
    /* `(module binary ...)` passes its bytes through unchecked. */
    bool quoted_binary = memmem(data, size, "binary", 6) != NULL;
    if (!quoted_binary && (bin_len < 8 || memcmp(bin, component ? comp_preamble : preamble, 8) != 0))
      die("output does not start with the preamble", NULL);
    if (component) {
      kb_free(&fa.hook, bin, bin_len);
      fuzz_alloc_finish(&fa);
      return 0;
    }
    kumi_config config = {.allocator = &fa.hook}; /* all features */
    kumi_engine *engine = kumi_engine_new(&config);
    if (!engine) abort();
    kumi_error *verr = kumi_module_validate(engine, bin, bin_len);
    if (verr) {
      uint64_t off = kumi_error_offset(verr);
      if (off != KUMI_NO_OFFSET && off > bin_len) die("validation error offset past the end of the binary", verr);
      kumi_error_free(verr);
    }
    kumi_engine_free(engine);
    kb_free(&fa.hook, bin, bin_len);
  }
  fuzz_alloc_finish(&fa);
  return 0;
}
