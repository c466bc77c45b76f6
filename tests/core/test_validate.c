/* Unit tests for src/core/validate.c: hand-made modules (bytes from
 * wat2wasm --no-check, with the WAT beside them, or written by hand) that
 * must validate, or fail with a given kind and message prefix; error
 * offsets; out-of-memory behaviour and leaks under a counting allocator. */
#include "core/module.h"

#include "../test.h"

enum { EXPECT_OK, EXPECT_INVALID, EXPECT_MALFORMED };

typedef struct vcase {
  const char *name;
  const char *wat; /* source of the bytes, or NULL when written by hand */
  const char *bytes;
  size_t len;
  int expect;
  const char *message; /* expected prefix of the error message, or NULL */
} vcase;

static const vcase cases[] = {
    {"empty module",
     "(module)",
     "\x00\x61\x73\x6d\x01\x00\x00\x00",
     8, EXPECT_OK, NULL},
    {"add params",
     "(module (func (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x07\x01\x60\x02\x7f\x7f\x01\x7f\x03\x02\x01\x00\x0a\x09\x01"
     "\x07\x00\x20\x00\x20\x01\x6a\x0b",
     32, EXPECT_OK, NULL},
    {"locals and tee",
     "(module (func (param i64) (result i64) (local f32 i64) local.get 0 local.tee 2 local.get 2 i64.mul))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x06\x01\x60\x01\x7e\x01\x7e\x03\x02\x01\x00\x0a\x0f\x01\x0d"
     "\x02\x01\x7d\x01\x7e\x20\x00\x22\x02\x20\x02\x7e\x0b",
     37, EXPECT_OK, NULL},
    {"multi-value block with params",
     "(module (type $t (func (param i32) (result i32 i32))) (func (result i32) i32.const 1 block (type $t) i32.const 2 end i32.add))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x0b\x02\x60\x01\x7f\x02\x7f\x7f\x60\x00\x01\x7f\x03\x02\x01"
     "\x01\x0a\x0c\x01\x0a\x00\x41\x01\x02\x00\x41\x02\x0b\x6a\x0b",
     39, EXPECT_OK, NULL},
    {"loop with params branches to its start",
     "(module (type $t (func (param i32) (result i32))) (func (param i32) (result i32) local.get 0 loop (type $t) i32.const 1 i32.sub local.tee 0 local.get 0 br_if 0 end))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x06\x01\x60\x01\x7f\x01\x7f\x03\x02\x01\x00\x0a\x12\x01\x10"
     "\x00\x20\x00\x03\x00\x41\x01\x6b\x22\x00\x20\x00\x0d\x00\x0b\x0b",
     40, EXPECT_OK, NULL},
    {"if else with results",
     "(module (func (param i32) (result f64) local.get 0 if (result f64) f64.const 1 else f64.const 2 end))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x06\x01\x60\x01\x7f\x01\x7c\x03\x02\x01\x00\x0a\x1c\x01\x1a"
     "\x00\x20\x00\x04\x7c\x44\x00\x00\x00\x00\x00\x00\xf0\x3f\x05\x44\x00\x00\x00\x00\x00\x00\x00\x40"
     "\x0b\x0b",
     50, EXPECT_OK, NULL},
    {"if without else, params equal results",
     "(module (type $t (func (param i32) (result i32))) (func (result i32) i32.const 5 i32.const 1 if (type $t) i32.const 1 i32.add end))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x0a\x02\x60\x01\x7f\x01\x7f\x60\x00\x01\x7f\x03\x02\x01\x01"
     "\x0a\x0e\x01\x0c\x00\x41\x05\x41\x01\x04\x00\x41\x01\x6a\x0b\x0b",
     40, EXPECT_OK, NULL},
    {"br_table same arity",
     "(module (func (param i32) (result i32) block (result i32) block (result i32) i32.const 7 local.get 0 br_table 0 1 0 end end))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x06\x01\x60\x01\x7f\x01\x7f\x03\x02\x01\x00\x0a\x13\x01\x11"
     "\x00\x02\x7f\x02\x7f\x41\x07\x20\x00\x0e\x02\x00\x01\x00\x0b\x0b\x0b",
     41, EXPECT_OK, NULL},
    {"unreachable makes stack polymorphic",
     "(module (func (result i32) unreachable i32.add))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x06\x01\x04\x00"
     "\x00\x6a\x0b",
     27, EXPECT_OK, NULL},
    {"polymorphic select",
     "(module (func (result i32) unreachable select))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x06\x01\x04\x00"
     "\x00\x1b\x0b",
     27, EXPECT_OK, NULL},
    {"polymorphic br_table to labels of different types",
     "(module (func (param i32) (result i32) block (result i32) block (result f32) unreachable br_table 0 1 end drop i32.const 0 end))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x06\x01\x60\x01\x7f\x01\x7f\x03\x02\x01\x00\x0a\x12\x01\x10"
     "\x00\x02\x7f\x02\x7d\x00\x0e\x01\x00\x01\x0b\x1a\x41\x00\x0b\x0b",
     40, EXPECT_OK, NULL},
    {"polymorphic br_table",
     "(module (func (result i32) block (result f32) unreachable br_table 0 0 end drop i32.const 0))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x0f\x01\x0d\x00"
     "\x02\x7d\x00\x0e\x01\x00\x00\x0b\x1a\x41\x00\x0b",
     36, EXPECT_OK, NULL},
    {"br leaves rest polymorphic",
     "(module (func (result i64) block (result i64) i64.const 1 br 0 i64.add end))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7e\x03\x02\x01\x00\x0a\x0c\x01\x0a\x00"
     "\x02\x7e\x42\x01\x0c\x00\x7c\x0b\x0b",
     33, EXPECT_OK, NULL},
    {"polymorphic stack result still checked",
     "(module (func (result i64) block (result i64) i64.const 1 br 0 i32.add end))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7e\x03\x02\x01\x00\x0a\x0c\x01\x0a\x00"
     "\x02\x7e\x42\x01\x0c\x00\x6a\x0b\x0b",
     33, EXPECT_INVALID, "type mismatch"},
    {"return inside blocks",
     "(module (func (result i32) block block i32.const 3 return end end i32.const 4))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x0f\x01\x0d\x00"
     "\x02\x40\x02\x40\x41\x03\x0f\x0b\x0b\x41\x04\x0b",
     36, EXPECT_OK, NULL},
    {"typed select on funcref",
     "(module (func (param i32) (result funcref) ref.null func ref.null func local.get 0 select (result funcref)))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x06\x01\x60\x01\x7f\x01\x70\x03\x02\x01\x00\x0a\x0d\x01\x0b"
     "\x00\xd0\x70\xd0\x70\x20\x00\x1c\x01\x70\x0b",
     35, EXPECT_OK, NULL},
    {"ref.func declared by elem",
     "(module (func $f) (elem declare func $f) (func (result funcref) ref.func $f))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x08\x02\x60\x00\x00\x60\x00\x01\x70\x03\x03\x02\x00\x01\x09"
     "\x05\x01\x03\x00\x01\x00\x0a\x09\x02\x02\x00\x0b\x04\x00\xd2\x00\x0b",
     41, EXPECT_OK, NULL},
    {"ref.func declared by export",
     "(module (func $f (export \"f\")) (func (result funcref) ref.func $f))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x08\x02\x60\x00\x00\x60\x00\x01\x70\x03\x03\x02\x00\x01\x07"
     "\x05\x01\x01\x66\x00\x00\x0a\x09\x02\x02\x00\x0b\x04\x00\xd2\x00\x0b",
     41, EXPECT_OK, NULL},
    {"ref.func declared by global",
     "(module (func $f) (global funcref (ref.func $f)) (func (result funcref) ref.func $f))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x08\x02\x60\x00\x00\x60\x00\x01\x70\x03\x03\x02\x00\x01\x06"
     "\x06\x01\x70\x00\xd2\x00\x0b\x0a\x09\x02\x02\x00\x0b\x04\x00\xd2\x00\x0b",
     42, EXPECT_OK, NULL},
    {"ref.is_null",
     "(module (func (param externref) (result i32) local.get 0 ref.is_null))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x06\x01\x60\x01\x6f\x01\x7f\x03\x02\x01\x00\x0a\x07\x01\x05"
     "\x00\x20\x00\xd1\x0b",
     29, EXPECT_OK, NULL},
    {"polymorphic ref.is_null",
     "(module (func (result i32) unreachable ref.is_null))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x06\x01\x04\x00"
     "\x00\xd1\x0b",
     27, EXPECT_OK, NULL},
    {"table ops",
     "(module (table $t 1 funcref) (table $e 2 externref) (elem $s func 0) (func (param externref) (drop (table.get $t (i32.const 0))) (table.set $e (i32.const 1) (local.get 0)) (drop (table.grow $e (local.get 0) (i32.const 1))) (drop (table.size $t)) (table.fill $e (i32.const 0) (local.get 0) (i32.const 1)) (table.copy $t $t (i32.const 0) (i32.const 0) (i32.const 1)) (table.init $t $s (i32.const 0) (i32.const 0) (i32.const 1)) (elem.drop $s)))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x01\x6f\x00\x03\x02\x01\x00\x04\x07\x02\x70\x00"
     "\x01\x6f\x00\x02\x09\x05\x01\x01\x00\x01\x00\x0a\x3b\x01\x39\x00\x41\x00\x25\x00\x1a\x41\x01\x20"
     "\x00\x26\x01\x20\x00\x41\x01\xfc\x0f\x01\x1a\xfc\x10\x00\x1a\x41\x00\x20\x00\x41\x01\xfc\x11\x01"
     "\x41\x00\x41\x00\x41\x01\xfc\x0e\x00\x00\x41\x00\x41\x00\x41\x01\xfc\x0c\x00\x00\xfc\x0d\x00\x0b",
     96, EXPECT_OK, NULL},
    {"memory ops and bulk memory",
     "(module (memory 1 2) (data $d \"abc\") (func (result i32) (i32.store8 (i32.const 0) (i32.load16_u align=2 (i32.const 1))) (i64.store32 offset=4 (i32.const 0) (i64.const 9)) (memory.init $d (i32.const 0) (i32.const 0) (i32.const 3)) (data.drop $d) (memory.copy (i32.const 0) (i32.const 1) (i32.const 2)) (memory.fill (i32.const 0) (i32.const 1) (i32.const 2)) (drop (memory.grow (i32.const 1))) (memory.size)))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x05\x04\x01\x01\x01"
     "\x02\x0c\x01\x01\x0a\x3c\x01\x3a\x00\x41\x00\x41\x01\x2f\x01\x00\x3a\x00\x00\x41\x00\x42\x09\x3e"
     "\x02\x04\x41\x00\x41\x00\x41\x03\xfc\x08\x00\x00\xfc\x09\x00\x41\x00\x41\x01\x41\x02\xfc\x0a\x00"
     "\x00\x41\x00\x41\x01\x41\x02\xfc\x0b\x00\x41\x01\x40\x00\x1a\x3f\x00\x0b\x0b\x06\x01\x01\x03\x61"
     "\x62\x63",
     98, EXPECT_OK, NULL},
    {"call and call_indirect",
     "(module (type $t (func (param i32) (result i32))) (table 2 funcref) (func $f (type $t) local.get 0) (func (result i32) (call $f (i32.const 1)) (call_indirect (type $t) (i32.const 2) (i32.const 0)) i32.add))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x0a\x02\x60\x01\x7f\x01\x7f\x60\x00\x01\x7f\x03\x03\x02\x00"
     "\x01\x04\x04\x01\x70\x00\x02\x0a\x15\x02\x04\x00\x20\x00\x0b\x0e\x00\x41\x01\x10\x00\x41\x02\x41"
     "\x00\x11\x00\x00\x6a\x0b",
     54, EXPECT_OK, NULL},
    {"sign extension and saturating truncation",
     "(module (func (param f64) (result i64) local.get 0 i64.trunc_sat_f64_s i64.extend8_s local.get 0 i32.trunc_sat_f64_u i64.extend_i32_u i64.add))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x06\x01\x60\x01\x7c\x01\x7e\x03\x02\x01\x00\x0a\x0f\x01\x0d"
     "\x00\x20\x00\xfc\x06\xc2\x20\x00\xfc\x03\xad\x7c\x0b",
     37, EXPECT_OK, NULL},
    {"globals, imported immutable in init, mutable import and export",
     "(module (import \"m\" \"g\" (global $g i32)) (import \"m\" \"h\" (global $h (mut i64))) (global $x (mut i32) (global.get $g)) (global (export \"y\") (mut f32) (f32.const 1)) (export \"h\" (global $h)) (func (global.set $x (i32.add (global.get $x) (global.get $g))) (global.set $h (i64.const 1))))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x02\x0f\x02\x01\x6d\x01\x67\x03\x7f\x00"
     "\x01\x6d\x01\x68\x03\x7e\x01\x03\x02\x01\x00\x06\x0e\x02\x7f\x01\x23\x00\x0b\x7d\x01\x43\x00\x00"
     "\x80\x3f\x0b\x07\x09\x02\x01\x79\x03\x03\x01\x68\x03\x01\x0a\x0f\x01\x0d\x00\x23\x02\x23\x00\x6a"
     "\x24\x02\x42\x01\x24\x01\x0b",
     79, EXPECT_OK, NULL},
    {"elem with expressions and offset from imported global",
     "(module (import \"m\" \"g\" (global $g i32)) (import \"m\" \"r\" (global $r funcref)) (table 4 funcref) (func $f) (elem (table 0) (global.get $g) funcref (ref.func $f) (ref.null func)))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x02\x0f\x02\x01\x6d\x01\x67\x03\x7f\x00"
     "\x01\x6d\x01\x72\x03\x70\x00\x03\x02\x01\x00\x04\x04\x01\x70\x00\x04\x09\x0c\x01\x04\x23\x00\x0b"
     "\x02\xd2\x00\x0b\xd0\x70\x0b\x0a\x04\x01\x02\x00\x0b",
     61, EXPECT_OK, NULL},
    {"data with imported global offset",
     "(module (import \"m\" \"g\" (global $g i32)) (memory 1) (data (global.get $g) \"x\"))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x02\x08\x01\x01\x6d\x01\x67\x03\x7f\x00\x05\x03\x01\x00\x01\x0b"
     "\x07\x01\x00\x23\x00\x0b\x01\x78",
     32, EXPECT_OK, NULL},
    {"start function",
     "(module (func $s) (start $s))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x08\x01\x00\x0a\x04\x01"
     "\x02\x00\x0b",
     27, EXPECT_OK, NULL},
    {"memory of 65536 pages",
     "(module (memory 65536 65536))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x05\x08\x01\x01\x80\x80\x04\x80\x80\x04",
     18, EXPECT_OK, NULL},
    {"multiple tables",
     "(module (table 1 funcref) (table 1 externref) (table 0 funcref))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x04\x0a\x03\x70\x00\x01\x6f\x00\x01\x70\x00\x00",
     20, EXPECT_OK, NULL},
    {"nested blocks and br to function label",
     "(module (func (param i32) (result i32) block block block local.get 0 br_if 2 end end end i32.const 1))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x06\x01\x60\x01\x7f\x01\x7f\x03\x02\x01\x00\x0a\x13\x01\x11"
     "\x00\x02\x40\x02\x40\x02\x40\x20\x00\x0d\x02\x0b\x0b\x0b\x41\x01\x0b",
     41, EXPECT_OK, NULL},
    {"i32.add on i64",
     "(module (func (result i32) i64.const 1 i32.const 2 i32.add))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x09\x01\x07\x00"
     "\x42\x01\x41\x02\x6a\x0b",
     30, EXPECT_INVALID, "type mismatch"},
    {"operand missing",
     "(module (func (result i32) i32.const 1 i32.add))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x07\x01\x05\x00"
     "\x41\x01\x6a\x0b",
     28, EXPECT_INVALID, "type mismatch"},
    {"value left at function end",
     "(module (func i32.const 1))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x06\x01\x04\x00\x41"
     "\x01\x0b",
     26, EXPECT_INVALID, "type mismatch"},
    {"result missing at function end",
     "(module (func (result i32)))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x04\x01\x02\x00"
     "\x0b",
     25, EXPECT_INVALID, "type mismatch"},
    {"block result missing",
     "(module (func block (result i32) end drop))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x08\x01\x06\x00\x02"
     "\x7f\x0b\x1a\x0b",
     28, EXPECT_INVALID, "type mismatch"},
    {"block cannot see outer operands",
     "(module (func (result i32) i32.const 1 block (result i32) i32.const 2 i32.add end))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x0c\x01\x0a\x00"
     "\x41\x01\x02\x7f\x41\x02\x6a\x0b\x0b",
     33, EXPECT_INVALID, "type mismatch"},
    {"if without else, result differs from params",
     "(module (func (result i32) i32.const 1 if (result i32) i32.const 1 end))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x0b\x01\x09\x00"
     "\x41\x01\x04\x7f\x41\x01\x0b\x0b",
     32, EXPECT_INVALID, "type mismatch"},
    {"if condition missing",
     "(module (func if end))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x07\x01\x05\x00\x04"
     "\x40\x0b\x0b",
     27, EXPECT_INVALID, "type mismatch"},
    {"else branch wrong type",
     "(module (func (result i32) i32.const 1 if (result i32) i32.const 1 else f32.const 1 end))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x11\x01\x0f\x00"
     "\x41\x01\x04\x7f\x41\x01\x05\x43\x00\x00\x80\x3f\x0b\x0b",
     38, EXPECT_INVALID, "type mismatch"},
    {"block params missing",
     "(module (type $t (func (param i32) (result i32))) (func (result i32) block (type $t) end))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x0a\x02\x60\x01\x7f\x01\x7f\x60\x00\x01\x7f\x03\x02\x01\x01"
     "\x0a\x07\x01\x05\x00\x02\x00\x0b\x0b",
     33, EXPECT_INVALID, "type mismatch"},
    {"br value wrong type",
     "(module (func (result i32) block (result i32) f32.const 0 br 0 end))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x0e\x01\x0c\x00"
     "\x02\x7f\x43\x00\x00\x00\x00\x0c\x00\x0b\x0b",
     35, EXPECT_INVALID, "type mismatch"},
    {"br after unreachable still checks operands",
     "(module (func (result i32) unreachable f32.const 0 br 0))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x0c\x01\x0a\x00"
     "\x00\x43\x00\x00\x00\x00\x0c\x00\x0b",
     33, EXPECT_INVALID, "type mismatch"},
    {"polymorphic stack keeps pushed types",
     "(module (func (result i32) unreachable f32.const 0 i32.add))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x0b\x01\x09\x00"
     "\x00\x43\x00\x00\x00\x00\x6a\x0b",
     32, EXPECT_INVALID, "type mismatch"},
    {"br_if value wrong type",
     "(module (func (result i32) block (result i32) i64.const 0 i32.const 1 br_if 0 end))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x0d\x01\x0b\x00"
     "\x02\x7f\x42\x00\x41\x01\x0d\x00\x0b\x0b",
     34, EXPECT_INVALID, "type mismatch"},
    {"br_table arity mismatch",
     "(module (func (param i32) block (result i32) block i32.const 0 local.get 0 br_table 0 1 end end drop))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x01\x7f\x00\x03\x02\x01\x00\x0a\x13\x01\x11\x00"
     "\x02\x7f\x02\x40\x41\x00\x20\x00\x0e\x01\x00\x01\x0b\x0b\x1a\x0b",
     40, EXPECT_INVALID, "type mismatch"},
    {"br_table arity mismatch under unreachable",
     "(module (func block (result i32) block unreachable br_table 0 1 end i32.const 0 end drop))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x12\x01\x10\x00\x02"
     "\x7f\x02\x40\x00\x0e\x01\x00\x01\x0b\x41\x00\x0b\x1a\x0b",
     38, EXPECT_INVALID, "type mismatch"},
    {"return value wrong type",
     "(module (func (result i32) i64.const 1 return))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x07\x01\x05\x00"
     "\x42\x01\x0f\x0b",
     28, EXPECT_INVALID, "type mismatch"},
    {"drop on empty stack",
     "(module (func drop))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x05\x01\x03\x00\x1a"
     "\x0b",
     25, EXPECT_INVALID, "type mismatch"},
    {"select on funcref without type",
     "(module (func (param i32) (result funcref) ref.null func ref.null func local.get 0 select))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x06\x01\x60\x01\x7f\x01\x70\x03\x02\x01\x00\x0a\x0b\x01\x09"
     "\x00\xd0\x70\xd0\x70\x20\x00\x1b\x0b",
     33, EXPECT_INVALID, "type mismatch"},
    {"select on mixed types",
     "(module (func (param i32) (result i32) i32.const 0 i64.const 0 local.get 0 select))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x06\x01\x60\x01\x7f\x01\x7f\x03\x02\x01\x00\x0a\x0b\x01\x09"
     "\x00\x41\x00\x42\x00\x20\x00\x1b\x0b",
     33, EXPECT_INVALID, "type mismatch"},
    {"polymorphic select with reference",
     "(module (func (result funcref) unreachable ref.null func select))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x70\x03\x02\x01\x00\x0a\x08\x01\x06\x00"
     "\x00\xd0\x70\x1b\x0b",
     29, EXPECT_INVALID, "type mismatch"},
    {"ref.is_null on i32",
     "(module (func (result i32) i32.const 0 ref.is_null))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x07\x01\x05\x00"
     "\x41\x00\xd1\x0b",
     28, EXPECT_INVALID, "type mismatch"},
    {"local.set wrong type",
     "(module (func (local f32) i32.const 0 local.set 0))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x0a\x01\x08\x01\x01"
     "\x7d\x41\x00\x21\x00\x0b",
     30, EXPECT_INVALID, "type mismatch"},
    {"call argument wrong type",
     "(module (func $f (param i64)) (func i32.const 0 call $f))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x08\x02\x60\x01\x7e\x00\x60\x00\x00\x03\x03\x02\x00\x01\x0a"
     "\x0b\x02\x02\x00\x0b\x06\x00\x41\x00\x10\x00\x0b",
     36, EXPECT_INVALID, "type mismatch"},
    {"call_indirect on externref table",
     "(module (type $t (func)) (table 1 externref) (func (call_indirect (type $t) (i32.const 0))))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x04\x04\x01\x6f\x00\x01"
     "\x0a\x09\x01\x07\x00\x41\x00\x11\x00\x00\x0b",
     35, EXPECT_INVALID, "type mismatch"},
    {"table.set wrong reference",
     "(module (table 1 funcref) (func (param externref) (table.set 0 (i32.const 0) (local.get 0))))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x01\x6f\x00\x03\x02\x01\x00\x04\x04\x01\x70\x00"
     "\x01\x0a\x0a\x01\x08\x00\x41\x00\x20\x00\x26\x00\x0b",
     37, EXPECT_INVALID, "type mismatch"},
    {"table.init elem type differs",
     "(module (table 1 funcref) (elem $e externref) (func (table.init 0 $e (i32.const 0) (i32.const 0) (i32.const 0))))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x04\x04\x01\x70\x00\x01"
     "\x09\x04\x01\x05\x6f\x00\x0a\x0e\x01\x0c\x00\x41\x00\x41\x00\x41\x00\xfc\x0c\x00\x00\x0b",
     46, EXPECT_INVALID, "type mismatch"},
    {"table.copy element types differ",
     "(module (table 1 funcref) (table 1 externref) (func (table.copy 0 1 (i32.const 0) (i32.const 0) (i32.const 0))))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x04\x07\x02\x70\x00\x01"
     "\x6f\x00\x01\x0a\x0e\x01\x0c\x00\x41\x00\x41\x00\x41\x00\xfc\x0e\x00\x01\x0b",
     43, EXPECT_INVALID, "type mismatch"},
    {"memory.fill wrong operand",
     "(module (memory 1) (func (memory.fill (i32.const 0) (i64.const 0) (i32.const 0))))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x05\x03\x01\x00\x01\x0a"
     "\x0d\x01\x0b\x00\x41\x00\x42\x00\x41\x00\xfc\x0b\x00\x0b",
     38, EXPECT_INVALID, "type mismatch"},
    {"store value wrong type",
     "(module (memory 1) (func (i32.store (i32.const 0) (f32.const 0))))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x05\x03\x01\x00\x01\x0a"
     "\x0e\x01\x0c\x00\x41\x00\x43\x00\x00\x00\x00\x36\x02\x00\x0b",
     39, EXPECT_INVALID, "type mismatch"},
    {"unknown label",
     "(module (func block br 2 end))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x09\x01\x07\x00\x02"
     "\x40\x0c\x02\x0b\x0b",
     29, EXPECT_INVALID, "unknown label"},
    {"unknown br_table label",
     "(module (func block i32.const 0 br_table 0 3 end))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x0d\x01\x0b\x00\x02"
     "\x40\x41\x00\x0e\x01\x00\x03\x0b\x0b",
     33, EXPECT_INVALID, "unknown label"},
    {"unknown local",
     "(module (func (param i32) (local i64) local.get 2 drop))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x01\x7f\x00\x03\x02\x01\x00\x0a\x09\x01\x07\x01"
     "\x01\x7e\x20\x02\x1a\x0b",
     30, EXPECT_INVALID, "unknown local"},
    {"unknown global",
     "(module (func global.get 0 drop))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x07\x01\x05\x00\x23"
     "\x00\x1a\x0b",
     27, EXPECT_INVALID, "unknown global"},
    {"global is immutable",
     "(module (global i32 (i32.const 0)) (func i32.const 1 global.set 0))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x06\x06\x01\x7f\x00\x41"
     "\x00\x0b\x0a\x08\x01\x06\x00\x41\x01\x24\x00\x0b",
     36, EXPECT_INVALID, "global is immutable"},
    {"unknown function",
     "(module (func call 5))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x06\x01\x04\x00\x10"
     "\x05\x0b",
     26, EXPECT_INVALID, "unknown function"},
    {"unknown type in call_indirect",
     "(module (table 1 funcref) (func i32.const 0 call_indirect (type 9)))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x04\x04\x01\x70\x00\x01"
     "\x0a\x09\x01\x07\x00\x41\x00\x11\x09\x00\x0b",
     35, EXPECT_INVALID, "unknown type"},
    {"unknown table",
     "(module (func i32.const 0 table.get 0 drop))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x09\x01\x07\x00\x41"
     "\x00\x25\x00\x1a\x0b",
     29, EXPECT_INVALID, "unknown table"},
    {"unknown memory for load",
     "(module (func i32.const 0 i32.load drop))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x0a\x01\x08\x00\x41"
     "\x00\x28\x02\x00\x1a\x0b",
     30, EXPECT_INVALID, "unknown memory"},
    {"unknown memory for memory.size",
     "(module (func memory.size drop))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x07\x01\x05\x00\x3f"
     "\x00\x1a\x0b",
     27, EXPECT_INVALID, "unknown memory"},
    {"unknown data segment",
     "(module (memory 1) (data \"\") (func (memory.init 1 (i32.const 0) (i32.const 0) (i32.const 0))))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x05\x03\x01\x00\x01\x0c"
     "\x01\x01\x0a\x0e\x01\x0c\x00\x41\x00\x41\x00\x41\x00\xfc\x08\x01\x00\x0b\x0b\x03\x01\x01\x00",
     47, EXPECT_INVALID, "unknown data segment"},
    {"unknown elem segment",
     "(module (func elem.drop 0))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x07\x01\x05\x00\xfc"
     "\x0d\x00\x0b",
     27, EXPECT_INVALID, "unknown elem segment"},
    {"alignment larger than natural",
     "(module (memory 1) (func i32.const 0 i32.load16_s align=4 drop))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x05\x03\x01\x00\x01\x0a"
     "\x0a\x01\x08\x00\x41\x00\x2e\x02\x00\x1a\x0b",
     35, EXPECT_INVALID, "alignment must not be larger than natural"},
    {"alignment larger than natural for store",
     "(module (memory 1) (func i32.const 0 i64.const 0 i64.store align=16))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x05\x03\x01\x00\x01\x0a"
     "\x0b\x01\x09\x00\x41\x00\x42\x00\x37\x04\x00\x0b",
     36, EXPECT_INVALID, "alignment must not be larger than natural"},
    {"undeclared function reference",
     "(module (func $f) (func (result funcref) ref.func $f))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x08\x02\x60\x00\x00\x60\x00\x01\x70\x03\x03\x02\x00\x01\x0a"
     "\x09\x02\x02\x00\x0b\x04\x00\xd2\x00\x0b",
     34, EXPECT_INVALID, "undeclared function reference"},
    {"ref.func unknown function",
     "(module (func (result funcref) ref.func 3))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x70\x03\x02\x01\x00\x0a\x06\x01\x04\x00"
     "\xd2\x03\x0b",
     27, EXPECT_INVALID, "unknown function"},
    {"memory too large",
     "(module (memory 65537))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x05\x05\x01\x00\x81\x80\x04",
     15, EXPECT_INVALID, "memory size must be at most 65536 pages (4GiB)"},
    {"memory max too large",
     "(module (memory 0 65537))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x05\x06\x01\x01\x00\x81\x80\x04",
     16, EXPECT_INVALID, "memory size must be at most 65536 pages (4GiB)"},
    {"memory min above max",
     "(module (memory 2 1))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x05\x04\x01\x01\x02\x01",
     14, EXPECT_INVALID, "size minimum must not be greater than maximum"},
    {"table min above max",
     "(module (table 2 1 funcref))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x04\x05\x01\x70\x01\x02\x01",
     15, EXPECT_INVALID, "size minimum must not be greater than maximum"},
    {"multiple memories",
     "(module (memory 1) (memory 1))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x05\x05\x02\x00\x01\x00\x01",
     15, EXPECT_INVALID, "multiple memories"},
    {"imported and defined memory",
     "(module (import \"m\" \"m\" (memory 1)) (memory 1))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x02\x08\x01\x01\x6d\x01\x6d\x02\x00\x01\x05\x03\x01\x00\x01",
     23, EXPECT_INVALID, "multiple memories"},
    {"duplicate export name",
     "(module (func) (export \"a\" (func 0)) (export \"a\" (func 0)))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x07\x09\x02\x01\x61\x00"
     "\x00\x01\x61\x00\x00\x0a\x04\x01\x02\x00\x0b",
     35, EXPECT_INVALID, "duplicate export name"},
    {"export of unknown function",
     "(module (export \"a\" (func 3)))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x07\x05\x01\x01\x61\x00\x03",
     15, EXPECT_INVALID, "unknown function"},
    {"export of unknown memory",
     "(module (export \"a\" (memory 0)))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x07\x05\x01\x01\x61\x02\x00",
     15, EXPECT_INVALID, "unknown memory"},
    {"start function with parameters",
     "(module (func $s (param i32)) (start $s))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x01\x7f\x00\x03\x02\x01\x00\x08\x01\x00\x0a\x04"
     "\x01\x02\x00\x0b",
     28, EXPECT_INVALID, "start function"},
    {"start function with results",
     "(module (func $s (result i32) i32.const 0) (start $s))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x08\x01\x00\x0a\x06"
     "\x01\x04\x00\x41\x00\x0b",
     30, EXPECT_INVALID, "start function"},
    {"unknown start function",
     "(module (start 2))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x08\x01\x02",
     11, EXPECT_INVALID, "unknown function"},
    {"global init not constant",
     "(module (global i32 (i32.ctz (i32.const 0))))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x06\x07\x01\x7f\x00\x41\x00\x68\x0b",
     17, EXPECT_INVALID, "constant expression required"},
    {"global init wrong type",
     "(module (global i32 (f32.const 0)))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x06\x09\x01\x7f\x00\x43\x00\x00\x00\x00\x0b",
     19, EXPECT_INVALID, "type mismatch"},
    {"global init two values",
     "(module (global i32 (i32.const 0) (i32.const 0)))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x06\x08\x01\x7f\x00\x41\x00\x41\x00\x0b",
     18, EXPECT_INVALID, "type mismatch"},
    {"global init reads defined global",
     "(module (global i32 (i32.const 0)) (global i32 (global.get 0)))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x06\x0b\x02\x7f\x00\x41\x00\x0b\x7f\x00\x23\x00\x0b",
     21, EXPECT_INVALID, "unknown global"},
    {"global init reads mutable import",
     "(module (import \"m\" \"g\" (global (mut i32))) (global i32 (global.get 0)))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x02\x08\x01\x01\x6d\x01\x67\x03\x7f\x01\x06\x06\x01\x7f\x00\x23"
     "\x00\x0b",
     26, EXPECT_INVALID, "constant expression required"},
    {"elem offset wrong type",
     "(module (table 1 funcref) (func) (elem (i64.const 0) 0))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x04\x04\x01\x70\x00\x01"
     "\x09\x07\x01\x00\x42\x00\x0b\x01\x00\x0a\x04\x01\x02\x00\x0b",
     39, EXPECT_INVALID, "type mismatch"},
    {"elem for unknown table",
     "(module (func) (elem (i32.const 0) 0))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x09\x07\x01\x00\x41\x00"
     "\x0b\x01\x00\x0a\x04\x01\x02\x00\x0b",
     33, EXPECT_INVALID, "unknown table"},
    {"elem of unknown function",
     "(module (table 1 funcref) (elem (i32.const 0) 7))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x04\x04\x01\x70\x00\x01\x09\x07\x01\x00\x41\x00\x0b\x01\x07",
     23, EXPECT_INVALID, "unknown function"},
    {"elem type differs from table",
     "(module (table 1 funcref) (elem (table 0) (i32.const 0) externref (ref.null extern)))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x04\x04\x01\x70\x00\x01\x09\x0b\x01\x06\x00\x41\x00\x0b\x6f\x01"
     "\xd0\x6f\x0b",
     27, EXPECT_INVALID, "type mismatch"},
    {"elem expression wrong type",
     "(module (elem funcref (ref.null extern)))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x09\x07\x01\x05\x70\x01\xd0\x6f\x0b",
     17, EXPECT_INVALID, "type mismatch"},
    {"data for unknown memory",
     "(module (data (i32.const 0) \"x\"))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x0b\x07\x01\x00\x41\x00\x0b\x01\x78",
     17, EXPECT_INVALID, "unknown memory"},
    {"data offset not constant",
     "(module (memory 1) (data (offset (i32.const 0) (nop)) \"x\"))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x05\x03\x01\x00\x01\x0b\x08\x01\x00\x41\x00\x01\x0b\x01\x78",
     23, EXPECT_INVALID, "constant expression required"},
    {"missing end",
     NULL,
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x06\x01\x04\x00\x41"
     "\x01\x1a",
     26, EXPECT_MALFORMED, NULL},
    {"code after the final end",
     NULL,
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x05\x01\x03\x00\x0b"
     "\x01",
     25, EXPECT_MALFORMED, NULL},
    {"function end missing after a block",
     NULL,
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x06\x01\x04\x00\x02"
     "\x40\x0b",
     26, EXPECT_MALFORMED, "END opcode expected"},
    {"second end after the function end",
     NULL,
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x05\x01\x03\x00\x0b"
     "\x0b",
     25, EXPECT_MALFORMED, "section size mismatch"},
    {"unknown type in block",
     NULL,
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x07\x01\x05\x00\x02"
     "\x03\x0b\x0b",
     27, EXPECT_INVALID, "unknown type"},
    {"else without if",
     NULL,
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x08\x01\x06\x00\x02"
     "\x40\x05\x0b\x0b",
     28, EXPECT_MALFORMED, NULL},
    {"illegal opcode in body",
     NULL,
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x05\x01\x03\x00\xff"
     "\x0b",
     25, EXPECT_MALFORMED, NULL},
    {"memory.init without data count section",
     NULL,
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x05\x03\x01\x00\x00\x0a"
     "\x0e\x01\x0c\x00\x41\x00\x41\x00\x41\x00\xfc\x08\x00\x00\x0b\x0b\x03\x01\x01\x00",
     44, EXPECT_MALFORMED, "data count section required"},
    {"select_t with two types",
     NULL,
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x0f\x01\x0d\x00\x41"
     "\x00\x41\x00\x41\x00\x1c\x02\x7f\x7f\x1a\x0b",
     35, EXPECT_INVALID, "invalid result arity"},
    {"select_t with no types",
     NULL,
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x0d\x01\x0b\x00\x41"
     "\x00\x41\x00\x41\x00\x1c\x00\x1a\x0b",
     33, EXPECT_INVALID, "invalid result arity"},
};

