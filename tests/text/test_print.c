/* Tests of the printer (src/text/print.h): print then parse must give the
 * module back byte for byte.
 *
 *   test_print            built-in modules (every section and immediate
 *                         kind), a leak check through a counting allocator,
 *                         and clean failure when any allocation fails
 *   test_print DIR...     additionally every .wasm file directly in each DIR
 *                         (or in its subdirectories, one level) that decodes
 *                         and validates with every proposal kumi knows: its
 *                         binary (custom sections included) must equal
 *                         parse(print(binary)), or at least print to the
 *                         same text (RT_EQUIVALENT below). Prints the
 *                         counts. */
#define _DEFAULT_SOURCE
#include "core/module.h"
#include "text/print.h"
#include "text/text.h"

#include <dirent.h>
#include "text_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One binary printed by a printer (module or component), all through a;
 * the text freed. */
typedef kumi_error *(*printer)(const kumi_allocator *a, const uint8_t *bytes, size_t len, char **out,
                               size_t *out_len);
typedef struct print_case {
  printer print;
  const uint8_t *bytes;
  size_t len;
} print_case;

static bool print_op(const kumi_allocator *a, void *ctx) {
  const print_case *pc = ctx;
  char *text;
  size_t tl;
  kumi_error *e = pc->print(a, pc->bytes, pc->len, &text, &tl);
  if (e) {
    kumi_error_free(e);
    return false;
  }
  kb_free(a, text, tl + 1);
  return true;
}

/* RT_EQUIVALENT: the bytes differ but both print to the same text, i.e.
 * the binary used an encoding the text format cannot express (padded
 * LEB128, empty sections, split or empty local runs) and the parser wrote
 * the canonical one. */
typedef enum { RT_SAME, RT_EQUIVALENT, RT_DIFFERENT, RT_PRINT_ERROR, RT_PARSE_ERROR } rt_result;

/* Round trip of one binary; *at: first differing offset. */
static rt_result round_trip(const kumi_allocator *a, const uint8_t *b, size_t n, size_t *at, char *msg, size_t msgn) {
  char *text;
  size_t text_len;
  kumi_error *e = text_print_module(a, b, n, &text, &text_len);
  if (e) {
    snprintf(msg, msgn, "%s", kumi_error_message(e));
    kumi_error_free(e);
    return RT_PRINT_ERROR;
  }
  uint8_t *back;
  size_t back_len;
  e = text_parse_wat(a, text, text_len, &back, &back_len);
  kb_free(a, text, text_len + 1);
  if (e) {
    snprintf(msg, msgn, "%s", kumi_error_message(e));
    kumi_error_free(e);
    return RT_PARSE_ERROR;
  }
  /* Custom sections included: they print as (@custom) annotations, the
   * name section as identifiers. */
  const uint8_t *want = b, *got = back;
  size_t want_len = n, got_len = back_len;
  rt_result r = RT_SAME;
  if (want_len != got_len || memcmp(want, got, got_len) != 0) {
    r = RT_DIFFERENT;
    size_t k = 0;
    while (k < want_len && k < got_len && want[k] == got[k]) k++;
    *at = k;
  }
  if (r == RT_DIFFERENT) {
    char *t1 = NULL, *t2 = NULL;
    size_t l1 = 0, l2 = 0;
    kumi_error *e1 = text_print_module(a, want, want_len, &t1, &l1);
    kumi_error *e2 = text_print_module(a, got, got_len, &t2, &l2);
    if (!e1 && !e2 && l1 == l2 && memcmp(t1, t2, l1) == 0) r = RT_EQUIVALENT;
    if (e1) kumi_error_free(e1);
    else kb_free(a, t1, l1 + 1);
    if (e2) kumi_error_free(e2);
    else kb_free(a, t2, l2 + 1);
  }
  kb_free(a, back, back_len);
  return r;
}

/* ---- built-in modules ------------------------------------------------------ */

