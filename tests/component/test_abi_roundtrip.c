/* Property tests for the Canonical ABI and WAVE: for generated nested types
 * and generated values, value -> lower_flat -> lift_flat, value -> store ->
 * load, value -> lower_flat_values -> lift_flat_values (with and without
 * the spill to memory) and value -> WAVE -> value give back the value, in
 * 32- and 64-bit memories and all three string encodings. Plus WAVE unit
 * cases, and a counting allocator that checks that nothing leaks, also when
 * allocation fails part-way. */
#include "component/abi.h"

/* A property that fails may fail thousands of times: report the first few. */
#define TEST_MAX_REPORTS 19
#include "../test.h"

#include "abi_gen.h"

/* The way back of a round trip of v: e, the error of the lift, load or
 * parse that made back; back must equal v, and also_ok hold. Frees e or
 * back. step and what name the check (what: "<type> (mode n)"). */
static void check_back(const char *step, const char *what, kumi_error *e, const kumi_cval *v, kumi_cval *back,
                       bool also_ok) {
  CHECKF(!e, "%s %s: %s", step, what, e ? kumi_error_message(e) : "");
  if (e) {
    kumi_error_free(e);
    return;
  }
  CHECKF(also_ok && kumi_cval_equal(v, back), "%s round trip of %s", step, what);
  kumi_cval_free(kb_default_allocator(), back);
}

static void roundtrips(const comp_types *ts, comp_vt vt, const kumi_cval *v, const char *tname) {
  const kumi_allocator *a = kb_default_allocator();
  mem m = {calloc(1, 1 << 16), 1 << 16, 16};
  for (int mode = 0; mode < 6; mode++) {
    char what[300];
    snprintf(what, sizeof what, "%s (mode %d)", tname, mode);
    bool mem64 = mode & 1;
    uint8_t enc = (uint8_t)(mode / 2);
    m.next = 16;
    abi_cx cx = make_cx(&m, ts, a, mem64, enc);
    abi_vals fv = {0};
    kumi_cval back;
    kumi_error *e = abi_lower_flat(&cx, vt, v, &fv);
    CHECKF(!e, "lower %s: %s", what, e ? kumi_error_message(e) : "");
    if (!e) {
      abi_iter it = {fv.items, fv.len, 0};
      e = abi_lift_flat(&cx, vt, &it, &back);
      check_back("lower/lift", what, e, v, &back, it.i == fv.len);
    } else {
      kumi_error_free(e);
    }
    kb_vec_free(a, &fv);

    uint64_t ptr = 8 * 1024;
    uint32_t al = abi_align(ts, vt, mem64);
    ptr = (ptr + al - 1) / al * al;
    e = abi_store(&cx, vt, v, ptr);
    CHECKF(!e, "store %s: %s", what, e ? kumi_error_message(e) : "");
    if (!e) check_back("store/load", what, abi_load(&cx, vt, ptr, &back), v, &back, true);
    else kumi_error_free(e);

    /* three copies as parameters: spilled at max_flat 1, maybe not at 16 */
    comp_vt ts3[3] = {vt, vt, vt};
    kumi_cval vs3[3] = {*v, *v, *v}, got[3];
    for (uint32_t max_flat = 1; max_flat <= 16; max_flat += 15) {
      m.next = 16 * 1024;
      abi_vals f3 = {0};
      e = abi_lower_flat_values(&cx, max_flat, ts3, vs3, 3, NULL, &f3);
      CHECKF(!e, "lower_flat_values %s: %s", what, e ? kumi_error_message(e) : "");
      if (!e) {
        abi_iter it = {f3.items, f3.len, 0};
        e = abi_lift_flat_values(&cx, max_flat, ts3, 3, &it, got);
        if (e) check_back("flat values", what, e, v, NULL, true);
        for (int i = 0; !e && i < 3; i++) check_back("flat values", what, NULL, v, &got[i], true);
      } else {
        kumi_error_free(e);
      }
      kb_vec_free(a, &f3);
    }
  }
  free(m.data);

  /* WAVE */
  wave_buf wb = {0};
  bool ok = wave_print(a, ts, vt, v, &wb);
  CHECKF(ok, "wave_print %s", tname);
  if (ok) {
    kumi_cval back;
    kumi_error *e = wave_parse(a, ts, vt, wb.items, wb.len, &back);
    CHECKF(!e, "wave_parse %s of %.*s: %s", tname, (int)wb.len, wb.items, e ? kumi_error_message(e) : "");
    if (!e) {
      CHECKF(kumi_cval_equal(v, &back), "WAVE round trip of %s: %.*s", tname, (int)wb.len, wb.items);
      kumi_cval_free(a, &back);
    } else {
      kumi_error_free(e);
    }
  }
  kb_vec_free(a, &wb);
}