/* Proposals beyond 2.0 and their feature flags: SIMD, tail calls, extended
 * constant expressions, multi-memory (bytes from wat2wasm --enable-all
 * --no-check), each under the features it is decoded with. */
typedef struct fcase {
  kumi_features features;
  vcase c;
} fcase;

static const fcase feature_cases[] = {
    {KUMI_FEATURES_DEFAULT,
     {"v128 lanes and shuffle",
     "(module (func (param v128) (result v128) local.get 0 local.get 0 i8x16.shuffle 0 17 2 3 4 5 6 7 8 9 10 11 12 13 14 31 i32.const 7 i32x4.replace_lane 3 i64x2.extract_lane 1 drop v128.const i32x4 1 2 3 4 v128.const f64x2 1 2 v128.const i8x16 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 v128.bitselect))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x06\x01\x60\x01\x7b\x01\x7b\x03\x02\x01\x00\x0a\x5b\x01\x59"
     "\x00\x20\x00\x20\x00\xfd\x0d\x00\x11\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x1f\x41"
     "\x07\xfd\x1c\x03\xfd\x1d\x01\x1a\xfd\x0c\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x04\x00"
     "\x00\x00\xfd\x0c\x00\x00\x00\x00\x00\x00\xf0\x3f\x00\x00\x00\x00\x00\x00\x00\x40\xfd\x0c\x01\x02"
     "\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\xfd\x52\x0b",
     113, EXPECT_OK, NULL}},
    {KUMI_FEATURES_DEFAULT,
     {"v128 memory instructions",
     "(module (memory 1) (func (param i32 v128) (result v128) local.get 0 local.get 1 v128.store offset=16 align=16 local.get 0 local.get 1 v128.store64_lane align=8 1 local.get 0 v128.load32_zero align=4 drop local.get 0 local.get 1 v128.load8_lane 15))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x07\x01\x60\x02\x7f\x7b\x01\x7b\x03\x02\x01\x00\x05\x03\x01"
     "\x00\x01\x0a\x25\x01\x23\x00\x20\x00\x20\x01\xfd\x0b\x04\x10\x20\x00\x20\x01\xfd\x5b\x03\x00\x01"
     "\x20\x00\xfd\x5c\x02\x00\x1a\x20\x00\x20\x01\xfd\x54\x00\x00\x0f\x0b",
     65, EXPECT_OK, NULL}},
    {KUMI_FEATURES_DEFAULT,
     {"i8x16 lane index 16",
     "(module (func (param v128) (result i32) local.get 0 i8x16.extract_lane_s 16))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x06\x01\x60\x01\x7b\x01\x7f\x03\x02\x01\x00\x0a\x09\x01\x07"
     "\x00\x20\x00\xfd\x15\x10\x0b",
     31, EXPECT_INVALID, "invalid lane index"}},
    {KUMI_FEATURES_DEFAULT,
     {"f64x2 lane index 2",
     "(module (func (param v128 f64) (result v128) local.get 0 local.get 1 f64x2.replace_lane 2))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x07\x01\x60\x02\x7b\x7c\x01\x7b\x03\x02\x01\x00\x0a\x0b\x01"
     "\x09\x00\x20\x00\x20\x01\xfd\x22\x02\x0b",
     34, EXPECT_INVALID, "invalid lane index"}},
    {KUMI_FEATURES_DEFAULT,
     {"shuffle lane 32",
     "(module (func (param v128) (result v128) local.get 0 local.get 0 i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 32))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x06\x01\x60\x01\x7b\x01\x7b\x03\x02\x01\x00\x0a\x1a\x01\x18"
     "\x00\x20\x00\x20\x00\xfd\x0d\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x20\x0b",
     48, EXPECT_INVALID, "invalid lane index"}},
    {KUMI_FEATURES_DEFAULT,
     {"load_lane lane index 2 of 64-bit lanes",
     "(module (memory 1) (func (param i32 v128) (result v128) local.get 0 local.get 1 v128.load64_lane 2))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x07\x01\x60\x02\x7f\x7b\x01\x7b\x03\x02\x01\x00\x05\x03\x01"
     "\x00\x01\x0a\x0d\x01\x0b\x00\x20\x00\x20\x01\xfd\x57\x03\x00\x02\x0b",
     41, EXPECT_INVALID, "invalid lane index"}},
    {KUMI_FEATURES_DEFAULT,
     {"v128.load align 32",
     "(module (memory 1) (func (param i32) (result v128) local.get 0 v128.load align=32))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x06\x01\x60\x01\x7f\x01\x7b\x03\x02\x01\x00\x05\x03\x01\x00"
     "\x01\x0a\x0a\x01\x08\x00\x20\x00\xfd\x00\x05\x00\x0b",
     37, EXPECT_INVALID, "alignment must not be larger than natural"}},
    {KUMI_FEATURES_DEFAULT,
     {"v128.load16_splat align 4",
     "(module (memory 1) (func (param i32) (result v128) local.get 0 v128.load16_splat align=4))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x06\x01\x60\x01\x7f\x01\x7b\x03\x02\x01\x00\x05\x03\x01\x00"
     "\x01\x0a\x0a\x01\x08\x00\x20\x00\xfd\x08\x02\x00\x0b",
     37, EXPECT_INVALID, "alignment must not be larger than natural"}},
    {KUMI_FEATURES_DEFAULT,
     {"v128 type mismatch",
     "(module (func (param v128) (result i32) local.get 0 i32x4.all_true i32x4.splat))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x06\x01\x60\x01\x7b\x01\x7f\x03\x02\x01\x00\x0a\x0b\x01\x09"
     "\x00\x20\x00\xfd\xa3\x01\xfd\x11\x0b",
     33, EXPECT_INVALID, "type mismatch"}},
    {KUMI_FEATURES_DEFAULT,
     {"v128 global and const",
     "(module (global v128 (v128.const i64x2 1 2)) (func (result v128) global.get 0))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7b\x03\x02\x01\x00\x06\x16\x01\x7b\x00"
     "\xfd\x0c\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x0b\x0a\x06\x01\x04\x00"
     "\x23\x00\x0b",
     51, EXPECT_OK, NULL}},
    {KUMI_FEATURES_EXACT,
     {"v128 without SIMD",
     "(module (func (param v128)))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x01\x7b\x00\x03\x02\x01\x00\x0a\x04\x01\x02\x00"
     "\x0b",
     25, EXPECT_MALFORMED, "malformed value type"}},
    {KUMI_FEATURES_EXACT,
     {"SIMD opcode without SIMD",
     "(module (func i32.const 0 i32x4.splat drop))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x09\x01\x07\x00\x41"
     "\x00\xfd\x11\x1a\x0b",
     29, EXPECT_MALFORMED, "illegal opcode"}},
    {KUMI_FEATURES_DEFAULT,
     {"return_call",
     "(module (func $f (param i32) (result i64) i64.const 1) (func (result i64) i32.const 2 return_call $f))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x0a\x02\x60\x01\x7f\x01\x7e\x60\x00\x01\x7e\x03\x03\x02\x00"
     "\x01\x0a\x0d\x02\x04\x00\x42\x01\x0b\x06\x00\x41\x02\x12\x00\x0b",
     40, EXPECT_OK, NULL}},
    {KUMI_FEATURES_DEFAULT,
     {"return_call result mismatch",
     "(module (func $f (result i32) i32.const 1) (func (result i64) return_call $f))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x09\x02\x60\x00\x01\x7f\x60\x00\x01\x7e\x03\x03\x02\x00\x01"
     "\x0a\x0b\x02\x04\x00\x41\x01\x0b\x04\x00\x12\x00\x0b",
     37, EXPECT_INVALID, "type mismatch"}},
    {KUMI_FEATURES_DEFAULT,
     {"return_call param mismatch",
     "(module (func $f (param i64)) (func i32.const 0 return_call $f))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x08\x02\x60\x01\x7e\x00\x60\x00\x00\x03\x03\x02\x00\x01\x0a"
     "\x0b\x02\x02\x00\x0b\x06\x00\x41\x00\x12\x00\x0b",
     36, EXPECT_INVALID, "type mismatch"}},
    {KUMI_FEATURES_DEFAULT,
     {"return_call is stack-polymorphic",
     "(module (func $f) (func (result i32 f64) return_call $f2) (func $f2 (result i32 f64) i32.const 1 f64.const 2))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x09\x02\x60\x00\x00\x60\x00\x02\x7f\x7c\x03\x04\x03\x00\x01"
     "\x01\x0a\x17\x03\x02\x00\x0b\x04\x00\x12\x02\x0b\x0d\x00\x41\x01\x44\x00\x00\x00\x00\x00\x00\x00"
     "\x40\x0b",
     50, EXPECT_OK, NULL}},
    {KUMI_FEATURES_DEFAULT,
     {"return_call unknown function",
     "(module (func return_call 5))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x06\x01\x04\x00\x12"
     "\x05\x0b",
     26, EXPECT_INVALID, "unknown function"}},
    {KUMI_FEATURES_DEFAULT,
     {"return_call_indirect",
     "(module (type $t (func (param f32) (result i32))) (table 1 funcref) (func (result i32) f32.const 1 i32.const 0 return_call_indirect (type $t)))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x0a\x02\x60\x01\x7d\x01\x7f\x60\x00\x01\x7f\x03\x02\x01\x01"
     "\x04\x04\x01\x70\x00\x01\x0a\x0e\x01\x0c\x00\x43\x00\x00\x80\x3f\x41\x00\x13\x00\x00\x0b",
     46, EXPECT_OK, NULL}},
    {KUMI_FEATURES_DEFAULT,
     {"return_call_indirect result mismatch",
     "(module (type $t (func (result i32))) (table 1 funcref) (func i32.const 0 return_call_indirect (type $t)))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x08\x02\x60\x00\x01\x7f\x60\x00\x00\x03\x02\x01\x01\x04\x04"
     "\x01\x70\x00\x01\x0a\x09\x01\x07\x00\x41\x00\x13\x00\x00\x0b",
     39, EXPECT_INVALID, "type mismatch"}},
    {KUMI_FEATURES_DEFAULT,
     {"return_call_indirect without table",
     "(module (type $t (func)) (func i32.const 0 return_call_indirect (type $t)))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x09\x01\x07\x00\x41"
     "\x00\x13\x00\x00\x0b",
     29, EXPECT_INVALID, "unknown table"}},
    {KUMI_FEATURES_EXACT | KUMI_FEATURE_SIMD,
     {"return_call without tail calls",
     "(module (func $f) (func return_call $f))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x03\x02\x00\x00\x0a\x09\x02\x02\x00"
     "\x0b\x04\x00\x12\x00\x0b",
     30, EXPECT_MALFORMED, "illegal opcode"}},
    {KUMI_FEATURES_DEFAULT,
     {"extended const global",
     "(module (import \"m\" \"g\" (global i32)) (global i32 (i32.add (global.get 0) (i32.mul (i32.const 2) (i32.const 3)))) (global i64 (i64.sub (i64.const 2) (i64.const 3))))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x02\x08\x01\x01\x6d\x01\x67\x03\x7f\x00\x06\x14\x02\x7f\x00\x23"
     "\x00\x41\x02\x41\x03\x6c\x6a\x0b\x7e\x00\x42\x02\x42\x03\x7d\x0b",
     40, EXPECT_OK, NULL}},
    {KUMI_FEATURES_DEFAULT,
     {"long extended const",
     "(module (global i64 (i64.add (i64.const 1) (i64.add (i64.const 2) (i64.add (i64.const 3) (i64.add (i64.const 4) (i64.add (i64.const 5) (i64.add (i64.const 6) (i64.add (i64.const 7) (i64.add (i64.const 8) (i64.add (i64.const 9) (i64.add (i64.const 10) (i64.add (i64.const 11) (i64.add (i64.const 12) (i64.add (i64.const 13) (i64.add (i64.const 14) (i64.add (i64.const 15) (i64.add (i64.const 16) (i64.const 17)))))))))))))))))))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x06\x36\x01\x7e\x00\x42\x01\x42\x02\x42\x03\x42\x04\x42\x05\x42"
     "\x06\x42\x07\x42\x08\x42\x09\x42\x0a\x42\x0b\x42\x0c\x42\x0d\x42\x0e\x42\x0f\x42\x10\x42\x11\x7c"
     "\x7c\x7c\x7c\x7c\x7c\x7c\x7c\x7c\x7c\x7c\x7c\x7c\x7c\x7c\x7c\x0b",
     64, EXPECT_OK, NULL}},
    {KUMI_FEATURES_DEFAULT,
     {"extended const data offset",
     "(module (memory 1) (data (i32.sub (i32.const 10) (i32.const 2)) \"x\"))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x05\x03\x01\x00\x01\x0b\x0a\x01\x00\x41\x0a\x41\x02\x6b\x0b\x01"
     "\x78",
     25, EXPECT_OK, NULL}},
    {KUMI_FEATURES_DEFAULT,
     {"extended const type mismatch",
     "(module (global i32 (i32.add (i64.const 2) (i32.const 3))))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x06\x09\x01\x7f\x00\x42\x02\x41\x03\x6a\x0b",
     19, EXPECT_INVALID, "type mismatch"}},
    {KUMI_FEATURES_DEFAULT,
     {"extended const operand missing",
     "(module (global i32 (i32.add (i32.const 3))))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x06\x07\x01\x7f\x00\x41\x03\x6a\x0b",
     17, EXPECT_INVALID, "type mismatch"}},
    {KUMI_FEATURES_DEFAULT,
     {"extended const i64 result for i32",
     "(module (global i32 (i64.add (i64.const 2) (i64.const 3))))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x06\x09\x01\x7f\x00\x42\x02\x42\x03\x7c\x0b",
     19, EXPECT_INVALID, "type mismatch"}},
    {KUMI_FEATURES_DEFAULT,
     {"non-constant arithmetic",
     "(module (global i32 (i32.div_s (i32.const 2) (i32.const 3))))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x06\x09\x01\x7f\x00\x41\x02\x41\x03\x6d\x0b",
     19, EXPECT_INVALID, "constant expression required"}},
    {KUMI_FEATURES_EXACT | KUMI_FEATURE_SIMD,
     {"extended const without the feature",
     "(module (global i32 (i32.add (i32.const 2) (i32.const 3))))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x06\x09\x01\x7f\x00\x41\x02\x41\x03\x6a\x0b",
     19, EXPECT_INVALID, "constant expression required"}},
    {KUMI_FEATURES_DEFAULT,
     {"two memories",
     "(module (memory 1) (memory $b 2) (data (memory $b) (i32.const 0) \"x\") (func (param i32) (result i32) local.get 0 i32.load8_u $b offset=3 memory.size $b i32.add i32.const 1 memory.grow $b drop))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x06\x01\x60\x01\x7f\x01\x7f\x03\x02\x01\x00\x05\x05\x02\x00"
     "\x01\x00\x02\x0a\x12\x01\x10\x00\x20\x00\x2d\x40\x01\x03\x3f\x01\x6a\x41\x01\x40\x01\x1a\x0b\x0b"
     "\x08\x01\x02\x01\x41\x00\x0b\x01\x78",
     57, EXPECT_OK, NULL}},
    {KUMI_FEATURES_DEFAULT,
     {"bulk memory between memories",
     "(module (memory 1) (memory $b 2) (data $d \"x\") (func i32.const 0 i32.const 0 i32.const 1 memory.copy 0 $b i32.const 0 i32.const 0 i32.const 1 memory.init $b $d i32.const 0 i32.const 0 i32.const 1 memory.fill $b))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x05\x05\x02\x00\x01\x00"
     "\x02\x0c\x01\x01\x0a\x21\x01\x1f\x00\x41\x00\x41\x00\x41\x01\xfc\x0a\x00\x01\x41\x00\x41\x00\x41"
     "\x01\xfc\x08\x00\x01\x41\x00\x41\x00\x41\x01\xfc\x0b\x01\x0b\x0b\x04\x01\x01\x01\x78",
     69, EXPECT_OK, NULL}},
    {KUMI_FEATURES_DEFAULT,
     {"unknown memory 2",
     "(module (memory 1) (memory 1) (func (param i32) (result i32) local.get 0 i32.load 2))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x06\x01\x60\x01\x7f\x01\x7f\x03\x02\x01\x00\x05\x05\x02\x00"
     "\x01\x00\x01\x0a\x0a\x01\x08\x00\x20\x00\x28\x42\x02\x00\x0b",
     39, EXPECT_INVALID, "unknown memory 2"}},
    {KUMI_FEATURES_DEFAULT,
     {"memory.size of unknown memory",
     "(module (memory 1) (func (result i32) memory.size 1))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x05\x03\x01\x00\x01"
     "\x0a\x06\x01\x04\x00\x3f\x01\x0b",
     32, EXPECT_INVALID, "unknown memory 1"}},
    {KUMI_FEATURES_DEFAULT,
     {"memory.copy to unknown memory",
     "(module (memory 1) (func i32.const 0 i32.const 0 i32.const 0 memory.copy 1 0))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x05\x03\x01\x00\x01\x0a"
     "\x0e\x01\x0c\x00\x41\x00\x41\x00\x41\x00\xfc\x0a\x01\x00\x0b",
     39, EXPECT_INVALID, "unknown memory 1"}},
    {KUMI_FEATURES_EXACT | KUMI_FEATURE_SIMD,
     {"two memories without multi-memory",
     "(module (memory 1) (memory 1))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x05\x05\x02\x00\x01\x00\x01",
     15, EXPECT_INVALID, "multiple memories"}},
    {KUMI_FEATURES_EXACT | KUMI_FEATURE_SIMD,
     {"memory index without multi-memory",
     "(module (memory 1) (func (result i32) memory.size 1))",
     "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x05\x03\x01\x00\x01"
     "\x0a\x06\x01\x04\x00\x3f\x01\x0b",
     32, EXPECT_MALFORMED, "zero byte expected"}},
};

