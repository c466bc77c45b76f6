/* Shared by the fuzz targets that go past compilation: instantiation with
 * generic host stubs for every import, then bounded execution (fuel). */
#ifndef KUMI_FUZZ_EXEC_H
#define KUMI_FUZZ_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "kumi.h"

/* Instantiates m in a fresh store with small limits, every import defined
 * by a stub of its type (functions return zeros; memories, tables and
 * globals are new objects with the import's limits / type, zero-filled).
 * The start function and, when execute is set, each exported function
 * (called with zero arguments) run with a small amount of fuel, so any
 * module finishes quickly. Errors (link failures, traps,
 * limits, OOM) are expected and only freed. */
void fuzz_instantiate(kumi_engine *engine, kumi_module *m, bool execute);

#endif
