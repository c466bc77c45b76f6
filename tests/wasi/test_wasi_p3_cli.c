/* WASI 0.3 cli, clocks and random (src/wasi/p3_cli.c, p3_clocks.c,
 * p3_random.c), in-process with a counting allocator (nothing may leak):
 *  - a small component of our own calling the functions the suite's
 *    programs do not check: insecure-seed (the same value twice),
 *    system-clock now/get-resolution, monotonic get-resolution and a
 *    synchronously lowered wait-for (it must really wait), timezone
 *    (iana-id, utc-offset, to-debug-string, with TZ set here to a zone,
 *    a POSIX rule and UTC) and exit-with-code;
 *  - the suite's cli/clocks/random wasm32-wasip3 programs
 *    (../shared/conformance/wasi-testsuite/rust-wasip3) run through the
 *    embedding API with stdin given as bytes and stdout/stderr captured
 *    (the in-memory stdio the `kumi run` runner, test_wasi_p3_testsuite.c,
 *    never sees): exit code and outputs checked;
 *  - kumi_component_linker_add_wasi_p3 twice on one kumi_wasi (two
 *    linkers): both sets of state freed with it.
 * KUMI_WASI_TESTSUITE overrides where the suite is. */
#include "p3_harness.h"

#include "component/component.h"
#include "component/inst.h"

#include <time.h>

