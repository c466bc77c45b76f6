/* embed_component: how to run a component from C with kumi (include/kumi.h).
 *
 *   embed_component [shapes.wasm]
 *
 * Runs examples/shapes.wasm (source: shapes.wat). The component imports the
 * interface kumi:example/host (log: func(msg: string), nudge: func(p: point)
 * -> point) and exports functions over strings, lists, records, variants
 * and a resource type, `counter`. The steps:
 *
 *   1. an engine, and the component (decoded and validated once);
 *   2. a component linker: host functions defined by WIT interface and
 *      name (the linker checks them against the component's imports);
 *   3. instantiate in a store, find exports by name, call them with
 *      kumi_cval values (a tree: records, lists, variants, strings...);
 *   4. a resource: the constructor returns an owned handle, methods take it
 *      borrowed, and dropping it runs the guest's destructor (which here
 *      calls back into the host).
 *
 * Prints "embed_component: ok" when every result is as expected. */
#include <kumi.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the host functions see: passed as `env` when defining them. */
typedef struct host_state {
  int logs;
  char last[64];
} host_state;

/* log(msg: string): args[0] is the string (UTF-8, not NUL-terminated). */
static kumi_error *host_log(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                            kumi_cval *result) {
  (void)a, (void)nargs, (void)result;
  host_state *st = env;
  const kumi_cval *msg = &args[0];
  printf("host log: %.*s\n", (int)msg->of.str.len, msg->of.str.ptr);
  snprintf(st->last, sizeof st->last, "%.*s", (int)msg->of.str.len, msg->of.str.ptr);
  st->logs++;
  return NULL;
}

/* nudge(p: point) -> point, point = record { x: s32, y: s32 }: returns
 * {x + 1, y + 1}. A record is an aggregate of its fields in order. */
