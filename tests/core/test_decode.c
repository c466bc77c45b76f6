/* Unit tests for src/core/decode.c, instr.c and module.c: hand-written
 * binaries that must decode (with their decoded fields checked) or fail
 * with a given message prefix and byte offset; the instruction reader on
 * each immediate kind; and out-of-memory behaviour and leaks under a
 * counting allocator. */
#include "core/instr.h"

#include "../test.h"

/* A byte string literal and its length (without the terminating NUL). */
#define BYTES(s) (const uint8_t *)(s), sizeof(s) - 1
#define H "\x00\x61\x73\x6d\x01\x00\x00\x00"


/* The defaults without exception handling, whose encodings (section 13,
 * tag imports and exports, opcodes 0x08 0x0A 0x1F) these cases use as
 * malformed ones; tests/core/test_eh.c covers exceptions. */
static core_module *decode(const uint8_t *b, size_t n, kumi_error **err) {
  return core_module_decode_with(kb_default_allocator(), b, n, KUMI_FEATURES_DEFAULT & ~KUMI_FEATURE_EXCEPTIONS, err);
}

/* ---- valid modules ------------------------------------------------------------ */

static void test_empty(void) {
  kumi_error *err;
  core_module *m = decode(BYTES(H), &err);
  CHECK(m && !err);
  if (!m) return;
  CHECK(m->ntypes == 0 && m->nfuncs == 0 && m->ntables == 0 && m->nmemories == 0 && m->nglobals == 0);
  CHECK(m->nexports == 0 && m->nelems == 0 && m->ndatas == 0 && !m->has_start && !m->has_data_count);
  CHECK(m->name == NULL && m->len == 8);
  core_module_free(m);
}

/* wat2wasm --debug-names of:
 * (module $mod
 *   (type $t0 (func (param i32 i64) (result f32)))
 *   (type $t1 (func))
 *   (import "env" "f" (func $imp (type $t1)))
 *   (import "env" "t" (table 1 funcref))
 *   (import "env" "m" (memory 1 2))
 *   (import "env" "g" (global $ig (mut i32)))
 *   (func $f0 (type $t0) (local i32 i32 f64) (local externref) f32.const 1)
 *   (func $f1 (type $t1))
 *   (table $t1 2 10 externref)
 *   (table $t2 3 funcref)
 *   (global $g0 i64 (i64.const -5))
 *   (global $g1 (mut funcref) (ref.func $f1))
 *   (export "f0" (func $f0))
 *   (export "mem" (memory 0))
 *   (start $f1)
 *   (elem (i32.const 0) $f0)
 *   (elem func $f1)
 *   (elem (table $t2) (i32.const 1) func $f0 $f1)
 *   (elem declare func $f0)
 *   (elem (i32.const 0) funcref (ref.func $f1) (ref.null func))
 *   (elem externref (ref.null extern))
 *   (elem (table $t2) (i32.const 2) funcref (ref.func $f0))
 *   (elem declare funcref (ref.func $f1))
 *   (data (i32.const 8) "hi")
 *   (data "passive")
 *   (data (memory 0) (i32.const 16) "abc")) */
static const char full_wasm[] =
    "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x0a\x02\x60\x02\x7f\x7e\x01\x7d\x60\x00\x00\x02\x26\x04\x03"
    "\x65\x6e\x76\x01\x66\x00\x01\x03\x65\x6e\x76\x01\x74\x01\x70\x00\x01\x03\x65\x6e\x76\x01\x6d\x02"
    "\x01\x01\x02\x03\x65\x6e\x76\x01\x67\x03\x7f\x01\x03\x03\x02\x00\x01\x04\x08\x02\x6f\x01\x02\x0a"
    "\x70\x00\x03\x06\x0b\x02\x7e\x00\x42\x7b\x0b\x70\x01\xd2\x02\x0b\x07\x0c\x02\x02\x66\x30\x00\x01"
    "\x03\x6d\x65\x6d\x02\x00\x08\x01\x02\x09\x35\x08\x00\x41\x00\x0b\x01\x01\x01\x00\x01\x02\x02\x02"
    "\x41\x01\x0b\x00\x02\x01\x02\x03\x00\x01\x01\x04\x41\x00\x0b\x02\xd2\x02\x0b\xd0\x70\x0b\x05\x6f"
    "\x01\xd0\x6f\x0b\x02\x02\x41\x02\x0b\x00\x01\x01\x03\x00\x01\x02\x0a\x12\x02\x0d\x03\x02\x7f\x01"
    "\x7c\x01\x6f\x43\x00\x00\x80\x3f\x0b\x02\x00\x0b\x0b\x19\x03\x00\x41\x08\x0b\x02\x68\x69\x01\x07"
    "\x70\x61\x73\x73\x69\x76\x65\x00\x41\x10\x0b\x03\x61\x62\x63\x00\x49\x04\x6e\x61\x6d\x65\x00\x04"
    "\x03\x6d\x6f\x64\x01\x0e\x03\x00\x03\x69\x6d\x70\x01\x02\x66\x30\x02\x02\x66\x31\x02\x07\x03\x00"
    "\x00\x01\x00\x02\x00\x04\x09\x02\x00\x02\x74\x30\x01\x02\x74\x31\x05\x09\x02\x01\x02\x74\x31\x02"
    "\x02\x74\x32\x07\x0d\x03\x00\x02\x69\x67\x01\x02\x67\x30\x02\x02\x67\x31";

