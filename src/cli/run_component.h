/* The component side of `kumi run` (run_component.c). */
#ifndef KUMI_CLI_RUN_COMPONENT_H
#define KUMI_CLI_RUN_COMPONENT_H

#include <stddef.h>
#include <stdint.h>

/* Runs the component binary bytes[0..len) read from file. expr is the
 * --invoke WAVE call `name(arg, ...)` (NULL without --invoke); argc/argv
 * are the words after FILE, which a component call does not take. Prints
 * results (WAVE, one per line) to stdout and errors to stderr; returns the
 * exit status. */
int cli_run_component(const char *file, const uint8_t *bytes, size_t len, const char *expr, int argc,
                      char **argv);

#endif
