/* `kumi wast`: the conformance runner for wast2json manifests. Internal to
 * the CLI; the pieces are split by purpose:
 *   wast.c           the subcommand: arguments, skip list, totals
 *   wast_script.c    one manifest or .wast script: its store, instances and
 *                    commands
 *   wast_value.c     JSON values <-> kumi_val, result matching, printing
 *   wast_spectest.c  the `spectest` module the scripts import
 * Everything goes through the public API of include/kumi.h; base.h is used
 * only for allocation, file reading and maps. */
#ifndef KUMI_CLI_WAST_H
#define KUMI_CLI_WAST_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "base/base.h"
#include "component/component.h"
#include "kumi.h"

typedef struct wast_counts {
  size_t passed, failed, skipped;
} wast_counts;

/* The skip list: known failures, as `stem:line` (or `stem:*` for a whole
 * manifest), each with the reason that follows `#` on its line. */
typedef struct wast_skip_entry {
  char *stem; /* manifest file name without directory and ".json" */
  uint32_t line; /* 0: every line of that manifest */
  char *reason;
} wast_skip_entry;
typedef struct wast_skiplist {
  const kumi_allocator *alloc;
  KB_VEC(wast_skip_entry) entries;
} wast_skiplist;

/* Loads a skip list file. On failure prints why to stderr and returns false. */
bool cli_wast_skip_load(wast_skiplist *sl, const kumi_allocator *a, const char *path);
void cli_wast_skip_free(wast_skiplist *sl);
/* The reason when (stem, line) is listed, else NULL. An entry whose stem
 * contains '/' (e.g. `wasm-tools/resources`) names the manifest by the end
 * of its path, for suites where stems repeat. */
const char *cli_wast_skip_find(const wast_skiplist *sl, const char *path, const char *stem, size_t stem_len,
                               uint32_t line);

typedef struct wast_options {
  bool verbose;
  /* Component Model features for component binaries (--features). When
   * `unsupported` is set, a feature kumi lacks was asked for: component
   * commands are skipped with that reason. */
  comp_features features;
  const char *unsupported;
  const wast_skiplist *skip; /* never NULL (may be empty) */
  FILE *out;
} wast_options;

/* Runs every command of one manifest, prints its failures and its summary
 * line, and adds to *c. A manifest that cannot be read counts as one
 * failure. */
void cli_wast_run_manifest(const char *path, const wast_options *opt, wast_counts *c);
/* Runs a .wast script (core commands) with the same command logic: the
 * script is parsed by src/text (text_wast_parse) and its commands are
 * turned into manifest-shaped JSON in memory. cli_wast_run_manifest hands
 * paths ending in ".wast" here. A script that does not parse prints the
 * error with line, column and source line, and counts as one failure. */
void cli_wast_run_script(const char *path, const wast_options *opt, wast_counts *c);

/* ---- values (wast_value.c) ----------------------------------------------- */

/* Outcome of turning a JSON value into a kumi_val: */
typedef enum wast_valres {
  WAST_VAL_OK,
  WAST_VAL_UNSUPPORTED, /* a value of a later proposal (v128, GC refs): skip */
  WAST_VAL_BAD,         /* malformed JSON value: a failure */
} wast_valres;

/* An argument (an exact value). *why is set unless WAST_VAL_OK. */
wast_valres cli_wast_arg(const cJSON *v, kumi_val *out, const char **why);
/* Checks that an expected value can be matched (its type is supported). */
wast_valres cli_wast_expect_check(const cJSON *v, const char **why);
/* True when got matches the expected JSON value: exact bits, the NaN
 * patterns nan:canonical / nan:arithmetic, null / non-null references. */
bool cli_wast_match(const cJSON *expected, const kumi_val *got);
/* Writes a value / an expected JSON value as "i32 3", "f32 1.5 (0x3fc00000)",
 * "f64 nan:canonical", "externref 5", "funcref null" into buf. */
void cli_wast_format_val(char *buf, size_t n, const kumi_val *v);
void cli_wast_format_expected(char *buf, size_t n, const cJSON *v);
const char *cli_wast_kind_name(kumi_valkind k);

/* Host reference numbering: (ref.extern N) is the pointer N + 1, never NULL. */
static inline void *cli_wast_externref(uint64_t n) { return (void *)(uintptr_t)(n + 1); }

/* ---- spectest (wast_spectest.c) -------------------------------------------- */

/* Defines the spectest module's functions, globals, table and memory in l
 * (objects made in store s). print functions write to out when verbose. */
kumi_error *cli_wast_define_spectest(kumi_linker *l, kumi_store *s, const wast_options *opt);

#endif