static void check_full(const core_module *m) {
  CHECK(m->ntypes == 2);
  CHECK(m->types[0].nparams == 2 && m->types[0].nresults == 1);
  CHECK(core_functype_params(&m->types[0])[0] == CORE_I32 && core_functype_params(&m->types[0])[1] == CORE_I64);
  CHECK(core_functype_results(&m->types[0])[0] == CORE_F32);
  CHECK(m->types[1].nparams == 0 && m->types[1].nresults == 0);
  CHECK(!core_functype_equal(&m->types[0], &m->types[1]) && core_functype_equal(&m->types[1], &m->types[1]));

  CHECK(m->nimports == 4);
  CHECK(!strcmp(m->imports[0].module, "env") && m->imports[0].module_len == 3 && !strcmp(m->imports[0].name, "f"));
  CHECK(m->imports[0].kind == CORE_EXTERN_FUNC && m->imports[0].desc.func_type == 1);
  CHECK(m->imports[1].kind == CORE_EXTERN_TABLE && m->imports[1].desc.table.elem == CORE_FUNCREF);
  CHECK(m->imports[1].desc.table.limits.min == 1 && !m->imports[1].desc.table.limits.has_max);
  CHECK(m->imports[2].kind == CORE_EXTERN_MEMORY && m->imports[2].desc.memory.limits.min == 1);
  CHECK(m->imports[2].desc.memory.limits.has_max && m->imports[2].desc.memory.limits.max == 2);
  CHECK(m->imports[3].kind == CORE_EXTERN_GLOBAL && m->imports[3].desc.global.type == CORE_I32 &&
        m->imports[3].desc.global.mut);

  CHECK(m->nfuncs == 3 && m->nimported_funcs == 1);
  CHECK(m->funcs[0].type == 1 && m->funcs[1].type == 0 && m->funcs[2].type == 1);
  CHECK(m->funcs[1].nlocals == 4);
  if (m->funcs[1].nlocals == 4) {
    const core_valtype *lt = m->funcs[1].local_types;
    CHECK(lt[0] == CORE_I32 && lt[1] == CORE_I32 && lt[2] == CORE_F64 && lt[3] == CORE_EXTERNREF);
  }
  CHECK(m->funcs[1].body_start == 0xab && m->funcs[1].body_end == 0xb1);
  CHECK(m->bytes[m->funcs[1].body_start] == 0x43 && m->bytes[m->funcs[1].body_end - 1] == 0x0b);
  CHECK(m->funcs[2].nlocals == 0 && m->funcs[2].body_start == 0xb3 && m->funcs[2].body_end == 0xb4);

  CHECK(m->ntables == 3 && m->nimported_tables == 1);
  CHECK(m->tables[0].elem == CORE_FUNCREF && m->tables[0].limits.min == 1);
  CHECK(m->tables[1].elem == CORE_EXTERNREF && m->tables[1].limits.min == 2 && m->tables[1].limits.max == 10);
  CHECK(m->tables[2].elem == CORE_FUNCREF && m->tables[2].limits.min == 3 && !m->tables[2].limits.has_max);
  CHECK(m->nmemories == 1 && m->nimported_memories == 1 && m->memories[0].limits.max == 2);

  CHECK(m->nglobals == 3 && m->nimported_globals == 1);
  CHECK(m->globals[0].type.type == CORE_I32 && m->globals[0].type.mut);
  CHECK(m->globals[1].type.type == CORE_I64 && !m->globals[1].type.mut);
  CHECK(m->globals[1].init.start == 0x50 && m->globals[1].init.end == 0x53);
  CHECK(m->globals[2].type.type == CORE_FUNCREF && m->globals[2].type.mut);
  CHECK(m->bytes[m->globals[2].init.start] == 0xd2 && m->bytes[m->globals[2].init.end - 1] == 0x0b);

  CHECK(m->nexports == 2);
  CHECK(!strcmp(m->exports[0].name, "f0") && m->exports[0].name_len == 2);
  CHECK(m->exports[0].kind == CORE_EXTERN_FUNC && m->exports[0].index == 1);
  CHECK(!strcmp(m->exports[1].name, "mem") && m->exports[1].kind == CORE_EXTERN_MEMORY);
  CHECK(m->has_start && m->start == 2);

  CHECK(m->nelems == 8);
  if (m->nelems == 8) {
    const core_elem *e = m->elems;
    CHECK(e[0].mode == CORE_SEG_ACTIVE && e[0].table == 0 && e[0].type == CORE_FUNCREF && e[0].count == 1);
    CHECK(e[0].funcs && !e[0].exprs && e[0].funcs[0] == 1);
    CHECK(e[1].mode == CORE_SEG_PASSIVE && e[1].count == 1 && e[1].funcs[0] == 2);
    CHECK(e[2].mode == CORE_SEG_ACTIVE && e[2].table == 2 && e[2].count == 2 && e[2].funcs[1] == 2);
    CHECK(m->bytes[e[2].offset.start] == 0x41 && e[2].offset.end - e[2].offset.start == 3);
    CHECK(e[3].mode == CORE_SEG_DECLARATIVE && e[3].funcs[0] == 1);
    CHECK(e[4].mode == CORE_SEG_ACTIVE && e[4].exprs && !e[4].funcs && e[4].count == 2);
    CHECK(m->bytes[e[4].exprs[1].start] == 0xd0 && e[4].exprs[1].end - e[4].exprs[1].start == 3);
    CHECK(e[5].mode == CORE_SEG_PASSIVE && e[5].type == CORE_EXTERNREF && e[5].exprs);
    CHECK(e[6].mode == CORE_SEG_ACTIVE && e[6].table == 2);
    CHECK(e[7].mode == CORE_SEG_DECLARATIVE);
    CHECK(e[0].offset_in_module == 0x6c);
  }

  CHECK(m->ndatas == 3 && !m->has_data_count);
  if (m->ndatas == 3) {
    CHECK(m->datas[0].mode == CORE_SEG_ACTIVE && m->datas[0].memory == 0 && m->datas[0].len == 2);
    CHECK(!memcmp(m->bytes + m->datas[0].start, "hi", 2));
    CHECK(m->datas[0].offset.start == 0xb8 && m->datas[0].offset.end == 0xbb);
    CHECK(m->datas[1].mode == CORE_SEG_PASSIVE && m->datas[1].len == 7);
    CHECK(!memcmp(m->bytes + m->datas[1].start, "passive", 7));
    CHECK(m->datas[2].mode == CORE_SEG_ACTIVE && !memcmp(m->bytes + m->datas[2].start, "abc", 3));
  }

  CHECK(m->name && !strcmp(m->name, "mod"));
  CHECK(m->funcs[0].name && !strcmp(m->funcs[0].name, "imp"));
  CHECK(m->funcs[1].name && !strcmp(m->funcs[1].name, "f0"));
  CHECK(m->funcs[2].name && !strcmp(m->funcs[2].name, "f1"));
}

static void test_full(void) {
  kumi_error *err;
  core_module *m = decode(BYTES(full_wasm), &err);
  CHECK(m && !err);
  if (!m) {
    fprintf(stderr, "  %s @%llu\n", kumi_error_message(err), (unsigned long long)kumi_error_offset(err));
    kumi_error_free(err);
    return;
  }
  check_full(m);
  core_module_free(m);
}

/* Every element encoding (flags 0..7), every data encoding (0..2), a data
 * count, and custom sections between the others. Written by hand. */
static const char segments_wasm[] =
    H "\x00\x04\x01x\x01\x02"                 /* custom "x" before everything */
    "\x01\x04\x01\x60\x00\x00"                /* type: () -> () */
    "\x03\x02\x01\x00"                        /* function: 1 of type 0 */
    "\x04\x07\x02\x70\x00\x01\x6f\x00\x01"    /* tables: funcref 1, externref 1 */
    "\x05\x03\x01\x00\x01"                    /* memory: 1 page */
    "\x09\x35\x08"                            /* elem: 8 segments */
    "\x00\x41\x00\x0b\x01\x00"                /* 0: active table 0, funcs [0] */
    "\x01\x00\x01\x00"                        /* 1: passive, elemkind, funcs [0] */
    "\x02\x00\x41\x00\x0b\x00\x01\x00"        /* 2: active table 0, elemkind, funcs [0] */
    "\x03\x00\x01\x00"                        /* 3: declarative, funcs [0] */
    "\x04\x41\x00\x0b\x01\xd2\x00\x0b"        /* 4: active table 0, exprs [ref.func 0] */
    "\x05\x6f\x01\xd0\x6f\x0b"                /* 5: passive externref, [ref.null extern] */
    "\x06\x01\x41\x00\x0b\x6f\x01\xd0\x6f\x0b" /* 6: active table 1 externref */
    "\x07\x70\x01\xd2\x00\x0b"                /* 7: declarative funcref */
    "\x00\x02\x01y"                           /* custom "y" */
    "\x0c\x01\x03"                            /* data count: 3 */
    "\x0a\x04\x01\x02\x00\x0b"                /* code */
    "\x0b\x12\x03"                            /* data: 3 segments */
    "\x00\x41\x00\x0b\x02\x61\x62"            /* 0: active memory 0 "ab" */
    "\x01\x01\x63"                            /* 1: passive "c" */
    "\x02\x00\x41\x04\x0b\x01\x64"            /* 2: active memory 0 "d" */
    "\x00\x02\x01z";                          /* custom "z" at the end */

