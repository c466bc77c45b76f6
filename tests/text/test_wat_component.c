/* Unit tests for the component text format (src/text/wat_component*.c):
 * bytes compared with hand-encoded binaries, abbreviations against their
 * expanded forms, errors with line:column, the output validated by the
 * component validator, and allocation discipline (no leaks; a clean OOM
 * error whichever allocation fails). */
#include "component/component.h"
#include "text/text.h"

#include "../test.h"

static char last_error[512];

/* Parses src; the error message (static copy) or NULL. */
static const char *parse(const char *src, uint8_t **out, size_t *out_len) {
  kumi_error *e = text_parse_component(kb_default_allocator(), src, strlen(src), out, out_len);
  if (!e) return NULL;
  snprintf(last_error, sizeof last_error, "%s", kumi_error_message(e));
  kumi_error_free(e);
  *out = NULL;
  *out_len = 0;
  return last_error;
}

static const uint8_t preamble[8] = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};

/* src parses to the preamble followed by want. */
static bool parses_to(const char *src, const uint8_t *want, size_t want_len) {
  uint8_t *out;
  size_t len;
  const char *err = parse(src, &out, &len);
  if (err) {
    fprintf(stderr, "  parse error: %s\n", err);
    return false;
  }
  bool ok = len == 8 + want_len && memcmp(out, preamble, 8) == 0 && (!want_len || memcmp(out + 8, want, want_len) == 0);
  if (!ok) {
    fprintf(stderr, "  got:");
    for (size_t i = 8; i < len; i++) fprintf(stderr, " %02x", out[i]);
    fprintf(stderr, "\n");
  }
  kb_free(kb_default_allocator(), out, len);
  return ok;
}

/* Both texts parse, to the same bytes. */
static bool same_binary(const char *a, const char *b) {
  uint8_t *x, *y;
  size_t xn, yn;
  const char *ea = parse(a, &x, &xn);
  if (ea) {
    fprintf(stderr, "  first: %s\n", ea);
    return false;
  }
  const char *eb = parse(b, &y, &yn);
  if (eb) {
    fprintf(stderr, "  second: %s\n", eb);
    kb_free(kb_default_allocator(), x, xn);
    return false;
  }
  bool ok = xn == yn && memcmp(x, y, xn) == 0;
  kb_free(kb_default_allocator(), x, xn);
  kb_free(kb_default_allocator(), y, yn);
  return ok;
}

/* src parses and the component validates (all features). */
static bool valid(const char *src) {
  uint8_t *out;
  size_t len;
  const char *err = parse(src, &out, &len);
  if (err) {
    fprintf(stderr, "  parse error: %s\n", err);
    return false;
  }
  comp_features f = comp_features_all();
  kumi_error *e = comp_validate_bytes(kb_default_allocator(), out, len, &f);
  if (e) {
    fprintf(stderr, "  invalid: %s\n", kumi_error_message(e));
    kumi_error_free(e);
  }
  kb_free(kb_default_allocator(), out, len);
  return e == NULL;
}

/* src fails with a message starting with prefix ("LINE:COL: ..."). */
static bool fails_with(const char *src, const char *prefix) {
  uint8_t *out;
  size_t len;
  const char *err = parse(src, &out, &len);
  if (!err) {
    kb_free(kb_default_allocator(), out, len);
    fprintf(stderr, "  parsed, expected \"%s...\"\n", prefix);
    return false;
  }
  if (strncmp(err, prefix, strlen(prefix)) != 0) {
    fprintf(stderr, "  got \"%s\", expected \"%s...\"\n", err, prefix);
    return false;
  }
  return true;
}

