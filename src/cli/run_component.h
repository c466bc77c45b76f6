/* The component side of `kumi run` (run_component.c). */
#ifndef KUMI_CLI_RUN_COMPONENT_H
#define KUMI_CLI_RUN_COMPONENT_H

#include <stddef.h>
#include <stdint.h>

#include "run_wasi.h"

/* Runs the component binary bytes[0..len) read from file, with WASI 0.2
 * configured from o (--dir, --env, ...). o->invoke is the --invoke WAVE
 * call `name(arg, ...)` (NULL: run the wasi:cli/run command); argc/argv
 * are the words after FILE: the command's arguments (a component call
 * takes none). Prints results (WAVE, one per line) to stdout and errors to
 * stderr; returns the exit status (the guest's, for a command). */
int cli_run_component(const cli_wasi_opts *o, const char *file, const uint8_t *bytes, size_t len, int argc,
                      char **argv);

#endif