static const char clocks_wat[] =
    "(component\n"
    "  (import \"wasi:random/insecure-seed@0.3.0\" (instance $seed\n"
    "    (export \"get-insecure-seed\" (func (result (tuple u64 u64))))))\n"
    "  (import \"wasi:clocks/system-clock@0.3.0\" (instance $sys\n"
    "    (type $i0 (record (field \"seconds\" s64) (field \"nanoseconds\" u32)))\n"
    "    (export \"instant\" (type $i (eq $i0)))\n"
    "    (export \"now\" (func (result $i)))\n"
    "    (export \"get-resolution\" (func (result u64)))))\n"
    "  (import \"wasi:clocks/monotonic-clock@0.3.0\" (instance $mono\n"
    "    (export \"now\" (func (result u64)))\n"
    "    (export \"get-resolution\" (func (result u64)))\n"
    "    (export \"wait-for\" (func async (param \"how-long\" u64)))))\n"
    "  (import \"wasi:clocks/timezone@0.3.0\" (instance $tz\n"
    "    (type $i0 (record (field \"seconds\" s64) (field \"nanoseconds\" u32)))\n"
    "    (export \"instant\" (type $i (eq $i0)))\n"
    "    (export \"iana-id\" (func (result (option string))))\n"
    "    (export \"utc-offset\" (func (param \"when\" $i) (result (option s64))))\n"
    "    (export \"to-debug-string\" (func (result string)))))\n"
    "  (import \"wasi:cli/exit@0.3.0\" (instance $exit\n"
    "    (export \"exit-with-code\" (func (param \"status-code\" u8)))))\n"
    "  (core module $Mem\n"
    "    (memory (export \"memory\") 1)\n"
    "    (global $heap (mut i32) (i32.const 4096))\n"
    P3H_WAT_REALLOC
    "  (core module $M\n"
    "    (import \"h\" \"memory\" (memory 1))\n"
    "    (import \"h\" \"seed\" (func $seed (param i32)))\n"
    "    (import \"h\" \"sys-now\" (func $sys_now (param i32)))\n"
    "    (import \"h\" \"sys-res\" (func $sys_res (result i64)))\n"
    "    (import \"h\" \"mono-now\" (func $mono_now (result i64)))\n"
    "    (import \"h\" \"mono-res\" (func $mono_res (result i64)))\n"
    "    (import \"h\" \"wait-for\" (func $wait (param i64)))\n"
    "    (import \"h\" \"iana\" (func $iana (param i32)))\n"
    "    (import \"h\" \"offset\" (func $offset (param i64 i32 i32)))\n"
    "    (import \"h\" \"debug\" (func $debug (param i32)))\n"
    "    (import \"h\" \"exit\" (func $exit (param i32)))\n"
    "    (import \"h\" \"task-return\" (func $tr (param i64)))\n"
    "    (func (export \"seed-same\") (result i32)\n"
    "      (call $seed (i32.const 256))\n"
    "      (call $seed (i32.const 288))\n"
    "      (i32.and (i64.eq (i64.load (i32.const 256)) (i64.load (i32.const 288)))\n"
    "               (i64.eq (i64.load (i32.const 264)) (i64.load (i32.const 296)))))\n"
    "    (func (export \"wall\") (result i64)\n"
    "      (call $sys_now (i32.const 320))\n"
    "      (if (i32.ge_u (i32.load (i32.const 328)) (i32.const 1000000000)) (then unreachable))\n"
    "      (i64.load (i32.const 320)))\n"
    "    (func (export \"sys-res\") (result i64) (call $sys_res))\n"
    "    (func (export \"mono-res\") (result i64) (call $mono_res))\n"
    "    (func (export \"sleep\") (param $ns i64)\n"
    "      (local $t0 i64)\n"
    "      (local.set $t0 (call $mono_now))\n"
    "      (call $wait (local.get $ns))\n"
    "      (call $tr (i64.sub (call $mono_now) (local.get $t0))))\n"
    "    (func (export \"iana\") (result i32) (call $iana (i32.const 512)) (i32.const 512))\n"
    "    (func (export \"offset\") (param $s i64) (result i32)\n"
    "      (call $offset (local.get $s) (i32.const 0) (i32.const 544)) (i32.const 544))\n"
    "    (func (export \"debug\") (result i32) (call $debug (i32.const 576)) (i32.const 576))\n"
    "    (func (export \"exit\") (param i32) (call $exit (local.get 0)))\n"
    "  )\n"
    "  (core instance $mem0 (instantiate $Mem))\n"
    "  (core func $seed (canon lower (func $seed \"get-insecure-seed\") (memory $mem0 \"memory\")))\n"
    "  (core func $sys_now (canon lower (func $sys \"now\") (memory $mem0 \"memory\")))\n"
    "  (core func $sys_res (canon lower (func $sys \"get-resolution\")))\n"
    "  (core func $mono_now (canon lower (func $mono \"now\")))\n"
    "  (core func $mono_res (canon lower (func $mono \"get-resolution\")))\n"
    "  (core func $wait (canon lower (func $mono \"wait-for\")))\n"
    "  (core func $iana (canon lower (func $tz \"iana-id\") (memory $mem0 \"memory\")\n"
    "    (realloc (func $mem0 \"realloc\"))))\n"
    "  (core func $offset (canon lower (func $tz \"utc-offset\") (memory $mem0 \"memory\")))\n"
    "  (core func $debug (canon lower (func $tz \"to-debug-string\") (memory $mem0 \"memory\")\n"
    "    (realloc (func $mem0 \"realloc\"))))\n"
    "  (core func $exit (canon lower (func $exit \"exit-with-code\")))\n"
    "  (core func $tr (canon task.return (result u64)))\n"
    "  (core instance $m (instantiate $M (with \"h\" (instance (export \"memory\" (memory $mem0 \"memory\"))\n"
    "    (export \"seed\" (func $seed)) (export \"sys-now\" (func $sys_now)) (export \"sys-res\" (func $sys_res))\n"
    "    (export \"mono-now\" (func $mono_now)) (export \"mono-res\" (func $mono_res))\n"
    "    (export \"wait-for\" (func $wait)) (export \"iana\" (func $iana)) (export \"offset\" (func $offset))\n"
    "    (export \"debug\" (func $debug)) (export \"exit\" (func $exit)) (export \"task-return\" (func $tr))))))\n"
    "  (func (export \"seed-same\") (result bool) (canon lift (core func $m \"seed-same\")))\n"
    "  (func (export \"wall\") (result s64) (canon lift (core func $m \"wall\")))\n"
    "  (func (export \"sys-res\") (result u64) (canon lift (core func $m \"sys-res\")))\n"
    "  (func (export \"mono-res\") (result u64) (canon lift (core func $m \"mono-res\")))\n"
    /* Only an async task may block before it returns: a stackful one here. */
    "  (func (export \"sleep\") async (param \"ns\" u64) (result u64) (canon lift (core func $m \"sleep\") async))\n"
    "  (func (export \"iana\") (result (option string))\n"
    "    (canon lift (core func $m \"iana\") (memory $mem0 \"memory\")))\n"
    "  (func (export \"offset\") (param \"secs\" s64) (result (option s64))\n"
    "    (canon lift (core func $m \"offset\") (memory $mem0 \"memory\")))\n"
    "  (func (export \"debug\") (result string) (canon lift (core func $m \"debug\") (memory $mem0 \"memory\")))\n"
    "  (func (export \"exit\") (param \"code\" u8) (canon lift (core func $m \"exit\")))\n"
    ")\n";