/* ---- WAVE unit cases ---------------------------------------------------------------- */

typedef struct env {
  comp_types ts;
  abi_typestr_cx p;
} env;

static comp_vt ty(env *E, const char *s) {
  comp_vt vt = {0, 0};
  char err[200];
  bool ok = abi_typestr_parse(&E->p, s, strlen(s), &vt, err, sizeof err);
  CHECKF(ok, "type %s: %s", s, err);
  return vt;
}

/* Parses text as type, prints it back, and compares with want (NULL: the
 * parse must fail). */
static void wave_case(env *E, const char *type, const char *text, const char *want) {
  comp_vt vt = ty(E, type);
  kumi_cval v;
  kumi_error *e = wave_parse(NULL, &E->ts, vt, text, strlen(text), &v);
  if (!want) {
    CHECKF(e != NULL, "WAVE %s should not parse as %s", text, type);
    if (e) kumi_error_free(e);
    else kumi_cval_free(NULL, &v);
    return;
  }
  CHECKF(!e, "WAVE %s as %s: %s", text, type, e ? kumi_error_message(e) : "");
  if (e) {
    kumi_error_free(e);
    return;
  }
  wave_buf b = {0};
  bool ok = wave_print(NULL, &E->ts, vt, &v, &b);
  CHECKF(ok && b.len == strlen(want) && memcmp(b.items, want, b.len) == 0, "WAVE %s printed as %.*s, want %s", text,
         (int)b.len, b.items, want);
  kb_vec_free(kb_default_allocator(), &b);
  kumi_cval_free(NULL, &v);
}

/* WAVE unit cases: text parsed as type prints as want (NULL: the parse
 * must fail). */
