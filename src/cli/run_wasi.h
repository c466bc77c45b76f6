/* The WASI preview1 side of `kumi run` (run_wasi.c): its options, and
 * linking the host functions. run.c hands every option it does not know to
 * cli_wasi_option, then calls cli_wasi_link before instantiating. */
#ifndef KUMI_CLI_RUN_WASI_H
#define KUMI_CLI_RUN_WASI_H

#include <stdbool.h>
#include <stddef.h>

/* The WASI options of `kumi run`. Strings point into argv (not copied). */
typedef struct cli_wasi_opts {
  const char **dirs; /* --dir HOST[::GUEST] */
  size_t ndirs;
  const char **ro_dirs; /* --dir-ro HOST[::GUEST]: read-only preopen */
  size_t nro_dirs;
  const char **envs; /* --env NAME=VALUE, or --env NAME to pass the host's value */
  size_t nenvs;
  const char **listens; /* --tcplisten HOST:PORT: a preopened listening socket */
  size_t nlistens;
  const char **allow_ips; /* --allow-ip CIDR: a network WASI 0.3 sockets may use besides loopback */
  size_t nallow_ips;
  bool inherit_env;   /* --inherit-env: the guest gets the host's environment */
  const char *invoke; /* --invoke NAME: call this export instead of _start */
  const char *features; /* --features LIST / --all-features ("all"): Component Model features */
} cli_wasi_opts;

void cli_wasi_opts_init(cli_wasi_opts *o);
void cli_wasi_opts_free(cli_wasi_opts *o);

/* If argv[i] is a WASI option, records it and returns how many entries of
 * argv it used (1 or 2); returns 0 when argv[i] is not a WASI option, and
 * -1 after printing an error (a missing value, out of memory). Accepts
 * "--opt VALUE" and "--opt=VALUE". --invoke is accepted too. */
int cli_wasi_option(cli_wasi_opts *o, int argc, char **argv, int i);

/* The lines of `kumi run --help` that describe the options above. */
extern const char cli_wasi_usage[];

/* Configures WASI preview1 from the options -- args (file, then
 * argv[0..argc)), env, preopens, the host's stdin/stdout/stderr -- and
 * defines wasi_snapshot_preview1 in linker. *cfg and *wasi are set as they
 * are made; the caller frees them (kumi_wasi_free after the store), also on
 * error. */
#include "kumi_wasi.h"
/* The same configuration without linking: sets *cfg and *wasi (the
 * caller frees them, also on error). */
kumi_error *cli_wasi_make(const cli_wasi_opts *o, const char *file, int argc, char **argv, kumi_wasi_config **cfg,
                          kumi_wasi **wasi);
kumi_error *cli_wasi_link(const cli_wasi_opts *o, const char *file, int argc, char **argv, kumi_linker *linker,
                          kumi_wasi_config **cfg, kumi_wasi **wasi);

#endif
