/* Unit tests for the .wast script parser (src/text/wast.h): command kinds
 * and fields, value encodings (as wast2json writes them), error positions,
 * module forms parsed on demand, and allocation discipline (no leaks, and
 * clean failure when any allocation fails, or on truncated input). */
#include "text/wast.h"

#include "text_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool bytes_are(text_wast_bytes b, const char *s) { return b.p && b.len == strlen(s) && memcmp(b.p, s, b.len) == 0; }

static const char script[] =
    "(module $M (func (export \"f\") (param i32) (result i32) local.get 0))\n"
    "(register \"m\" $M)\n"
    "(assert_return (invoke $M \"f\" (i32.const -1)) (i32.const 0xffffffff))\n"
    "(assert_return (invoke \"g\") (f32.const nan:canonical) (f64.const -0x1p-1074)\n"
    "  (v128.const f32x4 1 nan:arithmetic -inf 0) (ref.null func) (ref.extern 7) (ref.extern))\n"
    "(assert_trap (invoke \"h\" (i64.const -2)) \"unreachable\")\n"
    "(assert_trap (module (start 0) (func unreachable)) \"unreachable\")\n"
    "(assert_exhaustion (invoke \"loop\") \"call stack exhausted\")\n"
    "(assert_malformed (module quote \"(func\") \"unexpected end\")\n"
    "(assert_invalid (module (func (result i32))) \"type mismatch\")\n"
    "(assert_unlinkable (module (import \"x\" \"y\" (func))) \"unknown import\")\n"
    "(module binary \"\\00asm\" \"\\01\\00\\00\\00\")\n"
    "(get \"g\\00x\")\n"
    "(module definition $D (memory 1))\n"
    "(module instance $I $D)\n";

