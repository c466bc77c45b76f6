/* Every Component Model value type across both directions, end to end:
 * tests/component/wat/echo.wat (made by gen_echo.py there) imports
 * echo-T: func(x: T) -> T for each type T from the host interface
 * kumi:test/host and exports
 *   echo-T   calls the host's echo-T with its argument and returns the
 *            host's answer: host -> guest (lift), guest -> host (lower) and
 *            back, through the component linker;
 *   inner-T  calls echo-T of a sibling component (its own memory): a
 *            component -> component call, through a fused adapter (the
 *            forwarders live in a guest component next to it; a call into
 *            a child would trap).
 * For each export, random values of its parameter type (abi_gen.h) must
 * come back equal, the host must have seen exactly the value it was given
 * for echo-T, and nothing may leak (a counting allocator). Prints
 * "N passed, N failed". */
#include "../test.h"
#include "abi_gen.h"

#include "component/inst.h"
#include "text/text.h"

#define ROUNDS 40

typedef struct host_log {
  const kumi_allocator *a;
  size_t calls;
  kumi_cval last; /* a copy of the last argument the host saw */
} host_log;

/* The host's echo-T: returns (a copy of) its argument, remembers it. */
static kumi_error *host_echo(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                             kumi_cval *result) {
  host_log *h = env;
  if (nargs != 1) return kumi_error_new(NULL, KUMI_ERR_TRAP, "echo: one argument expected");
  h->calls++;
  kumi_cval_free(kb_default_allocator(), &h->last);
  if (!kumi_cval_clone(kb_default_allocator(), &args[0], &h->last) || !kumi_cval_clone(a, &args[0], result))
    return kumi_error_new(NULL, KUMI_ERR_TRAP, "echo: out of memory");
  return NULL;
}

static char *read_text(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
    free(s);
    s = NULL;
  }
  fclose(f);
  if (s) *len = (size_t)n;
  return s;
}

int main(void) {
  char path[1024];
  const char *here = __FILE__, *slash = strrchr(here, '/');
  snprintf(path, sizeof path, "%.*swat/echo.wat", slash ? (int)(slash - here + 1) : 0, here);
  size_t tlen = 0;
  char *text = read_text(path, &tlen);
  CHECKF(text != NULL, "cannot read %s", path);
  if (!text) return test_summary();
  const kumi_allocator *da = kb_default_allocator();
  uint8_t *bin = NULL;
  size_t blen = 0;
  kumi_error *e = text_parse_any(da, text, tlen, &bin, &blen);
  free(text);
  CHECKF(!e, "parse echo.wat: %s", e ? kumi_error_message(e) : "");
  if (e) {
    kumi_error_free(e);
    return test_summary();
  }

  test_alloc ta;
  const kumi_allocator hook = test_alloc_init(&ta, -1);
  kumi_config config = {.allocator = &hook};
  kumi_engine *engine = kumi_engine_new(&config);
  kumi_component *c = kumi_component_new(engine, bin, blen, &e);
  kb_free(da, bin, blen);
  CHECKF(c != NULL, "load: %s", e ? kumi_error_message(e) : "");
  if (!c) {
    kumi_error_free(e);
    return test_summary();
  }
  kumi_component_linker *l = kumi_component_linker_new(engine);
  host_log h = {&hook, 0, kumi_cval_bool(false)};
  static const char *const types[] = {"bool", "s8",     "u8",     "s16",     "u16",    "s32",    "u32",  "s64",
                                      "u64",  "f32",    "f64",    "char",    "enum",   "flags",  "string", "bytes",
                                      "strings", "nested", "record", "tuple", "variant", "option", "result"};
  const size_t ntypes = sizeof types / sizeof types[0];
  for (size_t i = 0; i < ntypes; i++) {
    char name[32];
    snprintf(name, sizeof name, "echo-%s", types[i]);
    e = kumi_component_linker_define_func(l, "kumi:test/host", name, NULL, host_echo, &h);
    CHECKF(!e, "define %s", name);
    if (e) kumi_error_free(e);
  }
  kumi_store *s = kumi_store_new(engine, NULL);
  kumi_component_instance *inst = kumi_component_linker_instantiate(l, s, c, &e);
  CHECKF(inst != NULL, "instantiate: %s", e ? kumi_error_message(e) : "");
  if (e) kumi_error_free(e);
  for (size_t i = 0; inst && i < ntypes; i++) {
    for (int inner = 0; inner < 2; inner++) {
      char name[32];
      snprintf(name, sizeof name, "%s-%s", inner ? "inner" : "echo", types[i]);
      kumi_component_func *f = kumi_component_instance_func(inst, NULL, name);
      CHECKF(f != NULL, "no export %s", name);
      if (!f) continue;
      const comp_types *ts;
      const comp_type *ft;
      comp_rt_func_type(f, &ts, &ft);
      size_t ok = 0;
      for (int round = 0; round < ROUNDS; round++) {
        kumi_cval arg, res = kumi_cval_bool(false);
        gen_value(ts, ft->fields[0].type, &arg, 3);
        size_t calls_before = h.calls;
        e = kumi_component_func_call(s, f, &arg, 1, &res, 1);
        bool good = !e && kumi_cval_equal(&arg, &res);
        if (good && !inner) good = h.calls == calls_before + 1 && kumi_cval_equal(&arg, &h.last);
        if (good && inner) good = h.calls == calls_before;
        if (!good && ok == (size_t)round) /* the first failure of each export */
          fprintf(stderr, "  %s round %d: %s\n", name, round, e ? kumi_error_message(e) : "value changed");
        ok += good;
        if (e) kumi_error_free(e);
        else kumi_cval_free(&hook, &res);
        kumi_cval_free(da, &arg);
      }
      CHECKF(ok == ROUNDS, "%s: %zu of %d round trips", name, ok, ROUNDS);
    }
  }
  kumi_cval_free(da, &h.last);
  kumi_component_instance_free(inst);
  kumi_store_free(s);
  kumi_component_linker_free(l);
  kumi_component_free(c);
  kumi_engine_free(engine);
  CHECK(test_alloc_clean(&ta));
  return test_summary();
}
