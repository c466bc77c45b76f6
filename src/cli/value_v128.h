/* v128 values as command-line text (value.c), used by `kumi run`: a shape
 * word, then one number per lane, lane 0 first, e.g. "i32x4 1 2 3 4" or
 * "f64x2 0.5 -inf". Integer lanes may be written signed or unsigned within
 * the lane width (i8x16 takes -128..255); float lanes as cli_parse_val reads
 * f32/f64. Printing uses signed decimal integer lanes and exact floats. */
#ifndef KUMI_CLI_VALUE_V128_H
#define KUMI_CLI_VALUE_V128_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum cli_v128_shape {
  CLI_V128_I8X16,
  CLI_V128_I16X8,
  CLI_V128_I32X4,
  CLI_V128_I64X2,
  CLI_V128_F32X4,
  CLI_V128_F64X2,
} cli_v128_shape;

/* The shape printed when none is asked for. */
#define CLI_V128_DEFAULT_SHAPE CLI_V128_I32X4

/* True when word is exactly one of i8x16 i16x8 i32x4 i64x2 f32x4 f64x2. */
bool cli_v128_shape_of(const char *word, cli_v128_shape *out);
/* 16, 8, 4, 2, 4 or 2. */
unsigned cli_v128_lanes(cli_v128_shape s);
/* Parses "SHAPE LANE..." (tokens separated by blanks, exactly as many lanes
 * as the shape has) into the 16 little-endian bytes of a v128. */
bool cli_parse_v128(const char *s, uint8_t out[16]);
/* Prints "SHAPE LANE ..." with single spaces. */
void cli_print_v128(FILE *f, const uint8_t v[16], cli_v128_shape s);

#endif