typedef struct cx {
  kumi_store *store;
  kumi_component_instance *inst;
  const kumi_allocator *a;
} cx;

/* Calls export name with at most one argument; false (after a CHECK) on an error. */
static bool call(cx *c, const char *name, const kumi_cval *arg, kumi_cval *res) {
  *res = kumi_cval_bool(false);
  kumi_component_func *f = kumi_component_instance_func(c->inst, NULL, name);
  CHECKF(f != NULL, "no export %s", name);
  if (!f) return false;
  kumi_error *e = kumi_component_func_call(c->store, f, arg, arg ? 1 : 0, res, 1);
  CHECKF(!e, "%s: %s", name, e ? kumi_error_message(e) : "");
  kumi_error_free(e);
  return !e;
}

static uint64_t u64_of(cx *c, const char *name) {
  kumi_cval r;
  if (!call(c, name, NULL, &r)) return 0;
  uint64_t v = r.of.u;
  kumi_cval_free(c->a, &r);
  return v;
}

/* option<string> iana-id: *out is the name or "" for none. */
static void iana(cx *c, char *out, size_t n) {
  kumi_cval r;
  out[0] = 0;
  if (!call(c, "iana", NULL, &r)) return;
  CHECK(r.kind == KUMI_CV_OPTION);
  if (r.of.var.index == 1 && r.of.var.payload)
    h_fmt(out, n, "%.*s", (int)r.of.var.payload->of.str.len, r.of.var.payload->of.str.ptr);
  kumi_cval_free(c->a, &r);
}

/* utc-offset at secs; false for none. */
static bool offset(cx *c, int64_t secs, int64_t *ns) {
  kumi_cval arg = kumi_cval_int(KUMI_CV_S64, secs), r;
  if (!call(c, "offset", &arg, &r)) return false;
  bool some = r.kind == KUMI_CV_OPTION && r.of.var.index == 1 && r.of.var.payload;
  if (some) *ns = r.of.var.payload->of.s;
  kumi_cval_free(c->a, &r);
  return some;
}

static void debug_string(cx *c, char *out, size_t n) {
  kumi_cval r;
  out[0] = 0;
  if (!call(c, "debug", NULL, &r)) return;
  if (r.kind == KUMI_CV_STRING) h_fmt(out, n, "%.*s", (int)r.of.str.len, r.of.str.ptr);
  kumi_cval_free(c->a, &r);
}

static void set_tz(const char *tz) {
  if (tz) setenv("TZ", tz, 1);
  else unsetenv("TZ");
  tzset();
}