/* The cases above are WebAssembly 2.0 tests: decoded exactly as 2.0. */
#define WASM2 (KUMI_FEATURES_EXACT | KUMI_FEATURE_SIMD)

/* Decodes (with features) and validates; returns the error (NULL when
 * valid) and whether the decoder already rejected the bytes. */
static kumi_error *decode_validate_with(const kumi_allocator *a, const uint8_t *b, size_t n, kumi_features features,
                                        bool *at_decode) {
  kumi_error *err = NULL;
  core_module *m = core_module_decode_with(a, b, n, features & CORE_FEATURES_ALL, &err);
  *at_decode = m == NULL;
  if (!m) return err;
  err = core_module_validate(m);
  core_module_free(m);
  return err;
}

static kumi_error *decode_validate(const kumi_allocator *a, const uint8_t *b, size_t n, bool *at_decode) {
  return decode_validate_with(a, b, n, WASM2, at_decode);
}

/* Runs one case; true when the outcome is the expected one. */
static bool run_case(const kumi_allocator *a, const vcase *t, kumi_features features) {
  bool at_decode;
  kumi_error *e = decode_validate_with(a, (const uint8_t *)t->bytes, t->len, features, &at_decode);
  bool ok;
  switch (t->expect) {
  case EXPECT_OK:
    ok = e == NULL;
    break;
  case EXPECT_INVALID:
    ok = e && !at_decode && kumi_error_kind_of(e) == KUMI_ERR_INVALID;
    break;
  default:
    ok = e && kumi_error_kind_of(e) == KUMI_ERR_MALFORMED;
    break;
  }
  if (ok && e && t->message) ok = strncmp(kumi_error_message(e), t->message, strlen(t->message)) == 0;
  if (ok && e) ok = kumi_error_offset(e) == KUMI_NO_OFFSET || kumi_error_offset(e) <= t->len;
  if (!ok)
    fprintf(stderr, "case \"%s\": expected %s%s%s, got %s%s\n", t->name,
            t->expect == EXPECT_OK ? "success" : t->expect == EXPECT_INVALID ? "invalid" : "malformed",
            t->message ? ": " : "", t->message ? t->message : "", e ? (at_decode ? "decode error: " : "error: ") : "success",
            e ? kumi_error_message(e) : "");
  if (e) kumi_error_free(e);
  return ok;
}

