/* kumi wast [--verbose] [--skip LIST] FILE.json|FILE.wast...
 *
 * Runs wast2json manifests or .wast scripts, core and component (see
 * wast_script.c for what each command checks)
 * and prints, per manifest, its failures and a line
 * `FILE: N passed, N failed[, N skipped]`, then a `total: ...` line.
 * Exit status 1 when anything failed outside the skip list, else 0.
 *
 * The skip list (--skip) holds known failures, one per line:
 *     stem:line   # reason
 *     stem:*      # reason        (every command of that manifest)
 * where stem is the file name without ".json" / ".wast" and line the
 * command's line in the .wast script. A reason is required: a skip must say
 * why. Listed failures count as skipped and are still printed. */
#include "cli.h"
#include "wast.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
  fprintf(f, "usage: kumi wast [--verbose] [--skip LIST] [--features LIST | --all-features] FILE...\n"
             "  Runs WebAssembly spec test scripts: .wast files or manifests made by\n"
             "  wast2json (.json), with core modules and components (self-contained\n"
             "  components are instantiated and run; what the component runtime lacks\n"
             "  yet (async, imports) is skipped, with the reason).\n"
             "  --verbose        print every command and spectest print calls\n"
             "  --skip LIST      known failures: lines `stem:line  # reason`\n"
             "  --features LIST  Component Model features, wasm-tools names separated by\n"
             "                   commas (cm-async,cm-threading,...; -name turns one off)\n"
             "  --all-features   every Component Model feature kumi supports\n");
}

static char *trim(char *s, char *end) {
  while (s < end && (*s == ' ' || *s == '\t')) s++;
  while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) end--;
  *end = 0;
  return s;
}

/* Parses one non-empty line "stem:line # reason" into an entry. */
static bool skip_parse_line(wast_skiplist *sl, char *line, const char **why) {
  char *hash = strchr(line, '#');
  if (!hash) {
    *why = "missing `# reason`";
    return false;
  }
  char *reason = trim(hash + 1, hash + strlen(hash));
  char *key = trim(line, hash);
  if (!*reason) {
    *why = "empty reason";
    return false;
  }
  char *colon = strrchr(key, ':');
  if (!colon || colon == key) {
    *why = "expected `stem:line`";
    return false;
  }
  *colon = 0;
  const char *num = colon + 1;
  uint32_t lineno = 0;
  if (strcmp(num, "*") != 0) {
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(num, &end, 10);
    if (errno || !end || *end || end == num || v == 0 || v > UINT32_MAX) {
      *why = "bad line number";
      return false;
    }
    lineno = (uint32_t)v;
  }
  wast_skip_entry e;
  e.stem = kb_strndup(sl->alloc, key, strlen(key));
  e.reason = kb_strndup(sl->alloc, reason, strlen(reason));
  e.line = lineno;
  if (!e.stem || !e.reason || !kb_vec_push(sl->alloc, &sl->entries, e)) {
    if (e.stem) kb_free(sl->alloc, e.stem, strlen(e.stem) + 1);
    if (e.reason) kb_free(sl->alloc, e.reason, strlen(e.reason) + 1);
    *why = "out of memory";
    return false;
  }
  return true;
}

bool cli_wast_skip_load(wast_skiplist *sl, const kumi_allocator *a, const char *path) {
  uint8_t *data = NULL;
  size_t len = 0;
  kumi_error *err = kb_read_file(a, path, &data, &len);
  if (err) {
    fprintf(stderr, "error: skip list: %s\n", kumi_error_message(err));
    kumi_error_free(err);
    return false;
  }
  char *text = kb_strndup(a, (const char *)data, len);
  kb_free(a, data, len);
  if (!text) {
    fprintf(stderr, "error: skip list: out of memory\n");
    return false;
  }
  bool ok = true;
  size_t lineno = 0;
  for (char *p = text; ok && p < text + len;) {
    char *nl = memchr(p, '\n', (size_t)(text + len - p));
    char *end = nl ? nl : text + len;
    *end = 0;
    lineno++;
    char *line = trim(p, end);
    if (*line && *line != '#') {
      const char *why = NULL;
      if (!skip_parse_line(sl, line, &why)) {
        fprintf(stderr, "error: %s:%zu: %s\n", path, lineno, why);
        ok = false;
      }
    }
    p = end + 1;
  }
  kb_free(a, text, len + 1);
  return ok;
}

