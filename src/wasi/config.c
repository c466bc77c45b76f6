/* kumi_wasi_config: what a guest will be given (include/kumi_wasi.h). Only
 * copies strings here; nothing is opened until kumi_wasi_new. */
#define _GNU_SOURCE
#include "wasi.h"

#include <string.h>

extern char **environ;

static kumi_error *arg_error(const kumi_wasi_config *c, const char *what) {
  return kb_error(c ? c->alloc : kb_default_allocator(), KUMI_ERR_ARG, KUMI_NO_OFFSET, "wasi config: %s", what);
}

static char *dup_str(const kumi_wasi_config *c, const char *s) { return kb_strndup(c->alloc, s, strlen(s)); }
static void free_str(const kumi_wasi_config *c, char *s) {
  if (s) kb_free(c->alloc, s, strlen(s) + 1);
}

kumi_wasi_config *kumi_wasi_config_new(const kumi_allocator *allocator) {
  const kumi_allocator *a = allocator ? allocator : kb_default_allocator();
  kumi_wasi_config *c = kb_zalloc(a, sizeof *c);
  if (!c) return NULL;
  c->alloc = a;
  for (int i = 0; i < 3; i++) c->stdio[i].kind = WASI_STDIO_NULL;
  return c;
}

static void stdio_clear(kumi_wasi_config *c, wasi_stdio_cfg *s) {
  free_str(c, s->path);
  if (s->kind == WASI_STDIO_BYTES) kb_free(c->alloc, s->bytes, s->len ? s->len : 1);
  memset(s, 0, sizeof *s);
  s->kind = WASI_STDIO_NULL;
}

void kumi_wasi_config_free(kumi_wasi_config *c) {
  if (!c) return;
  for (size_t i = 0; i < c->args.len; i++) free_str(c, c->args.items[i]);
  for (size_t i = 0; i < c->env.len; i++) free_str(c, c->env.items[i]);
  for (size_t i = 0; i < c->preopens.len; i++) {
    free_str(c, c->preopens.items[i].host);
    free_str(c, c->preopens.items[i].guest);
    free_str(c, c->preopens.items[i].listen);
  }
  kb_vec_free(c->alloc, &c->args);
  kb_vec_free(c->alloc, &c->env);
  kb_vec_free(c->alloc, &c->preopens);
  for (int i = 0; i < 3; i++) stdio_clear(c, &c->stdio[i]);
  kb_free(c->alloc, c, sizeof *c);
}

kumi_error *kumi_wasi_config_arg(kumi_wasi_config *c, const char *arg) {
  if (!c || !arg) return arg_error(c, "null argument");
  char *s = dup_str(c, arg);
  if (!s || !kb_vec_push(c->alloc, &c->args, s)) {
    free_str(c, s);
    return kb_error_oom();
  }
  return NULL;
}

kumi_error *kumi_wasi_config_args(kumi_wasi_config *c, int argc, const char *const *argv) {
  for (int i = 0; i < argc; i++) {
    kumi_error *e = kumi_wasi_config_arg(c, argv[i]);
    if (e) return e;
  }
  return NULL;
}

/* Sets "NAME=VALUE" from entry[0..len) (already joined), replacing an
 * earlier definition of the same name. */
static kumi_error *put_env(kumi_wasi_config *c, const char *entry, size_t name_len) {
  char *s = dup_str(c, entry);
  if (!s) return kb_error_oom();
  for (size_t i = 0; i < c->env.len; i++) {
    const char *old = c->env.items[i];
    if (strncmp(old, entry, name_len) == 0 && old[name_len] == '=') {
      free_str(c, c->env.items[i]);
      c->env.items[i] = s;
      return NULL;
    }
  }
  if (!kb_vec_push(c->alloc, &c->env, s)) {
    free_str(c, s);
    return kb_error_oom();
  }
  return NULL;
}

kumi_error *kumi_wasi_config_env(kumi_wasi_config *c, const char *name, const char *value) {
  if (!c || !name || !value) return arg_error(c, "null environment name or value");
  size_t nl = strlen(name), vl = strlen(value);
  if (nl == 0 || strchr(name, '=')) return arg_error(c, "environment variable names must be non-empty, without '='");
  char *joined = kb_alloc(c->alloc, nl + vl + 2);
  if (!joined) return kb_error_oom();
  memcpy(joined, name, nl);
  joined[nl] = '=';
  memcpy(joined + nl + 1, value, vl + 1);
  kumi_error *e = put_env(c, joined, nl);
  kb_free(c->alloc, joined, nl + vl + 2);
  return e;
}

kumi_error *kumi_wasi_config_inherit_env(kumi_wasi_config *c) {
  if (!c) return arg_error(c, "null config");
  for (char **p = environ; p && *p; p++) {
    const char *eq = strchr(*p, '=');
    if (!eq || eq == *p) continue; /* not NAME=VALUE: nothing a guest could use */
    kumi_error *e = put_env(c, *p, (size_t)(eq - *p));
    if (e) return e;
  }
  return NULL;
}

