/* Shared by the wasi-testsuite runners (test_wasi_testsuite.c for the
 * preview1 modules, test_wasi_p2_testsuite.c for the 0.2 components): the
 * test's .json specification read with cJSON (both the legacy form and
 * the operation-based one of the suite's specification.md: run, wait,
 * read), one test run on a fresh copy of its root, the outcome compared,
 * and the loop over a group's folder. */
#ifndef KUMI_TESTS_WASI_TESTSUITE_SPEC_H
#define KUMI_TESTS_WASI_TESTSUITE_SPEC_H

#include "wasi_harness.h"

#include <cjson/cJSON.h>
#include <ctype.h>

typedef struct ts_spec {
  const char **argv; /* argv[0] is the test's name; NULL-terminated */
  char **env;        /* "NAME=VALUE", NULL-terminated */
  size_t nargs, nenv;
  char *root; /* relative to the test's folder, or NULL */
  int exit_code;
  char *out, *err; /* expected stdout/stderr, NULL when not given */
} ts_spec;

static inline char *ts_strdup(const char *s) { return strdup(s ? s : ""); }

static inline void ts_spec_free(ts_spec *s) {
  for (size_t i = 1; i <= s->nargs; i++) free((char *)s->argv[i]);
  free(s->argv);
  for (size_t i = 0; i < s->nenv; i++) free(s->env[i]);
  free(s->env);
  free(s->root);
  free(s->out);
  free(s->err);
  memset(s, 0, sizeof *s);
}

/* The parts of a "run" operation or of a legacy spec. */
static inline void ts_take_run(ts_spec *s, const cJSON *o) {
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(o, "args");
  const cJSON *env = cJSON_GetObjectItemCaseSensitive(o, "env");
  const cJSON *root = cJSON_GetObjectItemCaseSensitive(o, "root");
  const cJSON *it;
  if (cJSON_IsArray(args)) {
    size_t n = (size_t)cJSON_GetArraySize(args);
    const char **v = realloc(s->argv, (n + 2) * sizeof *v);
    if (!v) abort();
    s->argv = v;
    s->nargs = 0;
    cJSON_ArrayForEach(it, args) s->argv[1 + s->nargs++] = ts_strdup(cJSON_GetStringValue(it));
    s->argv[1 + s->nargs] = NULL;
  }
  if (cJSON_IsObject(env)) {
    size_t n = (size_t)cJSON_GetArraySize(env);
    s->env = calloc(n + 1, sizeof *s->env);
    if (!s->env) abort();
    cJSON_ArrayForEach(it, env) {
      const char *v = cJSON_IsString(it) ? it->valuestring : "";
      char *e = malloc(strlen(it->string) + strlen(v) + 2);
      if (!e) abort();
      sprintf(e, "%s=%s", it->string, v);
      s->env[s->nenv++] = e;
    }
  }
  if (cJSON_IsString(root)) s->root = ts_strdup(root->valuestring);
}

/* Reads json_path (absent: the defaults). false with why on a bad file. */
static inline bool ts_spec_load(const char *json_path, const char *name, ts_spec *s, char *why, size_t why_n) {
  memset(s, 0, sizeof *s);
  s->argv = calloc(2, sizeof *s->argv);
  if (!s->argv) abort();
  s->argv[0] = name;
  hbuf text = {0};
  if (!h_read_file(json_path, &text)) return true;
  cJSON *j = cJSON_ParseWithLength(text.s, text.len);
  hbuf_free(&text);
  if (!cJSON_IsObject(j)) {
    h_fmt(why, why_n, "cannot parse %s", json_path);
    cJSON_Delete(j);
    return false;
  }
  const cJSON *ops = cJSON_GetObjectItemCaseSensitive(j, "operations");
  if (cJSON_IsArray(ops)) {
    const cJSON *op;
    cJSON_ArrayForEach(op, ops) {
      const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(op, "type"));
      if (!type) continue;
      if (!strcmp(type, "run")) ts_take_run(s, op);
      else if (!strcmp(type, "wait")) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(op, "exit_code");
        if (cJSON_IsNumber(c)) s->exit_code = c->valueint;
      } else if (!strcmp(type, "read")) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(op, "id"));
        const char *payload = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(op, "payload"));
        char **dst = id && !strcmp(id, "stderr") ? &s->err : &s->out;
        free(*dst);
        *dst = ts_strdup(payload);
      }
    }
  } else {
    ts_take_run(s, j);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "exit_code");
    if (cJSON_IsNumber(c)) s->exit_code = c->valueint;
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "stdout"), *e = cJSON_GetObjectItemCaseSensitive(j, "stderr");
    if (cJSON_IsString(o)) s->out = ts_strdup(o->valuestring);
    if (cJSON_IsString(e)) s->err = ts_strdup(e->valuestring);
  }
  cJSON_Delete(j);
  return true;
}

/* Runs test `stem` of folder dir with runner (h_run_module or
 * h_run_component); true when it passed, else why says the first mismatch. */
