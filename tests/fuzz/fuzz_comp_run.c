/* Fuzz target 7: the component runtime. Decodes and validates the input as
 * a component (every feature), instantiates it with no host definitions
 * (a component with imports fails to link, which is an expected error), then
 * calls each exported function with arguments generated from its type
 * (tests/component/abi_gen.h, seeded from the input so a run is
 * reproducible), each call with a little fuel. Lifting, lowering, handle
 * tables, reentrance and the core engine under them must answer every
 * input with results or error values: no crash, no UB report, no leak
 * (fuzz_alloc checks every block given through the hook). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../component/abi_gen.h"
#include "component/inst.h"
#include "fuzz_alloc.h"

/* Fuel for instantiation (start functions) and for each call: see
 * fuzz_exec.c for why this bounds the time of an input. */
#define RUN_FUEL (1u << 14)
#define MAX_CALLS 64

typedef struct exports {
  kumi_component_func *f[MAX_CALLS];
  size_t n;
} exports;

static void collect(void *cx, const char *iface, size_t iface_len, const char *name, size_t name_len,
                    kumi_component_func *f) {
  (void)iface, (void)iface_len, (void)name, (void)name_len;
  exports *x = cx;
  if (x->n < MAX_CALLS) x->f[x->n++] = f;
}

/* Results come allocated with the engine's allocator, ea. */
static void call(kumi_store *s, kumi_component_func *f, const kumi_allocator *ea) {
  const comp_types *ts;
  const comp_type *ft;
  comp_rt_func_type(f, &ts, &ft);
  const kumi_allocator *a = kb_default_allocator();
  kumi_cval *args = calloc(ft->n + 1, sizeof *args);
  if (!args) return;
  for (uint32_t i = 0; i < ft->n; i++) gen_value(ts, ft->fields[i].type, &args[i], 3);
  kumi_cval result = kumi_cval_bool(false);
  kumi_store_set_fuel(s, RUN_FUEL);
  kumi_error *e = kumi_component_func_call(s, f, args, ft->n, &result, ft->has_result ? 1 : 0);
  if (e) kumi_error_free(e);
  else if (ft->has_result) kumi_cval_free(ea, &result);
  for (uint32_t i = 0; i < ft->n; i++) kumi_cval_free(a, &args[i]);
  free(args);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; i++) h = (h ^ data[i]) * 0x100000001b3ull;
  rng = h | 1;
  fuzz_alloc fa;
  fuzz_alloc_init(&fa, 0);
  kumi_config config = {.allocator = &fa.hook};
  kumi_engine *engine = kumi_engine_new(&config);
  if (!engine) abort();
  comp_features all = comp_features_all();
  kumi_error *err = NULL;
  kumi_component *c = comp_rt_new(engine, data, size, &all, &err);
  if (c) {
    kumi_limits limits;
    memset(&limits, 0, sizeof limits);
    limits.max_memory_pages = 64;
    limits.max_table_elems = 1u << 16;
    limits.max_call_depth = 1000;
    limits.max_stack_slots = 1u << 16;
    limits.fuel = RUN_FUEL;
    kumi_store *s = kumi_store_new(engine, &limits);
    if (s) {
      kumi_component_instance *inst = kumi_component_instantiate(s, c, &err);
      if (inst) {
        exports x = {.n = 0};
        comp_rt_each_export_func(inst, collect, &x);
        for (size_t i = 0; i < x.n; i++) call(s, x.f[i], &fa.hook);
        kumi_component_instance_free(inst);
      }
      kumi_store_free(s);
    }
    kumi_component_free(c);
  }
  if (err) kumi_error_free(err);
  kumi_engine_free(engine);
  fuzz_alloc_finish(&fa);
  return 0;
}
