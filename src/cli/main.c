/* The kumi command: dispatches to one file per subcommand (cli.h). */
#include "cli.h"

#include <string.h>

#ifndef KUMI_VERSION
#define KUMI_VERSION "0.1.0"
#endif

static const char usage[] =
    "kumi " KUMI_VERSION ": a WebAssembly runtime\n"
    "\n"
    "usage: kumi COMMAND [OPTIONS] [ARGS...]\n"
    "\n"
    "commands:\n"
    "  run [--dir H[::G]] [--env N=V] [--invoke NAME] FILE [ARGS...]\n"
    "                    run a core module (.wasm or .wat) with WASI preview1:\n"
    "                    `_start`, or the export NAME with ARGS (results one\n"
    "                    per line); see `kumi run --help`\n"
    "  validate FILE...  decode and validate core modules and components\n"
    "  wast FILE...      run WebAssembly spec test scripts: .wast (core) or\n"
    "                    wast2json manifests (.json, core and component)\n"
    "  parse FILE.wat [-o FILE.wasm]\n"
    "                    encode a module in the text format as a binary\n"
    "  print FILE.wasm [-o FILE.wat]\n"
    "                    print a core module in the text format\n"
    "  wit [--deps DIR] PATH\n"
    "                    parse and resolve a WIT package (file or folder) and\n"
    "                    print it as canonical WIT\n"
    "  help              print this text\n"
    "\n"
    "options:\n"
    "  -h, --help        print this text (after a command: that command's help)\n"
    "  -V, --version     print the version\n"
    "\n"
    "`kumi run --invoke 'f(ARGS)' C.wasm` calls a component's export with\n"
    "WAVE values; components with imports cannot run yet.\n";

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage, stderr);
    return 1;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "run") == 0) return cli_run(argc - 1, argv + 1);
  if (strcmp(cmd, "validate") == 0) return cli_validate(argc - 1, argv + 1);
  if (strcmp(cmd, "wast") == 0) return cli_wast(argc - 1, argv + 1);
  if (strcmp(cmd, "parse") == 0) return cli_parse(argc - 1, argv + 1);
  if (strcmp(cmd, "wit") == 0) return cli_wit(argc - 1, argv + 1);
  if (strcmp(cmd, "print") == 0) return cli_print(argc - 1, argv + 1);
  if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
    if (argc > 2) {
      char help[] = "--help";
      char *sub[] = {argv[2], help, NULL};
      if (strcmp(argv[2], "run") == 0) return cli_run(2, sub);
      if (strcmp(argv[2], "validate") == 0) return cli_validate(2, sub);
    }
    fputs(usage, stdout);
    return 0;
  }
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 || strcmp(cmd, "version") == 0) {
    puts("kumi " KUMI_VERSION);
    return 0;
  }
  fprintf(stderr, "kumi: unknown command '%s'\n\n%s", cmd, usage);
  return 1;
}