static void test_encodings(void) {
  CHECK(parses_to("(component)", NULL, 0));
  /* Identifiers are kept in a `component-name` section, as wasm-tools
   * writes it: the component's name, then a name map per sort. */
  static const uint8_t named[] = {0x00, 0x13, 0x0e, 'c', 'o', 'm', 'p', 'o', 'n', 'e', 'n',
                                  't',  '-',  'n',  'a', 'm', 'e', 0x00, 0x02, 0x01, 'c'};
  CHECK(parses_to("(component $c)", named, sizeof named));
  static const uint8_t named2[] = {0x07, 0x03, 0x02, 0x7d, 0x7f, 0x00, 0x16, 0x0e, 'c', 'o', 'm', 'p', 'o',
                                   'n',  'e',  'n',  't',  '-',  'n',  'a',  'm', 'e', 0x01, 0x05, 0x03, 0x01,
                                   0x01, 0x01, 'b'};
  CHECK(parses_to("(component (type u8) (type $b bool))", named2, sizeof named2));
  /* A record, then the import's inline function type hoisted into the same
   * type section; the parameter's valtype is a type index. */
  static const uint8_t rec[] = {0x07, 0x0d, 0x02, 0x72, 0x01, 0x01, 'a',  0x79, 0x40, 0x01, 0x01, 'x',
                                0x00, 0x01, 0x00, 0x0a, 0x06, 0x01, 0x00, 0x01, 'f',  0x01, 0x01};
  CHECK(parses_to("(component (type (record (field \"a\" u32))) (import \"f\" (func (param \"x\" 0))))", rec,
                  sizeof rec));
  /* An inline (list u8) in a parameter becomes its own type first. */
  static const uint8_t list[] = {0x07, 0x0a, 0x02, 0x70, 0x7d, 0x40, 0x01, 0x01, 'p', 0x00, 0x01, 0x00};
  CHECK(parses_to("(component (type (func (param \"p\" (list u8)))))", list, sizeof list));
  /* Variants, results, options, enums, flags, tuples, own/borrow. */
  static const uint8_t many[] = {0x07, 0x20, 0x06,
                                 0x71, 0x02, 0x01, 'a', 0x00, 0x00, 0x01, 'b', 0x01, 0x79, 0x00,
                                 0x6a, 0x01, 0x73, 0x00,
                                 0x6b, 0x7f,
                                 0x6d, 0x01, 0x01, 'e',
                                 0x6e, 0x02, 0x01, 'x', 0x01, 'y',
                                 0x6f, 0x02, 0x7f, 0x7e};
  CHECK(parses_to("(component (type (variant (case \"a\") (case \"b\" u32))) (type (result string))"
                  " (type (option bool)) (type (enum \"e\")) (type (flags \"x\" \"y\")) (type (tuple bool s8)))",
                  many, sizeof many));
  /* A resource with a destructor, and handles to it. */
  static const uint8_t res[] = {0x07, 0x08, 0x03, 0x3f, 0x7f, 0x00, 0x69, 0x00, 0x68, 0x00};
  CHECK(parses_to("(component (type (resource (rep i32))) (type (own 0)) (type (borrow 0)))", res, sizeof res));
  /* Outer alias by identifier: count 1, index 0, sort type. */
  static const uint8_t outer[] = {0x07, 0x02, 0x01, 0x7d, 0x04, 0x0f, 0x00, 0x61, 0x73, 0x6d,
                                  0x0d, 0x00, 0x01, 0x00, 0x06, 0x05, 0x01, 0x03, 0x02, 0x01, 0x00};
  CHECK(parses_to("(component (type u8) (component (alias outer 1 0 (type))))", outer, sizeof outer));
  CHECK(same_binary("(component $A (type $t u8) (component (alias outer $A $t (type))))",
                    "(component $A (type $t u8) (component (alias outer 1 0 (type))))"));
  /* An identifier of the enclosing component is brought in the same way. */
  CHECK(same_binary("(component $A (type $t u8) (component (alias outer $A $t (type $t)) (type (list $t))))",
                    "(component $A (type $t u8) (component (type (list $t))))"));
  /* A canonical option list and a lower into a core function. */
  CHECK(valid("(component (import \"f\" (func $f (param \"s\" string)))"
              " (core module $m (memory (export \"mem\") 1)"
              "   (func (export \"realloc\") (param i32 i32 i32 i32) (result i32) unreachable))"
              " (core instance $i (instantiate $m))"
              " (core func (canon lower (func $f) string-encoding=utf16 (memory $i \"mem\")"
              "   (realloc (func $i \"realloc\")))))"));
}

