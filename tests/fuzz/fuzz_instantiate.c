/* Fuzz target 2: decode + validate + compile + instantiate with every
 * import satisfied by a stub of its type, then call each exported function
 * with zero arguments -- only functions statically bounded (no loops, no
 * call cycles: kumi has no fuel yet), see fuzz_exec.h. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_alloc.h"
#include "fuzz_exec.h"
#include "kumi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_alloc fa;
  fuzz_alloc_init(&fa, 0);
  kumi_config config = {.allocator = &fa.hook}; /* all features */
  kumi_engine *engine = kumi_engine_new(&config);
  if (!engine) abort();
  kumi_error *err = NULL;
  kumi_module *m = kumi_module_new(engine, data, size, &err);
  if (m) fuzz_instantiate(engine, m, true);
  if (err) kumi_error_free(err);
  kumi_module_free(m);
  kumi_engine_free(engine);
  fuzz_alloc_finish(&fa);
  return 0;
}
