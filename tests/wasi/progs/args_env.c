/* args_get, args_sizes_get, environ_get, environ_sizes_get; the exit
 * status is the last argument (a number), returned from main. */
#include "common.h"

int main(int argc, char **argv) {
  printf("argc=%d\n", argc);
  for (int i = 0; i < argc; i++) printf("argv[%d]=[%s]\n", i, argv[i]);

  __wasi_size_t n = 0, size = 0;
  EXPECT("args_sizes_get", __wasi_args_sizes_get(&n, &size), 0);
  size_t want = 0;
  for (int i = 0; i < argc; i++) want += strlen(argv[i]) + 1;
  CHECK("args count matches argc", n == (__wasi_size_t)argc);
  CHECK("args size counts the NULs", size == want);
  char **v = calloc(n + 1, sizeof *v);
  char *buf = malloc(size);
  EXPECT("args_get", __wasi_args_get((uint8_t **)v, (uint8_t *)buf), 0);
  CHECK("args_get strings are packed in the buffer", n == 0 || (v[0] == buf && buf[size - 1] == 0));

  EXPECT("environ_sizes_get", __wasi_environ_sizes_get(&n, &size), 0);
  printf("environ count=%u size=%u\n", (unsigned)n, (unsigned)size);
  char **ev = calloc(n + 1, sizeof *ev);
  char *ebuf = malloc(size);
  EXPECT("environ_get", __wasi_environ_get((uint8_t **)ev, (uint8_t *)ebuf), 0);
  for (__wasi_size_t i = 0; i < n; i++) printf("env[%u]=[%s]\n", (unsigned)i, ev[i]);
  const char *foo = getenv("FOO");
  printf("getenv FOO=[%s]\n", foo ? foo : "(unset)");
  printf("getenv NOPE=[%s]\n", getenv("NOPE") ? getenv("NOPE") : "(unset)");

  /* Out-of-bounds result pointers fail cleanly. */
  EXPECT("args_sizes_get out of bounds", raw_args_sizes_get((int32_t)mem_end(), ADDR(&size)), __WASI_ERRNO_FAULT);
  EXPECT("args_get buffer out of bounds", raw_args_get(ADDR(v), (int32_t)(mem_end() - 1)), argc ? __WASI_ERRNO_FAULT : 0);
  EXPECT("environ_get array out of bounds", raw_environ_get((int32_t)(mem_end() - 2), ADDR(ebuf)),
         n ? __WASI_ERRNO_FAULT : 0);
  int st = finish();
  if (st) return st;
  return argc > 1 ? atoi(argv[argc - 1]) : 0;
}
