/* The WASI embedding API (include/kumi_wasi.h) without a wasm toolchain:
 * captured stdout/stderr with a cap, in-memory stdin, proc_exit as an exit
 * error, a module that exports no memory (pointers fail with EFAULT, no
 * crash), configuration errors, and that every byte allocated through the
 * config's allocator is freed with the size it was allocated with. The
 * modules are wat2wasm output; their text is beside each array.
 * Prints "N passed, N failed". */
#include "kumi.h"
#include "kumi_wasi.h"

#include "../test.h"

/* No exported memory:
 * (module
 *   (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
 *   (memory 1)
 *   (func (export "write") (result i32)
 *     (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))) */
static const uint8_t mod_a[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0d, 0x02, 0x60, 0x04, 0x7f, 0x7f, 0x7f,
    0x7f, 0x01, 0x7f, 0x60, 0x00, 0x01, 0x7f, 0x02, 0x23, 0x01, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f,
    0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77,
    0x31, 0x08, 0x66, 0x64, 0x5f, 0x77, 0x72, 0x69, 0x74, 0x65, 0x00, 0x00, 0x03, 0x02, 0x01, 0x01,
    0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x09, 0x01, 0x05, 0x77, 0x72, 0x69, 0x74, 0x65, 0x00, 0x01,
    0x0a, 0x0e, 0x01, 0x0c, 0x00, 0x41, 0x01, 0x41, 0x00, 0x41, 0x01, 0x41, 0x08, 0x10, 0x00, 0x0b,
};

/* Exports memory; _start writes "hi\n" to stdout and stderr, echoes what
 * one fd_read of stdin gives, then proc_exit(7). big() writes 64 KiB.
 * (module
 *   (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
 *   (import "wasi_snapshot_preview1" "fd_read" (func $r (param i32 i32 i32 i32) (result i32)))
 *   (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
 *   (memory (export "memory") 1)
 *   (data (i32.const 100) "hi\n")
 *   (func (export "_start")
 *     (i32.store (i32.const 0) (i32.const 100))
 *     (i32.store (i32.const 4) (i32.const 3))
 *     (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
 *     (drop (call $w (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
 *     (i32.store (i32.const 16) (i32.const 200))
 *     (i32.store (i32.const 20) (i32.const 1000))
 *     (drop (call $r (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
 *     (i32.store (i32.const 32) (i32.const 200))
 *     (i32.store (i32.const 36) (i32.load (i32.const 24)))
 *     (drop (call $w (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 8)))
 *     (call $exit (i32.const 7))
 *     unreachable)
 *   (func (export "big") (result i32)
 *     (i32.store (i32.const 40) (i32.const 0))
 *     (i32.store (i32.const 44) (i32.const 65536))
 *     (call $w (i32.const 1) (i32.const 40) (i32.const 1) (i32.const 8)))) */