static void test_feature_cases(void) {
  test_alloc c;
  kumi_allocator a = test_alloc_init(&c, -1);
  for (size_t i = 0; i < sizeof feature_cases / sizeof feature_cases[0]; i++)
    CHECK(run_case(&a, &feature_cases[i].c, feature_cases[i].features));
  CHECK(test_alloc_clean(&c));
}

/* Validation records the proposals a module relies on (module.h, uses). */
static kumi_features uses_of(const char *name) {
  const vcase *t = NULL;
  for (size_t i = 0; i < sizeof feature_cases / sizeof feature_cases[0]; i++)
    if (!strcmp(feature_cases[i].c.name, name)) t = &feature_cases[i].c;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0] && !t; i++)
    if (!strcmp(cases[i].name, name)) t = &cases[i];
  if (!t) return ~(kumi_features)0;
  kumi_error *err = NULL;
  core_module *m = core_module_decode(kb_default_allocator(), (const uint8_t *)t->bytes, t->len, &err);
  if (!m) {
    kumi_error_free(err);
    return ~(kumi_features)0;
  }
  err = core_module_validate(m);
  kumi_features u = err ? ~(kumi_features)0 : m->uses;
  kumi_error_free(err);
  core_module_free(m);
  return u;
}

static void test_uses(void) {
  CHECK(uses_of("add params") == 0);
  CHECK(uses_of("v128 lanes and shuffle") == KUMI_FEATURE_SIMD);
  CHECK(uses_of("v128 global and const") == KUMI_FEATURE_SIMD);
  CHECK(uses_of("return_call") == KUMI_FEATURE_TAIL_CALL);
  CHECK(uses_of("return_call_indirect") == KUMI_FEATURE_TAIL_CALL);
  CHECK(uses_of("extended const global") == KUMI_FEATURE_EXTENDED_CONST);
  CHECK(uses_of("two memories") == KUMI_FEATURE_MULTI_MEMORY);
  CHECK(uses_of("bulk memory between memories") == KUMI_FEATURE_MULTI_MEMORY);
}