void cli_wast_skip_free(wast_skiplist *sl) {
  for (size_t i = 0; i < sl->entries.len; i++) {
    kb_free(sl->alloc, sl->entries.items[i].stem, strlen(sl->entries.items[i].stem) + 1);
    kb_free(sl->alloc, sl->entries.items[i].reason, strlen(sl->entries.items[i].reason) + 1);
  }
  kb_vec_free(sl->alloc, &sl->entries);
}

/* True when path, less its ".json" or ".wast", ends with "/" + entry. An
 * entry in the manifest layout `dir/stem/stem` also names the script
 * `dir/stem.wast`, so one skip list serves both forms. */
static bool path_matches(const char *path, const char *entry) {
  size_t pl = strlen(path), el = strlen(entry);
  bool wast = pl > 5 && strcmp(path + pl - 5, ".wast") == 0;
  if (pl > 5 && (strcmp(path + pl - 5, ".json") == 0 || wast)) pl -= 5;
  if (wast) {
    const char *last = strrchr(entry, '/');
    size_t ll = last ? el - (size_t)(last - entry) - 1 : 0;
    if (last && (size_t)(last - entry) > ll && entry[last - entry - ll - 1] == '/' &&
        memcmp(last - ll, last + 1, ll) == 0)
      el = (size_t)(last - entry); /* drop the repeated stem */
  }
  if (el > pl || memcmp(path + pl - el, entry, el) != 0) return false;
  return pl == el || path[pl - el - 1] == '/';
}

const char *cli_wast_skip_find(const wast_skiplist *sl, const char *path, const char *stem, size_t stem_len,
                               uint32_t line) {
  for (size_t i = 0; i < sl->entries.len; i++) {
    const wast_skip_entry *e = &sl->entries.items[i];
    if (e->line != 0 && e->line != line) continue;
    if (strchr(e->stem, '/')) {
      if (path && path_matches(path, e->stem)) return e->reason;
    } else if (strlen(e->stem) == stem_len && memcmp(e->stem, stem, stem_len) == 0) {
      return e->reason;
    }
  }
  return NULL;
}

int cli_wast(int argc, char **argv) {
  wast_skiplist skip;
  memset(&skip, 0, sizeof skip);
  skip.alloc = kb_default_allocator();
  wast_options opt;
  opt.verbose = false;
  opt.features = comp_features_default();
  opt.unsupported = NULL;
  opt.skip = &skip;
  opt.out = stdout;

  int first_file = argc;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      first_file = i + 1;
      break;
    }
    if (a[0] != '-' || a[1] == 0) {
      first_file = i;
      break;
    }
    if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
      opt.verbose = true;
    } else if (strcmp(a, "--skip") == 0 && i + 1 < argc) {
      if (!cli_wast_skip_load(&skip, skip.alloc, argv[++i])) {
        cli_wast_skip_free(&skip);
        return 1;
      }
    } else if (strcmp(a, "--features") == 0 && i + 1 < argc) {
      const char *bad;
      size_t bad_len;
      if (!comp_features_apply(&opt.features, argv[++i], &bad, &bad_len)) {
        fprintf(stderr, "error: unknown feature `%.*s`\n", (int)bad_len, bad);
        cli_wast_skip_free(&skip);
        return 1;
      }
      /* kumi's core engine has no GC: such scripts cannot be judged. */
      if (opt.features.cm_gc) opt.unsupported = "needs the GC-based canonical ABI (cm-gc), which kumi does not implement";
    } else if (strcmp(a, "--all-features") == 0) {
      opt.features = comp_features_all();
    } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      cli_wast_skip_free(&skip);
      return 0;
    } else {
      fprintf(stderr, "error: unknown option %s\n", a);
      usage(stderr);
      cli_wast_skip_free(&skip);
      return 1;
    }
  }
  if (first_file >= argc) {
    usage(stderr);
    cli_wast_skip_free(&skip);
    return 1;
  }

  /* Line-buffered, so the output up to a crash is never lost. */
  setvbuf(stdout, NULL, _IOLBF, 0);
  wast_counts total = {0, 0, 0};
  for (int i = first_file; i < argc; i++) cli_wast_run_manifest(argv[i], &opt, &total);
  fprintf(opt.out, "total: %zu passed, %zu failed", total.passed, total.failed);
  if (total.skipped) fprintf(opt.out, ", %zu skipped", total.skipped);
  fprintf(opt.out, "\n");
  cli_wast_skip_free(&skip);
  return total.failed ? 1 : 0;
}