static const uint8_t mod_b[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x14, 0x04, 0x60, 0x04, 0x7f, 0x7f, 0x7f,
    0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x00, 0x60, 0x00, 0x01, 0x7f, 0x02, 0x67,
    0x03, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f,
    0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x08, 0x66, 0x64, 0x5f, 0x77, 0x72, 0x69, 0x74,
    0x65, 0x00, 0x00, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f,
    0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x07, 0x66, 0x64, 0x5f, 0x72, 0x65,
    0x61, 0x64, 0x00, 0x00, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68,
    0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x09, 0x70, 0x72, 0x6f, 0x63,
    0x5f, 0x65, 0x78, 0x69, 0x74, 0x00, 0x01, 0x03, 0x03, 0x02, 0x02, 0x03, 0x05, 0x03, 0x01, 0x00,
    0x01, 0x07, 0x19, 0x03, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x06, 0x5f, 0x73,
    0x74, 0x61, 0x72, 0x74, 0x00, 0x03, 0x03, 0x62, 0x69, 0x67, 0x00, 0x04, 0x0a, 0x83, 0x01, 0x02,
    0x64, 0x00, 0x41, 0x00, 0x41, 0xe4, 0x00, 0x36, 0x02, 0x00, 0x41, 0x04, 0x41, 0x03, 0x36, 0x02,
    0x00, 0x41, 0x01, 0x41, 0x00, 0x41, 0x01, 0x41, 0x08, 0x10, 0x00, 0x1a, 0x41, 0x02, 0x41, 0x00,
    0x41, 0x01, 0x41, 0x08, 0x10, 0x00, 0x1a, 0x41, 0x10, 0x41, 0xc8, 0x01, 0x36, 0x02, 0x00, 0x41,
    0x14, 0x41, 0xe8, 0x07, 0x36, 0x02, 0x00, 0x41, 0x00, 0x41, 0x10, 0x41, 0x01, 0x41, 0x18, 0x10,
    0x01, 0x1a, 0x41, 0x20, 0x41, 0xc8, 0x01, 0x36, 0x02, 0x00, 0x41, 0x24, 0x41, 0x18, 0x28, 0x02,
    0x00, 0x36, 0x02, 0x00, 0x41, 0x01, 0x41, 0x20, 0x41, 0x01, 0x41, 0x08, 0x10, 0x00, 0x1a, 0x41,
    0x07, 0x10, 0x02, 0x00, 0x0b, 0x1c, 0x00, 0x41, 0x28, 0x41, 0x00, 0x36, 0x02, 0x00, 0x41, 0x2c,
    0x41, 0x80, 0x80, 0x04, 0x36, 0x02, 0x00, 0x41, 0x01, 0x41, 0x28, 0x41, 0x01, 0x41, 0x08, 0x10,
    0x00, 0x0b, 0x0b, 0x0a, 0x01, 0x00, 0x41, 0xe4, 0x00, 0x0b, 0x03, 0x68, 0x69, 0x0a,
};

static kumi_func *func(kumi_instance *i, const char *name) { return kumi_instance_func(i, name); }

static void test_run(const kumi_allocator *a, kumi_engine *engine) {
  kumi_error *e = NULL;
  kumi_module *m = kumi_module_new(engine, mod_b, sizeof mod_b, &e);
  CHECK(m != NULL);
  kumi_wasi_config *c = kumi_wasi_config_new(a);
  CHECK(kumi_wasi_config_arg(c, "prog") == NULL);
  CHECK(kumi_wasi_config_stdin_bytes(c, "hello\n", 6) == NULL);
  CHECK(kumi_wasi_config_stdio_capture(c, KUMI_WASI_STDOUT, 10) == NULL);
  CHECK(kumi_wasi_config_stdio_capture(c, KUMI_WASI_STDERR, 0) == NULL);
  kumi_wasi *w = kumi_wasi_new(c, &e);
  kumi_wasi_config_free(c); /* not needed once the state exists */
  CHECK(w != NULL);
  kumi_store *s = kumi_store_new(engine, NULL);
  kumi_linker *l = kumi_linker_new(s);
  CHECK(kumi_linker_add_wasi_preview1(l, w) == NULL);
  kumi_instance *inst = kumi_linker_instantiate(l, m, &e);
  CHECK(inst != NULL);
  e = kumi_func_call(s, func(inst, "_start"), NULL, 0, NULL, 0);
  CHECK(e && kumi_error_kind_of(e) == KUMI_ERR_EXIT && kumi_error_exit_code(e) == 7);
  kumi_error_free(e);
  size_t n;
  const uint8_t *out = kumi_wasi_output(w, KUMI_WASI_STDOUT, &n);
  CHECK(out && n == 9 && memcmp(out, "hi\nhello\n", 9) == 0);
  out = kumi_wasi_output(w, KUMI_WASI_STDERR, &n);
  CHECK(out && n == 3 && memcmp(out, "hi\n", 3) == 0);
  CHECK(kumi_wasi_output(w, KUMI_WASI_STDIN, &n) == NULL && n == 0);
  /* The cap: one byte of room left, then none. */
  kumi_val r;
  CHECK(kumi_func_call(s, func(inst, "big"), NULL, 0, &r, 1) == NULL && r.of.i32 == 0);
  CHECK(kumi_func_call(s, func(inst, "big"), NULL, 0, &r, 1) == NULL && r.of.i32 == 22 /* FBIG */);
  out = kumi_wasi_output(w, KUMI_WASI_STDOUT, &n);
  CHECK(n == 10);
  kumi_linker_free(l);
  kumi_store_free(s);
  kumi_wasi_free(w);
  kumi_module_free(m);
}