static void test_segments(void) {
  kumi_error *err;
  core_module *m = decode(BYTES(segments_wasm), &err);
  CHECK(m && !err);
  if (!m) {
    fprintf(stderr, "  %s @%llu\n", kumi_error_message(err), (unsigned long long)kumi_error_offset(err));
    kumi_error_free(err);
    return;
  }
  static const uint8_t modes[8] = {CORE_SEG_ACTIVE, CORE_SEG_PASSIVE,     CORE_SEG_ACTIVE, CORE_SEG_DECLARATIVE,
                                   CORE_SEG_ACTIVE, CORE_SEG_PASSIVE,     CORE_SEG_ACTIVE, CORE_SEG_DECLARATIVE};
  static const uint8_t types[8] = {CORE_FUNCREF, CORE_FUNCREF,   CORE_FUNCREF,   CORE_FUNCREF,
                                   CORE_FUNCREF, CORE_EXTERNREF, CORE_EXTERNREF, CORE_FUNCREF};
  CHECK(m->nelems == 8);
  for (uint32_t i = 0; i < m->nelems && i < 8; i++) {
    const core_elem *e = &m->elems[i];
    CHECK(e->mode == modes[i] && e->type == types[i] && e->count == 1);
    CHECK(i < 4 ? (e->funcs && !e->exprs && e->funcs[0] == 0) : (e->exprs && !e->funcs));
    if (e->mode == CORE_SEG_ACTIVE) CHECK(m->bytes[e->offset.start] == 0x41 && m->bytes[e->offset.end - 1] == 0x0b);
  }
  CHECK(m->nelems == 8 && m->elems[6].table == 1 && m->elems[2].table == 0);
  CHECK(m->has_data_count && m->data_count == 3 && m->ndatas == 3);
  if (m->ndatas == 3) {
    CHECK(m->datas[0].mode == CORE_SEG_ACTIVE && m->datas[0].len == 2 && m->bytes[m->datas[0].start] == 'a');
    CHECK(m->datas[1].mode == CORE_SEG_PASSIVE && m->datas[1].len == 1 && m->bytes[m->datas[1].start] == 'c');
    CHECK(m->datas[2].mode == CORE_SEG_ACTIVE && m->datas[2].memory == 0 && m->bytes[m->datas[2].start] == 'd');
    CHECK(m->bytes[m->datas[2].offset.start + 1] == 0x04);
  }
  CHECK(m->ntables == 2 && m->tables[1].elem == CORE_EXTERNREF);
  core_module_free(m);
}

/* Valid modules with something particular. */
typedef struct okcase {
  const char *name;
  const uint8_t *bytes;
  size_t len;
} okcase;

#define OK(name, s) {name, BYTES(s)}
static const okcase ok_cases[] = {
    OK("zero-count runs of locals", H "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00"
                                      "\x0a\x0a\x01\x08\x03\x00\x7f\x00\x7e\x02\x7d\x0b"),
    OK("empty function and code sections", H "\x03\x01\x00\x0a\x01\x00"),
    OK("data count 0 without data", H "\x0c\x01\x00"),
    OK("limits with padded LEB", H "\x05\x05\x01\x00\x81\x80\x00"),
    OK("multi-value type", H "\x01\x08\x01\x60\x01\x7f\x03\x7f\x7e\x7d"),
    OK("name section: truncated function names are ignored", H "\x00\x07\x04name\x01\x05"),
    OK("name section: bad UTF-8 is ignored", H "\x00\x09\x04name\x00\x02\x01\xff"),
    OK("name section: unknown subsections skipped", H "\x00\x0c\x04name\x07\x01\x00\x00\x02\x01\x6d"),
    OK("custom section with empty payload", H "\x00\x01\x00"),
    OK("block-structured constant expression", H "\x06\x09\x01\x7f\x00\x02\x40\x0b\x41\x00\x0b"),
};

static void test_ok_cases(void) {
  for (size_t i = 0; i < sizeof ok_cases / sizeof *ok_cases; i++) {
    kumi_error *err;
    core_module *m = decode(ok_cases[i].bytes, ok_cases[i].len, &err);
    CHECK(m != NULL);
    if (!m) {
      fprintf(stderr, "  case '%s': %s @%llu\n", ok_cases[i].name, kumi_error_message(err),
              (unsigned long long)kumi_error_offset(err));
      kumi_error_free(err);
      continue;
    }
    core_module_free(m);
  }
}

static void test_names(void) {
  kumi_error *err;
  /* Module name "m"; function names for 0 and for an out-of-range 5. */
  core_module *m = decode(BYTES(H "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x04\x01\x02\x00\x0b"
                                  "\x00\x12\x04name\x00\x02\x01m\x01\x07\x02\x00\x01\x66\x05\x01\x67"),
                          &err);
  CHECK(m && m->name && !strcmp(m->name, "m") && m->funcs[0].name && !strcmp(m->funcs[0].name, "f"));
  core_module_free(m);

  /* A name section that goes wrong halfway leaves no names at all. */
  m = decode(BYTES(H "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x04\x01\x02\x00\x0b"
                     "\x00\x10\x04name\x00\x02\x01m\x01\x05\x02\x00\x01\x66\x05"),
             &err);
  CHECK(m && !m->name && !m->funcs[0].name);
  core_module_free(m);

  /* Function names before the function section are applied at the end. */
  m = decode(BYTES(H "\x00\x0b\x04name\x01\x04\x01\x00\x01\x66"
                     "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x04\x01\x02\x00\x0b"),
             &err);
  CHECK(m && m->funcs[0].name && !strcmp(m->funcs[0].name, "f"));
  core_module_free(m);
}

/* ---- malformed modules ---------------------------------------------------------- */

typedef struct badcase {
  const char *name;
  const uint8_t *bytes;
  size_t len;
  const char *message; /* expected prefix */
  long offset;         /* expected error offset, or -1 */
} badcase;

