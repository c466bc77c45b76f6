/* Fuzz target 3: out-of-memory paths. The first two input bytes (little
 * endian) pick which allocation request fails (1-based); the rest is the
 * module, which goes through the same steps as fuzz_instantiate. Whatever
 * fails must fail cleanly: no crash, no leak, sizes consistent. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_alloc.h"
#include "fuzz_exec.h"
#include "kumi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  uint64_t fail_at = 1 + (uint64_t)(data[0] | (data[1] << 8));
  data += 2;
  size -= 2;
  fuzz_alloc fa;
  fuzz_alloc_init(&fa, fail_at);
  kumi_config config = {.allocator = &fa.hook}; /* all features */
  kumi_engine *engine = kumi_engine_new(&config);
  if (engine) {
    kumi_error *err = NULL;
    kumi_module *m = kumi_module_new(engine, data, size, &err);
    if (m) fuzz_instantiate(engine, m, true);
    if (err) kumi_error_free(err);
    kumi_module_free(m);
    kumi_engine_free(engine);
  }
  fuzz_alloc_finish(&fa);
  return 0;
}