static void test_abbreviations(void) {
  static const char prologue[] = "(component (type $ft (func (result u32)))"
                                 " (core module $m (func (export \"f\") (result i32) i32.const 1))"
                                 " (core instance $i (instantiate $m))";
  char a[1024], b[1024];
  /* (core func $i "f") stands for an alias of the instance's export. */
  snprintf(a, sizeof a, "%s (func (type $ft) (canon lift (core func $i \"f\"))))", prologue);
  snprintf(b, sizeof b, "%s (alias core export $i \"f\" (core func)) (canon lift (core func 0) (func (type $ft))))",
           prologue);
  CHECK(same_binary(a, b));
  CHECK(valid(a));
  /* Inline exports come at the end of the component, in order. */
  snprintf(a, sizeof a, "%s (func $g (export \"g\") (type $ft) (canon lift (core func $i \"f\"))) (type $x u8))",
           prologue);
  snprintf(b, sizeof b, "%s (func $g (type $ft) (canon lift (core func $i \"f\"))) (type $x u8) (export \"g\" (func $g)))",
           prologue);
  CHECK(same_binary(a, b));
  /* (func (alias export ...)) and (alias export ... (func)) agree. */
  CHECK(same_binary("(component (import \"i\" (instance $i (export \"f\" (func)))) (func (alias export $i \"f\")))",
                    "(component (import \"i\" (instance $i (export \"f\" (func)))) (alias export $i \"f\" (func)))"));
  /* An inline import is an import. */
  CHECK(same_binary("(component (func $f (import \"f\") (param \"a\" u32)))",
                    "(component (import \"f\" (func $f (param \"a\" u32))))"));
  /* Inline instances in instantiation arguments. */
  CHECK(valid("(component (core module $m (func (export \"f\")))"
              " (core instance $i (instantiate $m))"
              " (core module $n (import \"a\" \"g\" (func)))"
              " (core instance (instantiate $n (with \"a\" (instance (export \"g\" (func $i \"f\")))))))"));
  /* A bare sequence of definitions is a component. */
  CHECK(same_binary("(type u8) (type string)", "(component (type u8) (type string))"));
  /* Component scripts' definition forms reach the same parser through
   * wast_parse.c; here the quote form. */
  CHECK(same_binary("(component quote \"(type u8)\")", "(component (type u8))"));
}

/* (@custom "name" string*) in a component: a custom section in place (it
 * splits a section of definitions of one kind); after the last definition,
 * after the component-name section. */
static void test_custom_sections(void) {
  static const uint8_t split[] = {0x00, 0x03, 0x01, 'a', 'x',   /* custom "a" */
                                  0x07, 0x02, 0x01, 0x7d,      /* (type u8) */
                                  0x00, 0x02, 0x01, 'b',       /* custom "b" */
                                  0x07, 0x02, 0x01, 0x7f};     /* (type bool) */
  CHECK(parses_to("(component (@custom \"a\" \"x\") (type u8) (@custom \"b\" \"\") (type bool))", split, sizeof split));
  static const uint8_t trailing[] = {0x07, 0x02, 0x01, 0x7d, 0x00, 0x13, 0x0e, 'c', 'o', 'm', 'p', 'o', 'n', 'e', 'n',
                                     't', '-', 'n', 'a', 'm', 'e', 0x00, 0x02, 0x01, 'c', 0x00, 0x03, 0x01, 'p', 'z'};
  CHECK(parses_to("(component $c (type u8) (@custom \"p\" \"z\"))", trailing, sizeof trailing));
  /* A (@custom "component-name") replaces the identifiers' section. */
  static const uint8_t replaced[] = {0x00, 0x0f, 0x0e, 'c', 'o', 'm', 'p', 'o', 'n', 'e', 'n', 't', '-', 'n', 'a', 'm', 'e'};
  CHECK(parses_to("(component $c (@custom \"component-name\" \"\"))", replaced, sizeof replaced));
  /* Nested components and core modules have their own. */
  CHECK(same_binary("(component (component (@custom \"q\" \"1\")) (core module (@custom \"r\" \"2\")))",
                    "(component (component binary \"\\00asm\\0d\\00\\01\\00\\00\\03\\01q1\")"
                    " (core module binary \"\\00asm\\01\\00\\00\\00\\00\\03\\01r2\"))"));
  CHECK(fails_with("(component (@custom \"a\" (after type) \"\"))",
                   "1:12: unsupported: placement of a custom section in a component"));
  CHECK(fails_with("(component (@custom 1))", "1:12: custom annotation: expected a section name"));
}

