/* The instruction table (from opcodes.def) and the one reader of core
 * instruction encodings. See instr.h. */
#include "instr.h"

const core_opinfo core_opinfos[CORE_OP_COUNT] = {
#define OP(id, code, name, imm, sig) {code, name, CORE_IMM_##imm, sig},
#include "opcodes.def"
#undef OP
};

/* The reverse map, byte encoding -> opcode, as a dense table: single-byte
 * opcodes at [byte], 0xFC-prefixed ones at [256 + sub-opcode]. Entries hold
 * opcode + 1 so that 0 means "illegal". A new prefix (0xFD for SIMD) needs
 * its own slice here; the assertions below catch a row that would not fit. */
#define OP(id, code, name, imm, sig)                                                        \
  _Static_assert((code) < 0x100 || ((code) >> 8) == 0xFC, "instr.c: unmapped opcode prefix"); \
  _Static_assert(CORE_OP_##id + 1 <= UINT8_MAX, "instr.c: opcode map entry too small");
#include "opcodes.def"
#undef OP

#define OPMAP_INDEX(code) ((code) < 0x100 ? (code) : 256 + ((code) & 0xFF))
static const uint8_t opmap[512] = {
#define OP(id, code, name, imm, sig) [OPMAP_INDEX(code)] = CORE_OP_##id + 1,
#include "opcodes.def"
#undef OP
};

/* Multi-memory (a memarg flag bit 6 announcing a memory index) is not part
 * of WebAssembly 2.0: its conformance tests require alignment flags >= 32
 * to be malformed. Turning this on enables the multi-memory encoding. */
static const bool multi_memory = false;

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

/* blocktype: 0x40, a value type byte, or a non-negative s33 type index. */
static kumi_error *read_blocktype(const kumi_allocator *a, const uint8_t *b, size_t *pos, size_t end,
                                  core_instr *out) {
  if (*pos >= end) return malformed(a, *pos, "unexpected end");
  uint8_t c = b[*pos];
  if (c == 0x40) {
    (*pos)++;
    out->imm.block.kind = CORE_BLOCK_EMPTY;
    out->imm.block.type = 0;
    return NULL;
  }
  if (core_is_valtype(c)) {
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

static kumi_error *read_memarg(const kumi_allocator *a, const uint8_t *b, size_t *pos, size_t end,
                               core_instr *out) {
  size_t at = *pos;
  uint32_t flags;
  kumi_error *e = read_u32(a, b, pos, end, &flags);
  if (e) return e;
  uint32_t memory = 0;
  if (multi_memory && (flags & 0x40)) {
    flags &= ~(uint32_t)0x40;
    if ((e = read_u32(a, b, pos, end, &memory))) return e;
  }
  if (flags >= 32) return malformed(a, at, "malformed memop flags");
  uint32_t offset;
  if ((e = read_u32(a, b, pos, end, &offset))) return e;
  out->imm.memarg.align = flags;
  out->imm.memarg.memory = memory;
  out->imm.memarg.offset = offset;
  return NULL;
}

static kumi_error *read_heaptype(const kumi_allocator *a, const uint8_t *b, size_t *pos, size_t end,
                                 core_valtype *out) {
  if (*pos >= end) return malformed(a, *pos, "unexpected end");
  uint8_t c = b[*pos];
  if (!core_is_reftype(c)) return malformed(a, *pos, "malformed reference type");
  (*pos)++;
  *out = c;
  return NULL;
}

static kumi_error *read_select_t(const kumi_allocator *a, const uint8_t *b, size_t *pos, size_t end,
                                 core_instr *out) {
  uint32_t count;
  kumi_error *e = read_u32(a, b, pos, end, &count);
  if (e) return e;
  out->imm.select_t.count = count;
  out->imm.select_t.type = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (*pos >= end) return malformed(a, *pos, "unexpected end");
    uint8_t t = b[*pos];
    if (!core_is_valtype(t)) return malformed(a, *pos, "malformed value type");
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

kumi_error *core_read_instr(const kumi_allocator *a, const uint8_t *bytes, size_t *pos, size_t end, core_instr *out) {
  size_t p = *pos;
  if (p >= end) return malformed(a, p, "unexpected end");
  out->offset = (uint32_t)p;
  uint8_t byte = bytes[p++];
  unsigned slot;
  if (byte == 0xFC) {
    uint32_t sub;
    kumi_error *e = read_u32(a, bytes, &p, end, &sub);
    if (e) return e;
    if (sub > 0xFF || !opmap[256 + sub]) {
      e = kb_error(a, KUMI_ERR_MALFORMED, *pos, "illegal opcode fc %02x", (unsigned)sub);
      return e ? e : kb_error_oom();
    }
    slot = 256 + sub;
  } else {
    if (!opmap[byte]) {
      kumi_error *e = kb_error(a, KUMI_ERR_MALFORMED, *pos, "illegal opcode %02x", (unsigned)byte);
      return e ? e : kb_error_oom();
    }
    slot = byte;
  }
  core_opcode op = (core_opcode)(opmap[slot] - 1);
  out->op = op;

  kumi_error *e = NULL;
  uint64_t v = 0;
  int64_t s = 0;
  const char *why;
  size_t at = p;
  switch (core_opinfos[op].imm) {
  case CORE_IMM_NONE:
    break;
  case CORE_IMM_BLOCK:
    e = read_blocktype(a, bytes, &p, end, out);
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
    e = read_select_t(a, bytes, &p, end, out);
    break;
  case CORE_IMM_MEMARG:
    e = read_memarg(a, bytes, &p, end, out);
    break;
  case CORE_IMM_MEMIDX:
    out->imm.index = 0;
    e = read_zero(a, bytes, &p, end);
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
    e = read_heaptype(a, bytes, &p, end, &out->imm.heaptype);
    break;
  case CORE_IMM_DATA_MEM:
    e = read_u32(a, bytes, &p, end, &out->imm.pair.a);
    out->imm.pair.b = 0;
    if (!e) e = read_zero(a, bytes, &p, end);
    break;
  case CORE_IMM_MEM_MEM:
    out->imm.pair.a = out->imm.pair.b = 0;
    e = read_zero(a, bytes, &p, end);
    if (!e) e = read_zero(a, bytes, &p, end);
    break;
  case CORE_IMM_ELEM_TABLE:
  case CORE_IMM_TABLE_TABLE:
    e = read_u32(a, bytes, &p, end, &out->imm.pair.a);
    if (!e) e = read_u32(a, bytes, &p, end, &out->imm.pair.b);
    break;
  }
  if (e) return e;
  *pos = p;
  return NULL;
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