#define BAD(name, s, msg, off) {name, BYTES(s), msg, off}
#define TYPE0 "\x01\x04\x01\x60\x00\x00" /* (type (func)) */
#define FUNC1 "\x03\x02\x01\x00"         /* one function of type 0 */
static const badcase bad_cases[] = {
    BAD("empty input", "", "unexpected end", 0),
    BAD("short magic", "\x00\x61\x73", "unexpected end", 3),
    BAD("wrong magic", "\x00\x61\x73\x6e\x01\x00\x00\x00", "magic header not detected", 0),
    BAD("text instead of binary", "(module)", "magic header not detected", 0),
    BAD("short version", "\x00\x61\x73\x6d\x01\x00", "unexpected end", 6),
    BAD("version 2", "\x00\x61\x73\x6d\x02\x00\x00\x00", "unknown binary version", 4),
    BAD("section id 13", H "\x0d\x00", "malformed section id", 8),
    BAD("section id 0x80", H "\x80\x01\x00", "malformed section id", 8),
    BAD("section size beyond the module", H "\x01\x05\x00", "length out of bounds", 9),
    BAD("concatenated modules", H H, "length out of bounds", 9),
    BAD("section size mismatch", H "\x01\x02\x00\x00", "section size mismatch", 12),
    BAD("one type declared, two given", H "\x01\x07\x01\x60\x00\x00\x60\x00\x00", "section size mismatch", 17),
    BAD("truncated LEB", H "\x01\x01\x80", "unexpected end", 10),
    BAD("missing section size", H "\x01", "unexpected end", 9),
    BAD("LEB representation too long", H "\x01\x06\x80\x80\x80\x80\x80\x00", "integer representation too long", 10),
    BAD("LEB too large", H "\x01\x05\xff\xff\xff\xff\x1f", "integer too large", 10),
    BAD("vector count beyond the module", H "\x01\x03\xff\xff\x03", "length out of bounds", 10),
    BAD("two types declared, one given", H "\x01\x04\x02\x60\x00\x00", "unexpected end", 14),
    BAD("function type form 0x61", H "\x01\x04\x01\x61\x00\x00", "malformed function type", 11),
    BAD("function type form as long LEB", H "\x01\x05\x01\xe0\x7f\x00\x00", "integer representation too long", 11),
    BAD("value type 0x7a", H "\x01\x05\x01\x60\x01\x7a\x00", "malformed value type", 13),
    BAD("import module name bad UTF-8", H "\x02\x07\x01\x01\xff\x01\x61\x00\x00", "malformed UTF-8 encoding", 11),
    BAD("import name surrogate", H "\x02\x08\x01\x00\x03\xed\xa0\x80\x00\x00", "malformed UTF-8 encoding", 12),
    BAD("export name overlong", H "\x07\x06\x01\x02\xc0\x80\x00\x00", "malformed UTF-8 encoding", 11),
    BAD("custom section name bad UTF-8", H "\x00\x03\x02\xc0\x80", "malformed UTF-8 encoding", 10),
    BAD("custom section empty", H "\x00\x00", "unexpected end", 10),
    BAD("name length beyond the module", H "\x00\x02\x05\x61", "length out of bounds", 10),
    BAD("name beyond its custom section", H "\x00\x02\x02\x61\x01\x01\x00", "unexpected end", 12),
    BAD("import kind 4", H "\x02\x04\x01\x00\x00\x04", "malformed import kind", 13),
    BAD("import global mutability 2", H "\x02\x06\x01\x00\x00\x03\x7f\x02", "malformed mutability", 15),
    BAD("global mutability 0xff", H "\x06\x06\x01\x7f\xff\x41\x00\x0b", "malformed mutability", 12),
    BAD("table element type i32", H "\x04\x04\x01\x7f\x00\x00", "malformed reference type", 11),
    BAD("import table element type", H "\x02\x06\x01\x00\x00\x01\x7e\x00", "malformed reference type", 14),
    BAD("memory limits flag 2", H "\x05\x03\x01\x02\x00", "integer too large", 11),
    BAD("memory limits flag 3 (shared)", H "\x05\x04\x01\x03\x00\x00", "integer too large", 11),
    BAD("table limits flag as long LEB", H "\x04\x06\x01\x70\x81\x00\x00\x00", "integer representation too long", 12),
    BAD("memory limits min too large", H "\x05\x07\x01\x00\x80\x80\x80\x80\x10", "integer too large", 12),
    BAD("memory max missing", H "\x05\x03\x01\x01\x00", "unexpected end", 13),
    BAD("export kind 4", H "\x07\x05\x01\x01\x61\x04\x00", "malformed export kind", 13),
    BAD("two type sections", H "\x01\x01\x00\x01\x01\x00", "unexpected content after last section", 11),
    BAD("import before type", H "\x02\x01\x00\x01\x01\x00", "unexpected content after last section", 11),
    BAD("data count after code", H "\x0a\x01\x00\x0c\x01\x00", "unexpected content after last section", 11),
    BAD("element after data count", H "\x0c\x01\x00\x09\x01\x00", "unexpected content after last section", 11),
    BAD("two start sections", H TYPE0 FUNC1 "\x08\x01\x00\x08\x01\x00\x0a\x04\x01\x02\x00\x0b",
        "unexpected content after last section", 21),
    BAD("functions without code", H TYPE0 FUNC1, "function and code section have inconsistent lengths", 18),
    BAD("code without functions", H "\x0a\x04\x01\x02\x00\x0b", "function and code section have inconsistent lengths",
        14),
    BAD("more code than functions", H TYPE0 FUNC1 "\x0a\x07\x02\x02\x00\x0b\x02\x00\x0b",
        "function and code section have inconsistent lengths", 27),
    BAD("two code sections", H TYPE0 "\x03\x03\x02\x00\x00\x0a\x04\x01\x02\x00\x0b\x0a\x04\x01\x02\x00\x0b",
        "unexpected content after last section", 25),
    BAD("data count above data", H "\x0c\x01\x02\x0b\x04\x01\x01\x01\x61",
        "data count and data section have inconsistent lengths", 13),
    BAD("data count without data", H "\x05\x03\x01\x00\x01\x0c\x01\x01",
        "data count and data section have inconsistent lengths", 16),
    BAD("too many locals (above the limit)", H TYPE0 FUNC1 "\x0a\x08\x01\x06\x01\xd1\x86\x03\x7f\x0b",
        "too many locals", 22),
    BAD("too many locals (2^32)", H TYPE0 FUNC1 "\x0a\x0c\x01\x0a\x02\xff\xff\xff\xff\x0f\x7f\x02\x7e\x0b",
        "too many locals", 22),
    BAD("local count above 32 bits", H TYPE0 FUNC1 "\x0a\x0c\x01\x0a\x02\x80\x80\x80\x80\x10\x7f\x02\x7e\x0b",
        "integer too large", 23),
    BAD("local type 0x7a", H TYPE0 FUNC1 "\x0a\x06\x01\x04\x01\x01\x7a\x0b", "malformed value type", 24),
    BAD("code entry beyond the module", H TYPE0 FUNC1 "\x0a\x04\x01\x10\x00\x0b", "length out of bounds", 21),
    BAD("locals beyond the code entry", H TYPE0 FUNC1 "\x0a\x06\x01\x01\x01\x01\x7f\x0b", "section size mismatch",
        23),
    BAD("illegal opcode in a global initializer", H "\x06\x06\x01\x7f\x00\x06\x00\x0b", "illegal opcode", 13),
    BAD("global initializer without end", H "\x06\x05\x01\x7f\x00\x41\x00", "unexpected end", 15),
    BAD("global initializer runs into the next section", H TYPE0 FUNC1 "\x06\x05\x01\x7f\x00\x41\x00"
                                                                       "\x0a\x04\x01\x02\x00\x0b",
        "illegal opcode", 25),
    BAD("bad LEB in a global initializer", H "\x06\x0a\x01\x7f\x00\x41\x80\x80\x80\x80\x70\x0b", "integer too large",
        14),
    BAD("element segment flags 8", H "\x09\x02\x01\x08", "malformed elements segment kind", 11),
    BAD("element kind 1", H "\x09\x04\x01\x01\x01\x00", "malformed element kind", 12),
    BAD("element reference type i32", H TYPE0 FUNC1 "\x09\x07\x01\x05\x7f\x01\xd2\x00\x0b\x0a\x04\x01\x02\x00\x0b",
        "malformed reference type", 22),
    BAD("illegal opcode in an element expression", H "\x09\x07\x01\x05\x70\x01\xf3\x00\x0b", "illegal opcode", 14),
    BAD("ref.null with a bad heap type", H "\x09\x06\x01\x05\x70\x01\xd0\x7f\x0b", "malformed reference type", 15),
    BAD("data segment flags 3", H "\x0b\x02\x01\x03", "malformed data segment kind", 11),
    BAD("data bytes beyond the module", H "\x05\x03\x01\x00\x01\x0b\x04\x01\x01\x05\x61", "unexpected end", 19),
    BAD("data bytes beyond the section", H "\x0b\x04\x01\x01\x02\x61\x62", "section size mismatch", 14),
    /* The spec reads function bodies as it decodes: an error in a body is
     * reported before one found later in the binary. Here the code entry's
     * size cuts an over-long LEB in two, and what follows is junk. */
    BAD("body error reported first",
        H TYPE0 FUNC1 "\x05\x03\x01\x00\x01\x0a\x11\x01\x0f\x01\x01\x7f\x41\x00\x28\x02"
                      "\x82\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00\x1a\x0b",
        "integer representation too long", 34),
};

