/* The instruction table (from opcodes.def) and the one reader of core
 * instruction encodings. See instr.h. */
#include "instr.h"

const core_opinfo core_opinfos[CORE_OP_COUNT] = {
#define OP(id, code, name, imm, sig, align) {code, name, CORE_IMM_##imm, sig, align},
#include "opcodes.def"
#undef OP
};

/* The reverse map, byte encoding -> opcode, as a dense table: single-byte
 * opcodes at [byte], 0xFC-prefixed ones at [256 + sub-opcode], 0xFD-prefixed
 * (SIMD) ones at [512 + sub-opcode]. Entries hold opcode + 1 so that 0 means
 * "illegal". A new prefix needs its own slice here; the assertions below
 * catch a row that would not fit. */
#define OP(id, code, name, imm, sig, align)                                                                    \
  _Static_assert((code) < 0x100 || ((code) >> 8) == 0xFC || ((code) >> 8) == 0xFD,                           \
                 "instr.c: unmapped opcode prefix");                                                           \
  _Static_assert(CORE_OP_##id + 1 <= UINT16_MAX, "instr.c: opcode map entry too small");                      \
  _Static_assert((align) <= 4, "instr.c: alignment out of range");
#include "opcodes.def"
#undef OP

#define OPMAP_INDEX(code) ((code) < 0x100 ? (code) : ((code) >> 8) == 0xFC ? 256 + ((code) & 0xFF) : 512 + ((code) & 0xFF))
static const uint16_t opmap[768] = {
#define OP(id, code, name, imm, sig, align) [OPMAP_INDEX(code)] = CORE_OP_##id + 1,
#include "opcodes.def"
#undef OP
};


static kumi_error *malformed(const kumi_allocator *a, size_t offset, const char *msg) {
  kumi_error *e = kb_error(a, KUMI_ERR_MALFORMED, offset, "%s", msg);
  return e ? e : kb_error_oom();
}

/* Reads an unsigned LEB of `bits` bits into *out. */
static kumi_error *read_u(const kumi_allocator *a, const uint8_t *b, size_t *pos, size_t end, unsigned bits,
                          uint64_t *out) {
  const char *why;
  size_t at = *pos;
  if (!kb_leb_u(b, end, pos, bits, out, &why)) return malformed(a, at, why);
  return NULL;
}

static kumi_error *read_u32(const kumi_allocator *a, const uint8_t *b, size_t *pos, size_t end, uint32_t *out) {
  uint64_t v = 0;
  kumi_error *e = read_u(a, b, pos, end, 32, &v);
  if (!e) *out = (uint32_t)v;
  return e;
}

static kumi_error *read_zero(const kumi_allocator *a, const uint8_t *b, size_t *pos, size_t end) {
  if (*pos >= end) return malformed(a, *pos, "unexpected end");
  if (b[*pos] != 0) return malformed(a, *pos, "zero byte expected");
  (*pos)++;
  return NULL;
}

static kumi_error *read_fixed(const kumi_allocator *a, const uint8_t *b, size_t *pos, size_t end, unsigned n,
                              uint64_t *out) {
  if (end - *pos < n) return malformed(a, *pos, "unexpected end");
  uint64_t v = 0;
  for (unsigned i = 0; i < n; i++) v |= (uint64_t)b[*pos + i] << (8 * i);
  *pos += n;
  *out = v;
  return NULL;
}

/* A value type byte that the features allow (v128 needs SIMD). */
static bool valtype_ok(uint8_t c, kumi_features features) {
  return core_is_valtype(c) && (c != CORE_V128 || (features & KUMI_FEATURE_SIMD)) &&
         (c != CORE_EXNREF || (features & KUMI_FEATURE_EXCEPTIONS));
}

/* blocktype: 0x40, a value type byte, or a non-negative s33 type index. */
static kumi_error *read_blocktype(const kumi_allocator *a, const uint8_t *b, size_t *pos, size_t end,
                                  kumi_features features, core_instr *out) {
  if (*pos >= end) return malformed(a, *pos, "unexpected end");
  uint8_t c = b[*pos];
  if (c == 0x40) {
    (*pos)++;
    out->imm.block.kind = CORE_BLOCK_EMPTY;
    out->imm.block.type = 0;
    return NULL;
  }
  if (valtype_ok(c, features)) {
    (*pos)++;
    out->imm.block.kind = CORE_BLOCK_VALTYPE;
    out->imm.block.type = c;
    return NULL;
  }
  size_t at = *pos;
  int64_t v;
  const char *why;
  if (!kb_leb_s(b, end, pos, 33, &v, &why)) return malformed(a, at, why);
  if (v < 0) return malformed(a, at, "malformed block type");
  out->imm.block.kind = CORE_BLOCK_TYPEIDX;
  out->imm.block.type = (uint32_t)v;
  return NULL;
}

/* memarg: flags (alignment exponent; with multi-memory, bit 6 announces a
 * memory index), [memory index], offset. WebAssembly 2.0 wants flags < 32;
 * multi-memory flags < 128 and leaves exponents 32..63 to validation. */
static kumi_error *read_memarg(const kumi_allocator *a, const uint8_t *b, size_t *pos, size_t end,
                               kumi_features features, core_instr *out) {
  size_t at = *pos;
  uint32_t flags;
  kumi_error *e = read_u32(a, b, pos, end, &flags);
  if (e) return e;
  uint32_t memory = 0;
  if (features & KUMI_FEATURE_MULTI_MEMORY) {
    if (flags >= 128) return malformed(a, at, "malformed memop flags");
    if (flags & 0x40) {
      flags &= ~(uint32_t)0x40;
      if ((e = read_u32(a, b, pos, end, &memory))) return e;
    }
  } else if (flags >= 32) {
    return malformed(a, at, "malformed memop flags");
  }
  uint32_t offset;
  if ((e = read_u32(a, b, pos, end, &offset))) return e;
  out->imm.memarg.align = flags;
  out->imm.memarg.memory = memory;
  out->imm.memarg.offset = offset;
  return NULL;
}

static kumi_error *read_heaptype(const kumi_allocator *a, const uint8_t *b, size_t *pos, size_t end,
                                 kumi_features features, core_valtype *out) {
  if (*pos >= end) return malformed(a, *pos, "unexpected end");
  uint8_t c = b[*pos];
  if (!core_is_reftype(c) || (c == CORE_EXNREF && !(features & KUMI_FEATURE_EXCEPTIONS))) return malformed(a, *pos, "malformed reference type");
  (*pos)++;
  *out = c;
  return NULL;
}

/* A memory index: a zero byte in 2.0, a u32 with multi-memory. */
static kumi_error *read_memidx(const kumi_allocator *a, const uint8_t *b, size_t *pos, size_t end,
                               kumi_features features, uint32_t *out) {
  *out = 0;
  if (features & KUMI_FEATURE_MULTI_MEMORY) return read_u32(a, b, pos, end, out);
  return read_zero(a, b, pos, end);
}

static kumi_error *read_select_t(const kumi_allocator *a, const uint8_t *b, size_t *pos, size_t end,
                                 kumi_features features, core_instr *out) {
  uint32_t count;
  kumi_error *e = read_u32(a, b, pos, end, &count);
  if (e) return e;
  out->imm.select_t.count = count;
  out->imm.select_t.type = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (*pos >= end) return malformed(a, *pos, "unexpected end");
    uint8_t t = b[*pos];
    if (!valtype_ok(t, features)) return malformed(a, *pos, "malformed value type");
    if (i == 0) out->imm.select_t.type = t;
    (*pos)++;
  }
  return NULL;
}