static const struct wave_unit {
  const char *type, *text, *want;
} wave_unit_cases[] = {
    {"record{a: u32, b: string}", "{a: 1, b: \"x\"}", "{a: 1, b: \"x\"}"},
    {"record{a: u32, b: string}", "{ b: \"x\" , a: 1, }", "{a: 1, b: \"x\"}"},
    {"record{a: u32, b: option<u8>}", "{a: 1}", "{a: 1, b: none}"},
    {"record{a: option<u32>}", "{:}", "{a: none}"},
    {"list<u8>", "[1, 2]", "[1, 2]"},
    {"list<u8>", "[ ]", "[]"},
    {"list<u8, 2>", "[1, 2]", "[1, 2]"},
    {"list<u8, 2>", "[1]", NULL},
    {"option<u8>", "some(3)", "some(3)"},
    {"option<u8>", "3", "some(3)"},
    {"option<u8>", "none", "none"},
    {"option<option<u8>>", "some(none)", "some(none)"},
    {"result<string, u8>", "ok(\"y\")", "ok(\"y\")"},
    {"result<string, u8>", "\"y\"", "ok(\"y\")"},
    {"result<string, u8>", "err(7)", "err(7)"},
    {"result", "ok", "ok"},
    {"result<_, u8>", "err(1)", "err(1)"},
    {"enum{enum-case, none, b}", "%enum-case", "enum-case"},
    {"enum{enum-case, none, b}", "%none", "%none"},
    {"enum{enum-case, none, b}", "none", "%none"},
    {"variant{a(u8), b, true}", "a(5)", "a(5)"},
    {"variant{a(u8), b, true}", "b", "b"},
    {"variant{a(u8), b, true}", "%true", "%true"},
    {"variant{a(u8), b, true}", "b(1)", NULL},
    {"variant{a(u8), b, true}", "a", NULL},
    {"flags{flag-a, flag-b, c}", "{flag-a, flag-b}", "{flag-a, flag-b}"},
    {"flags{flag-a, flag-b, c}", "{c, flag-a}", "{flag-a, c}"},
    {"flags{flag-a, flag-b, c}", "{}", "{}"},
    {"flags{flag-a, flag-b, c}", "{d}", NULL},
    {"tuple<u8, string>", "(1, \"x\")", "(1, \"x\")"},
    {"tuple<u8, string>", "(1)", NULL},
    {"bool", "true", "true"},
    {"bool", "false // a comment", "false"},
    {"s8", "-128", "-128"},
    {"s8", "128", NULL},
    {"u8", "256", NULL},
    {"u8", "-1", NULL},
    {"u8", "01", NULL},
    {"u64", "18446744073709551615", "18446744073709551615"},
    {"u64", "18446744073709551616", NULL},
    {"s64", "-9223372036854775808", "-9223372036854775808"},
    {"f64", "3.14", "3.14"},
    {"f64", "6.022e+23", "6.022e+23"},
    {"f64", "-inf", "-inf"},
    {"f32", "nan", "nan"},
    {"f32", "0.1", "0.1"},
    {"f64", "1.", NULL},
    {"char", "'x'", "'x'"},
    {"char", "'\\''", "'\\''"},
    {"char", "'\\u{0}'", "'\\u{0}'"},
    {"char", "'\\u{d800}'", NULL},
    {"char", "'\xe2\x98\x83'", "'\xe2\x98\x83'"},
    {"string", "\"abc\\t123\"", "\"abc\\t123\""},
    {"string", "\"a\\\"b\\\\c\\u{1F600}\"", "\"a\\\"b\\\\c\xf0\x9f\x98\x80\""},
    {"string", "\"unterminated", NULL},
    {"map<string, u8>", "{\"a\": 1, \"b\": 2}", "{\"a\": 1, \"b\": 2}"},
    {"map<string, u8>", "{}", "{}"},
    {"u8", "1 2", NULL},
    {"own<R>", "1", NULL},
};

static void wave_units(env *E) {
  for (size_t i = 0; i < sizeof wave_unit_cases / sizeof wave_unit_cases[0]; i++)
    wave_case(E, wave_unit_cases[i].type, wave_unit_cases[i].text, wave_unit_cases[i].want);

  /* calls */
  const char *call = "  my:pkg/iface@1.2.3#f (1, \"x\", [some(2), none])";
  size_t off, nlen, aoff;
  bool ok = wave_call_name(call, strlen(call), &off, &nlen, &aoff);
  CHECKF(ok && nlen == strlen("my:pkg/iface@1.2.3#f") && memcmp(call + off, "my:pkg/iface@1.2.3#f", nlen) == 0,
         "wave_call_name");
  comp_tid ft;
  char err[200];
  const char *fs = "func(a: u8, b: string, c: list<option<u32>>) -> u8";
  ok = ok && abi_typestr_parse_func(&E->p, fs, strlen(fs), &ft, err, sizeof err);
  CHECKF(ok, "functype");
  if (ok) {
    kumi_cval args[3];
    kumi_error *e = wave_parse_args(NULL, &E->ts, comp_ty(&E->ts, ft), call + aoff, strlen(call + aoff), args);
    CHECKF(!e, "wave_parse_args: %s", e ? kumi_error_message(e) : "");
    if (!e) {
      CHECKF(args[0].of.u == 1 && args[1].of.str.len == 1 && args[2].of.agg.len == 2, "call arguments");
      for (int i = 0; i < 3; i++) kumi_cval_free(NULL, &args[i]);
    } else {
      kumi_error_free(e);
    }
    static const char *const bad[] = {"(1, \"x\")", "(1, \"x\", [], 4)", "(1, \"x\", []", "1, \"x\", []"};
    for (int i = 0; i < 4; i++) {
      e = wave_parse_args(NULL, &E->ts, comp_ty(&E->ts, ft), bad[i], strlen(bad[i]), args);
      CHECKF(e != NULL, "bad call %s parsed", bad[i]);
      if (e) kumi_error_free(e);
    }
  }
}