static void test_bad_cases(void) {
  for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
    const badcase *c = &bad_cases[i];
    kumi_error *err = NULL;
    core_module *m = decode(c->bytes, c->len, &err);
    bool ok = !m && err && kumi_error_kind_of(err) == KUMI_ERR_MALFORMED &&
              !strncmp(kumi_error_message(err), c->message, strlen(c->message)) &&
              (c->offset < 0 || kumi_error_offset(err) == (uint64_t)c->offset);
    CHECK(ok);
    if (!ok) {
      if (m)
        fprintf(stderr, "  case '%s': decoded, expected '%s'\n", c->name, c->message);
      else
        fprintf(stderr, "  case '%s': got '%s' @%llu, expected '%s' @%ld\n", c->name, kumi_error_message(err),
                (unsigned long long)kumi_error_offset(err), c->message, c->offset);
    }
    core_module_free(m);
    kumi_error_free(err);
  }
}

/* ---- the instruction reader ------------------------------------------------------- */

/* The reader tests below are WebAssembly 2.0 ones (SIMD included); the
 * *_f variants take the features to read with. */
#define WASM2 KUMI_FEATURE_SIMD

static kumi_error *read1(const uint8_t *b, size_t n, kumi_features f, core_instr *in, size_t *pos) {
  *pos = 0;
  return core_read_instr_with(kb_default_allocator(), b, pos, n, f, in);
}

/* Reads one instruction that must use all n bytes. */
static bool read_all_f(const uint8_t *b, size_t n, kumi_features f, core_instr *in) {
  size_t pos;
  kumi_error *e = read1(b, n, f, in, &pos);
  if (e) {
    fprintf(stderr, "  read: %s @%llu\n", kumi_error_message(e), (unsigned long long)kumi_error_offset(e));
    kumi_error_free(e);
    return false;
  }
  return pos == n;
}

/* Must fail with the message prefix at the offset. */
static bool read_fails_f(const uint8_t *b, size_t n, kumi_features f, const char *msg, uint64_t offset) {
  core_instr in;
  size_t pos;
  kumi_error *e = read1(b, n, f, &in, &pos);
  if (!e) return false;
  bool ok = kumi_error_kind_of(e) == KUMI_ERR_MALFORMED && !strncmp(kumi_error_message(e), msg, strlen(msg)) &&
            kumi_error_offset(e) == offset && pos == 0;
  if (!ok)
    fprintf(stderr, "  got '%s' @%llu, expected '%s' @%llu\n", kumi_error_message(e),
            (unsigned long long)kumi_error_offset(e), msg, (unsigned long long)offset);
  kumi_error_free(e);
  return ok;
}

static bool read_all(const uint8_t *b, size_t n, core_instr *in) { return read_all_f(b, n, WASM2, in); }
static bool read_fails(const uint8_t *b, size_t n, const char *msg, uint64_t offset) {
  return read_fails_f(b, n, WASM2, msg, offset);
}

