/* `kumi run` with WASI preview1: its options, and linking the host functions. */
#include "run_wasi.h"

#include "base/base.h"
#include "cli.h"
#include "kumi_wasi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cli_wasi_usage[] =
    "  --dir HOST[::GUEST]   give the guest the host directory HOST, named GUEST\n"
    "                        (default: HOST); paths cannot leave it\n"
    "  --dir-ro HOST[::GUEST]\n"
    "                        the same, read-only\n"
    "  --env NAME=VALUE      set an environment variable for the guest\n"
    "  --env NAME            pass the host's value of NAME\n"
    "  --inherit-env         pass the whole host environment\n"
    "  --tcplisten HOST:PORT give the guest a TCP socket listening there\n"
    "  --allow-ip CIDR       let a component's WASI 0.3 sockets use the addresses\n"
    "                        of network CIDR (192.168.1.0/24, ::/0, ...) besides\n"
    "                        loopback, which is always allowed; may be repeated\n"
    "  --features LIST       Component Model features beyond the defaults, wasm-tools\n"
    "                        names (cm-async-stackful,cm-threading,...; -name turns\n"
    "                        one off)\n"
    "  --all-features        every Component Model feature kumi supports\n";

void cli_wasi_opts_init(cli_wasi_opts *o) { memset(o, 0, sizeof *o); }

static void free_list(const char **v, size_t n) {
  if (v) kb_free(kb_default_allocator(), (void *)v, (n + 1) * sizeof *v);
}

void cli_wasi_opts_free(cli_wasi_opts *o) {
  free_list(o->dirs, o->ndirs);
  free_list(o->ro_dirs, o->nro_dirs);
  free_list(o->envs, o->nenvs);
  free_list(o->listens, o->nlistens);
  free_list(o->allow_ips, o->nallow_ips);
  memset(o, 0, sizeof *o);
}

/* Appends s to a list kept with room for exactly n + 1 entries. */
static bool push(const char ***v, size_t *n, const char *s) {
  const kumi_allocator *a = kb_default_allocator();
  const char **nv = kb_realloc(a, (void *)*v, *v ? (*n + 1) * sizeof **v : 0, (*n + 2) * sizeof **v);
  if (!nv) return false;
  nv[(*n)++] = s;
  nv[*n] = NULL;
  *v = nv;
  return true;
}

int cli_wasi_option(cli_wasi_opts *o, int argc, char **argv, int i) {
  static const char *const names[] = {"--dir", "--dir-ro", "--env", "--tcplisten", "--allow-ip", "--invoke", "--features"};
  const char *arg = argv[i];
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
    size_t nl = strlen(names[k]);
    const char *val;
    int used;
    if (strcmp(arg, names[k]) == 0) {
      if (i + 1 >= argc) {
        fprintf(stderr, "error: %s needs a value\n", names[k]);
        return -1;
      }
      val = argv[i + 1];
      used = 2;
    } else if (strncmp(arg, names[k], nl) == 0 && arg[nl] == '=') {
      val = arg + nl + 1;
      used = 1;
    } else {
      continue;
    }
    bool ok = true;
    switch (k) {
    case 0: ok = push(&o->dirs, &o->ndirs, val); break;
    case 1: ok = push(&o->ro_dirs, &o->nro_dirs, val); break;
    case 2: ok = push(&o->envs, &o->nenvs, val); break;
    case 3: ok = push(&o->listens, &o->nlistens, val); break;
    case 4: ok = push(&o->allow_ips, &o->nallow_ips, val); break;
    case 5: o->invoke = val; break;
    default: o->features = val; break;
    }
    if (!ok) {
      fprintf(stderr, "error: out of memory\n");
      return -1;
    }
    return used;
  }
  if (strcmp(arg, "--all-features") == 0) {
    o->features = "all";
    return 1;
  }
  if (strcmp(arg, "--inherit-env") == 0) {
    o->inherit_env = true;
    return 1;
  }
  return 0;
}

/* Splits "HOST::GUEST" into a copy of HOST and GUEST (HOST itself when
 * there is no "::"). */
static kumi_error *add_dir(kumi_wasi_config *c, const char *spec, uint32_t flags) {
  const char *sep = strstr(spec, "::");
  if (!sep) return kumi_wasi_config_preopen_dir(c, spec, spec, flags);
  const kumi_allocator *a = kb_default_allocator();
  char *host = kb_strndup(a, spec, (size_t)(sep - spec));
  if (!host) return kb_error_oom();
  kumi_error *e = kumi_wasi_config_preopen_dir(c, host, sep + 2, flags);
  kb_free(a, host, (size_t)(sep - spec) + 1);
  return e;
}

static kumi_error *configure(kumi_wasi_config *c, const cli_wasi_opts *o, const char *file, int argc, char **argv) {
  kumi_error *e;
  if ((e = kumi_wasi_config_arg(c, file))) return e;
  for (int i = 0; i < argc; i++)
    if ((e = kumi_wasi_config_arg(c, argv[i]))) return e;
  if (o->inherit_env && (e = kumi_wasi_config_inherit_env(c))) return e;
  for (size_t i = 0; i < o->nenvs; i++) {
    const char *s = o->envs[i], *eq = strchr(s, '=');
    if (!eq) {
      const char *v = getenv(s);
      if (v && (e = kumi_wasi_config_env(c, s, v))) return e;
      continue;
    }
    const kumi_allocator *a = kb_default_allocator();
    char *name = kb_strndup(a, s, (size_t)(eq - s));
    if (!name) return kb_error_oom();
    e = kumi_wasi_config_env(c, name, eq + 1);
    kb_free(a, name, (size_t)(eq - s) + 1);
    if (e) return e;
  }
  for (size_t i = 0; i < o->ndirs; i++)
    if ((e = add_dir(c, o->dirs[i], 0))) return e;
  for (size_t i = 0; i < o->nro_dirs; i++)
    if ((e = add_dir(c, o->ro_dirs[i], KUMI_WASI_DIR_READONLY))) return e;
  for (size_t i = 0; i < o->nlistens; i++)
    if ((e = kumi_wasi_config_preopen_tcp_listen(c, o->listens[i]))) return e;
  for (size_t i = 0; i < o->nallow_ips; i++)
    if ((e = kumi_wasi_config_allow_ip(c, o->allow_ips[i]))) return e;
  for (int s = 0; s < 3; s++)
    if ((e = kumi_wasi_config_stdio_inherit(c, (kumi_wasi_stdio)s))) return e;
  return NULL;
}

kumi_error *cli_wasi_make(const cli_wasi_opts *o, const char *file, int argc, char **argv, kumi_wasi_config **cfg,
                          kumi_wasi **wasi) {
  kumi_error *e = NULL;
  if (!(*cfg = kumi_wasi_config_new(NULL))) return kb_error_oom();
  if ((e = configure(*cfg, o, file, argc, argv))) return e;
  if (!(*wasi = kumi_wasi_new(*cfg, &e))) return e;
  return NULL;
}

kumi_error *cli_wasi_link(const cli_wasi_opts *o, const char *file, int argc, char **argv, kumi_linker *linker,
                          kumi_wasi_config **cfg, kumi_wasi **wasi) {
  kumi_error *e = cli_wasi_make(o, file, argc, argv, cfg, wasi);
  return e ? e : kumi_linker_add_wasi_preview1(linker, *wasi);
}