/* ---- allocation failure: no crash, no leak ------------------------------------------------ */

static void oom_cases(env *E) {
  comp_vt vt = ty(E, "list<record{a: string, b: option<list<u16>>, c: variant{x(string), y}}>");
  const char *text = "[{a: \"hello\", b: some([1, 2, 3]), c: x(\"w\")}, {a: \"\", b: none, c: y}]";
  for (long n = 0; n < 200; n++) {
    test_alloc c;
    kumi_allocator a = test_alloc_init(&c, n);
    kumi_cval v;
    kumi_error *e = wave_parse(&a, &E->ts, vt, text, strlen(text), &v);
    if (!e) {
      /* the value parsed: lower and lift it under the same failing allocator */
      mem m = {calloc(1, 4096), 4096, 16};
      abi_cx cx = make_cx(&m, &E->ts, &a, false, ABI_UTF8);
      abi_vals fv = {0};
      kumi_error *e2 = abi_lower_flat(&cx, vt, &v, &fv);
      if (!e2) {
        abi_iter it = {fv.items, fv.len, 0};
        kumi_cval back;
        e2 = abi_lift_flat(&cx, vt, &it, &back);
        if (!e2) {
          CHECKF(kumi_cval_equal(&v, &back), "oom round trip");
          kumi_cval_free(&a, &back);
        }
      }
      if (e2) kumi_error_free(e2);
      kb_vec_free(&a, &fv);
      free(m.data);
      kumi_cval_free(&a, &v);
    } else {
      kumi_error_free(e);
    }
    CHECKF(test_alloc_clean(&c), "leak with allocation failing after %ld", n);
  }
}

/* Random memory and random core values: lifting and loading either works
 * or traps; never a crash, never a leak. */
static void garbage(const comp_types *ts, comp_vt vt, const char *tname) {
  test_alloc c;
  kumi_allocator a = test_alloc_init(&c, -1);
  mem m = {malloc(512), 512, 16};
  for (int round = 0; round < 20; round++) {
    for (int i = 0; i < 512; i++) m.data[i] = (uint8_t)(below(4) ? below(4) : rnd());
    abi_cx cx = make_cx(&m, ts, &a, round & 1, (uint8_t)below(3));
    kumi_cval v;
    kumi_error *e = abi_load(&cx, vt, below(600), &v);
    if (!e) kumi_cval_free(&a, &v);
    else kumi_error_free(e);
    kumi_val flat[40];
    for (int i = 0; i < 40; i++) {
      uint64_t x = below(3) ? below(300) : rnd();
      flat[i] = below(2) ? kumi_val_i32((int32_t)x) : kumi_val_i64((int64_t)x);
    }
    abi_iter it = {flat, below(41), 0};
    e = abi_lift_flat(&cx, vt, &it, &v);
    if (!e) kumi_cval_free(&a, &v);
    else kumi_error_free(e);
  }
  free(m.data);
  CHECKF(test_alloc_clean(&c), "leak lifting garbage as %s", tname);
}

/* ---- sync canon lift / canon lower calls ------------------------------------------------ */

typedef struct callenv {
  abi_cx *cx;
  const comp_type *ft;
  int post_returns;
} callenv;

/* A guest function echoing (s, xs) as its tuple result, as core code would:
 * reads its flat arguments and returns a pointer to the stored result. */
