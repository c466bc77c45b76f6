/* SIMD in the interpreter through the public API: v128 values take two
 * slots, so these check that everything that moves values by slot keeps
 * each v128 whole and its neighbours in place: mixed params and results,
 * block params and results carried by br, br_if and br_table, select,
 * local.tee, globals (defined, imported, exported, host-made), wasm calls,
 * call_indirect, tail calls, and host functions with v128 params and
 * results (called and tail-called). The lane arithmetic itself is covered
 * by the simd conformance group. Prints "N passed, N failed". */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "text/text.h"

#include "../test.h"

static const char wat[] =
    "(module\n"
    "  (import \"host\" \"rev\" (func $rev (param v128 i32) (result i32 v128)))\n"
    "  (import \"host\" \"gv\" (global $gv v128))\n"
    "  (type $vv (func (param v128 v128) (result v128)))\n"
    "  (table 2 funcref)\n"
    "  (memory 1) (memory $m1 1)\n"
    "  (data (memory $m1) (i32.const 16) \"\\00\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0a\\0b\\0c\\0d\\0e\\0f\")\n"
    "  (elem (i32.const 0) $add $sub)\n"
    "  (global $g (export \"g\") (mut v128) (v128.const i32x4 1 2 3 4))\n"
    "  (global $copy (export \"copy\") v128 (global.get $gv))\n"
    "  (func $add (export \"add\") (param v128 v128) (result v128)\n"
    "    local.get 0 local.get 1 i32x4.add)\n"
    "  (func $sub (param v128 v128) (result v128)\n"
    "    local.get 0 local.get 1 i32x4.sub)\n"
    /* params after a v128 sit one slot further; results likewise */
    "  (func (export \"mix\") (param i32 v128 i64 v128) (result i64 v128 i32)\n"
    "    local.get 2 local.get 1 local.get 3 i8x16.add local.get 0)\n"
    /* a block carrying (v128 i32) out by br_if, or falling through */
    "  (func (export \"blk\") (param v128 i32) (result v128 i32)\n"
    "    local.get 0 i32.const 7\n"
    "    block (param v128 i32) (result v128 i32)\n"
    "      local.get 1 br_if 0\n"
    "      drop i32x4.neg i32.const 9\n"
    "    end)\n"
    /* br_table to labels at different heights, values below the carried one */
    "  (func (export \"tbl\") (param v128 i32) (result v128)\n"
    "    (block $a (result v128)\n"
    "      i32.const 1 local.get 0\n"
    "      (block $b (param v128) (result v128)\n"
    "        local.get 1 br_table $a $b)\n"
    "      i32x4.neg\n"
    "      local.get 0 i32x4.add\n"
    "      br $a)\n"
    "    )\n"
    "  (func (export \"sel\") (param v128 v128 i32) (result v128)\n"
    "    local.get 0 local.get 1 local.get 2 select)\n"
    /* a loop accumulating in a v128 local through local.tee */
    "  (func (export \"loop\") (param v128 i32) (result v128) (local v128 i32)\n"
    "    (loop $l\n"
    "      local.get 2 local.get 0 i32x4.add local.tee 2 drop\n"
    "      local.get 3 i32.const 1 i32.add local.tee 3\n"
    "      local.get 1 i32.lt_u br_if $l)\n"
    "    local.get 2)\n"
    "  (func (export \"glob\") (param v128) (result v128)\n"
    "    global.get $g local.get 0 global.set $g)\n"
    "  (func (export \"ind\") (param v128 v128 i32) (result v128)\n"
    "    local.get 0 local.get 1 local.get 2 call_indirect (type $vv))\n"
    "  (func (export \"tail\") (param v128 v128) (result v128)\n"
    "    local.get 1 local.get 0 return_call $sub)\n"
    "  (func (export \"host\") (param v128) (result v128 i32) (local i32 v128)\n"
    "    local.get 0 i32.const 5 call $rev local.set 2 local.set 1 local.get 2 local.get 1)\n"
    "  (func (export \"hosttail\") (param v128 i32) (result i32 v128)\n"
    "    local.get 0 local.get 1 return_call $rev)\n"
    /* memory 1: a load, a lane store (trapping past the end), a lane load */
    "  (func (export \"mem1\") (param i32) (result v128 i32)\n"
    "    local.get 0 v128.load $m1 offset=16\n"
    "    local.get 0 local.get 0 v128.load $m1 offset=16 v128.store8_lane $m1 offset=65535 15\n"
    "    i32.const 0 v128.const i64x2 0 0 v128.load16_lane $m1 offset=65534 0 i16x8.extract_lane_u 0)\n"
    "  (func (export \"lanes\") (param i64 f64) (result i64 f64) (local v128)\n"
    "    local.get 0 i64x2.splat local.get 1 f64x2.replace_lane 1 local.tee 2\n"
    "    i64x2.extract_lane 0 local.get 2 f64x2.extract_lane 1))\n";