kumi_error *kumi_wasi_config_preopen_dir(kumi_wasi_config *c, const char *host_path, const char *guest_path,
                                         uint32_t flags) {
  if (!c || !host_path) return arg_error(c, "null preopen path");
  if (flags & ~KUMI_WASI_DIR_READONLY) return arg_error(c, "unknown preopen flags");
  wasi_preopen_cfg p = {dup_str(c, host_path), dup_str(c, guest_path ? guest_path : host_path), flags, -1, NULL};
  if (!p.host || !p.guest || !kb_vec_push(c->alloc, &c->preopens, p)) {
    free_str(c, p.host);
    free_str(c, p.guest);
    return kb_error_oom();
  }
  return NULL;
}

kumi_error *kumi_wasi_config_preopen_socket(kumi_wasi_config *c, int host_fd) {
  if (!c || host_fd < 0) return arg_error(c, "bad socket descriptor");
  wasi_preopen_cfg p = {NULL, NULL, 0, host_fd, NULL};
  if (!kb_vec_push(c->alloc, &c->preopens, p)) return kb_error_oom();
  return NULL;
}

kumi_error *kumi_wasi_config_preopen_tcp_listen(kumi_wasi_config *c, const char *addr) {
  if (!c || !addr) return arg_error(c, "null listen address");
  wasi_preopen_cfg p = {NULL, NULL, 0, -1, dup_str(c, addr)};
  if (!p.listen || !kb_vec_push(c->alloc, &c->preopens, p)) {
    free_str(c, p.listen);
    return kb_error_oom();
  }
  return NULL;
}

kumi_error *kumi_wasi_config_allow_ip(kumi_wasi_config *c, const char *cidr) {
  if (!c || !cidr) return arg_error(c, "null network");
  wasi_cidr net;
  if (!wasi_cidr_parse(cidr, &net))
    return kb_error(c->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "wasi config: bad network '%s' (want ADDRESS/PREFIX)", cidr);
  if (c->nets.n >= WASI_MAX_NETS) return arg_error(c, "too many networks");
  c->nets.nets[c->nets.n++] = net;
  return NULL;
}

static wasi_stdio_cfg *stdio_slot(kumi_wasi_config *c, kumi_wasi_stdio which) {
  if (!c || (unsigned)which > 2) return NULL;
  stdio_clear(c, &c->stdio[which]);
  return &c->stdio[which];
}

kumi_error *kumi_wasi_config_stdio_null(kumi_wasi_config *c, kumi_wasi_stdio which) {
  return stdio_slot(c, which) ? NULL : arg_error(c, "bad stdio stream");
}

kumi_error *kumi_wasi_config_stdio_inherit(kumi_wasi_config *c, kumi_wasi_stdio which) {
  wasi_stdio_cfg *s = stdio_slot(c, which);
  if (!s) return arg_error(c, "bad stdio stream");
  s->kind = WASI_STDIO_INHERIT;
  return NULL;
}

kumi_error *kumi_wasi_config_stdio_fd(kumi_wasi_config *c, kumi_wasi_stdio which, int host_fd) {
  if (host_fd < 0) return arg_error(c, "bad stdio descriptor");
  wasi_stdio_cfg *s = stdio_slot(c, which);
  if (!s) return arg_error(c, "bad stdio stream");
  s->kind = WASI_STDIO_FD;
  s->fd = host_fd;
  return NULL;
}

kumi_error *kumi_wasi_config_stdio_file(kumi_wasi_config *c, kumi_wasi_stdio which, const char *path) {
  if (!path) return arg_error(c, "null stdio path");
  wasi_stdio_cfg *s = stdio_slot(c, which);
  if (!s) return arg_error(c, "bad stdio stream");
  s->path = dup_str(c, path);
  if (!s->path) return kb_error_oom();
  s->kind = WASI_STDIO_FILE;
  return NULL;
}

kumi_error *kumi_wasi_config_stdin_bytes(kumi_wasi_config *c, const void *data, size_t len) {
  if (len && !data) return arg_error(c, "null stdin bytes");
  wasi_stdio_cfg *s = stdio_slot(c, KUMI_WASI_STDIN);
  if (!s) return arg_error(c, "null config");
  s->bytes = kb_alloc(c->alloc, len);
  if (!s->bytes) return kb_error_oom();
  if (len) memcpy(s->bytes, data, len);
  s->len = len;
  s->kind = WASI_STDIO_BYTES;
  return NULL;
}

kumi_error *kumi_wasi_config_stdio_capture(kumi_wasi_config *c, kumi_wasi_stdio which, size_t max_bytes) {
  if (which == KUMI_WASI_STDIN) return arg_error(c, "stdin cannot be captured");
  wasi_stdio_cfg *s = stdio_slot(c, which);
  if (!s) return arg_error(c, "bad stdio stream");
  s->kind = WASI_STDIO_CAPTURE;
  s->len = max_bytes ? max_bytes : (size_t)64 << 20;
  return NULL;
}

void wasi_config_force_walk(kumi_wasi_config *c, bool on) {
  if (c) c->walk_only = on;
}