static kumi_error *guest_echo(void *ud, const kumi_val *args, size_t nargs, kumi_val *results, size_t nresults) {
  callenv *c = ud;
  comp_vt pt[3] = {c->ft->fields[0].type, c->ft->fields[1].type, c->ft->fields[2].type};
  kumi_cval vals[3];
  abi_iter it = {args, nargs, 0};
  kumi_error *e = abi_lift_flat_values(c->cx, ABI_MAX_FLAT_PARAMS, pt, 3, &it, vals);
  if (e) return e;
  kumi_cval tup;
  kumi_cval_agg(NULL, KUMI_CV_TUPLE, 2, &tup);
  tup.of.agg.items[0] = vals[0];
  tup.of.agg.items[1] = vals[1];
  kumi_cval_free(NULL, &vals[2]);
  abi_vals out = {0};
  e = abi_lower_flat_values(c->cx, 0, &c->ft->result, &tup, 1, NULL, &out);
  if (!e && nresults == 1 && out.len == 1) results[0] = out.items[0];
  else if (!e) e = kb_error(NULL, KUMI_ERR_ARG, KUMI_NO_OFFSET, "unexpected result count");
  kumi_cval_free(NULL, &tup);
  kb_vec_free(kb_default_allocator(), &out);
  return e;
}

static kumi_error *guest_post_return(void *ud, const kumi_val *args, size_t nargs, kumi_val *r, size_t nr) {
  callenv *c = ud;
  c->post_returns += nargs == 1;
  return NULL;
}

static kumi_error *host_echo(void *ud, const kumi_cval *args, size_t nargs, kumi_cval *result) {
  kumi_cval_agg(NULL, KUMI_CV_TUPLE, 2, result);
  kumi_cval_clone(NULL, &args[0], &result->of.agg.items[0]);
  kumi_cval_clone(NULL, &args[1], &result->of.agg.items[1]);
  return NULL;
}

static void call_cases(env *E) {
  const char *fs = "func(s: string, xs: list<u32>, r: record{a: u8, b: f64}) -> tuple<string, list<u32>>";
  comp_tid fid;
  char err[200];
  if (!abi_typestr_parse_func(&E->p, fs, strlen(fs), &fid, err, sizeof err)) {
    CHECKF(false, "functype: %s", err);
    return;
  }
  const comp_type *ft = comp_ty(&E->ts, fid);
  const char *argtext = "(\"h\\u{e9}llo\", [1, 2, 3], {a: 7, b: 2.5})";
  kumi_cval args[3], want;
  kumi_error *e = wave_parse_args(NULL, &E->ts, ft, argtext, strlen(argtext), args);
  CHECKF(!e, "call args");
  if (e) {
    kumi_error_free(e);
    return;
  }
  e = wave_parse(NULL, &E->ts, ft->result, "(\"h\\u{e9}llo\", [1, 2, 3])", strlen("(\"h\\u{e9}llo\", [1, 2, 3])"), &want);
  CHECKF(!e, "want");
  for (int mode = 0; mode < 6; mode++) {
    mem m = {calloc(1, 4096), 4096, 16};
    abi_cx cx = make_cx(&m, &E->ts, kb_default_allocator(), mode & 1, (uint8_t)(mode / 2));
    callenv c = {&cx, ft, 0};
    kumi_cval res;
    e = abi_canon_lift_call(&cx, ft, args, &res, guest_echo, guest_post_return, &c);
    CHECKF(!e, "canon lift call: %s", e ? kumi_error_message(e) : "");
    if (!e) {
      CHECKF(kumi_cval_equal(&res, &want) && c.post_returns == 1, "canon lift call result (mode %d)", mode);
      kumi_cval_free(NULL, &res);
    } else {
      kumi_error_free(e);
    }
    /* canon lower: the guest lowers its arguments and passes a return pointer */
    abi_vals core = {0}, results = {0};
    comp_vt pt[3] = {ft->fields[0].type, ft->fields[1].type, ft->fields[2].type};
    e = abi_lower_flat_values(&cx, ABI_MAX_FLAT_PARAMS, pt, args, 3, NULL, &core);
    uint64_t retptr = 2048;
    kb_vec_push(kb_default_allocator(), &core, cx.mem64 ? kumi_val_i64((int64_t)retptr) : kumi_val_i32((int32_t)retptr));
    if (!e) e = abi_canon_lower_call(&cx, ft, core.items, core.len, &results, host_echo, NULL);
    CHECKF(!e && results.len == 0, "canon lower call: %s", e ? kumi_error_message(e) : "");
    if (e) {
      kumi_error_free(e);
    } else {
      kumi_cval got;
      e = abi_load(&cx, ft->result, retptr, &got);
      CHECKF(!e && kumi_cval_equal(&got, &want), "canon lower call result (mode %d)", mode);
      if (!e) kumi_cval_free(NULL, &got);
      else kumi_error_free(e);
    }
    kb_vec_free(kb_default_allocator(), &core);
    kb_vec_free(kb_default_allocator(), &results);
    free(m.data);
  }
  for (int i = 0; i < 3; i++) kumi_cval_free(NULL, &args[i]);
  kumi_cval_free(NULL, &want);
}