static void test_errors(void) {
  CHECK(fails_with("(component\n  (type (own $nope)))", "2:14: unknown type $nope"));
  CHECK(fails_with("(component (type $t u8) (type $t u8))", "1:31: duplicate type identifier $t"));
  CHECK(fails_with("(component (frob))", "1:13: unexpected token frob"));
  CHECK(fails_with("(component (type (record (field \"a\" u32)))", "1:"));
  CHECK(fails_with("(component (canon lift (core func 0)))", "1:"));
  CHECK(fails_with("(component (start 0) (start 0))", "1:22: component cannot have more than one start function"));
  CHECK(fails_with("(component (import \"a\" (implements \"x\") (implements \"y\") (instance)))", "1:"));
  CHECK(fails_with("(component (type (variant (case $a \"a\") (case $a \"b\"))))", "1:47: duplicate variant case"));
  /* A nested core module's error is the core parser's, at its place. */
  CHECK(fails_with("(component\n (core module (func (result i32) i32.frob)))", "2:"));
  /* Not NUL-terminated input: an unclosed form ends at the length. */
  uint8_t *out;
  size_t len;
  kumi_error *e = text_parse_component(kb_default_allocator(), "(component (type u8))", 12, &out, &len);
  CHECK(e && kumi_error_kind_of(e) == KUMI_ERR_MALFORMED);
  kumi_error_free(e);
}

static void test_detection(void) {
  static const char *const yes[] = {"(component)", "  ;; c\n(component $x)", "(; (module) ;)(component)",
                                    "( component )"};
  static const char *const no[] = {"(module)", "(componentx)", "(func)", "", "(; unclosed"};
  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) CHECKF(text_is_component(yes[i], strlen(yes[i])), "%s", yes[i]);
  for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) CHECKF(!text_is_component(no[i], strlen(no[i])), "%s", no[i]);
  /* text_parse_any: either kind. */
  uint8_t *out;
  size_t len;
  kumi_error *e = text_parse_any(kb_default_allocator(), "(module)", 8, &out, &len);
  CHECK(!e && len == 8 && out[4] == 0x01);
  if (!e) kb_free(kb_default_allocator(), out, len);
  kumi_error_free(e);
  e = text_parse_any(kb_default_allocator(), "(component)", 11, &out, &len);
  CHECK(!e && len == 8 && out[4] == 0x0d);
  if (!e) kb_free(kb_default_allocator(), out, len);
  kumi_error_free(e);
}

/* Every allocation failing in turn: an OOM error, nothing leaked. */
static void test_oom(void) {
  static const char src[] = "(component $C (type $r (resource (rep i32)))"
                            " (import \"i\" (instance $i (export \"f\" (func (param \"x\" (list (own $r)))))))"
                            " (core module $m (func (export \"f\")))"
                            " (core instance $ci (instantiate $m))"
                            " (func (export \"g\") (canon lift (core func $ci \"f\")))"
                            " (component (type (alias outer $C $r))))";
  test_alloc c;
  kumi_allocator a = test_alloc_init(&c, -1);
  uint8_t *out;
  size_t len;
  kumi_error *e = text_parse_component(&a, src, strlen(src), &out, &len);
  CHECK(e == NULL);
  if (!e) kb_free(&a, out, len);
  long total = c.allocs;
  CHECK(test_alloc_clean(&c));
  int bad = 0;
  for (long n = 0; n < total; n++) {
    a = test_alloc_init(&c, n);
    e = text_parse_component(&a, src, strlen(src), &out, &len);
    if (!e) {
      kb_free(&a, out, len);
    } else {
      if (kumi_error_kind_of(e) != KUMI_ERR_OOM) bad++;
      kumi_error_free(e);
    }
    if (!test_alloc_clean(&c)) bad++;
  }
  CHECKF(bad == 0, "%d of %ld failing allocations misbehaved", bad, total);
}

int main(void) {
  test_encodings();
  test_abbreviations();
  test_custom_sections();
  test_errors();
  test_detection();
  test_oom();
  return test_summary();
}