static void clock_checks(cx *c) {
  kumi_cval r;
  if (call(c, "seed-same", NULL, &r)) {
    CHECKF(r.kind == KUMI_CV_BOOL && r.of.b, "insecure-seed changed between two calls");
    kumi_cval_free(c->a, &r);
  }
  int64_t wall = (int64_t)u64_of(c, "wall"), host = (int64_t)time(NULL);
  CHECKF(wall >= host - 5 && wall <= host + 5, "system-clock now: %lld s, the host says %lld", (long long)wall,
         (long long)host);
  CHECK(u64_of(c, "sys-res") > 0);
  CHECK(u64_of(c, "mono-res") > 0);
  /* A synchronous lower of the async wait-for blocks the (stackful async) caller in the event loop. */
  kumi_cval ns = kumi_cval_int(KUMI_CV_U64, 20 * 1000 * 1000);
  if (call(c, "sleep", &ns, &r)) {
    CHECKF(r.of.u >= 20u * 1000 * 1000 && r.of.u < 5ull * 1000 * 1000 * 1000, "wait-for(20 ms) took %llu ns",
           (unsigned long long)r.of.u);
    kumi_cval_free(c->a, &r);
  }
  ns = kumi_cval_int(KUMI_CV_U64, 0);
  if (call(c, "sleep", &ns, &r)) kumi_cval_free(c->a, &r);

  /* timezone, under three settings of TZ. */
  const char *saved = getenv("TZ");
  char *keep = saved ? strdup(saved) : NULL;
  char id[128], dbg[128];
  int64_t off = 0;
  if (access("/usr/share/zoneinfo/Asia/Tokyo", R_OK) == 0 && !getenv("TZDIR")) {
    set_tz("Asia/Tokyo"); /* +09:00, no daylight saving time */
    iana(c, id, sizeof id);
    CHECKF(!strcmp(id, "Asia/Tokyo"), "iana-id '%s'", id);
    CHECK(offset(c, 1700000000, &off) && off == 9ll * 3600 * 1000000000);
    debug_string(c, dbg, sizeof dbg);
    CHECKF(!strcmp(dbg, "Asia/Tokyo"), "to-debug-string '%s'", dbg);
  }
  set_tz("XST-3:30"); /* a POSIX rule: an offset, but no IANA name */
  iana(c, id, sizeof id);
  CHECKF(id[0] == 0, "iana-id '%s' for a POSIX rule", id);
  CHECK(offset(c, 0, &off) && off == (3ll * 3600 + 1800) * 1000000000);
  debug_string(c, dbg, sizeof dbg);
  CHECKF(!strcmp(dbg, "+03:30"), "to-debug-string '%s'", dbg);
  set_tz("UTC0");
  CHECK(offset(c, -86400, &off) && off == 0);
  set_tz(keep);
  free(keep);

  /* exit-with-code: the call ends with that status. */
  kumi_component_func *f = kumi_component_instance_func(c->inst, NULL, "exit");
  kumi_cval code = kumi_cval_int(KUMI_CV_U8, 42);
  kumi_error *e = f ? kumi_component_func_call(c->store, f, &code, 1, NULL, 0) : NULL;
  CHECKF(e && kumi_error_kind_of(e) == KUMI_ERR_EXIT && kumi_error_exit_code(e) == 42, "exit-with-code(42): %s",
         e ? kumi_error_message(e) : "returned");
  kumi_error_free(e);
}

static void test_component(void) {
  const kumi_allocator *da = kb_default_allocator();
  uint8_t *bin = NULL;
  size_t blen = 0;
  kumi_error *e = text_parse_any(da, clocks_wat, strlen(clocks_wat), &bin, &blen);
  CHECKF(!e, "parse the component: %s", e ? kumi_error_message(e) : "");
  if (e) {
    kumi_error_free(e);
    return;
  }
  test_alloc ta;
  const kumi_allocator hook = test_alloc_init(&ta, -1);
  kumi_config config = {.allocator = &hook};
  kumi_engine *engine = kumi_engine_new(&config);
  comp_features feats = comp_features_all(); /* the stackful async lift of "sleep" */
  kumi_component *comp = comp_rt_new(engine, bin, blen, &feats, &e);
  kb_free(da, bin, blen);
  kumi_wasi_config *cfg = kumi_wasi_config_new(&hook);
  kumi_wasi *w = NULL;
  kumi_component_linker *l = NULL, *l2 = NULL;
  kumi_store *store = NULL;
  kumi_component_instance *inst = NULL;
  CHECKF(comp != NULL, "load: %s", e ? kumi_error_message(e) : "");
  if (!comp) goto done;
  if (!(w = kumi_wasi_new(cfg, &e))) goto done;
  l = kumi_component_linker_new(engine);
  l2 = kumi_component_linker_new(engine);
  /* Two linkers on one kumi_wasi: each gets its own part states. */
  if ((e = kumi_component_linker_add_wasi_p3(l2, w)) || (e = kumi_component_linker_add_wasi_p3(l, w))) goto done;
  store = kumi_store_new(engine, NULL);
  inst = kumi_component_linker_instantiate(l, store, comp, &e);
  CHECKF(inst != NULL, "instantiate: %s", e ? kumi_error_message(e) : "");
  if (inst) {
    cx c = {store, inst, &hook};
    clock_checks(&c);
  }
done:
  if (e) {
    CHECKF(false, "setup: %s", kumi_error_message(e));
    kumi_error_free(e);
  }
  kumi_component_instance_free(inst);
  kumi_store_free(store);
  kumi_component_linker_free(l);
  kumi_component_linker_free(l2);
  kumi_wasi_free(w);
  kumi_wasi_config_free(cfg);
  kumi_component_free(comp);
  kumi_engine_free(engine);
  CHECKF(test_alloc_clean(&ta), "component: %zu blocks live", ta.live_blocks);
}

