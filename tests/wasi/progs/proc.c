/* proc_exit from deep in the call stack, proc_raise, a trap, a return:
 * argv[1] says which, argv[2] is the status. */
#include "common.h"

static int depth(int n, int code) {
  if (n == 0) __wasi_proc_exit((__wasi_exitcode_t)code);
  return depth(n - 1, code) + 1; /* not a tail call */
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "return";
  int code = argc > 2 ? atoi(argv[2]) : 0;
  printf("%s %d\n", what, code);
  fflush(stdout);
  if (!strcmp(what, "exit")) return depth(1000, code);
  if (!strcmp(what, "raise")) {
    int e = raw_proc_raise(code);
    printf("proc_raise returned %s\n", en(e));
    return 0;
  }
  if (!strcmp(what, "trap")) __builtin_trap();
  return code;
}
