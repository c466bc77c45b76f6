/* The wasi_snapshot_preview1 import table: each function's name, core
 * signature (from the witx: pointers, sizes, fds and small enums are i32,
 * 64-bit values i64, every function but proc_exit returns an errno i32),
 * and its implementation. One trampoline serves them all. */
#define _GNU_SOURCE
#include "wasi.h"

static const wasi_func_desc wasi_funcs[] = {
    {"args_get", "ii", true, wasi_args_get},
    {"args_sizes_get", "ii", true, wasi_args_sizes_get},
    {"environ_get", "ii", true, wasi_environ_get},
    {"environ_sizes_get", "ii", true, wasi_environ_sizes_get},
    {"clock_res_get", "ii", true, wasi_clock_res_get},
    {"clock_time_get", "iIi", true, wasi_clock_time_get},
    {"fd_advise", "iIIi", true, wasi_fd_advise},
    {"fd_allocate", "iII", true, wasi_fd_allocate},
    {"fd_close", "i", true, wasi_fd_close},
    {"fd_datasync", "i", true, wasi_fd_datasync},
    {"fd_fdstat_get", "ii", true, wasi_fd_fdstat_get},
    {"fd_fdstat_set_flags", "ii", true, wasi_fd_fdstat_set_flags},
    {"fd_fdstat_set_rights", "iII", true, wasi_fd_fdstat_set_rights},
    {"fd_filestat_get", "ii", true, wasi_fd_filestat_get},
    {"fd_filestat_set_size", "iI", true, wasi_fd_filestat_set_size},
    {"fd_filestat_set_times", "iIIi", true, wasi_fd_filestat_set_times},
    {"fd_pread", "iiiIi", true, wasi_fd_pread},
    {"fd_prestat_get", "ii", true, wasi_fd_prestat_get},
    {"fd_prestat_dir_name", "iii", true, wasi_fd_prestat_dir_name},
    {"fd_pwrite", "iiiIi", true, wasi_fd_pwrite},
    {"fd_read", "iiii", true, wasi_fd_read},
    {"fd_readdir", "iiiIi", true, wasi_fd_readdir},
    {"fd_renumber", "ii", true, wasi_fd_renumber},
    {"fd_seek", "iIii", true, wasi_fd_seek},
    {"fd_sync", "i", true, wasi_fd_sync},
    {"fd_tell", "ii", true, wasi_fd_tell},
    {"fd_write", "iiii", true, wasi_fd_write},
    {"path_create_directory", "iii", true, wasi_path_create_directory},
    {"path_filestat_get", "iiiii", true, wasi_path_filestat_get},
    {"path_filestat_set_times", "iiiiIIi", true, wasi_path_filestat_set_times},
    {"path_link", "iiiiiii", true, wasi_path_link},
    {"path_open", "iiiiiIIii", true, wasi_path_open},
    {"path_readlink", "iiiiii", true, wasi_path_readlink},
    {"path_remove_directory", "iii", true, wasi_path_remove_directory},
    {"path_rename", "iiiiii", true, wasi_path_rename},
    {"path_symlink", "iiiii", true, wasi_path_symlink},
    {"path_unlink_file", "iii", true, wasi_path_unlink_file},
    {"poll_oneoff", "iiii", true, wasi_poll_oneoff},
    {"proc_exit", "i", false, wasi_proc_exit},
    {"proc_raise", "i", true, wasi_proc_raise},
    {"sched_yield", "", true, wasi_sched_yield},
    {"random_get", "ii", true, wasi_random_get},
    {"sock_accept", "iii", true, wasi_sock_accept},
    {"sock_recv", "iiiiii", true, wasi_sock_recv},
    {"sock_send", "iiiii", true, wasi_sock_send},
    {"sock_shutdown", "ii", true, wasi_sock_shutdown},
};
#define WASI_NFUNCS (sizeof wasi_funcs / sizeof wasi_funcs[0])

static kumi_error *wasi_trampoline(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  const struct wasi_binding *b = env;
  wasi_call c;
  c.w = b->w;
  c.caller = caller;
  c.mem.base = NULL;
  c.mem.size = 0;
  c.stop = NULL;
  /* A module without an exported memory can still call what needs none;
   * any pointer it passes then fails with ERRNO_FAULT. */
  kumi_memory *m = kumi_caller_memory(caller, "memory");
  if (m) {
    c.mem.base = kumi_memory_data(m);
    c.mem.size = c.mem.base ? kumi_memory_size(m) : 0;
  }
  wasi_errno e = b->desc->impl(&c, args);
  if (c.stop) return c.stop;
  if (b->desc->returns_errno) results[0] = kumi_val_i32((int32_t)e);
  return NULL;
}

kumi_error *kumi_linker_add_wasi_preview1(kumi_linker *l, kumi_wasi *w) {
  if (!l || !w) return kb_error(kb_default_allocator(), KUMI_ERR_ARG, KUMI_NO_OFFSET, "wasi: null linker or state");
  if (!w->bindings) {
    w->bindings = kb_alloc(w->alloc, WASI_NFUNCS * sizeof *w->bindings);
    if (!w->bindings) return kb_error_oom();
    w->nbindings = (uint32_t)WASI_NFUNCS;
    for (size_t i = 0; i < WASI_NFUNCS; i++) {
      w->bindings[i].w = w;
      w->bindings[i].desc = &wasi_funcs[i];
    }
  }
  static const kumi_valkind result_i32[1] = {KUMI_I32};
  for (size_t i = 0; i < WASI_NFUNCS; i++) {
    const wasi_func_desc *d = &wasi_funcs[i];
    kumi_valkind params[16];
    uint32_t np = 0;
    for (const char *p = d->params; *p; p++) params[np++] = *p == 'I' ? KUMI_I64 : KUMI_I32;
    kumi_functype t;
    t.nparams = np;
    t.params = params;
    t.nresults = d->returns_errno ? 1 : 0;
    t.results = result_i32;
    kumi_error *e = kumi_linker_define_func(l, "wasi_snapshot_preview1", d->name, &t, wasi_trampoline, &w->bindings[i]);
    if (e) return e;
  }
  return NULL;
}