static const char *const samples[] = {
    "(module)",
    "(module (type (func (param i32 i64) (result f32 f64))) (type (func))"
    "  (import \"m\" \"f\" (func (type 1))) (import \"m\" \"t\" (table 1 2 funcref))"
    "  (import \"m\" \"mem\" (memory 1)) (import \"m\" \"g\" (global (mut i64)))"
    "  (func (type 0) (local i32 i32 f64 v128)"
    "    block (result i32) i32.const -1 end drop"
    "    loop (type 0) unreachable end"
    "    local.get 0 if i32.const 1 drop else nop end"
    "    i32.const 0 br_table 0 1 0 f32.const -0x1.8p-3 drop f64.const nan:0x4 drop"
    "    f32.const -inf drop f32.const 0x1p-149 drop f64.const 0x1p-1074 drop f32.const nan drop"
    "    i64.const -9223372036854775808 drop i32.const 0 i64.load offset=7 align=4 drop"
    "    i32.const 0 i32.const 0 i32.const 0 select (result i32) drop"
    "    v128.const i8x16 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 255 i32x4.extract_lane 3 drop"
    "    i32.const 0 v128.load8_lane offset=1 0 i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 31 drop"
    "    i32.const 0 i32.const 0 i32.const 1 memory.init 0 data.drop 0"
    "    ref.null extern drop ref.func 1 drop i32.const 0 call_indirect (type 1) return_call 1)"
    "  (func (type 1))"
    "  (table 3 externref) (memory 1 2)"
    "  (global f32 f32.const 1) (global (mut i32) global.get 0 drop i32.const 4)"
    "  (export \"a\\00\\c3\\a9\" (func 1)) (export \"t\" (table 1)) (start 1)"
    "  (elem (i32.const 0) 1) (elem func 0 1) (elem declare func 1)"
    "  (elem (table 1) (offset i32.const 1) externref (ref.null extern))"
    "  (elem funcref (item ref.null func))"
    "  (data (i32.const 8) \"ab\\00\\\"\") (data \"passive\"))",
    /* Every name subsection the parser writes (labels too), and custom
     * sections placed before, between and after the others. */
    "(module $m (type $t (func (param i32))) (import \"m\" \"f\" (func $imp (param $q i32)))"
    "  (table $tab 1 funcref) (memory $mem 1) (global $g i32 (i32.const 0))"
    "  (func $f (param $p i32) (local $l i64) (local i32) block $b loop $c br 1 end end"
    "    block i32.const 0 if $d end end)"
    "  (elem $e func $f) (elem (table $tab) (i32.const 0) funcref (ref.func $f)) (data $d \"x\")"
    "  (@custom \"x\" (after func) \"abc\") (@custom \"y\" (before first) \"\") (@custom \"z\" \"\\00\\ff\"))",
    /* Exception handling: tags (imported, defined, exported, named),
     * throw, throw_ref, try_table with every catch kind and a label,
     * exnref, and a custom section placed after the tag section. */
    "(module (type (func (param i32))) (import \"m\" \"t\" (tag $it (type 0))) (tag $e (export \"e\") (type 0))"
    "  (func (result exnref) (local exnref)"
    "    block $h (result exnref) try_table $t (catch $e 1) (catch_ref $it $h) (catch_all 1) (catch_all_ref 0)"
    "      i32.const 1 throw $e end unreachable end"
    "    ref.null exn throw_ref)"
    "  (global i32 (i32.const 0)) (export \"it\" (tag $it)) (@custom \"x\" (after tag) \"\"))",
    /* A name section the identifiers cannot say (two functions named "a"):
     * it prints as (@custom "name"). */
    "(module (func) (func) (@custom \"name\" \"\\01\\07\\02\\00\\01a\\01\\01a\"))",
};