static void test_instr(void) {
  core_instr in;
  /* The table and the reader agree on every opcode's encoding. */
  for (int op = 0; op < CORE_OP_COUNT; op++) {
    uint8_t b[4];
    size_t n = 0;
    uint16_t code = core_opinfos[op].code;
    if (code < 0x100) {
      b[n++] = (uint8_t)code;
    } else {
      b[n++] = (uint8_t)(code >> 8);
      b[n++] = (uint8_t)(code & 0x7F) | (code & 0x80 ? 0x80 : 0);
      if (code & 0x80) b[n++] = 0x01;
    }
    size_t pos = 0;
    kumi_error *e = core_read_instr_with(kb_default_allocator(), b, &pos, n, CORE_FEATURES_ENGINE, &in);
    /* Without immediates the read either succeeds or stops at the end. */
    CHECK(e ? !strncmp(kumi_error_message(e), "unexpected end", 14) : (int)in.op == op);
    kumi_error_free(e);
  }
  CHECK(!strcmp(core_opinfos[CORE_OP_I32_ADD].name, "i32.add") && !strcmp(core_opinfos[CORE_OP_I32_ADD].sig, "ii:i"));
  CHECK(core_opinfos[CORE_OP_TABLE_FILL].code == 0xFC11 && core_opinfos[CORE_OP_BR_TABLE].imm == CORE_IMM_BR_TABLE);

  CHECK(read_all(BYTES("\x02\x40"), &in) && in.op == CORE_OP_BLOCK && in.imm.block.kind == CORE_BLOCK_EMPTY);
  CHECK(read_all(BYTES("\x03\x7e"), &in) && in.op == CORE_OP_LOOP && in.imm.block.kind == CORE_BLOCK_VALTYPE &&
        in.imm.block.type == CORE_I64);
  CHECK(read_all(BYTES("\x04\x6f"), &in) && in.imm.block.kind == CORE_BLOCK_VALTYPE && in.imm.block.type == CORE_EXTERNREF);
  CHECK(read_all(BYTES("\x02\x05"), &in) && in.imm.block.kind == CORE_BLOCK_TYPEIDX && in.imm.block.type == 5);
  CHECK(read_all(BYTES("\x02\x80\x01"), &in) && in.imm.block.kind == CORE_BLOCK_TYPEIDX && in.imm.block.type == 128);
  CHECK(read_all(BYTES("\x02\xff\xff\xff\xff\x0f"), &in) && in.imm.block.type == 0xFFFFFFFFu);
  CHECK(read_fails(BYTES("\x02\x41"), "malformed block type", 1));
  CHECK(read_fails(BYTES("\x02\xff\xff\xff\xff\x1f"), "integer too large", 1));
  CHECK(read_fails(BYTES("\x02"), "unexpected end", 1));

  CHECK(read_all(BYTES("\x0c\x03"), &in) && in.op == CORE_OP_BR && in.imm.index == 3);
  CHECK(read_all(BYTES("\x0e\x03\x00\x81\x01\x02\x04"), &in) && in.op == CORE_OP_BR_TABLE);
  if (in.op == CORE_OP_BR_TABLE) {
    const uint8_t *b = (const uint8_t *)"\x0e\x03\x00\x81\x01\x02\x04";
    uint32_t pos = in.imm.br_table.pos;
    CHECK(in.imm.br_table.count == 3 && in.imm.br_table.default_label == 4 && pos == 2);
    CHECK(core_br_table_next(b, &pos) == 0 && core_br_table_next(b, &pos) == 129 && core_br_table_next(b, &pos) == 2);
    CHECK(pos == 6);
  }
  CHECK(read_fails(BYTES("\x0e\x05\x00\x00"), "unexpected end", 4));
  CHECK(read_fails(BYTES("\x0e\xff\xff\xff\xff\x0f\x00"), "unexpected end", 7));

  CHECK(read_all(BYTES("\x10\xe5\x8e\x26"), &in) && in.op == CORE_OP_CALL && in.imm.index == 624485);
  CHECK(read_all(BYTES("\x11\x02\x01"), &in) && in.imm.call_indirect.type == 2 && in.imm.call_indirect.table == 1);
  CHECK(read_all(BYTES("\x1c\x01\x7d"), &in) && in.op == CORE_OP_SELECT_T && in.imm.select_t.count == 1 &&
        in.imm.select_t.type == CORE_F32);
  CHECK(read_all(BYTES("\x1c\x00"), &in) && in.imm.select_t.count == 0);
  CHECK(read_all(BYTES("\x1c\x02\x7f\x7e"), &in) && in.imm.select_t.count == 2 && in.imm.select_t.type == CORE_I32);
  CHECK(read_fails(BYTES("\x1c\x01\x40"), "malformed value type", 2));
  CHECK(read_all(BYTES("\x20\x07"), &in) && in.op == CORE_OP_LOCAL_GET && in.imm.index == 7);
  CHECK(read_all(BYTES("\x24\x01"), &in) && in.op == CORE_OP_GLOBAL_SET && in.imm.index == 1);
  CHECK(read_all(BYTES("\x26\x02"), &in) && in.op == CORE_OP_TABLE_SET && in.imm.index == 2);

  CHECK(read_all(BYTES("\x28\x02\x10"), &in) && in.op == CORE_OP_I32_LOAD && in.imm.memarg.align == 2 &&
        in.imm.memarg.offset == 16 && in.imm.memarg.memory == 0);
  CHECK(read_all(BYTES("\x37\x1f\xff\xff\xff\xff\x0f"), &in) && in.imm.memarg.align == 31 &&
        in.imm.memarg.offset == 0xFFFFFFFFu);
  CHECK(read_fails(BYTES("\x28\x20\x00"), "malformed memop flags", 1));
  CHECK(read_fails(BYTES("\x28\x40\x00\x00"), "malformed memop flags", 1));
  CHECK(read_fails(BYTES("\x28\x02\x80\x80\x80\x80\x10"), "integer too large", 2));

  CHECK(read_all(BYTES("\x3f\x00"), &in) && in.op == CORE_OP_MEMORY_SIZE && in.imm.index == 0);
  CHECK(read_all(BYTES("\x40\x00"), &in) && in.op == CORE_OP_MEMORY_GROW);
  CHECK(read_fails(BYTES("\x40\x01"), "zero byte expected", 1));
  CHECK(read_fails(BYTES("\x3f\x80\x00"), "zero byte expected", 1));

  CHECK(read_all(BYTES("\x41\x7f"), &in) && in.op == CORE_OP_I32_CONST && in.imm.i32 == -1);
  CHECK(read_all(BYTES("\x41\xff\xff\xff\xff\x07"), &in) && in.imm.i32 == INT32_MAX);
  CHECK(read_all(BYTES("\x41\x80\x80\x80\x80\x78"), &in) && in.imm.i32 == INT32_MIN);
  CHECK(read_fails(BYTES("\x41\x80\x80\x80\x80\x70"), "integer too large", 1));
  CHECK(read_all(BYTES("\x42\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7f"), &in) && in.imm.i64 == INT64_MIN);
  CHECK(read_all(BYTES("\x43\x00\x00\x80\x3f"), &in) && in.op == CORE_OP_F32_CONST && in.imm.f32 == 0x3f800000u);
  CHECK(read_all(BYTES("\x44\x01\x00\x00\x00\x00\x00\xf8\x7f"), &in) && in.imm.f64 == 0x7ff8000000000001ull);
  CHECK(read_fails(BYTES("\x44\x00\x00\x00"), "unexpected end", 1));

  CHECK(read_all(BYTES("\xd0\x70"), &in) && in.op == CORE_OP_REF_NULL && in.imm.heaptype == CORE_FUNCREF);
  CHECK(read_all(BYTES("\xd0\x6f"), &in) && in.imm.heaptype == CORE_EXTERNREF);
  CHECK(read_fails(BYTES("\xd0\x7f"), "malformed reference type", 1));
  CHECK(read_all(BYTES("\xd2\x03"), &in) && in.op == CORE_OP_REF_FUNC && in.imm.index == 3);

  CHECK(read_all(BYTES("\xfc\x00"), &in) && in.op == CORE_OP_I32_TRUNC_SAT_F32_S);
  CHECK(read_all(BYTES("\xfc\x87\x00"), &in) && in.op == CORE_OP_I64_TRUNC_SAT_F64_U); /* padded sub-opcode */
  CHECK(read_all(BYTES("\xfc\x08\x02\x00"), &in) && in.op == CORE_OP_MEMORY_INIT && in.imm.pair.a == 2 &&
        in.imm.pair.b == 0);
  CHECK(read_fails(BYTES("\xfc\x08\x02\x01"), "zero byte expected", 3));
  CHECK(read_all(BYTES("\xfc\x09\x04"), &in) && in.op == CORE_OP_DATA_DROP && in.imm.index == 4);
  CHECK(read_all(BYTES("\xfc\x0a\x00\x00"), &in) && in.op == CORE_OP_MEMORY_COPY);
  CHECK(read_fails(BYTES("\xfc\x0a\x00\x01"), "zero byte expected", 3));
  CHECK(read_all(BYTES("\xfc\x0b\x00"), &in) && in.op == CORE_OP_MEMORY_FILL);
  CHECK(read_all(BYTES("\xfc\x0c\x05\x01"), &in) && in.op == CORE_OP_TABLE_INIT && in.imm.pair.a == 5 &&
        in.imm.pair.b == 1);
  CHECK(read_all(BYTES("\xfc\x0d\x05"), &in) && in.op == CORE_OP_ELEM_DROP && in.imm.index == 5);
  CHECK(read_all(BYTES("\xfc\x0e\x01\x02"), &in) && in.op == CORE_OP_TABLE_COPY && in.imm.pair.a == 1 &&
        in.imm.pair.b == 2);
  CHECK(read_all(BYTES("\xfc\x0f\x01"), &in) && in.op == CORE_OP_TABLE_GROW && in.imm.index == 1);
  CHECK(read_all(BYTES("\xfc\x10\x00"), &in) && in.op == CORE_OP_TABLE_SIZE);
  CHECK(read_all(BYTES("\xfc\x11\x00"), &in) && in.op == CORE_OP_TABLE_FILL);
  CHECK(read_fails(BYTES("\xfc\x12"), "illegal opcode", 0));
  CHECK(read_fails(BYTES("\xfc\x80\x02"), "illegal opcode", 0));
  CHECK(read_fails(BYTES("\xfc\xff\xff\xff\xff\x1f"), "integer too large", 1));
  CHECK(read_fails(BYTES("\xfc"), "unexpected end", 1));
  CHECK(read_fails(BYTES("\x06"), "illegal opcode", 0));
  CHECK(read_fails(BYTES("\x27"), "illegal opcode", 0));
  CHECK(read_fails(BYTES("\xc5"), "illegal opcode", 0));
  CHECK(read_fails(BYTES("\x12\x00"), "illegal opcode", 0)); /* tail calls are not 2.0 */
  CHECK(read_fails(BYTES("\x13\x00\x00"), "illegal opcode", 0));

  /* Offsets are absolute: the reader starts where it is told. */
  {
    const uint8_t b[] = {0x01, 0x01, 0x41, 0x80};
    size_t pos = 2;
    kumi_error *e = core_read_instr(kb_default_allocator(), b, &pos, sizeof b, &in);
    CHECK(e && kumi_error_offset(e) == 3 && pos == 2);
    kumi_error_free(e);
    pos = 1;
    e = core_read_instr(kb_default_allocator(), b, &pos, sizeof b, &in);
    CHECK(!e && in.op == CORE_OP_NOP && in.offset == 1 && pos == 2);
  }
}

