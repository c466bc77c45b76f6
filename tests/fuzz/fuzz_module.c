/* Fuzz target 1: decode + validate + compile. kumi_module_new on the input
 * bytes, introspection of the result, then free. Also checks that
 * kumi_module_validate (decode + validate only) agrees with
 * kumi_module_new, that error offsets lie within the input, and that
 * what plain WebAssembly 2.0 accepts, the default features (2.0 plus
 * proposals) accept too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_alloc.h"
#include "kumi.h"

static void die(const char *what, const kumi_error *e) {
  fprintf(stderr, "fuzz_module: %s: %s\n", what, e ? kumi_error_message(e) : "(no error)");
  abort();
}

static void introspect(const kumi_module *m) {
  kumi_import_desc im;
  kumi_export_desc ex;
  for (size_t i = 0; i < kumi_module_import_count(m); i++) kumi_module_import(m, i, &im);
  for (size_t i = 0; i < kumi_module_export_count(m); i++) {
    kumi_module_export(m, i, &ex);
    if (strlen(ex.name) != ex.name_len) continue; /* holds NUL: not reachable by C name */
    const kumi_functype *ft = kumi_module_export_functype(m, ex.name);
    if ((ft != NULL) != (ex.kind == KUMI_EXTERN_FUNC)) die("export_functype disagrees with the export's kind", NULL);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_alloc fa;
  fuzz_alloc_init(&fa, 0);
  kumi_config config = {.allocator = &fa.hook}; /* all features */
  kumi_engine *engine = kumi_engine_new(&config);
  if (!engine) abort();

  kumi_error *verr = kumi_module_validate(engine, data, size);
  kumi_error *err = NULL;
  kumi_module *m = kumi_module_new(engine, data, size, &err);

  if (m && err) die("kumi_module_new returned a module and an error", err);
  if (!m && !err) die("kumi_module_new returned neither a module nor an error", NULL);
  if (m && verr) die("kumi_module_validate rejects what kumi_module_new accepts", verr);
  if (err) {
    kumi_error_kind k = kumi_error_kind_of(err);
    if (!kumi_error_message(err)) die("error without a message", NULL);
    uint64_t off = kumi_error_offset(err);
    if (off != KUMI_NO_OFFSET && off > size) die("error offset past the end of the input", err);
    if ((k == KUMI_ERR_MALFORMED || k == KUMI_ERR_INVALID) && !verr)
      die("kumi_module_new rejects what kumi_module_validate accepts", err);
    if (verr && kumi_error_kind_of(verr) != k) die("validate and module_new fail with different kinds", err);
  }
  if (m) introspect(m);

  /* Proposals only add to 2.0. */
  if (verr) {
    kumi_config exact = {.allocator = &fa.hook, .features = KUMI_FEATURES_EXACT | KUMI_FEATURE_SIMD};
    kumi_engine *engine20 = kumi_engine_new(&exact);
    if (!engine20) abort();
    kumi_error *err20 = kumi_module_validate(engine20, data, size);
    if (!err20) die("valid WebAssembly 2.0 rejected with the default features", verr);
    kumi_error_free(err20);
    kumi_engine_free(engine20);
  }

  if (verr) kumi_error_free(verr);
  if (err) kumi_error_free(err);
  kumi_module_free(m);
  kumi_engine_free(engine);
  fuzz_alloc_finish(&fa);
  return 0;
}