static void test_samples(void) {
  const kumi_allocator *a = kb_default_allocator();
  for (size_t k = 0; k < sizeof samples / sizeof samples[0]; k++) {
    uint8_t *b;
    size_t n, at = 0;
    kumi_error *e = text_parse_wat(a, samples[k], strlen(samples[k]), &b, &n);
    if (e) fprintf(stderr, "sample %zu: %s\n", k, kumi_error_message(e));
    CHECK(e == NULL);
    if (e) {
      kumi_error_free(e);
      continue;
    }
    if (strstr(samples[k], "@custom")) {
      /* The custom sections show in the text. */
      char *text = NULL;
      size_t tl = 0;
      e = text_print_module(a, b, n, &text, &tl);
      CHECK(e == NULL);
      if (!e) {
        CHECKF(strstr(text, "(@custom") != NULL, "got:\n%s", text);
        if (strstr(samples[k], "$m")) CHECKF(strstr(text, "block $b") && strstr(text, "if $d"), "got:\n%s", text);
        if (strstr(samples[k], "try_table"))
          CHECKF(strstr(text, "(tag $e (type 0))") && strstr(text, "try_table $t (catch 1 1) (catch_ref 0 0)") &&
                     strstr(text, "(catch_all_ref 0)") && strstr(text, "(after tag)"),
                 "got:\n%s", text);
        kb_free(a, text, tl + 1);
      } else {
        kumi_error_free(e);
      }
    }
    char msg[256] = "";
    rt_result r = round_trip(a, b, n, &at, msg, sizeof msg);
    if (r != RT_SAME) fprintf(stderr, "sample %zu: result %d at %zu: %s\n", k, (int)r, at, msg);
    CHECK(r == RT_SAME);

    /* No leaks, and a clean error for every failed allocation. */
    print_case pc = {text_print_module, b, n};
    text_check_alloc_failures("module", print_op, &pc, false);
    kb_free(a, b, n);
  }
  /* Bad input: an error, not a crash. */
  static const uint8_t junk[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5, 1, 0x60, 0};
  char *text;
  size_t tl;
  kumi_error *e = text_print_module(a, junk, sizeof junk, &text, &tl);
  CHECK(e != NULL);
  if (e) kumi_error_free(e);
  else kb_free(a, text, tl + 1);
}

/* Names beyond functions: a module with a hand-made name section naming a
 * parameter, a local, a table and a type prints them as identifiers, and the
 * text parses back to the same binary, name section included. */
static void test_names(void) {
  const kumi_allocator *a = kb_default_allocator();
  static const char src[] = "(module (type (func (param i32))) (table 1 funcref) (func (type 0) (local i64)))";
  uint8_t *b;
  size_t n;
  kumi_error *e = text_parse_wat(a, src, strlen(src), &b, &n);
  CHECK(e == NULL);
  if (e) {
    kumi_error_free(e);
    return;
  }
  static const uint8_t names[] = {
      0x00, 28, 4, 'n', 'a', 'm', 'e',
      2, 9, 1, 0, 2, 0, 1, 'x', 1, 1, 'y',  /* locals of function 0: 0 "x", 1 "y" */
      4, 4, 1, 0, 1, 's',                   /* type 0 "s" */
      5, 4, 1, 0, 1, 't',                   /* table 0 "t" */
  };
  uint8_t *named = malloc(n + sizeof names);
  if (!named) {
    kb_free(a, b, n);
    return;
  }
  memcpy(named, b, n);
  memcpy(named + n, names, sizeof names);
  char *text = NULL;
  size_t tl = 0;
  e = text_print_module(a, named, n + sizeof names, &text, &tl);
  CHECK(e == NULL);
  if (!e) {
    CHECKF(strstr(text, "(type $s (func") && strstr(text, "(table $t 1") && strstr(text, "(param $x i32)") &&
               strstr(text, "(local $y i64)"),
           "got:\n%s", text);
    uint8_t *back;
    size_t bl;
    e = text_parse_wat(a, text, tl, &back, &bl);
    CHECK(e == NULL);
    if (!e) {
      /* The parser writes the same name section back from the identifiers. */
      CHECK(bl == n + sizeof names && memcmp(back, named, bl) == 0);
      CHECKF(strstr(text, "@custom") == NULL, "got:\n%s", text);
      kb_free(a, back, bl);
    } else {
      kumi_error_free(e);
    }
    kb_free(a, text, tl + 1);
  } else {
    kumi_error_free(e);
  }
  /* A name section cut short only loses names. */
  for (size_t cut = 1; cut < sizeof names; cut++) {
    named[n + 1] = (uint8_t)(cut > 2 ? cut - 2 : 0);
    e = text_print_module(a, named, n + cut, &text, &tl);
    if (e) kumi_error_free(e);
    else kb_free(a, text, tl + 1);
  }
  free(named);
  kb_free(a, b, n);
}

/* ---- components ---------------------------------------------------------------- */

/* A small component, written byte by byte: two types, an import, an export
 * and a component-name section naming the component, a type and two
 * functions (the second the export's new index). */