/* SIMD, tail calls and multi-memory encodings, and the features that turn
 * them on. */
static void test_instr_proposals(void) {
  core_instr in;
  const kumi_features all = CORE_FEATURES_ALL, none = 0;
  /* SIMD: a 0xFD prefix and a u32 sub-opcode. */
  CHECK(read_all_f(BYTES("\xfd\x00\x04\x10"), none | KUMI_FEATURE_SIMD, &in) && in.op == CORE_OP_V128_LOAD &&
        in.imm.memarg.align == 4 && in.imm.memarg.offset == 16);
  CHECK(read_all_f(BYTES("\xfd\x80\x01"), all, &in) && in.op == CORE_OP_I16X8_ABS);
  CHECK(read_all_f(BYTES("\xfd\xff\x01"), all, &in) && in.op == CORE_OP_F64X2_CONVERT_LOW_I32X4_U);
  CHECK(read_all_f(BYTES("\xfd\x8e\x80\x80\x00"), all, &in) && in.op == CORE_OP_I8X16_SWIZZLE); /* padded 0x0e */
  CHECK(read_all_f(BYTES("\xfd\x0c\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"), all, &in) &&
        in.op == CORE_OP_V128_CONST && in.imm.bytes[0] == 1 && in.imm.bytes[15] == 16);
  CHECK(read_all_f(BYTES("\xfd\x0d\x00\x11\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x1f"), all, &in) &&
        in.op == CORE_OP_I8X16_SHUFFLE && in.imm.bytes[1] == 17 && in.imm.bytes[15] == 31);
  CHECK(read_fails_f(BYTES("\xfd\x0c\x01\x02\x03"), all, "unexpected end", 2));
  CHECK(read_all_f(BYTES("\xfd\x15\x0f"), all, &in) && in.op == CORE_OP_I8X16_EXTRACT_LANE_S && in.imm.lane == 15);
  CHECK(read_all_f(BYTES("\xfd\x15\xff"), all, &in) && in.imm.lane == 255); /* the range is the validator's */
  CHECK(read_fails_f(BYTES("\xfd\x22"), all, "unexpected end", 2));
  CHECK(read_all_f(BYTES("\xfd\x57\x03\x08\x01"), all, &in) && in.op == CORE_OP_V128_LOAD64_LANE &&
        in.imm.memarg.align == 3 && in.imm.memarg.offset == 8 && in.imm.memarg.lane == 1);
  CHECK(read_all_f(BYTES("\xfd\x58\x40\x02\x00\x07"), all, &in) && in.op == CORE_OP_V128_STORE8_LANE &&
        in.imm.memarg.memory == 2 && in.imm.memarg.lane == 7);
  CHECK(read_fails_f(BYTES("\xfd\x9a\x01"), all, "illegal opcode fd 9a", 0)); /* a gap in the table */
  CHECK(read_fails_f(BYTES("\xfd\x80\x02"), all, "illegal opcode", 0));     /* relaxed SIMD: not supported */
  CHECK(read_fails_f(BYTES("\xfd\x00\x04\x10"), none, "illegal opcode fd", 0));
  CHECK(read_fails_f(BYTES("\x02\x7b"), none, "malformed block type", 1));
  CHECK(read_all_f(BYTES("\x02\x7b"), all, &in) && in.imm.block.type == CORE_V128);
  CHECK(read_fails_f(BYTES("\x1c\x01\x7b"), none, "malformed value type", 2));
  CHECK(core_opinfos[CORE_OP_V128_LOAD].align == 4 && core_opinfos[CORE_OP_V128_LOAD8_SPLAT].align == 0 &&
        core_opinfos[CORE_OP_V128_LOAD32_LANE].align == 2 && core_opinfos[CORE_OP_I32_LOAD16_U].align == 1 &&
        core_opinfos[CORE_OP_F64_STORE].align == 3);

  /* Tail calls. */
  CHECK(read_all_f(BYTES("\x12\x05"), KUMI_FEATURE_TAIL_CALL, &in) && in.op == CORE_OP_RETURN_CALL && in.imm.index == 5);
  CHECK(read_all_f(BYTES("\x13\x02\x01"), KUMI_FEATURE_TAIL_CALL, &in) && in.op == CORE_OP_RETURN_CALL_INDIRECT &&
        in.imm.call_indirect.type == 2 && in.imm.call_indirect.table == 1);

  /* Multi-memory: memarg flag bit 6 announces a memory index; memory.size
   * and friends take an index LEB instead of the 2.0 zero byte. */
  const kumi_features mm = KUMI_FEATURE_MULTI_MEMORY;
  CHECK(read_all_f(BYTES("\x28\x42\x03\x10"), mm, &in) && in.imm.memarg.align == 2 && in.imm.memarg.memory == 3 &&
        in.imm.memarg.offset == 16);
  CHECK(read_all_f(BYTES("\x28\x20\x00"), mm, &in) && in.imm.memarg.align == 32); /* invalid, not malformed */
  CHECK(read_fails_f(BYTES("\x28\x80\x01\x00"), mm, "malformed memop flags", 1));
  CHECK(read_fails_f(BYTES("\x28\x42"), mm, "unexpected end", 2));
  CHECK(read_all_f(BYTES("\x3f\x80\x00"), mm, &in) && in.op == CORE_OP_MEMORY_SIZE && in.imm.index == 0);
  CHECK(read_all_f(BYTES("\x40\x02"), mm, &in) && in.op == CORE_OP_MEMORY_GROW && in.imm.index == 2);
  CHECK(read_all_f(BYTES("\xfc\x08\x02\x01"), mm, &in) && in.imm.pair.a == 2 && in.imm.pair.b == 1);
  CHECK(read_all_f(BYTES("\xfc\x0a\x01\x02"), mm, &in) && in.imm.pair.a == 1 && in.imm.pair.b == 2);
  CHECK(read_all_f(BYTES("\xfc\x0b\x03"), mm, &in) && in.op == CORE_OP_MEMORY_FILL && in.imm.index == 3);

  /* core_read_instr reads with every feature. */
  size_t pos = 0;
  kumi_error *e = core_read_instr(kb_default_allocator(), (const uint8_t *)"\x28\x42\x03\x10", &pos, 4, &in);
  CHECK(!e && in.imm.memarg.memory == 3 && pos == 4);
  kumi_error_free(e);
}