static inline bool ts_run_one(const char *dir, const char *stem, bool walk, bool (*runner)(h_run *), char *why,
                              size_t why_n) {
  char wasm[PATH_MAX], json[PATH_MAX];
  h_fmt(wasm, sizeof wasm, "%s/%s.wasm", dir, stem);
  h_fmt(json, sizeof json, "%s/%s.json", dir, stem);
  ts_spec spec;
  if (!ts_spec_load(json, stem, &spec, why, why_n)) {
    ts_spec_free(&spec);
    return false;
  }
  char scratch[PATH_MAX] = "";
  h_preopen pre;
  h_run r;
  memset(&r, 0, sizeof r);
  r.wasm = wasm;
  r.args = spec.argv;
  r.env = (const char *const *)spec.env;
  r.walk_only = walk;
  bool ok = true;
  if (spec.root) ok = h_copy_root(dir, spec.root, "suite", &r, &pre, scratch, sizeof scratch, why, why_n);
  if (ok) {
    runner(&r);
    const char *eo = r.errout.s ? r.errout.s : "";
    if (r.err[0]) {
      h_fmt(why, why_n, "kumi error: %s (stderr: %.200s)", r.err, eo);
      ok = false;
    } else if (r.exit_code != spec.exit_code) {
      h_fmt(why, why_n, "exit code %d, want %d (stderr: %.300s)", r.exit_code, spec.exit_code, eo);
      ok = false;
    } else if (spec.out && (r.out.len != strlen(spec.out) || memcmp(r.out.s, spec.out, r.out.len))) {
      h_fmt(why, why_n, "stdout '%.100s', want '%.100s'", r.out.s ? r.out.s : "", spec.out);
      ok = false;
    } else if (spec.err && (r.errout.len != strlen(spec.err) || memcmp(r.errout.s, spec.err, r.errout.len))) {
      h_fmt(why, why_n, "stderr '%.100s', want '%.100s'", eo, spec.err);
      ok = false;
    }
  }
  h_run_free(&r);
  if (scratch[0]) h_rm_rf(scratch);
  ts_spec_free(&spec);
  return ok;
}

/* ---- known failures: "group/name  reason" a line ------------------------------------ */
typedef struct ts_skip {
  char name[128];
  char reason[256];
} ts_skip;

static inline size_t ts_load_skips(const char *path, ts_skip *out, size_t max) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char line[512];
  size_t n = 0;
  while (n < max && fgets(line, sizeof line, f)) {
    if (line[0] == '#' || isspace((unsigned char)line[0])) continue;
    line[strcspn(line, "\n")] = 0;
    char *sp = line + strcspn(line, " \t");
    if (*sp) *sp++ = 0;
    while (*sp && isspace((unsigned char)*sp)) sp++;
    h_fmt(out[n].name, sizeof out[n].name, "%s", line);
    h_fmt(out[n].reason, sizeof out[n].reason, "%s", sp);
    n++;
  }
  fclose(f);
  return n;
}

static inline const char *ts_skip_reason(const ts_skip *s, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(s[i].name, name)) return s[i].reason;
  return NULL;
}

static inline int ts_cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

typedef struct ts_counts {
  int passed, failed, known;
} ts_counts;

/* Runs every test of one group folder (those named in argv[1..] when
 * argc > 1: by "group/name", name or group). */
static inline void ts_run_group(const char *suite, const char *group, bool walk, const char *tag,
                                bool (*runner)(h_run *), const ts_skip *skips, size_t nskips, int argc,
                                char **argv, ts_counts *c) {
  char dir[PATH_MAX];
  h_fmt(dir, sizeof dir, "%s/%s", suite, group);
  DIR *d = opendir(dir);
  if (!d) {
    printf("%s: no such folder %s\n", group, dir);
    return;
  }
  char *names[512];
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 512) {
    size_t l = strlen(e->d_name);
    if (l > 5 && !strcmp(e->d_name + l - 5, ".wasm")) names[n++] = strndup(e->d_name, l - 5);
  }
  closedir(d);
  qsort(names, n, sizeof *names, ts_cmp_str);
  int gp = 0, gn = 0;
  for (size_t i = 0; i < n; i++) {
    char full[256];
    h_fmt(full, sizeof full, "%s/%s", group, names[i]);
    bool wanted = argc < 2;
    for (int a = 1; a < argc; a++)
      if (!strcmp(argv[a], full) || !strcmp(argv[a], names[i]) || !strcmp(argv[a], group)) wanted = true;
    if (!wanted) {
      free(names[i]);
      continue;
    }
    char why[1024] = "";
    bool ok = ts_run_one(dir, names[i], walk, runner, why, sizeof why);
    const char *reason = ts_skip_reason(skips, nskips, full);
    gn++;
    if (ok) {
      gp++;
      c->passed++;
      if (reason) printf("PASS %s%s (listed as a known failure: remove it from the skip list)\n", full, tag);
    } else if (reason) {
      c->known++;
      printf("KNOWN %s%s: %s [%s]\n", full, tag, why, reason);
    } else {
      c->failed++;
      printf("FAIL %s%s: %s\n", full, tag, why);
    }
    free(names[i]);
  }
  printf("%s%s: %d of %d pass\n", group, tag, gp, gn);
  fflush(stdout);
}

/* The suite's folder: $KUMI_WASI_TESTSUITE, else ../shared beside the repository. */
static inline bool ts_suite_dir(const char *here, char *out, size_t n) { return h_suite_dir(here, NULL, out, n); }

#endif
