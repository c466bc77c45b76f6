/* LEB128 as the WebAssembly binary format defines it: at most
 * ceil(bits/7) bytes, and unused bits of the last byte must be a sign or
 * zero extension of the value. */
#include "base.h"

bool kb_leb_u(const uint8_t *p, size_t end, size_t *pos, unsigned bits, uint64_t *out, const char **why) {
  uint64_t result = 0;
  unsigned shift = 0;
  size_t i = *pos;
  unsigned max_bytes = (bits + 6) / 7;
  for (unsigned n = 0;; n++) {
    if (i >= end) {
      *why = "unexpected end";
      return false;
    }
    if (n == max_bytes) {
      *why = "integer representation too long";
      return false;
    }
    uint8_t b = p[i++];
    if (n == max_bytes - 1) {
      /* Last permitted byte: no continuation, and the bits above `bits`
       * must be zero. */
      unsigned used = bits - shift;
      if (b & 0x80) {
        *why = "integer representation too long";
        return false;
      }
      if (used < 7 && (b >> used) != 0) {
        *why = "integer too large";
        return false;
      }
    }
    result |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80)) break;
  }
  *pos = i;
  *out = result;
  return true;
}

bool kb_leb_s(const uint8_t *p, size_t end, size_t *pos, unsigned bits, int64_t *out, const char **why) {
  uint64_t result = 0;
  unsigned shift = 0;
  size_t i = *pos;
  unsigned max_bytes = (bits + 6) / 7;
  uint8_t b = 0;
  for (unsigned n = 0;; n++) {
    if (i >= end) {
      *why = "unexpected end";
      return false;
    }
    if (n == max_bytes) {
      *why = "integer representation too long";
      return false;
    }
    b = p[i++];
    if (n == max_bytes - 1) {
      if (b & 0x80) {
        *why = "integer representation too long";
        return false;
      }
      /* The bits of the last byte above the value must all equal its sign
       * bit (bit `used - 1`). */
      unsigned used = bits - shift; /* 1..7 */
      if (used < 7) {
        int sign = (b >> (used - 1)) & 1;
        uint8_t rest = (uint8_t)((b & 0x7f) >> used);
        uint8_t want = sign ? (uint8_t)(0x7f >> used) : 0;
        if (rest != want) {
          *why = "integer too large";
          return false;
        }
      }
    }
    result |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80)) break;
  }
  if (shift < 64 && (b & 0x40)) result |= ~(uint64_t)0 << shift;
  *pos = i;
  *out = (int64_t)result;
  return true;
}