static void test_commands(void) {
  const kumi_allocator *a = kb_default_allocator();
  text_wast_script sc;
  kumi_error *e = text_wast_parse(&sc, a, script, sizeof script - 1);
  if (e) fprintf(stderr, "%s\n", kumi_error_message(e));
  CHECK(e == NULL);
  if (e) {
    kumi_error_free(e);
    text_wast_free(&sc);
    return;
  }
  static const char *const types[] = {"module", "register", "assert_return", "assert_return",
                                      "assert_trap", "assert_uninstantiable", "assert_exhaustion",
                                      "assert_malformed", "assert_invalid", "assert_unlinkable",
                                      "module", "action", "module_definition", "module_instance"};
  static const uint32_t lines[] = {1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  CHECK(sc.ncmds == 14);
  for (size_t k = 0; k < sc.ncmds && k < 14; k++) {
    CHECK(strcmp(sc.cmds[k].type, types[k]) == 0);
    CHECK(sc.cmds[k].line == lines[k]);
  }
  if (sc.ncmds == 14) {
    const text_wast_cmd *c = sc.cmds;
    CHECK(bytes_are(c[0].name, "$M"));
    CHECK(bytes_are(c[1].as, "m") && bytes_are(c[1].name, "$M"));
    CHECK(bytes_are(c[2].action_module, "$M") && bytes_are(c[2].field, "f") && c[2].nargs == 1);
    CHECK(c[2].args[0].lanes[0] == 0xffffffffu && strcmp(c[2].args[0].type, "i32") == 0);
    CHECK(c[2].nexpected == 1 && c[2].expected[0].lanes[0] == 0xffffffffu);
    CHECK(c[3].nexpected == 6);
    if (c[3].nexpected == 6) {
      const text_wast_value *v = c[3].expected;
      CHECK(strcmp(v[0].type, "f32") == 0 && v[0].nan[0] == 1);
      CHECK(strcmp(v[1].type, "f64") == 0 && v[1].lanes[0] == 0x8000000000000001ull);
      CHECK(strcmp(v[2].type, "v128") == 0 && strcmp(v[2].lane_type, "f32") == 0 && v[2].nlanes == 4);
      CHECK(v[2].lanes[0] == 0x3f800000u && v[2].nan[1] == 2 && v[2].lanes[2] == 0xff800000u);
      CHECK(strcmp(v[3].type, "funcref") == 0 && v[3].is_null);
      CHECK(strcmp(v[4].type, "externref") == 0 && v[4].lanes[0] == 7 && !v[4].no_value);
      CHECK(v[5].no_value);
    }
    CHECK(c[4].args[0].lanes[0] == 0xfffffffffffffffeull && bytes_are(c[4].text, "unreachable"));
    CHECK(c[5].has_module && !c[5].has_action);
    CHECK(c[11].field.len == 3 && c[11].field.p[1] == 0);
    CHECK(bytes_are(c[13].name, "$I") && bytes_are(c[13].as, "$D") && !c[13].has_module);

    /* Modules parse on demand; a malformed one fails its own command. */
    uint8_t *bin;
    size_t n;
    e = text_wast_module(&sc, &c[0], &bin, &n);
    CHECK(e == NULL && n > 8);
    if (!e) kb_free(a, bin, n);
    e = text_wast_module(&sc, &c[7], &bin, &n);
    CHECK(e != NULL && kumi_error_kind_of(e) == KUMI_ERR_MALFORMED);
    if (e) kumi_error_free(e);
    e = text_wast_module(&sc, &c[10], &bin, &n);
    CHECK(e == NULL && n == 8);
    if (!e) kb_free(a, bin, n);
    e = text_wast_module(&sc, &c[12], &bin, &n);
    CHECK(e == NULL && n > 8);
    if (!e) kb_free(a, bin, n);
  }
  text_wast_free(&sc);
}

/* The error message of parsing src, or "" when it parses. */
static char msg[512];
static const char *error_of(const char *src) {
  text_wast_script sc;
  kumi_error *e = text_wast_parse(&sc, kb_default_allocator(), src, strlen(src));
  msg[0] = 0;
  if (e) snprintf(msg, sizeof msg, "%s", kumi_error_message(e));
  if (e) kumi_error_free(e);
  text_wast_free(&sc);
  return msg;
}

static void test_errors(void) {
  CHECK(strncmp(error_of("(module)\n(assert_return (invoke \"f\"\n   (i32.const x)))"), "3:15:", 5) == 0);
  CHECK(strncmp(error_of("(module)\n  (assert_trap (invoke \"f\"))"), "2:28:", 5) == 0);
  CHECK(strncmp(error_of("(register)"), "1:10:", 5) == 0);
  CHECK(strncmp(error_of("(assert_return (invoke \"f\") (v128.const i8x3 1))"), "1:41:", 5) == 0);
  CHECK(strncmp(error_of("(module"), "1:1:", 4) == 0);
  CHECK(error_of("(module $m)")[0] == 0);
  CHECK(error_of("(func) (memory 1)")[0] == 0); /* a bare module */
  CHECK(error_of("")[0] == 0);
  CHECK(error_of(")")[0] != 0);
  CHECK(error_of("(assert_return (invoke \"f\") (i32.const 1) 5)")[0] != 0);
}

/* Every allocation failure gives an error without leaks; every prefix of
 * the script parses or fails cleanly. */
static bool parse_op(const kumi_allocator *a, void *ctx) {
  (void)ctx;
  text_wast_script sc;
  kumi_error *e = text_wast_parse(&sc, a, script, sizeof script - 1);
  if (e) kumi_error_free(e);
  text_wast_free(&sc);
  return e == NULL;
}

static void test_alloc_and_truncation(void) {
  text_check_alloc_failures("script", parse_op, NULL, true);
  text_wast_script sc;
  kumi_error *e;
  /* Allocation failures while a module form is parsed (plain and
   * `definition`). */
  for (size_t m = 0; m < 2; m++) {
    test_alloc d;
    kumi_allocator da = test_alloc_init(&d, -1);
    e = text_wast_parse(&sc, &da, script, sizeof script - 1);
    CHECK(e == NULL && sc.ncmds == 14);
    if (e) {
      kumi_error_free(e);
      text_wast_free(&sc);
      continue;
    }
    const text_wast_cmd *cmd = &sc.cmds[m ? 12 : 0];
    long base = d.allocs, need = 0;
    uint8_t *bin;
    size_t bl;
    e = text_wast_module(&sc, cmd, &bin, &bl);
    CHECK(e == NULL);
    if (!e) kb_free(&da, bin, bl);
    need = d.allocs - base;
    for (long f = 1; f <= need; f++) {
      d.fail_after = d.allocs + f - 1;
      e = text_wast_module(&sc, cmd, &bin, &bl);
      d.fail_after = -1;
      CHECK(e != NULL);
      if (e) kumi_error_free(e);
      else kb_free(&da, bin, bl);
    }
    text_wast_free(&sc);
    CHECK(test_alloc_clean(&d));
  }
  for (size_t n = 0; n < sizeof script - 1; n++) {
    test_alloc d;
    kumi_allocator da = test_alloc_init(&d, -1);
    e = text_wast_parse(&sc, &da, script, n);
    if (e) kumi_error_free(e);
    for (size_t k = 0; !e && k < sc.ncmds; k++) {
      uint8_t *bin;
      size_t bl;
      kumi_error *me = text_wast_module(&sc, &sc.cmds[k], &bin, &bl);
      if (me) kumi_error_free(me);
      else if (sc.cmds[k].has_module) kb_free(&da, bin, bl);
    }
    text_wast_free(&sc);
    CHECKF(test_alloc_clean(&d), "leak for a prefix of %zu bytes", n);
  }
}

int main(void) {
  test_commands();
  test_errors();
  test_alloc_and_truncation();
  return test_summary();
}
