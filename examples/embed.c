/* embed: how to run WebAssembly from C with kumi (include/kumi.h).
 *
 *   embed [FILE.wasm]
 *
 * Without an argument it runs the module of embed.wat, whose bytes are
 * below; with one it loads that file instead (e.g. examples/embed.wasm, the
 * same module). The module imports one host function, env.log_i32, and
 * exports a memory and two functions, squares and div. The steps:
 *
 *   1. an engine (configuration, allocator) and a module (decoded,
 *      validated and prepared once; it can be instantiated many times);
 *   2. a store (holds instances, memories, tables, globals) and a linker
 *      (maps import names to host functions and other externs);
 *   3. instantiate, then call exports with typed values;
 *   4. read the instance's memory;
 *   5. handle a trap: an error value with a trap code and a wasm backtrace.
 *
 * Every call that can fail returns a kumi_error * (or takes a kumi_error **)
 * that the caller frees. Prints "embed: ok" when every result is as
 * expected, and exits non-zero otherwise. */
#include <kumi.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* embed.wasm, made from embed.wat by `wat2wasm --debug-names`. */
static const uint8_t embed_wasm[] = {
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x10, 0x03, 0x60,
  0x01, 0x7f, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f,
  0x01, 0x7f, 0x02, 0x0f, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x07, 0x6c, 0x6f,
  0x67, 0x5f, 0x69, 0x33, 0x32, 0x00, 0x00, 0x03, 0x03, 0x02, 0x01, 0x02,
  0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x1a, 0x03, 0x06, 0x6d, 0x65, 0x6d,
  0x6f, 0x72, 0x79, 0x02, 0x00, 0x07, 0x73, 0x71, 0x75, 0x61, 0x72, 0x65,
  0x73, 0x00, 0x01, 0x03, 0x64, 0x69, 0x76, 0x00, 0x02, 0x0a, 0x42, 0x02,
  0x38, 0x01, 0x03, 0x7f, 0x02, 0x40, 0x03, 0x40, 0x20, 0x01, 0x20, 0x00,
  0x4f, 0x0d, 0x01, 0x20, 0x01, 0x20, 0x01, 0x6c, 0x21, 0x02, 0x20, 0x01,
  0x41, 0x02, 0x74, 0x20, 0x02, 0x36, 0x02, 0x00, 0x20, 0x02, 0x10, 0x00,
  0x20, 0x03, 0x20, 0x02, 0x6a, 0x21, 0x03, 0x20, 0x01, 0x41, 0x01, 0x6a,
  0x21, 0x01, 0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x03, 0x0b, 0x07, 0x00, 0x20,
  0x00, 0x20, 0x01, 0x6d, 0x0b, 0x00, 0x3d, 0x04, 0x6e, 0x61, 0x6d, 0x65,
  0x01, 0x18, 0x03, 0x00, 0x07, 0x6c, 0x6f, 0x67, 0x5f, 0x69, 0x33, 0x32,
  0x01, 0x07, 0x73, 0x71, 0x75, 0x61, 0x72, 0x65, 0x73, 0x02, 0x03, 0x64,
  0x69, 0x76, 0x02, 0x1c, 0x03, 0x00, 0x00, 0x01, 0x04, 0x00, 0x01, 0x6e,
  0x01, 0x01, 0x69, 0x02, 0x02, 0x73, 0x71, 0x03, 0x03, 0x73, 0x75, 0x6d,
  0x02, 0x02, 0x00, 0x01, 0x61, 0x01, 0x01, 0x62
};

/* State the host function sees: passed as `env` when defining it. */
typedef struct log_state {
  int calls;
} log_state;

/* The host side of the import (func $log_i32 (param i32)). args and results
 * follow the function type given to kumi_linker_define_func. Returning an
 * error (kumi_error_new(..., KUMI_ERR_TRAP, ...)) would trap the caller. */
static kumi_error *log_i32(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  (void)caller;
  (void)results;
  log_state *st = env;
  st->calls++;
  printf("log_i32: %" PRId32 "\n", args[0].of.i32);
  return NULL;
}

