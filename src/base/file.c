#include "base.h"

#include <errno.h>
#include <stdio.h>

kumi_error *kb_read_file(const kumi_allocator *a, const char *path, uint8_t **data, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return kb_error(a, KUMI_ERR_IO, KUMI_NO_OFFSET, "cannot open %s: %s", path, strerror(errno));
  size_t cap = 65536, n = 0;
  uint8_t *buf = kb_alloc(a, cap);
  if (!buf) {
    fclose(f);
    return kb_error_oom();
  }
  for (;;) {
    if (n == cap) {
      uint8_t *nb = cap <= SIZE_MAX / 2 ? kb_realloc(a, buf, cap, cap * 2) : NULL;
      if (!nb) {
        kb_free(a, buf, cap);
        fclose(f);
        return kb_error_oom();
      }
      buf = nb;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  int failed = ferror(f);
  fclose(f);
  if (failed) {
    kb_free(a, buf, cap);
    return kb_error(a, KUMI_ERR_IO, KUMI_NO_OFFSET, "cannot read %s", path);
  }
  /* Shrink to the exact length so the caller frees with (buf, len). */
  uint8_t *exact = kb_realloc(a, buf, cap, n);
  if (!exact) {
    kb_free(a, buf, cap);
    return kb_error_oom();
  }
  *data = exact;
  *len = n;
  return NULL;
}
