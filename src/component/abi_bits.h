/* Small helpers shared by the Canonical ABI's value path (abi_mem.c), its
 * fused path (abi_fuse.c) and string code (abi_string.c): bounds, little-
 * endian reads and writes in a context's memory, NaN canonicalization, and
 * moving flat values in and out of kumi_val. Private to src/component. */
#ifndef KUMI_COMPONENT_ABI_BITS_H
#define KUMI_COMPONENT_ABI_BITS_H

#include <string.h>

#include "abi.h"

/* [ptr, ptr + len) lies inside cx's memory. */
static inline bool abi_in_range(const abi_cx *cx, uint64_t ptr, uint64_t len) {
  return ptr <= cx->mem_size && len <= cx->mem_size - ptr;
}

/* The n-byte little-endian integer at ptr (in range). */
static inline uint64_t abi_rd(const abi_cx *cx, uint64_t ptr, unsigned n) {
  const uint8_t *p = cx->mem + ptr;
  switch (n) {
  case 1: return p[0];
  case 2: return (uint64_t)p[0] | (uint64_t)p[1] << 8;
  case 4: return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
  default: {
    uint64_t x = 0;
    for (unsigned i = n; i-- > 0;) x = x << 8 | p[i];
    return x;
  }
  }
}

static inline void abi_wr(abi_cx *cx, uint64_t ptr, uint64_t x, unsigned n) {
  uint8_t *p = cx->mem + ptr;
  for (unsigned i = 0; i < n; i++) p[i] = (uint8_t)(x >> (8 * i));
}

/* Any NaN becomes the canonical one (CanonicalABI.md canonicalize_nan). */
static inline uint32_t abi_canon32(uint32_t b) {
  return (b & 0x7f800000u) == 0x7f800000u && (b & 0x7fffffu) ? 0x7fc00000u : b;
}
static inline uint64_t abi_canon64(uint64_t b) {
  return (b & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (b & 0xfffffffffffffull) ? 0x7ff8000000000000ull : b;
}

/* A Unicode scalar value. */
static inline bool abi_char_ok(uint64_t c) { return c < 0x110000 && !(c >= 0xD800 && c <= 0xDFFF); }

/* The bits of the first n flags. */
static inline uint32_t abi_flags_mask(uint32_t n) { return n >= 32 ? UINT32_MAX : ((uint32_t)1 << n) - 1; }

/* Byte size of a primitive's memory representation. */
static inline unsigned abi_prim_bytes(uint8_t p) {
  switch (p) {
  case COMP_BOOL: case COMP_S8: case COMP_U8: return 1;
  case COMP_S16: case COMP_U16: return 2;
  case COMP_S64: case COMP_U64: case COMP_F64: return 8;
  default: return 4;
  }
}

/* A flat core value as 64 bits, and back (type: ABI_I32, ABI_I64, ...). */
static inline uint64_t abi_val_bits(const kumi_val *v) {
  switch (v->kind) {
  case KUMI_I32: return (uint32_t)v->of.i32;
  case KUMI_F32: return v->of.f32_bits;
  case KUMI_F64: return v->of.f64_bits;
  default: return (uint64_t)v->of.i64;
  }
}

static inline kumi_val abi_mkval(uint8_t type, uint64_t bits) {
  kumi_val v;
  memset(&v, 0, sizeof v);
  switch (type) {
  case ABI_I32: v.kind = KUMI_I32; v.of.i32 = (int32_t)(uint32_t)bits; break;
  case ABI_F32: v.kind = KUMI_F32; v.of.f32_bits = (uint32_t)bits; break;
  case ABI_F64: v.kind = KUMI_F64; v.of.f64_bits = bits; break;
  default: v.kind = KUMI_I64; v.of.i64 = (int64_t)bits; break;
  }
  return v;
}

#endif
