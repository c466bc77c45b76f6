/* Unit tests for src/base: LEB128, UTF-8, vectors, arena, hash map, errors. */
#include "base/base.h"

#include "../test.h"

static bool leb_u(const uint8_t *p, size_t n, unsigned bits, uint64_t *v, const char **why) {
  size_t pos = 0;
  bool ok = kb_leb_u(p, n, &pos, bits, v, why);
  return ok && pos == n;
}
static bool leb_s(const uint8_t *p, size_t n, unsigned bits, int64_t *v, const char **why) {
  size_t pos = 0;
  bool ok = kb_leb_s(p, n, &pos, bits, v, why);
  return ok && pos == n;
}

static void test_leb(void) {
  uint64_t u;
  int64_t s;
  const char *why = NULL;
  CHECK(leb_u((const uint8_t[]){0xE5, 0x8E, 0x26}, 3, 32, &u, &why) && u == 624485);
  CHECK(leb_u((const uint8_t[]){0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, 5, 32, &u, &why) && u == 0xFFFFFFFFu);
  CHECK(!leb_u((const uint8_t[]){0xFF, 0xFF, 0xFF, 0xFF, 0x1F}, 5, 32, &u, &why) && !strcmp(why, "integer too large"));
  CHECK(!leb_u((const uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 6, 32, &u, &why) &&
        !strcmp(why, "integer representation too long"));
  CHECK(!leb_u((const uint8_t[]){0x80}, 1, 32, &u, &why) && !strcmp(why, "unexpected end"));
  CHECK(leb_u((const uint8_t[]){0x80, 0x00}, 2, 32, &u, &why) && u == 0); /* padding is allowed */
  CHECK(leb_s((const uint8_t[]){0x7F}, 1, 32, &s, &why) && s == -1);
  CHECK(leb_s((const uint8_t[]){0xC0, 0xBB, 0x78}, 3, 32, &s, &why) && s == -123456);
  CHECK(leb_s((const uint8_t[]){0xFF, 0xFF, 0xFF, 0xFF, 0x7F}, 5, 32, &s, &why) && s == -1);
  CHECK(!leb_s((const uint8_t[]){0xFF, 0xFF, 0xFF, 0xFF, 0x4F}, 5, 32, &s, &why) && !strcmp(why, "integer too large"));
  CHECK(!leb_s((const uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x70}, 5, 32, &s, &why) && !strcmp(why, "integer too large"));
  CHECK(leb_s((const uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x78}, 5, 32, &s, &why) && s == INT32_MIN);
  uint8_t min64[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F};
  CHECK(leb_s(min64, 10, 64, &s, &why) && s == INT64_MIN);
  min64[9] = 0x41;
  CHECK(!leb_s(min64, 10, 64, &s, &why));
  uint8_t max64[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
  CHECK(leb_u(max64, 10, 64, &u, &why) && u == UINT64_MAX);
  max64[9] = 0x02;
  CHECK(!leb_u(max64, 10, 64, &u, &why));
}

static void test_utf8(void) {
  CHECK(kb_utf8_valid((const uint8_t *)"hello", 5));
  CHECK(kb_utf8_valid((const uint8_t *)"\xE2\x82\xAC", 3));            /* euro sign */
  CHECK(kb_utf8_valid((const uint8_t *)"\xF0\x9F\x98\x80", 4));        /* emoji */
  CHECK(!kb_utf8_valid((const uint8_t *)"\xC0\x80", 2));               /* overlong NUL */
  CHECK(!kb_utf8_valid((const uint8_t *)"\xED\xA0\x80", 3));           /* surrogate */
  CHECK(!kb_utf8_valid((const uint8_t *)"\xF4\x90\x80\x80", 4));       /* > U+10FFFF */
  CHECK(!kb_utf8_valid((const uint8_t *)"\xE2\x82", 2));               /* truncated */
  CHECK(!kb_utf8_valid((const uint8_t *)"\x80", 1));                   /* stray continuation */
}

static void test_containers(void) {
  const kumi_allocator *a = kb_default_allocator();
  KB_VEC(int) v = {0};
  bool ok = true;
  for (int i = 0; i < 1000; i++) ok = kb_vec_push(a, &v, i) && ok;
  CHECK(ok && v.len == 1000 && v.items[999] == 999);
  kb_vec_free(a, &v);

  kb_arena ar;
  kb_arena_init(&ar, a);
  char *big = kb_arena_alloc(&ar, 100000);
  char *small = kb_arena_strndup(&ar, "abc", 3);
  CHECK(big && small && !strcmp(small, "abc") && ((uintptr_t)big % 16) == 0);
  kb_arena_free(&ar);

  kb_map m;
  kb_map_init(&m, a);
  char key[32];
  for (int i = 0; i < 500; i++) {
    snprintf(key, sizeof key, "k%d", i);
    kb_map_put(&m, key, strlen(key), (void *)(intptr_t)(i + 1));
  }
  void *val = NULL;
  CHECK(m.count == 500);
  CHECK(kb_map_get(&m, "k321", 4, &val) && val == (void *)(intptr_t)322);
  CHECK(!kb_map_get(&m, "k500", 4, &val));
  kb_map_put(&m, "k1", 2, (void *)7);
  CHECK(kb_map_get(&m, "k1", 2, &val) && val == (void *)7 && m.count == 500);
  kb_map_free(&m);
}

static void test_errors(void) {
  const kumi_allocator *a = kb_default_allocator();
  kumi_error *e = kb_error(a, KUMI_ERR_MALFORMED, 42, "bad %s", "thing");
  CHECK(kumi_error_kind_of(e) == KUMI_ERR_MALFORMED && kumi_error_offset(e) == 42);
  CHECK(!strcmp(kumi_error_message(e), "bad thing"));
  kb_error_prefix(e, "x.wasm");
  CHECK(!strcmp(kumi_error_message(e), "x.wasm: bad thing"));
  kumi_error_free(e);
  e = kb_trap(a, KUMI_TRAP_INT_DIV_ZERO);
  CHECK(kumi_error_trap_code(e) == KUMI_TRAP_INT_DIV_ZERO);
  CHECK(!strcmp(kumi_error_message(e), "integer divide by zero"));
  for (int i = 0; i < 20; i++) kb_error_add_frame(e, (uint32_t)i, 10, i % 2 ? "f" : NULL, "m");
  CHECK(kumi_error_frame_count(e) == 20 && !strcmp(kumi_error_frame(e, 1)->name, "f"));
  kumi_error_free(e);
  kumi_error_free(kb_error_oom()); /* the static error is never freed */
}

int main(void) {
  test_leb();
  test_utf8();
  test_containers();
  test_errors();
  return test_summary();
}