static void test_no_memory(const kumi_allocator *a, kumi_engine *engine) {
  kumi_error *e = NULL;
  kumi_module *m = kumi_module_new(engine, mod_a, sizeof mod_a, &e);
  kumi_wasi_config *c = kumi_wasi_config_new(a);
  kumi_wasi *w = kumi_wasi_new(c, &e);
  kumi_wasi_config_free(c);
  kumi_store *s = kumi_store_new(engine, NULL);
  kumi_linker *l = kumi_linker_new(s);
  CHECK(m && w && kumi_linker_add_wasi_preview1(l, w) == NULL);
  kumi_instance *inst = kumi_linker_instantiate(l, m, &e);
  CHECK(inst != NULL);
  kumi_val r;
  CHECK(kumi_func_call(s, func(inst, "write"), NULL, 0, &r, 1) == NULL && r.of.i32 == 21 /* FAULT */);
  kumi_linker_free(l);
  kumi_store_free(s);
  kumi_wasi_free(w);
  kumi_module_free(m);
}

static void test_config_errors(const kumi_allocator *a) {
  kumi_wasi_config *c = kumi_wasi_config_new(a);
  CHECK_ERR(kumi_wasi_config_env(c, "A=B", "x"), KUMI_ERR_ARG, "");
  CHECK_ERR(kumi_wasi_config_env(c, "", "x"), KUMI_ERR_ARG, "");
  CHECK_ERR(kumi_wasi_config_stdio_capture(c, KUMI_WASI_STDIN, 0), KUMI_ERR_ARG, "");
  CHECK_ERR(kumi_wasi_config_preopen_dir(c, "/tmp", "/t", 0x80), KUMI_ERR_ARG, "");
  kumi_error *e = NULL;
  CHECK(kumi_wasi_config_env(c, "K", "1") == NULL && kumi_wasi_config_env(c, "K", "2") == NULL);
  CHECK(kumi_wasi_config_inherit_env(c) == NULL);
  CHECK(kumi_wasi_config_preopen_dir(c, "/nonexistent/kumi-wasi-test", NULL, 0) == NULL);
  kumi_wasi *w = kumi_wasi_new(c, &e);
  CHECK(!w && e && kumi_error_kind_of(e) == KUMI_ERR_IO);
  kumi_error_free(e);
  kumi_wasi_config_free(c);

  c = kumi_wasi_config_new(a);
  CHECK(kumi_wasi_config_stdio_file(c, KUMI_WASI_STDIN, "/nonexistent/kumi-wasi-test") == NULL);
  w = kumi_wasi_new(c, &e);
  CHECK(!w && e && kumi_error_kind_of(e) == KUMI_ERR_IO);
  kumi_error_free(e);
  CHECK(kumi_wasi_config_preopen_tcp_listen(c, "not an address") == NULL);
  CHECK(kumi_wasi_config_stdio_null(c, KUMI_WASI_STDIN) == NULL);
  w = kumi_wasi_new(c, &e);
  CHECK(!w && e && kumi_error_kind_of(e) == KUMI_ERR_ARG);
  kumi_error_free(e);
  kumi_wasi_config_free(c);
}

int main(void) {
  test_alloc cnt;
  kumi_allocator a = test_alloc_init(&cnt, -1);
  kumi_config ec;
  memset(&ec, 0, sizeof ec);
  ec.allocator = &a;
  kumi_engine *engine = kumi_engine_new(&ec);
  test_run(&a, engine);
  test_no_memory(&a, engine);
  test_config_errors(&a);
  kumi_engine_free(engine);
  CHECK(cnt.live_blocks == 0 && cnt.live_bytes == 0);
  CHECK(cnt.size_mismatches == 0);
  (void)test_alloc_clean(&cnt); /* says what is wrong */
  return test_summary();
}
