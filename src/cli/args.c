/* Argument parsing shared by subcommands. */
#include "cli.h"

#include <string.h>

int cli_in_out_args(int argc, char **argv, void (*usage)(FILE *), const char **in, const char **out) {
  *in = *out = NULL;
  for (int k = 1; k < argc; k++) {
    if (strcmp(argv[k], "-o") == 0 && k + 1 < argc) {
      *out = argv[++k];
    } else if (strcmp(argv[k], "-h") == 0 || strcmp(argv[k], "--help") == 0) {
      usage(stdout);
      return 0;
    } else if ((argv[k][0] == '-' && argv[k][1]) || *in) {
      usage(stderr);
      return 1;
    } else {
      *in = argv[k];
    }
  }
  if (*in) return -1;
  usage(stderr);
  return 1;
}
