/* Component call benchmark, kumi side: ns per call for
 *   host -> guest       inc(x: u32) -> u32, called from C through kumi_component_func_call
 *   guest -> host       the guest calls the host's get(x: u32) -> u32 in a loop (call-host)
 *   component -> component, echo(string) -> string with 16 B and 64 KB strings between two
 *                       components inside calls.wasm (echo-loop)
 * Usage: calls [calls.wasm]   (bench/components/run.sh builds and runs it beside jco). */
#define _POSIX_C_SOURCE 200809L
#include <kumi.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static kumi_error *host_get(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                            kumi_cval *result) {
  (void)env, (void)a, (void)nargs;
  *result = kumi_cval_int(KUMI_CV_U32, (int64_t)args[0].of.u);
  return NULL;
}

static int fail(kumi_error *e, const char *what) {
  fprintf(stderr, "calls: %s: ", what);
  kumi_error_print(e, stderr);
  kumi_error_free(e);
  return 1;
}

static uint8_t *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *buf = NULL;
  size_t cap = 0, n = 0, k;
  do {
    if (n == cap) {
      cap = cap ? cap * 2 : 65536;
      uint8_t *nb = realloc(buf, cap);
      if (!nb) break;
      buf = nb;
    }
    k = fread(buf + n, 1, cap - n, f);
    n += k;
  } while (k > 0);
  fclose(f);
  *len = n;
  return buf;
}

/* Calls f(args) and returns the u32 result; -1 on error (printed). */
static int64_t call_u32(kumi_store *s, kumi_component_func *f, const kumi_cval *args, size_t nargs) {
  kumi_cval r = kumi_cval_bool(false);
  kumi_error *e = kumi_component_func_call(s, f, args, nargs, &r, 1);
  if (e) return fail(e, "call"), -1;
  return (int64_t)r.of.u;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "bench/components/calls.wasm";
  size_t len = 0;
  uint8_t *bytes = read_all(path, &len);
  if (!bytes) return fprintf(stderr, "calls: cannot read %s\n", path), 1;
  kumi_engine *engine = kumi_engine_new(NULL);
  kumi_error *e = NULL;
  kumi_component *c = kumi_component_new(engine, bytes, len, &e);
  free(bytes);
  if (!c) return fail(e, path);
  kumi_component_linker *l = kumi_component_linker_new(engine);
  if ((e = kumi_component_linker_define_func(l, "kumi:bench/host", "get", "func(x: u32) -> u32", host_get, NULL)))
    return fail(e, "define get");
  kumi_store *s = kumi_store_new(engine, NULL);
  kumi_component_instance *inst = kumi_component_linker_instantiate(l, s, c, &e);
  if (!inst) return fail(e, "instantiate");
  kumi_component_func *inc = kumi_component_instance_func(inst, NULL, "inc");
  kumi_component_func *call_host = kumi_component_instance_func(inst, NULL, "call-host");
  kumi_component_func *echo_loop = kumi_component_instance_func(inst, NULL, "echo-loop");
  if (!inc || !call_host || !echo_loop) return fprintf(stderr, "calls: missing exports\n"), 1;

  const uint32_t n = 1000000;
  kumi_cval arg = kumi_cval_int(KUMI_CV_U32, 0);
  double t0 = now_ns();
  for (uint32_t i = 0; i < n; i++) {
    int64_t r = call_u32(s, inc, &arg, 1);
    if (r < 0) return 1;
    arg.of.u = (uint64_t)r;
  }
  double t1 = now_ns();
  printf("host->guest inc\t%.1f ns/call\t(result %llu)\n", (t1 - t0) / n, (unsigned long long)arg.of.u);

  arg.of.u = n;
  t0 = now_ns();
  int64_t r = call_u32(s, call_host, &arg, 1);
  t1 = now_ns();
  if (r < 0) return 1;
  printf("guest->host get\t%.1f ns/call\t(result %lld)\n", (t1 - t0) / n, (long long)r);

  const struct { const char *label; uint32_t n, len; } echo[] = {
      {"comp->comp echo 16B", 100000, 16}, {"comp->comp echo 64KB", 2000, 65536}};
  for (size_t k = 0; k < 2; k++) {
    kumi_cval args[2] = {kumi_cval_int(KUMI_CV_U32, echo[k].n), kumi_cval_int(KUMI_CV_U32, echo[k].len)};
    t0 = now_ns();
    r = call_u32(s, echo_loop, args, 2);
    t1 = now_ns();
    if (r < 0) return 1;
    if ((uint64_t)r != (uint64_t)echo[k].n * echo[k].len)
      return fprintf(stderr, "calls: echo-loop returned %lld\n", (long long)r), 1;
    printf("%s\t%.1f ns/call\t(result %lld)\n", echo[k].label, (t1 - t0) / echo[k].n, (long long)r);
  }
  kumi_component_instance_free(inst);
  kumi_store_free(s);
  kumi_component_linker_free(l);
  kumi_component_free(c);
  kumi_engine_free(engine);
  return 0;
}