static const uint8_t small_component[] = {
    0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00,
    /* type section: (record (field "a" u32)), (func (param "x" 0) (result u32)) */
    0x07, 13, 0x02, 0x72, 0x01, 0x01, 'a', 0x79, 0x40, 0x01, 0x01, 'x', 0x00, 0x00, 0x79,
    /* import "f" (func (type 1)) */
    0x0a, 6, 0x01, 0x00, 0x01, 'f', 0x01, 0x01,
    /* export "h" (func 0) */
    0x0b, 7, 0x01, 0x00, 0x01, 'h', 0x01, 0x00, 0x00,
    /* component-name: component "C"; funcs 0 "f", 1 "g"; types 0 "r" */
    0x00, 36, 14, 'c', 'o', 'm', 'p', 'o', 'n', 'e', 'n', 't', '-', 'n', 'a', 'm', 'e',
    0x00, 0x02, 0x01, 'C',
    0x01, 0x08, 0x01, 0x02, 0x00, 0x01, 'f', 0x01, 0x01, 'g',
    0x01, 0x05, 0x03, 0x01, 0x00, 0x01, 'r',
};

static const char small_component_text[] =
    "(component $C\n"
    "  (type $r (record (field \"a\" u32)))\n"
    "  (type (func (param \"x\" 0) (result u32)))\n"
    "  (import \"f\" (func $f (type 1)))\n"
    "  (export $g \"h\" (func 0)))\n";

static void test_components(void) {
  const kumi_allocator *a = kb_default_allocator();
  char *text = NULL;
  size_t tl = 0;
  uint8_t b[sizeof small_component];
  memcpy(b, small_component, sizeof b);
  kumi_error *e = text_print_component(a, b, sizeof b, &text, &tl);
  if (e) fprintf(stderr, "component: %s\n", kumi_error_message(e));
  CHECK(e == NULL);
  if (e) {
    kumi_error_free(e);
    return;
  }
  CHECKF(tl == strlen(small_component_text) && strcmp(text, small_component_text) == 0, "got:\n%s", text);
  /* text_print picks the component printer by the header. */
  char *t2 = NULL;
  size_t l2 = 0;
  e = text_print(a, b, sizeof b, &t2, &l2);
  CHECK(e == NULL && l2 == tl && memcmp(t2, text, tl) == 0);
  if (e) kumi_error_free(e);
  else kb_free(a, t2, l2 + 1);
  kb_free(a, text, tl + 1);

  /* No leaks, and a clean error for every failed allocation. */
  print_case pc = {text_print_component, b, sizeof b};
  text_check_alloc_failures("component", print_op, &pc, false);

  /* Every truncation is an error or a text, never a crash; a damaged
   * component-name section only loses names. */
  for (size_t n = 0; n < sizeof b; n++) {
    e = text_print_component(a, b, n, &text, &tl);
    if (e) kumi_error_free(e);
    else kb_free(a, text, tl + 1);
  }
  uint8_t bad[sizeof b];
  memcpy(bad, b, sizeof b);
  bad[sizeof b - 5] = 0x7f; /* the types namemap's sort: unknown */
  e = text_print_component(a, bad, sizeof bad, &text, &tl);
  CHECK(e == NULL);
  if (!e) {
    CHECK(strstr(text, "$r") == NULL && strstr(text, "$C") != NULL);
    kb_free(a, text, tl + 1);
  } else {
    kumi_error_free(e);
  }
}

/* Custom sections of components: in place, at the end, in nested core
 * modules; a component-name section the identifiers cannot say (here a
 * second one) prints as (@custom "component-name"). Each round-trips byte
 * for byte. */
static void test_component_customs(void) {
  const kumi_allocator *a = kb_default_allocator();
  static const char *const srcs[] = {
      "(component $c (@custom \"first\" \"1\") (type u8) (@custom \"mid\" \"\") (type bool)"
      " (core module $m (@custom \"inner\" (after func) \"x\") (func $f)) (@custom \"producers\" \"\\00\"))",
      "(component $c (type $t u8) (@custom \"component-name\" \"\\00\\02\\01d\") (@custom \"component-name\" \"\"))",
  };
  for (size_t k = 0; k < sizeof srcs / sizeof srcs[0]; k++) {
    uint8_t *b = NULL, *back = NULL;
    size_t n = 0, bl = 0;
    char *text = NULL;
    size_t tl = 0;
    kumi_error *e = text_parse_component(a, srcs[k], strlen(srcs[k]), &b, &n);
    CHECK(e == NULL);
    if (!e) e = text_print_component(a, b, n, &text, &tl);
    CHECK(e == NULL);
    if (!e) {
      CHECKF(strstr(text, "(@custom") != NULL, "got:\n%s", text);
      if (k == 0) CHECKF(strstr(text, "(@custom \"component-name\"") == NULL && strstr(text, "$f") != NULL, "got:\n%s", text);
      if (k == 1) CHECKF(strstr(text, "(@custom \"component-name\"") != NULL, "got:\n%s", text);
      e = text_parse_component(a, text, tl, &back, &bl);
      CHECK(e == NULL);
      if (!e) CHECKF(bl == n && memcmp(back, b, n) == 0, "got:\n%s", text);
    }
    if (e) kumi_error_free(e);
    if (b) kb_free(a, b, n);
    if (back) kb_free(a, back, bl);
    if (text) kb_free(a, text, tl + 1);
  }
}