static kumi_error *read_br_table(const kumi_allocator *a, const uint8_t *b, size_t *pos, size_t end,
                                 core_instr *out) {
  uint32_t count, label;
  kumi_error *e = read_u32(a, b, pos, end, &count);
  if (e) return e;
  out->imm.br_table.count = count;
  out->imm.br_table.pos = (uint32_t)*pos;
  /* Each target takes at least one byte, so a huge count fails at `end`. */
  for (uint32_t i = 0; i < count; i++)
    if ((e = read_u32(a, b, pos, end, &label))) return e;
  if ((e = read_u32(a, b, pos, end, &label))) return e;
  out->imm.br_table.default_label = label;
  return NULL;
}

/* try_table's vec(catch): a kind byte (CORE_CATCH_*), a tag index for
 * catch and catch_ref, then a label. */
static kumi_error *read_catches(const kumi_allocator *a, const uint8_t *b, size_t *pos, size_t end, core_instr *out) {
  uint32_t count, x;
  kumi_error *e = read_u32(a, b, pos, end, &count);
  if (e) return e;
  out->imm.block.ncatches = count;
  out->imm.block.catches_pos = (uint32_t)*pos;
  for (uint32_t i = 0; i < count; i++) {
    if (*pos >= end) return malformed(a, *pos, "unexpected end");
    uint8_t kind = b[*pos];
    if (kind > CORE_CATCH_ALL_REF) return malformed(a, *pos, "malformed catch clause");
    (*pos)++;
    if (kind <= CORE_CATCH_REF && (e = read_u32(a, b, pos, end, &x))) return e;
    if ((e = read_u32(a, b, pos, end, &x))) return e;
  }
  return NULL;
}