/* Reads a whole file; NULL on failure. */
static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *buf = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? cap * 2 : 4096;
      uint8_t *nb = realloc(buf, cap);
      if (!nb) break;
      buf = nb;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  int bad = ferror(f) || n == 0 || !buf;
  fclose(f);
  if (bad) {
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

/* Prints an error and frees it. */
static void report(const char *what, kumi_error *err) {
  fprintf(stderr, "embed: %s: %s\n", what, err ? kumi_error_message(err) : "unknown error");
  kumi_error_free(err);
}

int main(int argc, char **argv) {
  int status = 1;
  kumi_engine *engine = NULL;
  kumi_module *module = NULL;
  kumi_store *store = NULL;
  kumi_linker *linker = NULL;
  uint8_t *file_bytes = NULL;
  kumi_error *err = NULL;

  /* 1. Engine and module. kumi_module_new copies the bytes. */
  const uint8_t *bytes = embed_wasm;
  size_t len = sizeof embed_wasm;
  if (argc > 1) {
    file_bytes = read_file(argv[1], &len);
    if (!file_bytes) {
      fprintf(stderr, "embed: cannot read %s\n", argv[1]);
      return 1;
    }
    bytes = file_bytes;
  }
  engine = kumi_engine_new(NULL); /* NULL: default config, malloc/free */
  if (!engine) goto out;
  module = kumi_module_new(engine, bytes, len, &err);
  if (!module) {
    report("cannot load the module", err);
    goto out;
  }

  /* 2. Store and linker; define the import "env" "log_i32" : [i32] -> []. */
  store = kumi_store_new(engine, NULL); /* NULL: default limits */
  linker = store ? kumi_linker_new(store) : NULL;
  if (!linker) goto out;
  static const kumi_valkind log_params[] = {KUMI_I32};
  const kumi_functype log_type = {1, 0, log_params, NULL};
  log_state logs = {0};
  err = kumi_linker_define_func(linker, "env", "log_i32", &log_type, log_i32, &logs);
  if (err) {
    report("cannot define env.log_i32", err);
    goto out;
  }

  /* 3. Instantiate (resolves imports, initializes memory, runs the start
   * function if any) and call squares(5). */
  kumi_instance *inst = kumi_linker_instantiate(linker, module, &err);
  if (!inst) {
    report("cannot instantiate", err);
    goto out;
  }
  kumi_func *squares = kumi_instance_func(inst, "squares");
  kumi_func *div = kumi_instance_func(inst, "div");
  if (!squares || !div) {
    fprintf(stderr, "embed: the module does not export squares and div\n");
    goto out;
  }
  kumi_val args[2] = {kumi_val_i32(5)};
  kumi_val result;
  err = kumi_func_call(store, squares, args, 1, &result, 1);
  if (err) {
    report("squares failed", err);
    goto out;
  }
  printf("squares(5) = %" PRId32 "\n", result.of.i32);
  if (result.of.i32 != 30 || logs.calls != 5) {
    fprintf(stderr, "embed: expected squares(5) = 30 with 5 log calls\n");
    goto out;
  }

  /* 4. Read what squares stored: five little-endian i32 at address 0.
   * kumi_memory_read checks bounds; kumi_memory_data gives direct access
   * (valid until the memory grows). */
  kumi_memory *memory = kumi_instance_memory(inst, "memory");
  uint8_t raw[20];
  if (!memory || (err = kumi_memory_read(memory, 0, raw, sizeof raw))) {
    report("cannot read memory", err);
    goto out;
  }
  printf("memory:");
  for (int i = 0; i < 5; i++) {
    uint32_t v = (uint32_t)raw[4 * i] | (uint32_t)raw[4 * i + 1] << 8 | (uint32_t)raw[4 * i + 2] << 16 |
                 (uint32_t)raw[4 * i + 3] << 24;
    printf(" %" PRIu32, v);
    if (v != (uint32_t)(i * i)) {
      printf("\n");
      fprintf(stderr, "embed: memory does not hold the squares\n");
      goto out;
    }
  }
  printf(" (%zu bytes in all)\n", kumi_memory_size(memory));

  /* 5. A trap: div(1, 0) divides by zero. The call returns an error of kind
   * KUMI_ERR_TRAP with a trap code and a backtrace, innermost frame first;
   * the store stays usable. */
  args[0] = kumi_val_i32(1);
  args[1] = kumi_val_i32(0);
  err = kumi_func_call(store, div, args, 2, &result, 1);
  if (!err || kumi_error_kind_of(err) != KUMI_ERR_TRAP || kumi_error_trap_code(err) != KUMI_TRAP_INT_DIV_ZERO) {
    report("div(1, 0) should trap with integer divide by zero", err);
    goto out;
  }
  printf("div(1, 0) trapped: %s\n", kumi_error_message(err));
  for (size_t i = 0; i < kumi_error_frame_count(err); i++) {
    const kumi_frame *f = kumi_error_frame(err, i);
    printf("  #%zu func %" PRIu32 " (%s) at offset 0x%" PRIx32 "\n", i, f->func_index, f->name ? f->name : "?",
           f->offset);
  }
  kumi_error_free(err);
  err = NULL;

  /* The store is still usable after a trap. */
  args[0] = kumi_val_i32(-7);
  args[1] = kumi_val_i32(2);
  err = kumi_func_call(store, div, args, 2, &result, 1);
  if (err) {
    report("div(-7, 2) failed", err);
    goto out;
  }
  printf("div(-7, 2) = %" PRId32 "\n", result.of.i32);
  if (result.of.i32 != -3) goto out;

  printf("embed: ok\n");
  status = 0;

out:
  /* Instances, memories and host functions die with the store. The module
   * may be freed before or after its instances. */
  if (linker) kumi_linker_free(linker);
  if (store) kumi_store_free(store);
  if (module) kumi_module_free(module);
  if (engine) kumi_engine_free(engine);
  free(file_bytes);
  return status;
}