/* ---- the corpus ------------------------------------------------------------- */

typedef struct corpus_counts {
  size_t files, valid, same, equivalent, different, print_errors, parse_errors;
} corpus_counts;

static bool is_valid(const kumi_allocator *a, const uint8_t *b, size_t n) {
  kumi_error *e = NULL;
  core_module *m = core_module_decode_with(a, b, n, CORE_FEATURES_ALL, &e);
  if (!m) {
    kumi_error_free(e);
    return false;
  }
  e = core_module_validate(m);
  core_module_free(m);
  if (e) kumi_error_free(e);
  return e == NULL;
}

static void corpus_file(const char *path, corpus_counts *c) {
  const kumi_allocator *a = kb_default_allocator();
  uint8_t *b;
  size_t n;
  kumi_error *e = kb_read_file(a, path, &b, &n);
  if (e) {
    kumi_error_free(e);
    return;
  }
  c->files++;
  if (n >= 8 && memcmp(b, "\0asm\1\0\0\0", 8) == 0 && is_valid(a, b, n)) {
    c->valid++;
    size_t at = 0;
    char msg[256] = "";
    switch (round_trip(a, b, n, &at, msg, sizeof msg)) {
    case RT_SAME: c->same++; break;
    case RT_EQUIVALENT:
      c->equivalent++;
      fprintf(stderr, "%s: note: re-encoded canonically (first difference at byte 0x%zx)\n", path, at);
      break;
    case RT_DIFFERENT:
      c->different++;
      fprintf(stderr, "%s: differs at byte 0x%zx\n", path, at);
      break;
    case RT_PRINT_ERROR:
      c->print_errors++;
      fprintf(stderr, "%s: print error: %s\n", path, msg);
      break;
    case RT_PARSE_ERROR:
      c->parse_errors++;
      fprintf(stderr, "%s: printed text does not parse: %s\n", path, msg);
      break;
    }
  }
  kb_free(a, b, n);
}

static int by_name(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

static void corpus_dir(const char *dir, int depth, corpus_counts *c) {
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "cannot open %s\n", dir);
    test_failed++;
    return;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *ent;
  while ((ent = readdir(d))) {
    if (ent->d_name[0] == '.') continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 64;
      char **nn = realloc(names, cap * sizeof *names);
      if (!nn) break;
      names = nn;
    }
    names[n++] = strdup(ent->d_name);
  }
  closedir(d);
  if (n) qsort(names, n, sizeof *names, by_name);
  for (size_t k = 0; k < n; k++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, names[k]);
    struct stat st;
    size_t len = strlen(names[k]);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
      if (depth > 0) corpus_dir(path, depth - 1, c);
    } else if (len > 5 && strcmp(names[k] + len - 5, ".wasm") == 0) {
      corpus_file(path, c);
    }
    free(names[k]);
  }
  free(names);
}

int main(int argc, char **argv) {
  test_samples();
  test_names();
  test_components();
  test_component_customs();
  corpus_counts c = {0, 0, 0, 0, 0, 0, 0};
  for (int k = 1; k < argc; k++) corpus_dir(argv[k], 1, &c);
  if (argc > 1) {
    printf("round trip: %zu .wasm files, %zu valid modules: %zu identical, %zu re-encoded canonically (same "
           "text), %zu different, %zu print errors, %zu parse errors\n",
           c.files, c.valid, c.same, c.equivalent, c.different, c.print_errors, c.parse_errors);
    if (c.different || c.print_errors || c.parse_errors) test_failed++;
  }
  return test_summary();
}