static kumi_val v128_u32(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  kumi_val v;
  memset(&v, 0, sizeof v);
  v.kind = KUMI_V128;
  uint32_t l[4] = {a, b, c, d};
  memcpy(v.of.v128, l, 16);
  return v;
}

static bool is_u32(kumi_val v, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  uint32_t l[4] = {a, b, c, d};
  return v.kind == KUMI_V128 && memcmp(v.of.v128, l, 16) == 0;
}

static kumi_val i32v(int32_t x) { return kumi_val_i32(x); }

/* rev(v, n) = (n + 1, v with its bytes reversed) */
static kumi_error *host_rev(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  (void)caller;
  int *calls = env;
  ++*calls;
  if (args[0].kind != KUMI_V128 || args[1].kind != KUMI_I32) return kumi_error_new(kumi_caller_store(caller), KUMI_ERR_TRAP, "bad args");
  results[0] = kumi_val_i32(args[1].of.i32 + 1);
  results[1].kind = KUMI_V128;
  for (int i = 0; i < 16; i++) results[1].of.v128[i] = args[0].of.v128[15 - i];
  return NULL;
}

static kumi_func *fn(kumi_instance *inst, const char *name) {
  kumi_func *f = kumi_instance_func(inst, name);
  CHECKF(f != NULL, "no export %s", name);
  return f;
}

/* Calls name and checks it succeeded. */
static bool call(kumi_store *s, kumi_instance *inst, const char *name, const kumi_val *args, size_t nargs, kumi_val *res,
                 size_t nres) {
  kumi_func *f = fn(inst, name);
  if (!f) return false;
  kumi_error *e = kumi_func_call(s, f, args, nargs, res, nres);
  CHECKF(e == NULL, "%s: %s", name, e ? kumi_error_message(e) : "");
  if (e) {
    kumi_error_free(e);
    return false;
  }
  return true;
}

