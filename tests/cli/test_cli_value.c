/* The command line's value text for v128 (src/cli/value.c): parsing
 * "SHAPE LANE..." for every shape, its range and lane-count errors, printing,
 * and print -> parse round trips over pseudo-random bit patterns (NaN
 * payloads included). value.c belongs to the kumi command, not libkumi, so
 * it is compiled into this test directly. */
#include "../test.h"

#include "cli/value.c"

/* Prints v in shape s into buf (NUL-terminated; truncated to cap - 1). */
static void print_to(const uint8_t v[16], cli_v128_shape s, char *buf, size_t cap) {
  FILE *f = tmpfile();
  buf[0] = 0;
  if (!f) return;
  cli_print_v128(f, v, s);
  rewind(f);
  size_t n = fread(buf, 1, cap - 1, f);
  buf[n] = 0;
  fclose(f);
}

static bool bytes_are(const uint8_t v[16], const char *hex_lsb_first) {
  for (int i = 0; i < 16; i++) {
    unsigned b;
    if (sscanf(hex_lsb_first + 2 * i, "%2x", &b) != 1 || v[i] != b) return false;
  }
  return true;
}

static void check_parse(const char *text, const char *hex) {
  uint8_t v[16];
  memset(v, 0xaa, sizeof v);
  bool ok = cli_parse_v128(text, v);
  CHECKF(ok && bytes_are(v, hex), "'%s' -> %s", text, ok ? "other bytes" : "rejected");
}

static void check_reject(const char *text) {
  uint8_t v[16];
  memset(v, 0x5c, sizeof v);
  CHECKF(!cli_parse_v128(text, v), "'%s' was accepted", text);
  for (int i = 0; i < 16; i++) CHECKF(v[i] == 0x5c, "'%s' wrote its output although rejected", text);
}

static void check_print(const char *hex, cli_v128_shape s, const char *want) {
  uint8_t v[16];
  for (int i = 0; i < 16; i++) {
    unsigned b = 0;
    (void)sscanf(hex + 2 * i, "%2x", &b);
    v[i] = (uint8_t)b;
  }
  char got[512];
  print_to(v, s, got, sizeof got);
  CHECKF(strcmp(got, want) == 0, "printed '%s', want '%s'", got, want);
}

int main(void) {
  /* Shapes and lane order: lane 0 is the lowest-addressed, little-endian. */
  check_parse("i32x4 1 2 3 4", "01000000020000000300000004000000");
  check_parse("i32x4 -1 0xffffffff 2147483647 -2147483648", "ffffffffffffffffffffff7f00000080");
  check_parse("i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 -1 255", "000102030405060708090a0b0c0dffff");
  check_parse("i8x16 -128 127 0x80 0 0 0 0 0 0 0 0 0 0 0 0 0", "807f8000000000000000000000000000");
  check_parse("i16x8 1 -1 65535 -32768 0x1234 0 0 7", "0100ffffffff00803412000000000700");
  check_parse("i64x2 -9223372036854775808 18446744073709551615", "0000000000000080ffffffffffffffff");
  check_parse("f32x4 1.5 -0 inf nan:0x1", "0000c03f000000800000807f0100807f");
  check_parse("f64x2 0x1p-1074 -nan", "0100000000000000000000000000f8ff");
  check_parse("  i32x4\t1   2 3 4  ", "01000000020000000300000004000000"); /* blanks */
  check_parse("i16x8 1_000 0 0 0 0 0 0 0", "e8030000000000000000000000000000");

  /* Errors leave the output alone. */
  check_reject("");
  check_reject("i32x4");
  check_reject("i32x4 1 2 3");
  check_reject("i32x4 1 2 3 4 5");
  check_reject("i32x3 1 2 3");
  check_reject("I32X4 1 2 3 4");
  check_reject("v128 1 2 3 4");
  check_reject("1 2 3 4");
  check_reject("i8x16 256 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0");
  check_reject("i8x16 -129 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0");
  check_reject("i16x8 65536 0 0 0 0 0 0 0");
  check_reject("i32x4 4294967296 0 0 0");
  check_reject("i64x2 18446744073709551616 0");
  check_reject("i32x4 1.5 0 0 0");
  check_reject("i32x4 1x 0 0 0");
  check_reject("f32x4 1e39 0 0 0"); /* overflow to inf must be said as inf */
  check_reject("f32x4 nan:0x800000 0 0 0");
  check_reject("f64x2 1 two");
  {
    char longlane[400];
    memset(longlane, '1', sizeof longlane);
    memcpy(longlane, "i32x4 ", 6);
    longlane[sizeof longlane - 1] = 0;
    check_reject(longlane);
  }

  /* Printing, default and every shape. */
  check_print("01000000feffffff0300000004000000", CLI_V128_I32X4, "i32x4 1 -2 3 4");
  check_print("000102030405060708090a0b0c0dff80", CLI_V128_I8X16, "i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 -1 -128");
  check_print("0100ffff00800000000000000000ff7f", CLI_V128_I16X8, "i16x8 1 -1 -32768 0 0 0 0 32767");
  check_print("0000000000000080ffffffffffffffff", CLI_V128_I64X2, "i64x2 -9223372036854775808 -1");
  check_print("0000c03f00000080000080ff010080ff", CLI_V128_F32X4, "f32x4 1.5 -0 -inf -nan:0x1");
  check_print("9a9999999999b93f000000000000f87f", CLI_V128_F64X2, "f64x2 0.1 nan");
  {
    kumi_val v;
    memset(&v, 0, sizeof v);
    CHECK(cli_parse_val(KUMI_V128, "i64x2 -1 2", &v) && v.kind == KUMI_V128);
    CHECK(bytes_are(v.of.v128, "ffffffffffffffff0200000000000000"));
    FILE *f = tmpfile();
    char got[128] = {0};
    if (f) {
      cli_print_val(f, &v);
      rewind(f);
      got[fread(got, 1, sizeof got - 1, f)] = 0;
      fclose(f);
    }
    CHECKF(strcmp(got, "i32x4 -1 -1 2 0") == 0, "cli_print_val printed '%s'", got);
  }

  /* Shape words. */
  {
    static const char *const words[] = {"i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2"};
    static const unsigned lanes[] = {16, 8, 4, 2, 4, 2};
    for (int i = 0; i < 6; i++) {
      cli_v128_shape s;
      CHECKF(cli_v128_shape_of(words[i], &s) && (int)s == i && cli_v128_lanes(s) == lanes[i], "%s", words[i]);
    }
    cli_v128_shape s;
    CHECK(!cli_v128_shape_of("i32x4 ", &s) && !cli_v128_shape_of("", &s) && !cli_v128_shape_of("f16x8", &s));
  }

  /* Print -> parse gives back the same 16 bytes, for every shape, over
   * random bit patterns (many f32/f64 lanes are NaNs with payloads). */
  uint32_t seed = 0x1234567u;
  for (int round = 0; round < 2000; round++) {
    uint8_t v[16], back[16];
    for (int i = 0; i < 16; i++) {
      seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
      v[i] = (uint8_t)(seed >> 11);
    }
    if (round % 4 == 1) memset(v + 4, 0xff, 4); /* an all-ones lane: -1, -nan:0x7fffff */
    for (int s = 0; s < 6; s++) {
      char text[512];
      print_to(v, (cli_v128_shape)s, text, sizeof text);
      memset(back, 0, sizeof back);
      CHECKF(cli_parse_v128(text, back) && memcmp(v, back, 16) == 0, "round trip of '%s'", text);
    }
  }
  return test_summary();
}
