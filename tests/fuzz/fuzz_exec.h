/* Shared by the fuzz targets that go past compilation: a static bound on
 * how much a function can execute, and instantiation with generic host
 * stubs for every import. */
#ifndef KUMI_FUZZ_EXEC_H
#define KUMI_FUZZ_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "kumi.h"

#define FUZZ_COST_UNBOUNDED UINT64_MAX

/* For each function of the module (whole index space), an upper bound on
 * the instructions one call can execute, or FUZZ_COST_UNBOUNDED. kumi has
 * no fuel yet, so nothing stops a runaway guest; the bound is what keeps
 * the fuzzer from hanging. A function is bounded when neither it nor
 * anything it may call contains `loop` and the call graph below it (calls
 * and tail calls) has no cycle: then each instruction runs at most once
 * per call. call_indirect and return_call_indirect may reach any function
 * in C.refs (the only functions that can get into a table, given host
 * stubs that only ever produce null references) whose type equals the
 * call's type. Imported functions are the stubs: cost 1. The array is
 * malloc'ed (free it with free); NULL when the module is too large to
 * analyse cheaply -- treat that as all unbounded. */
uint64_t *fuzz_costs(const kumi_module *m);

/* Instantiates m in a fresh store with small limits, every import defined
 * by a stub of its type (functions return zeros; memories, tables and
 * globals are new objects with the import's limits / type, zero-filled).
 * Skipped when the module has a start function that is not bounded. When
 * execute is set, then calls each exported function whose bound is small,
 * with zero arguments, within a total budget. Errors (link failures, traps,
 * limits, OOM) are expected and only freed. */
void fuzz_instantiate(kumi_engine *engine, kumi_module *m, bool execute);

#endif