static kumi_error *host_nudge(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                              kumi_cval *result) {
  (void)env, (void)nargs;
  const kumi_cval *p = &args[0];
  if (!kumi_cval_agg(a, KUMI_CV_RECORD, 2, result)) return kumi_error_new(NULL, KUMI_ERR_TRAP, "out of memory");
  result->of.agg.items[0] = kumi_cval_int(KUMI_CV_S32, p->of.agg.items[0].of.s + 1);
  result->of.agg.items[1] = kumi_cval_int(KUMI_CV_S32, p->of.agg.items[1].of.s + 1);
  return NULL;
}

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *buf = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? cap * 2 : 4096;
      uint8_t *nb = realloc(buf, cap);
      if (!nb) break;
      buf = nb;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  int bad = ferror(f) || n == 0 || !buf;
  fclose(f);
  if (bad) {
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

/* Prints an error and frees it; returns false so callers can `return fail(...)`. */
static bool fail(const char *what, kumi_error *err) {
  fprintf(stderr, "embed_component: %s: %s\n", what, err ? kumi_error_message(err) : "failed");
  kumi_error_free(err);
  return false;
}

static kumi_cval point(const kumi_allocator *a, int32_t x, int32_t y) {
  kumi_cval p;
  if (!kumi_cval_agg(a, KUMI_CV_RECORD, 2, &p)) return kumi_cval_bool(false);
  p.of.agg.items[0] = kumi_cval_int(KUMI_CV_S32, x);
  p.of.agg.items[1] = kumi_cval_int(KUMI_CV_S32, y);
  return p;
}

/* The calls of step 3 and 4. Every value built here is freed with
 * kumi_cval_free; results come allocated by the runtime and are freed the
 * same way. */
static bool run(kumi_store *store, kumi_component_instance *inst, host_state *host) {
  const kumi_allocator *a = NULL; /* malloc, as the engine's default allocator */
  kumi_error *err;
  kumi_component_func *greet = kumi_component_instance_func(inst, NULL, "greet");
  kumi_component_func *sum_x = kumi_component_instance_func(inst, NULL, "sum-x");
  kumi_component_func *area = kumi_component_instance_func(inst, NULL, "area");
  kumi_component_func *move = kumi_component_instance_func(inst, NULL, "move");
  kumi_component_func *ctor = kumi_component_instance_func(inst, NULL, "[constructor]counter");
  kumi_component_func *next = kumi_component_instance_func(inst, NULL, "[method]counter.next");
  if (!greet || !sum_x || !area || !move || !ctor || !next) return fail("missing exports", NULL);

  /* greet(name: string) -> string; the guest logs through the host first */
  kumi_cval arg, res;
  if (!kumi_cval_string(a, "world", 5, &arg)) return fail("out of memory", NULL);
  err = kumi_component_func_call(store, greet, &arg, 1, &res, 1);
  kumi_cval_free(a, &arg);
  if (err) return fail("greet", err);
  printf("greet(\"world\") = \"%.*s\"\n", (int)res.of.str.len, res.of.str.ptr);
  bool ok = res.of.str.len == 12 && memcmp(res.of.str.ptr, "hello, world", 12) == 0 && host->logs == 1;
  kumi_cval_free(a, &res);
  if (!ok) return fail("greet returned something else", NULL);

  /* sum-x(pts: list<point>) -> s32 */
  if (!kumi_cval_agg(a, KUMI_CV_LIST, 3, &arg)) return fail("out of memory", NULL);
  for (int i = 0; i < 3; i++) arg.of.agg.items[i] = point(a, 10 * (i + 1), -i);
  err = kumi_component_func_call(store, sum_x, &arg, 1, &res, 1);
  kumi_cval_free(a, &arg);
  if (err) return fail("sum-x", err);
  printf("sum-x([{10, 0}, {20, -1}, {30, -2}]) = %" PRId64 "\n", res.of.s);
  if (res.of.s != 60) return fail("sum-x returned something else", NULL);

  /* area(s: shape) -> u64, shape = variant { circle(u32), rect(point) } */
  kumi_cval radius = kumi_cval_int(KUMI_CV_U32, 2), rect = point(a, 3, 4);
  kumi_cval circle_v, rect_v;
  if (!kumi_cval_case(a, KUMI_CV_VARIANT, 0, &radius, &circle_v) || !kumi_cval_case(a, KUMI_CV_VARIANT, 1, &rect, &rect_v))
    return fail("out of memory", NULL);
  kumi_cval r1, r2;
  err = kumi_component_func_call(store, area, &circle_v, 1, &r1, 1);
  if (!err) err = kumi_component_func_call(store, area, &rect_v, 1, &r2, 1);
  kumi_cval_free(a, &circle_v);
  kumi_cval_free(a, &rect_v);
  if (err) return fail("area", err);
  printf("area(circle(2)) = %" PRIu64 ", area(rect({3, 4})) = %" PRIu64 "\n", r1.of.u, r2.of.u);
  if (r1.of.u != 12 || r2.of.u != 12) return fail("area returned something else", NULL);

  /* move(p: point) -> point: the guest calls the host's nudge, then swaps */
  arg = point(a, 1, 2);
  err = kumi_component_func_call(store, move, &arg, 1, &res, 1);
  kumi_cval_free(a, &arg);
  if (err) return fail("move", err);
  printf("move({1, 2}) = {%" PRId64 ", %" PRId64 "}\n", res.of.agg.items[0].of.s, res.of.agg.items[1].of.s);
  ok = res.of.agg.items[0].of.s == 3 && res.of.agg.items[1].of.s == 2;
  kumi_cval_free(a, &res);
  if (!ok) return fail("move returned something else", NULL);

  /* a resource: counter(5), next() twice, then drop */
  kumi_cval start = kumi_cval_int(KUMI_CV_U32, 5), counter;
  err = kumi_component_func_call(store, ctor, &start, 1, &counter, 1);
  if (err) return fail("[constructor]counter", err);
  uint64_t seen[2];
  for (int i = 0; i < 2; i++) {
    kumi_cval self = kumi_cval_handle(KUMI_CV_BORROW, counter.of.handle);
    if ((err = kumi_component_func_call(store, next, &self, 1, &res, 1))) return fail("counter.next", err);
    seen[i] = res.of.u;
  }
  printf("counter(5): next() = %" PRIu64 ", next() = %" PRIu64 "\n", seen[0], seen[1]);
  if (seen[0] != 5 || seen[1] != 6) return fail("counter.next returned something else", NULL);
  int logs_before = host->logs;
  if ((err = kumi_component_instance_drop(store, inst, NULL, "counter", &counter))) return fail("drop counter", err);
  if (host->logs != logs_before + 1 || strcmp(host->last, "counter dropped") != 0)
    return fail("the destructor did not run", NULL);
  return true;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "examples/shapes.wasm";
  size_t len = 0;
  uint8_t *bytes = read_file(path, &len);
  if (!bytes) {
    fprintf(stderr, "embed_component: cannot read %s\n", path);
    return 1;
  }
  int status = 1;
  kumi_error *err = NULL;
  host_state host = {0};
  kumi_component_instance *inst = NULL;
  kumi_store *store = NULL;
  kumi_component_linker *linker = NULL;

  /* 1. engine and component */
  kumi_engine *engine = kumi_engine_new(NULL);
  kumi_component *comp = engine ? kumi_component_new(engine, bytes, len, &err) : NULL;
  free(bytes);
  if (!comp) {
    fail("cannot load the component", err);
    goto out;
  }

  /* 2. the host side of kumi:example/host. A type string is checked against
   * the import's type; NULL takes the import's own type (nudge's `point`
   * is a record, which a WIT function type cannot spell inline). */
  linker = kumi_component_linker_new(engine);
  if (!linker) goto out;
  if ((err = kumi_component_linker_define_func(linker, "kumi:example/host", "log", "func(msg: string)", host_log, &host)) ||
      (err = kumi_component_linker_define_func(linker, "kumi:example/host", "nudge", NULL, host_nudge, &host))) {
    fail("cannot define the host functions", err);
    goto out;
  }

  /* 3. instantiate in a store, then call */
  store = kumi_store_new(engine, NULL);
  if (!store) goto out;
  inst = kumi_component_linker_instantiate(linker, store, comp, &err);
  if (!inst) {
    fail("cannot instantiate", err);
    goto out;
  }
  if (run(store, inst, &host)) {
    printf("embed_component: ok\n");
    status = 0;
  }
out:
  kumi_component_instance_free(inst);
  kumi_store_free(store);
  kumi_component_linker_free(linker);
  kumi_component_free(comp);
  kumi_engine_free(engine);
  return status;
}