core_catch core_catch_next(const uint8_t *bytes, uint32_t *pos) {
  core_catch c = {bytes[(*pos)++], 0, 0};
  if (c.kind <= CORE_CATCH_REF) c.tag = core_br_table_next(bytes, pos);
  c.label = core_br_table_next(bytes, pos);
  return c;
}

/* The opcode at bytes[*pos] (prefix and sub-opcode included); advances *pos. */
static kumi_error *read_opcode(const kumi_allocator *a, const uint8_t *bytes, size_t *pos, size_t end,
                               kumi_features features, core_opcode *op) {
  size_t at = *pos;
  uint8_t byte = bytes[(*pos)++];
  unsigned slot = byte;
  if (byte == 0xFC || (byte == 0xFD && (features & KUMI_FEATURE_SIMD))) {
    uint32_t sub;
    kumi_error *e = read_u32(a, bytes, pos, end, &sub);
    if (e) return e;
    slot = (byte == 0xFC ? 256 : 512) + (sub & 0xFF);
    if (sub > 0xFF || !opmap[slot]) {
      e = kb_error(a, KUMI_ERR_MALFORMED, at, "illegal opcode %02x %02x", (unsigned)byte, (unsigned)sub);
      return e ? e : kb_error_oom();
    }
  } else if (!opmap[byte] || ((byte == 0x12 || byte == 0x13) && !(features & KUMI_FEATURE_TAIL_CALL)) ||
             ((byte == 0x08 || byte == 0x0A || byte == 0x1F) && !(features & KUMI_FEATURE_EXCEPTIONS))) {
    kumi_error *e = kb_error(a, KUMI_ERR_MALFORMED, at, "illegal opcode %02x", (unsigned)byte);
    return e ? e : kb_error_oom();
  }
  *op = (core_opcode)(opmap[slot] - 1);
  return NULL;
}