/* ---- the suite's programs, with in-memory stdio ------------------------------------------ */

typedef struct prog {
  const char *name;
  const char *const *args; /* after argv[0] */
  const char *const *env;
  const char *in;          /* stdin bytes (NULL: none) */
  int exit_code;
  const char *out, *err;   /* expected captured output */
} prog;

static void test_programs(void) {
  char dir[PATH_MAX];
  if (!p3h_programs_dir(__FILE__, dir, sizeof dir)) return;
  static const char *const env_args[] = {"a", "b", "42", NULL};
  static const char *const env_env[] = {"foo=bar", "baz=42", NULL};
  static const prog progs[] = {
      {"cli-env", env_args, env_env, NULL, 0, "", ""},
      {"cli-exit", NULL, NULL, NULL, 1, "", ""},
      /* one NUL byte to each of stdout and stderr */
      {"cli-stdio", NULL, NULL, "", 0, NULL, NULL},
      {"cli-stdio-roundtrip", NULL, NULL, "Hello, world!", 0, "Hello, world!", "Hello, world!"},
      {"cli-stdout-flush", NULL, NULL, "x", 0, "READY", ""},
      {"cli-terminal", NULL, NULL, NULL, 0, "", ""},
      {"run-with-err", NULL, NULL, NULL, 1, "", ""},
      {"random", NULL, NULL, NULL, 0, "", ""},
      {"wall-clock", NULL, NULL, NULL, 0, "", ""},
      {"monotonic-clock", NULL, NULL, NULL, 0, "", ""},
      {"multi-clock-wait", NULL, NULL, NULL, 0, "", ""},
  };
  for (size_t i = 0; i < sizeof progs / sizeof progs[0]; i++) {
    const prog *p = &progs[i];
    char wasm[PATH_MAX], name[64];
    h_fmt(wasm, sizeof wasm, "%s/%s.wasm", dir, p->name);
    h_fmt(name, sizeof name, "%s.wasm", p->name);
    const char *argv[8] = {name};
    for (size_t k = 0; p->args && p->args[k] && k < 6; k++) argv[k + 1] = p->args[k];
    h_run r;
    memset(&r, 0, sizeof r);
    r.wasm = wasm;
    r.args = argv;
    r.env = p->env;
    r.stdin_data = p->in;
    r.stdin_len = p->in ? strlen(p->in) : 0;
    p3h_run(&r);
    const char *out = r.out.s ? r.out.s : "", *err = r.errout.s ? r.errout.s : "";
    bool ok = !r.err[0] && r.exit_code == p->exit_code;
    CHECKF(ok, "%s: exit %d, want %d; %s (stderr: %.300s)", p->name, r.exit_code, p->exit_code, r.err, err);
    if (p->out)
      CHECKF(r.out.len == strlen(p->out) && !memcmp(out, p->out, r.out.len), "%s: stdout '%.100s'", p->name, out);
    if (p->err)
      CHECKF(r.errout.len == strlen(p->err) && !memcmp(err, p->err, r.errout.len), "%s: stderr '%.100s'", p->name,
             err);
    if (!p->out) CHECKF(r.out.len == 1 && out[0] == 0 && r.errout.len == 1 && err[0] == 0, "%s: %zu and %zu bytes out",
                        p->name, r.out.len, r.errout.len);
    printf("%s %s\n", ok ? "ran" : "FAILED", p->name);
    h_run_free(&r);
  }
}

int main(void) {
  test_component();
  test_programs();
  return test_summary();
}
