/* The kumi command: one file per subcommand, dispatched by main.c. Each
 * entry takes the arguments after the subcommand name (argv[0] is the
 * subcommand) and returns the process exit status. */
#ifndef KUMI_CLI_H
#define KUMI_CLI_H

int cli_run(int argc, char **argv);      /* run.c */
int cli_validate(int argc, char **argv); /* validate.c */
int cli_wast(int argc, char **argv);     /* wast.c */
int cli_parse(int argc, char **argv);    /* parse.c: .wat -> .wasm */
int cli_print(int argc, char **argv);    /* print.c: .wasm -> .wat */
int cli_wit(int argc, char **argv);      /* wit.c */

/* Value text shared by run and wast: parse an argument of type t from s
 * (decimal or 0x hex integers; floats as decimal, hex float, inf, nan,
 * nan:0x...), and print a value in a form that reads back bit-exactly
 * (floats: shortest round-trip decimal or nan:0x<payload>). value.c. */
#include "kumi.h"
#include <stdio.h>
bool cli_parse_val(kumi_valkind t, const char *s, kumi_val *out);

/* Reads `IN [-o OUT]` (args.c). Returns -1 when the command should go on
 * with *in set (*out may be NULL); otherwise the exit status, after
 * printing the usage (to stdout for --help, to stderr for a mistake). */
int cli_in_out_args(int argc, char **argv, void (*usage)(FILE *), const char **in, const char **out);
void cli_print_val(FILE *f, const kumi_val *v);

#endif