static void test_cases(void) {
  test_alloc c;
  kumi_allocator a = test_alloc_init(&c, -1);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) CHECK(run_case(&a, &cases[i], WASM2));
  CHECK(test_alloc_clean(&c));
}

/* The error names the offending instruction's byte offset. */
static void test_offsets(void) {
  /* (func i32.const 1 i32.add): i32.add is at offset 25. */
  static const uint8_t add[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
                                0x03, 0x02, 0x01, 0x00, 0x0a, 0x07, 0x01, 0x05, 0x00, 0x41, 0x01, 0x6a, 0x0b};
  bool at_decode;
  kumi_error *e = decode_validate(kb_default_allocator(), add, sizeof add, &at_decode);
  CHECK(e && !at_decode && kumi_error_offset(e) == 25);
  if (e) kumi_error_free(e);

  /* (func block (result i32) end drop): the block's end (offset 25) finds
   * no i32. */
  static const uint8_t blk[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
                                0x03, 0x02, 0x01, 0x00, 0x0a, 0x08, 0x01, 0x06, 0x00, 0x02, 0x7f, 0x0b, 0x1a, 0x0b};
  e = decode_validate(kb_default_allocator(), blk, sizeof blk, &at_decode);
  CHECK(e && !at_decode && kumi_error_offset(e) == 25);
  if (e) kumi_error_free(e);
}