/* Decoding with features: v128 is a value type only with SIMD, wherever a
 * value type is read (types, locals, globals, constant expressions). */
static void test_decode_features(void) {
  static const struct {
    const uint8_t *bytes;
    size_t len;
  } v128s[] = {
      {BYTES(H "\x01\x05\x01\x60\x01\x7b\x00")},                              /* (type (func (param v128))) */
      {BYTES(H "\x06\x16\x01\x7b\x00\xfd\x0c" "0123456789abcdef" "\x0b")},   /* (global v128 (v128.const ...)) */
      {BYTES(H "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x06\x01\x04\x01\x01\x7b\x0b")}, /* (local v128) */
  };
  for (size_t i = 0; i < sizeof v128s / sizeof v128s[0]; i++) {
    kumi_error *err = NULL;
    core_module *m =
        core_module_decode_with(kb_default_allocator(), v128s[i].bytes, v128s[i].len, KUMI_FEATURE_SIMD, &err);
    CHECK(m && !err && m->features == KUMI_FEATURE_SIMD);
    core_module_free(m);
    kumi_error_free(err);
    err = NULL;
    m = core_module_decode_with(kb_default_allocator(), v128s[i].bytes, v128s[i].len, 0, &err);
    CHECK(!m && err && kumi_error_kind_of(err) == KUMI_ERR_MALFORMED);
    if (err) CHECK(!strcmp(kumi_error_message(err), "malformed value type"));
    core_module_free(m);
    kumi_error_free(err);
  }
  /* core_module_decode uses the defaults. */
  kumi_error *err = NULL;
  core_module *m = core_module_decode(kb_default_allocator(), BYTES(H), &err);
  CHECK(m && m->features == KUMI_FEATURES_DEFAULT);
  core_module_free(m);
}

static void test_types(void) {
  CHECK(core_is_valtype(CORE_I32) && core_is_valtype(CORE_V128) && core_is_valtype(CORE_EXTERNREF));
  CHECK(!core_is_valtype(0x40) && !core_is_valtype(0x7A) && !core_is_valtype(0));
  CHECK(core_is_reftype(CORE_FUNCREF) && core_is_reftype(CORE_EXTERNREF) && !core_is_reftype(CORE_I32));
  CHECK(!strcmp(core_valtype_name(CORE_F64), "f64") && !strcmp(core_valtype_name(CORE_FUNCREF), "funcref"));
  core_valtype a[] = {CORE_I32, CORE_I64}, b[] = {CORE_I32, CORE_F64};
  core_functype fa = {1, 1, a}, fb = {1, 1, b}, fc = {2, 0, a};
  CHECK(!core_functype_equal(&fa, &fb) && !core_functype_equal(&fa, &fc));
  b[1] = CORE_I64;
  CHECK(core_functype_equal(&fa, &fb));
  core_module_free(NULL);
}

/* ---- allocation failure ------------------------------------------------------------- */

/* Every allocation in turn fails: decoding reports out-of-memory (or, on
 * the error path, some error) and frees everything either way. */
static void oom_sweep(const uint8_t *bytes, size_t len, bool valid) {
  bool all_clean = true, reached_success = false;
  for (long budget = 0; budget < 10000 && !reached_success; budget++) {
    test_alloc c;
    kumi_allocator al = test_alloc_init(&c, budget);
    kumi_error *err = NULL;
    core_module *m = core_module_decode(&al, bytes, len, &err);
    if (m) {
      reached_success = true;
      core_module_free(m);
    } else {
      if (!err) all_clean = false;
      else if (valid && kumi_error_kind_of(err) != KUMI_ERR_OOM) all_clean = false;
      kumi_error_free(err);
      if (!valid && budget > 200) reached_success = true; /* enough */
    }
    if (!test_alloc_clean(&c)) all_clean = false;
  }
  CHECK(all_clean);
  CHECK(reached_success);
}

static void test_oom(void) {
  oom_sweep(BYTES(full_wasm), true);
  oom_sweep(BYTES(segments_wasm), true);
  oom_sweep(bad_cases[sizeof bad_cases / sizeof *bad_cases - 1].bytes,
            bad_cases[sizeof bad_cases / sizeof *bad_cases - 1].len, false);
  /* A counting allocator with no limit: decode and free leave nothing. */
  test_alloc c;
  kumi_allocator al = test_alloc_init(&c, -1);
  kumi_error *err;
  core_module *m = core_module_decode(&al, BYTES(full_wasm), &err);
  CHECK(m != NULL);
  if (m) check_full(m);
  core_module_free(m);
  CHECK(test_alloc_clean(&c));
  for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
    m = core_module_decode(&al, bad_cases[i].bytes, bad_cases[i].len, &err);
    core_module_free(m);
    kumi_error_free(err);
  }
  CHECK(test_alloc_clean(&c));
}

/* Every prefix of a valid module is malformed, or valid when it ends at a
 * section boundary outside the function..code stretch; never a crash. */
static void test_truncations(void) {
  size_t n = sizeof full_wasm - 1, decoded = 0;
  bool ok = true;
  for (size_t len = 0; len < n; len++) {
    kumi_error *err = NULL;
    core_module *m = decode((const uint8_t *)full_wasm, len, &err);
    if (m) decoded++;
    else if (kumi_error_kind_of(err) != KUMI_ERR_MALFORMED) ok = false;
    core_module_free(m);
    kumi_error_free(err);
  }
  CHECK(ok);
  CHECK(decoded == 5); /* ends after the header, type, import, code, data */
}

int main(void) {
  test_empty();
  test_full();
  test_segments();
  test_ok_cases();
  test_names();
  test_bad_cases();
  test_instr();
  test_instr_proposals();
  test_decode_features();
  test_types();
  test_oom();
  test_truncations();
  return test_summary();
}