kumi_error *core_read_instr_with(const kumi_allocator *a, const uint8_t *bytes, size_t *pos, size_t end,
                                 kumi_features features, core_instr *out) {
  size_t p = *pos;
  if (p >= end) return malformed(a, p, "unexpected end");
  out->offset = (uint32_t)p;
  core_opcode op = CORE_OP_UNREACHABLE;
  kumi_error *e = read_opcode(a, bytes, &p, end, features, &op);
  if (e) return e;
  out->op = op;

  uint64_t v = 0;
  int64_t s = 0;
  const char *why;
  size_t at = p;
  switch (core_opinfos[op].imm) {
  case CORE_IMM_NONE:
    break;
  case CORE_IMM_BLOCK:
    e = read_blocktype(a, bytes, &p, end, features, out);
    out->imm.block.ncatches = 0;
    out->imm.block.catches_pos = 0;
    if (!e && op == CORE_OP_TRY_TABLE) e = read_catches(a, bytes, &p, end, out);
    break;
  case CORE_IMM_LABEL:
  case CORE_IMM_FUNC:
  case CORE_IMM_LOCAL:
  case CORE_IMM_GLOBAL:
  case CORE_IMM_TABLE:
  case CORE_IMM_DATA:
  case CORE_IMM_ELEM:
    e = read_u32(a, bytes, &p, end, &out->imm.index);
    break;
  case CORE_IMM_BR_TABLE:
    e = read_br_table(a, bytes, &p, end, out);
    break;
  case CORE_IMM_CALL_INDIRECT:
    e = read_u32(a, bytes, &p, end, &out->imm.call_indirect.type);
    if (!e) e = read_u32(a, bytes, &p, end, &out->imm.call_indirect.table);
    break;
  case CORE_IMM_SELECT_T:
    e = read_select_t(a, bytes, &p, end, features, out);
    break;
  case CORE_IMM_MEMARG:
    e = read_memarg(a, bytes, &p, end, features, out);
    break;
  case CORE_IMM_MEMARG_LANE:
    e = read_memarg(a, bytes, &p, end, features, out);
    if (!e) e = read_fixed(a, bytes, &p, end, 1, &v);
    if (!e) out->imm.memarg.lane = (uint8_t)v;
    break;
  case CORE_IMM_MEMIDX:
    e = read_memidx(a, bytes, &p, end, features, &out->imm.index);
    break;
  case CORE_IMM_I32:
    if (!kb_leb_s(bytes, end, &p, 32, &s, &why)) return malformed(a, at, why);
    out->imm.i32 = (int32_t)s;
    break;
  case CORE_IMM_I64:
    if (!kb_leb_s(bytes, end, &p, 64, &s, &why)) return malformed(a, at, why);
    out->imm.i64 = s;
    break;
  case CORE_IMM_F32:
    e = read_fixed(a, bytes, &p, end, 4, &v);
    if (!e) out->imm.f32 = (uint32_t)v;
    break;
  case CORE_IMM_F64:
    e = read_fixed(a, bytes, &p, end, 8, &v);
    if (!e) out->imm.f64 = v;
    break;
  case CORE_IMM_HEAPTYPE:
    e = read_heaptype(a, bytes, &p, end, features, &out->imm.heaptype);
    break;
  case CORE_IMM_DATA_MEM:
    e = read_u32(a, bytes, &p, end, &out->imm.pair.a);
    if (!e) e = read_memidx(a, bytes, &p, end, features, &out->imm.pair.b);
    break;
  case CORE_IMM_MEM_MEM:
    e = read_memidx(a, bytes, &p, end, features, &out->imm.pair.a);
    if (!e) e = read_memidx(a, bytes, &p, end, features, &out->imm.pair.b);
    break;
  case CORE_IMM_ELEM_TABLE:
  case CORE_IMM_TABLE_TABLE:
    e = read_u32(a, bytes, &p, end, &out->imm.pair.a);
    if (!e) e = read_u32(a, bytes, &p, end, &out->imm.pair.b);
    break;
  case CORE_IMM_LANE:
    e = read_fixed(a, bytes, &p, end, 1, &v);
    if (!e) out->imm.lane = (uint8_t)v;
    break;
  case CORE_IMM_V128:
  case CORE_IMM_SHUFFLE:
    if (end - p < 16) return malformed(a, p, "unexpected end");
    memcpy(out->imm.bytes, bytes + p, 16);
    p += 16;
    break;
  }
  if (e) return e;
  *pos = p;
  return NULL;
}

kumi_error *core_read_instr(const kumi_allocator *a, const uint8_t *bytes, size_t *pos, size_t end, core_instr *out) {
  return core_read_instr_with(a, bytes, pos, end, CORE_FEATURES_ALL, out);
}

uint32_t core_br_table_next(const uint8_t *bytes, uint32_t *pos) {
  uint32_t v = 0;
  unsigned shift = 0;
  uint8_t b;
  do {
    b = bytes[(*pos)++];
    if (shift < 32) v |= (uint32_t)(b & 0x7F) << shift;
    shift += 7;
  } while (b & 0x80);
  return v;
}
