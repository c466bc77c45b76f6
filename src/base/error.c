/* Error values, and the public accessors of include/kumi.h. */
#include "base.h"

#include <stdarg.h>
#include <stdio.h>

/* Returned when even an error cannot be allocated. It is never freed. */
static const kumi_error oom_error = {NULL, KUMI_ERR_OOM, KUMI_TRAP_NONE, 0, KUMI_NO_OFFSET, (char *)"out of memory",
                                     0, 0, NULL};

kumi_error *kb_error_oom(void) { return (kumi_error *)&oom_error; }

static kumi_error *error_vnew(const kumi_allocator *a, kumi_error_kind kind, uint64_t offset, const char *fmt,
                              va_list ap) {
  kumi_error *e = kb_zalloc(a, sizeof *e);
  if (!e) return kb_error_oom();
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) n = 0;
  e->message = kb_alloc(a, (size_t)n + 1);
  if (!e->message) {
    kb_free(a, e, sizeof *e);
    return kb_error_oom();
  }
  vsnprintf(e->message, (size_t)n + 1, fmt, ap);
  e->alloc = a;
  e->kind = kind;
  e->offset = offset;
  return e;
}

kumi_error *kb_error(const kumi_allocator *a, kumi_error_kind kind, uint64_t offset, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kumi_error *e = error_vnew(a, kind, offset, fmt, ap);
  va_end(ap);
  return e;
}

kumi_error *kb_trap(const kumi_allocator *a, kumi_trap_code code) {
  kumi_error *e = kb_error(a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "%s", kumi_trap_message(code));
  if (e->alloc) e->trap = code;
  return e;
}

bool kb_error_add_frame(kumi_error *e, uint32_t func_index, uint32_t offset, const char *name, const char *module) {
  if (!e->alloc) return false;
  if (e->nframes == e->frames_cap) {
    size_t ncap = e->frames_cap ? e->frames_cap * 2 : 8;
    kumi_frame *f = kb_realloc(e->alloc, e->frames, e->frames_cap * sizeof *f, ncap * sizeof *f);
    if (!f) return false;
    e->frames = f;
    e->frames_cap = ncap;
  }
  kumi_frame *f = &e->frames[e->nframes];
  f->func_index = func_index;
  f->offset = offset;
  f->name = name ? kb_strndup(e->alloc, name, strlen(name)) : NULL;
  f->module = module ? kb_strndup(e->alloc, module, strlen(module)) : NULL;
  e->nframes++;
  return true;
}

void kb_error_prefix(kumi_error *e, const char *prefix) {
  if (!e->alloc) return;
  size_t a = strlen(prefix), b = strlen(e->message);
  char *m = kb_alloc(e->alloc, a + 2 + b + 1);
  if (!m) return;
  memcpy(m, prefix, a);
  memcpy(m + a, ": ", 2);
  memcpy(m + a + 2, e->message, b + 1);
  kb_free(e->alloc, e->message, b + 1);
  e->message = m;
}

kumi_error_kind kumi_error_kind_of(const kumi_error *e) { return e->kind; }
const char *kumi_error_message(const kumi_error *e) { return e->message; }
uint64_t kumi_error_offset(const kumi_error *e) { return e->offset; }
kumi_trap_code kumi_error_trap_code(const kumi_error *e) { return e->trap; }
int kumi_error_exit_code(const kumi_error *e) { return e->exit_code; }
size_t kumi_error_frame_count(const kumi_error *e) { return e->nframes; }
const kumi_frame *kumi_error_frame(const kumi_error *e, size_t i) { return i < e->nframes ? &e->frames[i] : NULL; }

const char *kumi_trap_message(kumi_trap_code code) {
  switch (code) {
  case KUMI_TRAP_NONE: return "no trap";
  case KUMI_TRAP_UNREACHABLE: return "unreachable";
  case KUMI_TRAP_INT_DIV_ZERO: return "integer divide by zero";
  case KUMI_TRAP_INT_OVERFLOW: return "integer overflow";
  case KUMI_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
  case KUMI_TRAP_OOB_MEMORY: return "out of bounds memory access";
  case KUMI_TRAP_OOB_TABLE: return "out of bounds table access";
  case KUMI_TRAP_INDIRECT_MISMATCH: return "indirect call type mismatch";
  case KUMI_TRAP_UNINIT_ELEMENT: return "uninitialized element";
  case KUMI_TRAP_NULL_REFERENCE: return "null reference";
  case KUMI_TRAP_STACK_EXHAUSTED: return "call stack exhausted";
  case KUMI_TRAP_HOST: return "host function failed";
  case KUMI_TRAP_INTERRUPTED: return "interrupted";
  case KUMI_TRAP_OUT_OF_FUEL: return "all fuel consumed";
  }
  return "unknown trap";
}

static const char *kind_name(kumi_error_kind k) {
  switch (k) {
  case KUMI_ERR_MALFORMED: return "malformed";
  case KUMI_ERR_INVALID: return "invalid";
  case KUMI_ERR_LINK: return "link error";
  case KUMI_ERR_TRAP: return "wasm trap";
  case KUMI_ERR_EXIT: return "exit";
  case KUMI_ERR_IO: return "i/o error";
  case KUMI_ERR_OOM: return "out of memory";
  case KUMI_ERR_ARG: return "bad argument";
  case KUMI_ERR_LIMIT: return "limit exceeded";
  }
  return "error";
}

void kumi_error_print(const kumi_error *e, void *file) {
  FILE *f = file;
  if (e->offset != KUMI_NO_OFFSET)
    fprintf(f, "error: %s at byte offset 0x%llx: %s\n", kind_name(e->kind), (unsigned long long)e->offset,
            e->message);
  else
    fprintf(f, "error: %s: %s\n", kind_name(e->kind), e->message);
  for (size_t i = 0; i < e->nframes; i++) {
    const kumi_frame *fr = &e->frames[i];
    fprintf(f, "  %zu: 0x%x - %s!", i, fr->offset, fr->module ? fr->module : "<module>");
    if (fr->name)
      fprintf(f, "%s\n", fr->name);
    else
      fprintf(f, "<func %u>\n", fr->func_index);
  }
}

void kumi_error_free(kumi_error *e) {
  if (!e || !e->alloc) return;
  const kumi_allocator *a = e->alloc;
  for (size_t i = 0; i < e->nframes; i++) {
    if (e->frames[i].name) kb_free(a, (void *)e->frames[i].name, strlen(e->frames[i].name) + 1);
    if (e->frames[i].module) kb_free(a, (void *)e->frames[i].module, strlen(e->frames[i].module) + 1);
  }
  kb_free(a, e->frames, e->frames_cap * sizeof *e->frames);
  kb_free(a, e->message, strlen(e->message) + 1);
  kb_free(a, e, sizeof *e);
}
