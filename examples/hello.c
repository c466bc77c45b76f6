/* hello: a WASI 0.2 command component made from C (README's first
 * command runs it with kumi run). Built by make_hello.sh: clang
 * --target=wasm32-wasi against Debian's wasi-libc, wrapped as a component
 * with the preview1 adapter jco ships (`jco new --wasi-command`). Prints a
 * greeting for each argument and the entries of the directory preopened as
 * the guest's "/" (if any). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) printf("hello, %s!\n", argv[i]);
  DIR *d = opendir("/");
  if (d) {
    char *names[64];
    int n = 0;
    struct dirent *e;
    while (n < 64 && (e = readdir(d)))
      if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, by_name);
    printf("/ has %d entries:", n);
    for (int i = 0; i < n; i++) printf(" %s", names[i]), free(names[i]);
    printf("\n");
  }
  return 0;
}
