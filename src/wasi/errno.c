/* Host errno -> WASI errno, and the small guest-memory helpers. */
#define _GNU_SOURCE
#include "wasi.h"

#include <errno.h>
#include <stdlib.h>

wasi_errno wasi_errno_from_host(int e) {
  switch (e) {
  case 0: return WASI_ESUCCESS;
#define WASI_ERRNO_CASE(n) case E##n: return WASI_E##n;
  /* EWOULDBLOCK == EAGAIN and EOPNOTSUPP == ENOTSUP on Linux; the list
   * names each value once. */
  WASI_ERRNO_LIST(WASI_ERRNO_CASE)
#undef WASI_ERRNO_CASE
#if defined(EOPNOTSUPP) && EOPNOTSUPP != ENOTSUP
  case EOPNOTSUPP: return WASI_ENOTSUP;
#endif
#if defined(EWOULDBLOCK) && EWOULDBLOCK != EAGAIN
  case EWOULDBLOCK: return WASI_EAGAIN;
#endif
  default: return WASI_EIO;
  }
}

wasi_errno wasi_errno_last(void) { return wasi_errno_from_host(errno); }

wasi_errno wasi_store_u32(const wasi_mem *m, uint32_t ptr, uint32_t v) {
  uint8_t *p = wasi_mem_at(m, ptr, 4);
  if (!p) return WASI_EFAULT;
  wasi_put_u32(p, v);
  return WASI_ESUCCESS;
}

wasi_errno wasi_store_u64(const wasi_mem *m, uint32_t ptr, uint64_t v) {
  uint8_t *p = wasi_mem_at(m, ptr, 8);
  if (!p) return WASI_EFAULT;
  wasi_put_u64(p, v);
  return WASI_ESUCCESS;
}

wasi_errno wasi_iovs_load(kumi_wasi *w, const wasi_mem *m, uint32_t iovs, uint32_t n, wasi_iovs *out) {
  out->v = out->small;
  out->n = 0;
  out->total = 0;
  out->heap_n = 0;
  if (n > WASI_IOV_MAX) return WASI_EINVAL;
  const uint8_t *rec = wasi_mem_at(m, iovs, (uint64_t)n * 8);
  if (!rec) return WASI_EFAULT;
  if (n > sizeof out->small / sizeof out->small[0]) {
    out->v = kb_alloc(w->alloc, n * sizeof *out->v);
    if (!out->v) {
      out->v = out->small;
      return WASI_ENOMEM;
    }
    out->heap_n = n;
  }
  for (uint32_t i = 0; i < n; i++) {
    uint32_t ptr = wasi_get_u32(rec + 8 * i), len = wasi_get_u32(rec + 8 * i + 4);
    uint8_t *p = wasi_mem_at(m, ptr, len);
    if (!p) {
      wasi_iovs_free(w, out);
      return WASI_EFAULT;
    }
    /* Skip empty buffers: the host may reject their pointers. */
    if (len == 0) continue;
    out->v[out->n].iov_base = p;
    out->v[out->n].iov_len = len;
    out->n++;
    out->total = out->total > SIZE_MAX - len ? SIZE_MAX : out->total + len;
  }
  return WASI_ESUCCESS;
}

void wasi_iovs_free(kumi_wasi *w, wasi_iovs *v) {
  if (v->v != v->small) kb_free(w->alloc, v->v, v->heap_n * sizeof *v->v);
  v->v = v->small;
  v->n = 0;
}