/* Every allocation the validator makes may fail: the result is then an
 * out-of-memory error (or success once the budget suffices), never a
 * crash or a leak. */
static void oom_case(const vcase *t, kumi_features features) {
  kumi_error *err = NULL;
  core_module *m = core_module_decode_with(kb_default_allocator(), (const uint8_t *)t->bytes, t->len,
                                           features & CORE_FEATURES_ALL, &err);
  CHECK(m != NULL);
  if (!m) {
    kumi_error_free(err);
    return;
  }
  bool done = false;
  for (long budget = 0; budget < 64 && !done; budget++) {
    test_alloc c;
    kumi_allocator a = test_alloc_init(&c, budget);
    m->alloc = &a;
    kumi_error *e = core_module_validate(m);
    m->alloc = kb_default_allocator();
    if (e) {
      CHECK(kumi_error_kind_of(e) == KUMI_ERR_OOM);
      kumi_error_free(e);
    } else {
      done = true;
    }
    CHECK(test_alloc_clean(&c));
  }
  CHECK(done);
  core_module_free(m);
}

static void test_oom(void) {
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (cases[i].expect == EXPECT_OK) oom_case(&cases[i], WASM2);
  for (size_t i = 0; i < sizeof feature_cases / sizeof feature_cases[0]; i++)
    if (feature_cases[i].c.expect == EXPECT_OK) oom_case(&feature_cases[i].c, feature_cases[i].features);
}

/* Validating the same module twice gives the same answer. */
static void test_twice(void) {
  const vcase *t = &cases[0];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (!strcmp(cases[i].name, "ref.func declared by elem")) t = &cases[i];
  kumi_error *err = NULL;
  core_module *m = core_module_decode(kb_default_allocator(), (const uint8_t *)t->bytes, t->len, &err);
  CHECK(m != NULL);
  if (!m) {
    kumi_error_free(err);
    return;
  }
  CHECK(core_module_validate(m) == NULL);
  CHECK(core_module_validate(m) == NULL);
  CHECK(m->declared_refs && m->declared_refs[0] == 1 && m->declared_refs[1] == 0);
  core_module_free(m);
}

int main(void) {
  test_cases();
  test_feature_cases();
  test_uses();
  test_offsets();
  test_oom();
  test_twice();
  return test_summary();
}