int main(void) {
  env E;
  comp_types_init(&E.ts, kb_default_allocator());
  abi_typestr_init(&E.p, &E.ts);
  wave_units(&E);
  oom_cases(&E);
  call_cases(&E);
  {
    /* the reference implementation's borrow check is wrong on these (vectors
     * README): neither flags nor error-context can contain a borrow */
    static const char *const ok_types[] = {"stream<flags{a}>", "future<error-context>", "stream<u8>",
                                           "future<list<own<R>>>", "map<string, borrow<R>>"};
    for (int i = 0; i < 5; i++) {
      char err[100];
      CHECKF(abi_typestr_check(&E.ts, ty(&E, ok_types[i]), err, sizeof err), "%s rejected: %s", ok_types[i], err);
    }
  }
  {
    /* values that do not match their type: an argument error, not a crash */
    comp_vt vt = ty(&E, "record{a: u8, b: option<string>}");
    mem m = {calloc(1, 256), 256, 16};
    abi_cx cx = make_cx(&m, &E.ts, kb_default_allocator(), false, ABI_UTF8);
    kumi_cval bad[3];
    kumi_cval_agg(NULL, KUMI_CV_RECORD, 1, &bad[0]);
    kumi_cval_agg(NULL, KUMI_CV_RECORD, 2, &bad[1]); /* b is a bool, not an option */
    bad[1].of.agg.items[0] = kumi_cval_int(KUMI_CV_U8, 1);
    bad[2] = kumi_cval_int(KUMI_CV_U8, 1);
    for (int i = 0; i < 3; i++) {
      abi_vals fv = {0};
      kumi_error *e = abi_lower_flat(&cx, vt, &bad[i], &fv);
      CHECKF(e && kumi_error_kind_of(e) == KUMI_ERR_ARG, "mismatched value %d", i);
      if (e) kumi_error_free(e);
      e = abi_store(&cx, vt, &bad[i], 8);
      CHECKF(e && kumi_error_kind_of(e) == KUMI_ERR_ARG, "mismatched value %d (store)", i);
      if (e) kumi_error_free(e);
      kb_vec_free(kb_default_allocator(), &fv);
      kumi_cval_free(NULL, &bad[i]);
    }
    free(m.data);
  }
  int ntypes = 400, nvalues = 5;
  for (int i = 0; i < ntypes; i++) {
    sbuf b = {0};
    sput(&b, "");
    gen_type(&b, 4);
    comp_vt vt;
    char err[200];
    bool ok = abi_typestr_parse(&E.p, b.items, b.len, &vt, err, sizeof err);
    CHECKF(ok, "generated type %s: %s", b.items, err);
    if (ok) garbage(&E.ts, vt, b.items);
    for (int k = 0; ok && k < nvalues; k++) {
      kumi_cval v;
      gen_value(&E.ts, vt, &v, 3);
      roundtrips(&E.ts, vt, &v, b.items);
      kumi_cval_free(NULL, &v);
    }
    kb_vec_free(kb_default_allocator(), &b);
  }
  abi_typestr_free(&E.p);
  comp_types_free(&E.ts);
  return test_summary();
}
