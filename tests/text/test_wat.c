/* Unit tests for src/text: the lexer, literal conversion, the module parser
 * (bytes compared with hand-encoded binaries), error positions, and
 * allocation discipline (no leaks, and clean failure when any allocation
 * fails). */
#include "text/lex.h"
#include "text/wat.h"
#include "text/text.h"

#include "text_harness.h"

#include <stdio.h>
#include <stdlib.h>

/* Parses src; on success compares with want (module body after the 8-byte
 * header) when given. Returns the error message (static copy) or NULL. */
static char last_error[512];
static const char *parse(const char *src, uint8_t **out, size_t *out_len) {
  const kumi_allocator *a = kb_default_allocator();
  kumi_error *e = text_parse_wat(a, src, strlen(src), out, out_len);
  if (!e) return NULL;
  snprintf(last_error, sizeof last_error, "%s", kumi_error_message(e));
  kumi_error_free(e);
  return last_error;
}

static bool parses_to(const char *src, const uint8_t *want, size_t want_len) {
  uint8_t *out;
  size_t len;
  const char *err = parse(src, &out, &len);
  if (err) {
    fprintf(stderr, "unexpected error: %s\n  in: %s\n", err, src);
    return false;
  }
  static const uint8_t header[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  bool ok = len == want_len + 8 && memcmp(out, header, 8) == 0 && memcmp(out + 8, want, want_len) == 0;
  if (!ok) {
    fprintf(stderr, "mismatch for %s\n  got:", src);
    for (size_t k = 8; k < len; k++) fprintf(stderr, " %02x", out[k]);
    fprintf(stderr, "\n");
  }
  kb_free(kb_default_allocator(), out, len);
  return ok;
}
#define PARSES_TO(src, ...) parses_to(src, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

/* True when parsing fails with a message containing want. */
static bool fails_with(const char *src, const char *want) {
  uint8_t *out;
  size_t len;
  const char *err = parse(src, &out, &len);
  if (!err) {
    kb_free(kb_default_allocator(), out, len);
    fprintf(stderr, "expected failure (%s): %s\n", want, src);
    return false;
  }
  if (!strstr(err, want)) {
    fprintf(stderr, "expected \"%s\", got \"%s\"\n", want, err);
    return false;
  }
  return true;
}

/* ---- lexer ---- */

static size_t lex(kb_arena *ar, const char *src, text_token **t) {
  size_t n = 0;
  kumi_error *e = text_lex(ar, src, strlen(src), t, &n);
  if (e) {
    kumi_error_free(e);
    return 0;
  }
  return n;
}

static void test_lexer(void) {
  kb_arena ar;
  kb_arena_init(&ar, kb_default_allocator());
  text_token *t;
  size_t n = lex(&ar, "(func $f;;c\n (; a (; nested ;) ;)i32.const -0x1_0 1.5e3 nan:0x7f inf \"a\\n\\u{1F600}\\41\")",
                 &t);
  CHECK(n == 11);
  if (n == 11) {
    CHECK(t[0].kind == TK_LPAR && t[1].kind == TK_KEYWORD && t[2].kind == TK_ID);
    CHECK(t[2].slen == 1 && t[2].str[0] == 'f');
    CHECK(t[3].kind == TK_KEYWORD && t[4].kind == TK_INT && t[5].kind == TK_FLOAT);
    CHECK(t[6].kind == TK_FLOAT && t[7].kind == TK_FLOAT);
    CHECK(t[8].kind == TK_STRING && t[8].slen == 7 && memcmp(t[8].str, "a\n\xF0\x9F\x98\x80" "A", 7) == 0);
    CHECK(t[9].kind == TK_RPAR && t[10].kind == TK_EOF);
  }
  n = lex(&ar, "$\"a b\" (@custom \"x\" (nested)) 0x1_ 1__2 0x 1e 12", &t);
  CHECK(n == 7);
  if (n == 7) {
    CHECK(t[0].kind == TK_ID && t[0].slen == 3 && memcmp(t[0].str, "a b", 3) == 0);
    CHECK(t[1].kind == TK_RESERVED && t[2].kind == TK_RESERVED && t[3].kind == TK_RESERVED);
    CHECK(t[4].kind == TK_RESERVED && t[5].kind == TK_NAT);
  }
  CHECK(text_classify_number((const uint8_t *)"0x1.8p-3", 8) == TK_FLOAT);
  CHECK(text_classify_number((const uint8_t *)"+1_000", 6) == TK_INT);
  CHECK(text_classify_number((const uint8_t *)"1.", 2) == TK_FLOAT);
  CHECK(text_classify_number((const uint8_t *)"0x.8", 4) == TK_RESERVED);
  CHECK(text_classify_number((const uint8_t *)"-nan:0x1", 8) == TK_FLOAT);
  /* Tokens must be separated. */
  CHECK(lex(&ar, "$l\"a\"", &t) == 0);
  CHECK(lex(&ar, "\"a\"\"b\"", &t) == 0);
  CHECK(lex(&ar, "(; unclosed", &t) == 0);
  CHECK(lex(&ar, "\"unclosed", &t) == 0);
  CHECK(lex(&ar, "\"\\u{D800}\"", &t) == 0);
  CHECK(lex(&ar, "\"\\x\"", &t) == 0);
  CHECK(lex(&ar, "\"tab\tin string\"", &t) == 0);
  kb_arena_free(&ar);
}

/* ---- literals ---- */

static bool f32_is(const char *s, uint32_t want) {
  uint32_t bits = 0;
  const char *why = text_f32(kb_default_allocator(), (const uint8_t *)s, strlen(s), &bits);
  if (why || bits != want) fprintf(stderr, "f32 %s: got %08x (%s), want %08x\n", s, bits, why ? why : "ok", want);
  return !why && bits == want;
}

static bool f64_is(const char *s, uint64_t want) {
  uint64_t bits = 0;
  const char *why = text_f64(kb_default_allocator(), (const uint8_t *)s, strlen(s), &bits);
  return !why && bits == want;
}

static void test_literals(void) {
  uint64_t v;
  CHECK(!text_int((const uint8_t *)"-1", 2, 32, &v) && v == 0xFFFFFFFFu);
  CHECK(!text_int((const uint8_t *)"0xffff_ffff", 11, 32, &v) && v == 0xFFFFFFFFu);
  CHECK(!text_int((const uint8_t *)"-0x80000000", 11, 32, &v) && v == 0x80000000u);
  CHECK(text_int((const uint8_t *)"-0x80000001", 11, 32, &v) != NULL);
  CHECK(text_int((const uint8_t *)"4294967296", 10, 32, &v) != NULL);
  CHECK(!text_int((const uint8_t *)"18446744073709551615", 20, 64, &v) && v == UINT64_MAX);
  CHECK(text_int((const uint8_t *)"18446744073709551616", 20, 64, &v) != NULL);
  CHECK(!text_int((const uint8_t *)"-9223372036854775808", 20, 64, &v) && v == 0x8000000000000000u);
  CHECK(text_nat((const uint8_t *)"+1", 2, 32, &v) != NULL);

  CHECK(f32_is("1.5", 0x3FC00000));
  CHECK(f32_is("-0", 0x80000000));
  CHECK(f32_is("0x1p-149", 0x00000001));
  CHECK(f32_is("0x1.fffffep127", 0x7F7FFFFF));
  CHECK(f32_is("nan", 0x7FC00000));
  CHECK(f32_is("-nan:0x1", 0xFF800001));
  CHECK(f32_is("+inf", 0x7F800000));
  CHECK(f32_is("1_000.0_1", 0x447A00A4));
  /* Halfway between 1 and 1+2^-23, plus a tiny bit: rounds up only if read
   * directly as f32 (through f64 it would round to the tie, then to even). */
  CHECK(f32_is("1.000000059604644775390625000000000001", 0x3F800001));
  CHECK(f32_is("0x1.000001000000000000001p0", 0x3F800001));
  CHECK(f32_is("0x1.000001p0", 0x3F800000)); /* a tie: to even */
  CHECK(f32_is("0x1.fffffefffffffffffp127", 0x7F7FFFFF));
  uint32_t b32;
  CHECK(text_f32(kb_default_allocator(), (const uint8_t *)"0x1.ffffffp127", 14, &b32) != NULL);
  CHECK(text_f32(kb_default_allocator(), (const uint8_t *)"1e39", 4, &b32) != NULL);
  CHECK(text_f32(kb_default_allocator(), (const uint8_t *)"nan:0x800000", 12, &b32) != NULL);
  CHECK(text_f32(kb_default_allocator(), (const uint8_t *)"nan:0x0", 7, &b32) != NULL);
  CHECK(f64_is("0x1p-1074", 1));
  CHECK(f64_is("0.1", 0x3FB999999999999Aull));
  CHECK(f64_is("nan:0xf_ffff_ffff_ffff", 0x7FFFFFFFFFFFFFFFull));
  CHECK(f64_is("-0x1.fffffffffffffp1023", 0xFFEFFFFFFFFFFFFFull));
  uint64_t b64;
  CHECK(text_f64(kb_default_allocator(), (const uint8_t *)"1e309", 5, &b64) != NULL);
}

/* ---- modules ---- */

static void test_modules(void) {
  CHECK(PARSES_TO("(module)"));
  CHECK(PARSES_TO(""));
  /* Function with named params, folded add, inline export. */
  CHECK(PARSES_TO("(module (func $add (export \"add\") (param $a i32) (param $b i32) (result i32)"
                  "  (i32.add (local.get $a) (local.get $b))))",
                  1, 7, 1, 0x60, 2, 0x7F, 0x7F, 1, 0x7F,  /* type */
                  3, 2, 1, 0,                             /* func */
                  7, 7, 1, 3, 'a', 'd', 'd', 0, 0,        /* export */
                  10, 9, 1, 7, 0, 0x20, 0, 0x20, 1, 0x6A, 0x0B, /* code */
                  /* name: functions (1), then locals (2): function 0 names 0 and 1 */
                  0, 24, 4, 'n', 'a', 'm', 'e', 1, 6, 1, 0, 3, 'a', 'd', 'd', 2, 9, 1, 0, 2, 0, 1, 'a', 1, 1, 'b'));
  /* Implicit types reuse an explicit one defined later; imports come first. */
  CHECK(PARSES_TO("(import \"m\" \"f\" (func (param i32))) (func (param i32)) (type (func (param i32)))",
                  1, 5, 1, 0x60, 1, 0x7F, 0,             /* one type */
                  2, 7, 1, 1, 'm', 1, 'f', 0, 0,          /* import */
                  3, 2, 1, 0, 10, 4, 1, 2, 0, 0x0B));
  /* Blocks, labels, br_table, if/else in both forms, select with type. */
  CHECK(PARSES_TO("(func (result i32) block $a loop $b (br_table $a $b 0 (i32.const 0)) end end"
                  " (if (result i32) (i32.const 1) (then (i32.const 2)) (else (i32.const 3)))"
                  " i32.const 0 if $x end $x"
                  " (select (result i32) (i32.const 1) (i32.const 2) (i32.const 3)))",
                  1, 5, 1, 0x60, 0, 1, 0x7F, 3, 2, 1, 0, 10, 41, 1, 39, 0,
                  0x02, 0x40, 0x03, 0x40, 0x41, 0, 0x0E, 2, 1, 0, 0, 0x0B, 0x0B,
                  0x41, 1, 0x04, 0x7F, 0x41, 2, 0x05, 0x41, 3, 0x0B,
                  0x41, 0, 0x04, 0x40, 0x0B,
                  0x41, 1, 0x41, 2, 0x41, 3, 0x1C, 1, 0x7F, 0x0B,
                  /* name: labels (3) of function 0, numbered by block in body order: the
                   * unnamed folded if is block 2, so $x is 3 */
                  0, 19, 4, 'n', 'a', 'm', 'e', 3, 12, 1, 0, 3, 0, 1, 'a', 1, 1, 'b', 3, 1, 'x'));
  /* A folded if's condition comes first in the binary, so its blocks number first. */
  CHECK(PARSES_TO("(func (if $i (block $c (result i32) (i32.const 1)) (then)))",
                  1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 12, 1, 10, 0, 0x02, 0x7F, 0x41, 1, 0x0B, 0x04, 0x40, 0x0B, 0x0B,
                  0, 16, 4, 'n', 'a', 'm', 'e', 3, 9, 1, 0, 2, 0, 1, 'c', 1, 1, 'i'));
  /* Memory with inline data, memarg, bulk memory (data count section). */
  CHECK(PARSES_TO("(memory (data \"ab\")) (func (drop (i64.load16_s offset=3 align=1 (i32.const 0)))"
                  " (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 2)) (data.drop 0))",
                  1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 5, 4, 1, 1, 1, 1, 12, 1, 1,
                  10, 23, 1, 21, 0, 0x41, 0, 0x32, 0, 3, 0x1A, 0x41, 0, 0x41, 0, 0x41, 2, 0xFC, 8, 0, 0, 0xFC, 9, 0,
                  0x0B, 11, 8, 1, 0, 0x41, 0, 0x0B, 2, 'a', 'b'));
  /* Table with inline elem; passive, declarative and expression segments.
   * Each segment keeps the binary form its text asks for (as wasm-tools
   * encodes; the spec leaves the form open): a named table means flags 2/6
   * even for table 0, `reftype expr*` means expressions (flags 4-7) even
   * when every item is ref.func (wabt folds both into flag 0). */
  CHECK(PARSES_TO("(table $t funcref (elem $f)) (func $f) (elem func $f) (elem declare func 0)"
                  " (elem externref (ref.null extern)) (elem (table $t) (offset (i32.const 1)) funcref (ref.func $f))",
                  1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 4, 5, 1, 0x70, 1, 1, 1,
                  9, 31, 5, 0, 0x41, 0, 0x0B, 1, 0, 1, 0, 1, 0, 3, 0, 1, 0, 5, 0x6F, 1, 0xD0, 0x6F, 0x0B,
                  6, 0, 0x41, 1, 0x0B, 0x70, 1, 0xD2, 0, 0x0B,
                  10, 4, 1, 2, 0, 0x0B, 0, 17, 4, 'n', 'a', 'm', 'e', 1, 4, 1, 0, 1, 'f', 5, 4, 1, 0, 1, 't'));
  /* All eight element segment forms, each from the text that asks for it. */
  CHECK(PARSES_TO("(table 1 funcref) (table 1 externref) (func)"
                  " (elem (i32.const 0) func 0) (elem func 0) (elem (table 0) (i32.const 0) func 0) (elem declare func 0)"
                  " (elem (i32.const 0) funcref (ref.func 0)) (elem funcref (ref.func 0))"
                  " (elem (table 1) (i32.const 0) externref (ref.null extern)) (elem declare funcref (ref.null func))",
                  1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 4, 7, 2, 0x70, 0, 1, 0x6F, 0, 1,
                  9, 53, 8,
                  0, 0x41, 0, 0x0B, 1, 0,                      /* 0: active, table 0, indices */
                  1, 0, 1, 0,                                  /* 1: passive, indices */
                  2, 0, 0x41, 0, 0x0B, 0, 1, 0,                /* 2: active, explicit table, indices */
                  3, 0, 1, 0,                                  /* 3: declarative, indices */
                  4, 0x41, 0, 0x0B, 1, 0xD2, 0, 0x0B,          /* 4: active, table 0, expressions */
                  5, 0x70, 1, 0xD2, 0, 0x0B,                   /* 5: passive, expressions */
                  6, 1, 0x41, 0, 0x0B, 0x6F, 1, 0xD0, 0x6F, 0x0B, /* 6: active, explicit table, expressions */
                  7, 0x70, 1, 0xD0, 0x70, 0x0B,                /* 7: declarative, expressions */
                  10, 4, 1, 2, 0, 0x0B));
  /* Globals, start, constants. */
  CHECK(PARSES_TO("(global $g (mut f32) (f32.const -0x1p1)) (global i64 i64.const -1) (func $s) (start $s)",
                  1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 6, 14, 2, 0x7D, 1, 0x43, 0, 0, 0, 0xC0, 0x0B, 0x7E, 0, 0x42, 0x7F,
                  0x0B, 8, 1, 0, 10, 4, 1, 2, 0, 0x0B, 0, 17, 4, 'n', 'a', 'm', 'e', 1, 4, 1, 0, 1, 's', 7, 4, 1, 0, 1,
                  'g'));
  /* Module name; binary and quote modules. */
  CHECK(PARSES_TO("(module $m)", 0, 9, 4, 'n', 'a', 'm', 'e', 0, 2, 1, 'm'));
  CHECK(PARSES_TO("(module binary \"\\00asm\" \"\\01\\00\\00\\00\" \"\\01\\04\\01\\60\\00\\00\")", 1, 4, 1, 0x60, 0, 0));
  CHECK(PARSES_TO("(module quote \"(type\" \" (func))\")", 1, 4, 1, 0x60, 0, 0));
  /* Locals, run-length encoded; call_indirect with an inline type. */
  CHECK(PARSES_TO("(table 0 funcref) (func (local i32 i32) (local $x i64) (local)"
                  " (call_indirect (param i32) (local.get $x) (i32.const 0)))",
                  1, 8, 2, 0x60, 0, 0, 0x60, 1, 0x7F, 0, 3, 2, 1, 0, 4, 4, 1, 0x70, 0, 0,
                  10, 15, 1, 13, 2, 2, 0x7F, 1, 0x7E, 0x20, 2, 0x41, 0, 0x11, 1, 0, 0x0B,
                  0, 13, 4, 'n', 'a', 'm', 'e', 2, 6, 1, 0, 1, 2, 1, 'x')); /* local 2 of function 0 */
}

/* (@custom "name" place? string*): custom sections where their placement
 * puts them; the name section of the identifiers right after the last other
 * section; other annotations skipped. */
static void test_custom_sections(void) {
  /* No placement: after everything. */
  CHECK(PARSES_TO("(module (@custom \"a\" \"x\" \"y\") (func))", 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 4, 1, 2, 0, 0x0B,
                  0, 4, 1, 'a', 'x', 'y'));
  /* Placements, in any textual position; an absent section still orders. */
  CHECK(PARSES_TO("(@custom \"b\" (before first) \"1\") (@custom \"c\" (after type) \"2\")"
                  " (@custom \"d\" (before code) \"\") (@custom \"e\" (after last) \"\") (type (func)) (func)"
                  " (@custom \"f\" (after import) \"\")",
                  0, 3, 1, 'b', '1', 1, 4, 1, 0x60, 0, 0, 0, 3, 1, 'c', '2', 0, 2, 1, 'f', 3, 2, 1, 0, 0, 2, 1, 'd',
                  10, 4, 1, 2, 0, 0x0B, 0, 2, 1, 'e'));
  CHECK(PARSES_TO("(@custom \"s\" (after data) \"\") (@custom \"t\" (after datacount) \"\") (@custom \"u\" (before elem) \"\")"
                  " (func)",
                  1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 0, 2, 1, 'u', 0, 2, 1, 't', 10, 4, 1, 2, 0, 0x0B, 0, 2, 1, 's'));
  /* The identifiers' name section comes before custom sections placed after
   * the last section. */
  CHECK(PARSES_TO("(module $m (@custom \"p\" (after code) \"z\") (func))", 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 4, 1, 2,
                  0, 0x0B, 0, 9, 4, 'n', 'a', 'm', 'e', 0, 2, 1, 'm', 0, 3, 1, 'p', 'z'));
  /* A (@custom "name") replaces the identifiers' name section. */
  CHECK(PARSES_TO("(module $m (@custom \"name\" \"\\00\\02\\01n\") (func $f))", 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 4, 1,
                  2, 0, 0x0B, 0, 9, 4, 'n', 'a', 'm', 'e', 0, 2, 1, 'n'));
  /* Other annotations, and annotations inside fields, are skipped. */
  CHECK(PARSES_TO("(@foo (bar \"x\")) (func (@custom \"in\" \"\"))", 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 4, 1, 2, 0, 0x0B));
  CHECK(PARSES_TO("(@custom \"\")", 0, 1, 0));
  CHECK(fails_with("(@custom \"a\" (after bogus) \"\")", "1:21: custom annotation: malformed placement"));
  CHECK(fails_with("(@custom \"a\" (before last) \"\")", "custom annotation: malformed placement"));
  CHECK(fails_with("(@custom \"a\" (after) \"\")", "custom annotation: malformed placement"));
  CHECK(fails_with("(@custom)", "1:1: custom annotation: expected a section name"));
  CHECK(fails_with("(@custom \"a\" 1)", "custom annotation: unexpected token"));
  CHECK(fails_with("(@custom \"a\" \"x\" (after type))", "custom annotation: unexpected token"));
  CHECK(fails_with("(@custom \"a\"", "unclosed annotation"));
}

static void test_errors(void) {
  CHECK(fails_with("(module\n  (func (i32.add0)))", "2:10: unknown operator i32.add0"));
  CHECK(fails_with("(func (br $nope))", "unknown label"));
  CHECK(fails_with("(func (local.get $nope))", "unknown local"));
  CHECK(fails_with("(func (call $nope))", "unknown function"));
  CHECK(fails_with("(func $f) (func $f)", "duplicate func"));
  CHECK(fails_with("(func (param $x i32) (local $x i32))", "duplicate local"));
  CHECK(fails_with("(func) (import \"m\" \"n\" (func))", "import after function"));
  CHECK(fails_with("(global i32 (i32.const 0)) (func (import \"m\" \"n\"))", "import after global"));
  CHECK(fails_with("(type $t (func)) (func (type $t) (param i32))", "inline function type"));
  CHECK(fails_with("(func (type 9) (param i32))", "unknown type"));
  CHECK(fails_with("(func (i32.const 4294967296))", "constant out of range"));
  CHECK(fails_with("(func (f32.const 1e40))", "constant out of range"));
  CHECK(fails_with("(func (i32.const 0x1_))", "unknown operator"));
  CHECK(fails_with("(memory 1) (func (i32.load align=3 (i32.const 0)))", "alignment"));
  CHECK(fails_with("(func block $a end $b)", "mismatching label"));
  CHECK(fails_with("(func block end $b)", "mismatching label"));
  CHECK(fails_with("(func block)", "expected end"));
  CHECK(fails_with("(func end)", "unexpected token end"));
  CHECK(fails_with("(func) (start 0) (start 0)", "multiple start sections"));
  CHECK(fails_with("(import \"\\ff\" \"n\" (func))", "malformed UTF-8 encoding"));
  CHECK(fails_with("(module (func)", "expected )"));
  CHECK(fails_with("(module) (module)", "unexpected token"));
  CHECK(fails_with("(module quote \"(func (nop\")", "in quoted module"));
  CHECK(fails_with("(func (call_indirect (param $x i32)))", "unexpected token"));
  CHECK(fails_with("(frob)", "unknown module field"));
  /* Deep nesting is an error, not a stack overflow. */
  size_t depth = 5000;
  char *deep = malloc(depth * 6 + 32);
  if (deep) {
    strcpy(deep, "(func ");
    for (size_t k = 0; k < depth; k++) strcat(deep + k * 5, "(nop ");
    for (size_t k = 0; k < depth; k++) strcat(deep, ")");
    strcat(deep, ")");
    CHECK(fails_with(deep, "nested too deeply"));
    free(deep);
  }
}

/* Proposals: SIMD, tail calls, multi-memory, extended constant expressions
 * (expected bytes from wat2wasm --enable-all, which agrees on all 615
 * modules of those conformance groups). */
static void test_proposals(void) {
  /* (ref null func) / (ref null extern): the typed-references spelling of
   * funcref / externref, in tables, params and element segments */
  CHECK(PARSES_TO("(table 1 (ref null func)) (table 2 (ref null extern))", 0x04, 0x07, 0x02, 0x70, 0x00, 0x01, 0x6F,
                  0x00, 0x02));
  CHECK(PARSES_TO("(func (param (ref null extern)))", 0x01, 0x05, 0x01, 0x60, 0x01, 0x6F, 0x00, 0x03, 0x02, 0x01, 0x00,
                  0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B));
  CHECK(fails_with("(table 1 (ref func))", "expected a reference type"));
  /* SIMD: v128.const in every shape, lanes, shuffle, memory lanes. */
  CHECK(PARSES_TO("(memory 1) (func (param v128) (result v128) (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 31 "
                  "(local.get 0) (v128.const i8x16 -1 0 1 2 3 4 5 6 7 8 9 10 11 12 13 255)) (i16x8.replace_lane 7 "
                  "(i32.const 5)) (v128.const i16x8 -32768 1 2 3 4 5 6 65535) i8x16.add (f32x4.extract_lane 3 "
                  "(v128.const f32x4 1 -0 nan inf)) (f32x4.splat) (v128.const i64x2 -1 0x7fffffffffffffff) (v128.const "
                  "f64x2 0x1p-1074 -nan) (v128.const i32x4 1 2 3 4) v128.bitselect v128.bitselect (v128.load8_lane 15 "
                  "(i32.const 0)) (v128.store32_lane offset=4 align=2 3 (i32.const 0)) (v128.load64_zero align=1 "
                  "(i32.const 0)) i16x8.abs v128.any_true i8x16.splat)",
                  0x01, 0x06, 0x01, 0x60, 0x01, 0x7B, 0x01, 0x7B, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x0A,
                  0xB0, 0x01, 0x01, 0xAD, 0x01, 0x00, 0x20, 0x00, 0xFD, 0x0C, 0xFF, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
                  0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0xFF, 0xFD, 0x0D, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                  0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x1F, 0x41, 0x05, 0xFD, 0x1A, 0x07, 0xFD, 0x0C, 0x00, 0x80, 0x01,
                  0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00, 0x05, 0x00, 0x06, 0x00, 0xFF, 0xFF, 0xFD, 0x6E, 0xFD, 0x0C, 0x00,
                  0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0xC0, 0x7F, 0x00, 0x00, 0x80, 0x7F, 0xFD, 0x1F, 0x03,
                  0xFD, 0x13, 0xFD, 0x0C, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                  0xFF, 0x7F, 0xFD, 0x0C, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                  0xF8, 0xFF, 0xFD, 0x0C, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00,
                  0x00, 0x00, 0xFD, 0x52, 0xFD, 0x52, 0x41, 0x00, 0xFD, 0x54, 0x00, 0x00, 0x0F, 0x41, 0x00, 0xFD, 0x5A, 0x01,
                  0x04, 0x03, 0x41, 0x00, 0xFD, 0x5D, 0x00, 0x00, 0xFD, 0x80, 0x01, 0xFD, 0x53, 0xFD, 0x0F, 0x0B));
  /* Tail calls. */
  CHECK(PARSES_TO("(type $t (func (result i32))) (table 1 funcref) (func (result i32) (return_call 0)) (func (result "
                  "i32) (return_call_indirect (type $t) (i32.const 0)))",
                  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7F, 0x03, 0x03, 0x02, 0x00, 0x00, 0x04, 0x04, 0x01, 0x70, 0x00, 0x01,
                  0x0A, 0x0E, 0x02, 0x04, 0x00, 0x12, 0x00, 0x0B, 0x07, 0x00, 0x41, 0x00, 0x13, 0x00, 0x00, 0x0B,
                  0, 11, 4, 'n', 'a', 'm', 'e', 4, 4, 1, 0, 1, 't')); /* type names (4) */
  /* Multi-memory: memory indices on loads, stores, memory.* and lanes. */
  CHECK(PARSES_TO("(memory $a 1) (memory $b 2) (data (memory $b) (i32.const 0) \"x\") (func (param i32) (result i32) "
                  "(i32.load8_u $b offset=3 (local.get 0)) (i32.store 1 (i32.const 0) (memory.size $b)) (drop "
                  "(memory.grow 0 (i32.const 1))) (memory.copy $a $b (i32.const 0) (i32.const 0) (i32.const 0)) "
                  "(memory.fill $b (i32.const 0) (i32.const 0) (i32.const 0)) (v128.load8_lane $b 1 (i32.const 0) "
                  "(v128.const i64x2 0 0)) (v128.load16_lane 1 2 (i32.const 0)) (v128.store $b offset=5) drop)",
                  0x01, 0x06, 0x01, 0x60, 0x01, 0x7F, 0x01, 0x7F, 0x03, 0x02, 0x01, 0x00, 0x05, 0x05, 0x02, 0x00, 0x01, 0x00,
                  0x02, 0x0A, 0x52, 0x01, 0x50, 0x00, 0x20, 0x00, 0x2D, 0x40, 0x01, 0x03, 0x41, 0x00, 0x3F, 0x01, 0x36, 0x42,
                  0x01, 0x00, 0x41, 0x01, 0x40, 0x00, 0x1A, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xFC, 0x0A, 0x00, 0x01, 0x41,
                  0x00, 0x41, 0x00, 0x41, 0x00, 0xFC, 0x0B, 0x01, 0x41, 0x00, 0xFD, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFD, 0x54, 0x40, 0x01, 0x00, 0x01, 0x41, 0x00,
                  0xFD, 0x55, 0x41, 0x01, 0x00, 0x02, 0xFD, 0x0B, 0x44, 0x01, 0x05, 0x1A, 0x0B, 0x0B, 0x08, 0x01, 0x02, 0x01,
                  0x41, 0x00, 0x0B, 0x01, 0x78,
                  0, 14, 4, 'n', 'a', 'm', 'e', 6, 7, 2, 0, 1, 'a', 1, 1, 'b')); /* memory names (6) */
  /* Extended constant expressions. */
  CHECK(PARSES_TO("(global $g i32 (i32.const 1)) (global i64 (i64.mul (i64.const 2) (i64.sub (i64.const 5) (i64.const "
                  "3)))) (global i32 (i32.add (global.get $g) (i32.const 2)))",
                  0x06, 0x19, 0x03, 0x7F, 0x00, 0x41, 0x01, 0x0B, 0x7E, 0x00, 0x42, 0x02, 0x42, 0x05, 0x42, 0x03, 0x7D, 0x7E,
                  0x0B, 0x7F, 0x00, 0x23, 0x00, 0x41, 0x02, 0x6A, 0x0B,
                  0, 11, 4, 'n', 'a', 'm', 'e', 7, 4, 1, 0, 1, 'g')); /* global names (7) */
  /* A lone number after a lane instruction is its lane; two are memory and lane. */
  CHECK(PARSES_TO("(memory 1) (func (v128.store8_lane 1 (i32.const 0) (v128.const i32x4 0 0 0 0)))",
                  1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 5, 3, 1, 0, 1, 10, 29, 1, 27, 0, 0x41, 0, 0xFD, 0x0C, 0, 0, 0, 0,
                  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFD, 0x58, 0, 0, 1, 0x0B));
  CHECK(fails_with("(func (v128.const i32x4 1 2 3))", "wrong number of lane literals"));
  CHECK(fails_with("(func (v128.const i32x4 1 2 3 4 5))", "wrong number of lane literals"));
  CHECK(fails_with("(func (v128.const i16x8 1 2 3 4 5 6 7 1.5))", "wrong number of lane literals"));
  CHECK(fails_with("(func (v128.const i8x16 256 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0))", "constant out of range"));
  CHECK(fails_with("(func (v128.const 0 0 0 0))", "unexpected token"));
  CHECK(fails_with("(func (v128.const i32x2 0 0))", "unexpected token"));
  CHECK(fails_with("(func (i8x16.extract_lane_s 256 (local.get 0)))", "malformed lane index"));
  CHECK(fails_with("(func (i8x16.extract_lane_s -1 (local.get 0)))", "unexpected token"));
  CHECK(fails_with("(func (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14))", "invalid lane length"));
  CHECK(fails_with("(func (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16))", "invalid lane length"));
  CHECK(fails_with("(func (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 -1))", "malformed lane index"));
  CHECK(fails_with("(memory 1) (func (i32.load $nope (i32.const 0)))", "unknown memory"));
  CHECK(fails_with("(memory 1) (func (v128.load8_lane (i32.const 0)))", "expected a lane index"));
}

/* Exception handling: the tag index space (definitions, imports, exports,
 * names in subsection 11), the tag section between memory and global,
 * throw (a tag index), throw_ref, try_table with every catch kind (labels
 * resolved outside the try_table) in folded and flat form, exnref. */
static void test_exceptions(void) {
  CHECK(PARSES_TO("(import \"m\" \"t\" (tag $a (param i32))) (tag $b (export \"b\")) (export \"a\" (tag $a))",
                  0x01, 0x08, 0x02, 0x60, 0x01, 0x7F, 0x00, 0x60, 0x00, 0x00,          /* types */
                  0x02, 0x08, 0x01, 0x01, 'm', 0x01, 't', 0x04, 0x00, 0x00,           /* tag import */
                  0x0D, 0x03, 0x01, 0x00, 0x01,                                       /* tag section */
                  0x07, 0x09, 0x02, 0x01, 'b', 0x04, 0x01, 0x01, 'a', 0x04, 0x00,     /* exports */
                  0, 14, 4, 'n', 'a', 'm', 'e', 11, 7, 2, 0, 1, 'a', 1, 1, 'b')); /* tag names (11) */
  /* The tag section sits after memory and before global. */
  CHECK(PARSES_TO("(global i32 (i32.const 0)) (tag (type 0)) (memory 1) (type (func))",
                  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x0D, 0x03, 0x01, 0x00, 0x00,
                  0x06, 0x06, 0x01, 0x7F, 0x00, 0x41, 0x00, 0x0B));
  CHECK(PARSES_TO("(tag $e) (func (local exnref)"
                  "  (block $o (try_table $t (catch $e $o) (catch_ref $e 0) (catch_all 1) (catch_all_ref $o) (throw $e)))"
                  "  (ref.null exn) throw_ref"
                  "  block $p try_table (catch_all $p) throw $e end end)",
                  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x0D, 0x03, 0x01, 0x00, 0x00,
                  0x0A, 0x27, 0x01, 0x25, 0x01, 0x01, 0x69,            /* one exnref local */
                  0x02, 0x40, 0x1F, 0x40, 0x04,                        /* block, try_table, 4 catches */
                  0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x02, 0x01, 0x03, 0x00,
                  0x08, 0x00, 0x0B, 0x0B, 0xD0, 0x69, 0x0A,            /* throw, ends, ref.null exn, throw_ref */
                  0x02, 0x40, 0x1F, 0x40, 0x01, 0x02, 0x00, 0x08, 0x00, 0x0B, 0x0B, 0x0B,
                  0, 25, 4, 'n', 'a', 'm', 'e',
                  3, 12, 1, 0, 3, 0, 1, 'o', 1, 1, 't', 2, 1, 'p',   /* labels (try_table counts as a block) */
                  11, 4, 1, 0, 1, 'e'));
  CHECK(PARSES_TO("(func (param exnref (ref null exn)) (result i32) (try_table (result i32) (i32.const 1)))",
                  0x01, 0x07, 0x01, 0x60, 0x02, 0x69, 0x69, 0x01, 0x7F, 0x03, 0x02, 0x01, 0x00,
                  0x0A, 0x0A, 0x01, 0x08, 0x00, 0x1F, 0x7F, 0x00, 0x41, 0x01, 0x0B, 0x0B));
  CHECK(fails_with("(func (throw $nope))", "unknown tag $nope"));
  CHECK(fails_with("(func $f (throw $f))", "unknown tag $f")); /* not a function index */
  CHECK(fails_with("(tag $e) (func (try_table $l (catch_all $l)))", "unknown label $l"));
  CHECK(fails_with("(tag $e) (func (try_table (catch $e)))", "unexpected token")); /* no label */
  CHECK(fails_with("(tag $e) (tag $e)", "duplicate tag $e"));
}

/* Modules inside a script: the form API used by the wast runner. */
static void test_script_forms(void) {
  static const char src[] = "(module $a (func)) (assert_return (invoke \"f\")) (module binary \"\\00asm\\01\\00\\00\\00\")";
  const kumi_allocator *a = kb_default_allocator();
  kb_arena ar;
  kb_arena_init(&ar, a);
  text_token *t;
  size_t n, i = 0, name;
  CHECK(text_lex(&ar, src, sizeof src - 1, &t, &n) == NULL);
  text_buf out;
  tb_init(&out, a);
  CHECK(wat_parse_module_form(a, src, sizeof src - 1, t, n, &i, &out, &name) == NULL);
  CHECK(name == 2 && t[name].slen == 1 && t[name].str[0] == 'a');
  CHECK(t[i].kind == TK_LPAR && wat_is_kw(&t[i + 1], "assert_return"));
  CHECK(out.len == 35);
  i = 14;
  CHECK(wat_is_kw(&t[i + 1], "module"));
  out.len = 0;
  CHECK(wat_parse_module_form(a, src, sizeof src - 1, t, n, &i, &out, &name) == NULL);
  CHECK(name == SIZE_MAX && out.len == 8 && t[i].kind == TK_EOF);
  i = 0;
  CHECK(text_lex(&ar, "(module (func (frob)))", 22, &t, &n) == NULL);
  kumi_error *e = wat_parse_module_form(a, "(module (func (frob)))", 22, t, n, &i, &out, &name);
  CHECK(e && i == 0 && strstr(kumi_error_message(e), "1:16: unknown operator frob"));
  kumi_error_free(e);
  tb_free(&out);
  kb_arena_free(&ar);
}

/* Parses the text ctx through a, the binary or error freed. */
static bool parse_op(const kumi_allocator *a, void *ctx) {
  const char *src = ctx;
  uint8_t *out;
  size_t len;
  kumi_error *e = text_parse_wat(a, src, strlen(src), &out, &len);
  if (e) {
    kumi_error_free(e);
    return false;
  }
  kb_free(a, out, len);
  return true;
}

/* Every allocation failure point yields an error, never a crash or a leak. */
static void test_allocation(void) {
  static const char src[] =
      "(module $m (type $t (func (param i32))) (import \"a\" \"b\" (func $i (type $t)))"
      " (memory (export \"mem\") (data \"hello\")) (table funcref (elem $f))"
      " (global $g (mut i32) (i32.const 1))"
      " (func $f (export \"f\") (param $p i32) (result i32) (local $l f64)"
      "   (block $b (result i32) (br_table $b $b (i32.const 1) (local.get $p))))"
      " (elem declare func $f) (data \"x\") (start $f2) (func $f2 (f32.const 1.5) drop))";
  text_check_alloc_failures("module", parse_op, (void *)src, false);
  /* Errors are freed without leaks too. */
  test_alloc c;
  kumi_allocator a = test_alloc_init(&c, -1);
  uint8_t *out;
  size_t len;
  kumi_error *e = text_parse_wat(&a, "(func (br 9) (frob))", 20, &out, &len);
  CHECK(e != NULL);
  kumi_error_free(e);
  CHECK(test_alloc_clean(&c));
}

int main(void) {
  test_lexer();
  test_literals();
  test_modules();
  test_custom_sections();
  test_errors();
  test_proposals();
  test_exceptions();
  test_script_forms();
  test_allocation();
  return test_summary();
}