int main(void) {
  uint8_t *bin = NULL;
  size_t len = 0;
  kumi_error *e = text_parse_wat(kb_default_allocator(), wat, strlen(wat), &bin, &len);
  CHECKF(e == NULL, "parse: %s", e ? kumi_error_message(e) : "");
  if (e) {
    kumi_error_free(e);
    return test_summary();
  }
  kumi_engine *eng = kumi_engine_new(NULL);
  kumi_module *m = kumi_module_new(eng, bin, len, &e);
  kb_free(kb_default_allocator(), bin, len);
  CHECKF(m != NULL, "module: %s", e ? kumi_error_message(e) : "");
  if (!m) {
    kumi_error_free(e);
    kumi_engine_free(eng);
    return test_summary();
  }
  kumi_store *s = kumi_store_new(eng, NULL);
  kumi_linker *l = kumi_linker_new(s);
  int calls = 0;
  kumi_valkind rev_params[] = {KUMI_V128, KUMI_I32}, rev_results[] = {KUMI_I32, KUMI_V128};
  kumi_functype rev_type = {2, 2, rev_params, rev_results};
  CHECK(kumi_linker_define_func(l, "host", "rev", &rev_type, host_rev, &calls) == NULL);
  kumi_global *gv = kumi_global_new(s, v128_u32(0xdeadbeef, 1, 2, 0xfeedface), false, &e);
  CHECK(gv != NULL && is_u32(kumi_global_get(gv), 0xdeadbeef, 1, 2, 0xfeedface));
  kumi_extern gx = {KUMI_EXTERN_GLOBAL, {.global = gv}};
  CHECK(kumi_linker_define(l, "host", "gv", gx) == NULL);
  kumi_instance *inst = kumi_linker_instantiate(l, m, &e);
  CHECKF(inst != NULL, "instantiate: %s", e ? kumi_error_message(e) : "");
  if (!inst) {
    kumi_error_free(e);
    goto out;
  }

  kumi_val a = v128_u32(1, 2, 3, 0xffffffffu), b = v128_u32(10, 20, 30, 2), r[3];
  if (call(s, inst, "add", (kumi_val[]){a, b}, 2, r, 1)) CHECK(is_u32(r[0], 11, 22, 33, 1));

  kumi_val mix_args[4] = {i32v(-5), a, kumi_val_i64(INT64_C(0x123456789)), b};
  if (call(s, inst, "mix", mix_args, 4, r, 3)) {
    CHECK(r[0].kind == KUMI_I64 && r[0].of.i64 == INT64_C(0x123456789));
    CHECK(is_u32(r[1], 11, 22, 33, 0xffffff01)); /* i8x16.add: bytes wrap, no carries */
    CHECK(r[2].kind == KUMI_I32 && r[2].of.i32 == -5);
  }

  if (call(s, inst, "blk", (kumi_val[]){a, i32v(1)}, 2, r, 2)) CHECK(is_u32(r[0], 1, 2, 3, 0xffffffffu) && r[1].of.i32 == 7);
  if (call(s, inst, "blk", (kumi_val[]){a, i32v(0)}, 2, r, 2))
    CHECK(is_u32(r[0], 0xffffffffu, 0xfffffffeu, 0xfffffffdu, 1) && r[1].of.i32 == 9);

  /* index 0: out to $a with a; index 1 (and beyond): through $b, -a + a = 0 */
  if (call(s, inst, "tbl", (kumi_val[]){a, i32v(0)}, 2, r, 1)) CHECK(is_u32(r[0], 1, 2, 3, 0xffffffffu));
  if (call(s, inst, "tbl", (kumi_val[]){a, i32v(1)}, 2, r, 1)) CHECK(is_u32(r[0], 0, 0, 0, 0));
  if (call(s, inst, "tbl", (kumi_val[]){a, i32v(9)}, 2, r, 1)) CHECK(is_u32(r[0], 0, 0, 0, 0));

  if (call(s, inst, "sel", (kumi_val[]){a, b, i32v(1)}, 3, r, 1)) CHECK(is_u32(r[0], 1, 2, 3, 0xffffffffu));
  if (call(s, inst, "sel", (kumi_val[]){a, b, i32v(0)}, 3, r, 1)) CHECK(is_u32(r[0], 10, 20, 30, 2));

  if (call(s, inst, "loop", (kumi_val[]){b, i32v(4)}, 2, r, 1)) CHECK(is_u32(r[0], 40, 80, 120, 8));

  if (call(s, inst, "glob", (kumi_val[]){b}, 1, r, 1)) CHECK(is_u32(r[0], 1, 2, 3, 4));
  kumi_extern x;
  CHECK(kumi_instance_export(inst, "g", &x) && x.kind == KUMI_EXTERN_GLOBAL && is_u32(kumi_global_get(x.of.global), 10, 20, 30, 2));
  CHECK(kumi_global_set(x.of.global, a) == NULL);
  if (call(s, inst, "glob", (kumi_val[]){b}, 1, r, 1)) CHECK(is_u32(r[0], 1, 2, 3, 0xffffffffu));
  CHECK(kumi_instance_export(inst, "copy", &x) && is_u32(kumi_global_get(x.of.global), 0xdeadbeef, 1, 2, 0xfeedface));
  kumi_error *ge = kumi_global_set(x.of.global, a);
  CHECK(ge != NULL); /* immutable */
  kumi_error_free(ge);

  if (call(s, inst, "ind", (kumi_val[]){a, b, i32v(0)}, 3, r, 1)) CHECK(is_u32(r[0], 11, 22, 33, 1));
  if (call(s, inst, "ind", (kumi_val[]){b, a, i32v(1)}, 3, r, 1)) CHECK(is_u32(r[0], 9, 18, 27, 3));
  if (call(s, inst, "tail", (kumi_val[]){a, b}, 2, r, 1)) CHECK(is_u32(r[0], 9, 18, 27, 3));

  kumi_val c = v128_u32(0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c);
  if (call(s, inst, "host", (kumi_val[]){c}, 1, r, 2))
    CHECK(is_u32(r[0], 0x0c0d0e0f, 0x08090a0b, 0x04050607, 0x00010203) && r[1].kind == KUMI_I32 && r[1].of.i32 == 6);
  if (call(s, inst, "hosttail", (kumi_val[]){c, i32v(41)}, 2, r, 2))
    CHECK(r[0].of.i32 == 42 && is_u32(r[1], 0x0c0d0e0f, 0x08090a0b, 0x04050607, 0x00010203));
  CHECK(calls == 2);

  if (call(s, inst, "mem1", (kumi_val[]){i32v(0)}, 1, r, 2))
    CHECK(is_u32(r[0], 0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c) && r[1].of.i32 == 0x0f00);
  e = kumi_func_call(s, fn(inst, "mem1"), (kumi_val[]){i32v(1)}, 1, r, 2);
  CHECK(e != NULL && kumi_error_kind_of(e) == KUMI_ERR_TRAP);
  kumi_error_free(e);

  kumi_val lane_args[2] = {kumi_val_i64(INT64_C(-2)), {.kind = KUMI_F64, .of.f64_bits = UINT64_C(0x400921fb54442d18)}};
  if (call(s, inst, "lanes", lane_args, 2, r, 2)) {
    CHECK(r[0].kind == KUMI_I64 && r[0].of.i64 == -2);
    CHECK(r[1].kind == KUMI_F64 && r[1].of.f64_bits == UINT64_C(0x400921fb54442d18));
  }

  /* wrong kinds are refused before running */
  e = kumi_func_call(s, fn(inst, "add"), (kumi_val[]){a, i32v(1)}, 2, r, 1);
  CHECK(e != NULL && kumi_error_kind_of(e) == KUMI_ERR_ARG);
  kumi_error_free(e);

out:
  kumi_linker_free(l);
  kumi_store_free(s);
  kumi_module_free(m);
  kumi_engine_free(eng);
  return test_summary();
}
