/* The official WASI test suite (WebAssembly/wasi-testsuite, prebuilt in
 * ../shared/conformance/wasi-testsuite): every preview1 program of the C,
 * AssemblyScript and Rust groups, run through the embedding API with the
 * args, env and root directory its .json gives, its exit code, stdout and
 * stderr checked as the suite's specification.md says (stdout and stderr
 * only when the .json gives them). Each test runs on a fresh copy of its
 * root. Known failures are listed in testsuite_skip.txt beside this file,
 * one "group/name  reason" a line; they are run and reported but do not
 * fail the test. Set KUMI_WASI_TESTSUITE to the suite's folder to override
 * where it is looked for; pass test names as arguments to run only those.
 * Ends with "N passed, N failed, N skipped". */
#include "wasi_harness.h"

#include <ctype.h>

/* ---- a small JSON reader: enough for the suite's spec files --------------------- */
typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;
typedef struct jval {
  jtype t;
  double num;
  bool b;
  char *str;           /* J_STR; and the key when inside an object */
  size_t str_len;
  struct jval *items;  /* J_ARR, J_OBJ */
  char **keys;         /* J_OBJ */
  size_t n;
} jval;

typedef struct jparser {
  const char *p, *end;
  bool bad;
} jparser;

static void jskip(jparser *j) {
  while (j->p < j->end && isspace((unsigned char)*j->p)) j->p++;
}

static void jput_utf8(hbuf *b, unsigned cp) {
  char u[4];
  size_t n;
  if (cp < 0x80) u[0] = (char)cp, n = 1;
  else if (cp < 0x800) u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 63)), n = 2;
  else if (cp < 0x10000)
    u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 63)), u[2] = (char)(0x80 | (cp & 63)), n = 3;
  else
    u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 63)), u[2] = (char)(0x80 | ((cp >> 6) & 63)),
    u[3] = (char)(0x80 | (cp & 63)), n = 4;
  hbuf_add(b, u, n);
}

static char *jstring(jparser *j, size_t *len) {
  hbuf b = {0};
  hbuf_add(&b, "", 0);
  j->p++; /* the quote */
  while (j->p < j->end && *j->p != '"') {
    char c = *j->p++;
    if (c != '\\') {
      hbuf_add(&b, &c, 1);
      continue;
    }
    if (j->p >= j->end) break;
    c = *j->p++;
    switch (c) {
    case 'n': hbuf_str(&b, "\n"); break;
    case 't': hbuf_str(&b, "\t"); break;
    case 'r': hbuf_str(&b, "\r"); break;
    case 'b': hbuf_str(&b, "\b"); break;
    case 'f': hbuf_str(&b, "\f"); break;
    case 'u': {
      unsigned cp = 0;
      for (int i = 0; i < 4 && j->p < j->end; i++, j->p++) cp = cp * 16 + (unsigned)(isdigit((unsigned char)*j->p) ? *j->p - '0' : (tolower((unsigned char)*j->p) - 'a' + 10));
      jput_utf8(&b, cp);
      break;
    }
    default: hbuf_add(&b, &c, 1); break;
    }
  }
  if (j->p >= j->end) j->bad = true;
  else j->p++;
  *len = b.len;
  return b.s;
}

static void jparse(jparser *j, jval *v) {
  memset(v, 0, sizeof *v);
  jskip(j);
  if (j->p >= j->end) {
    j->bad = true;
    return;
  }
  char c = *j->p;
  if (c == '"') {
    v->t = J_STR;
    v->str = jstring(j, &v->str_len);
  } else if (c == '[' || c == '{') {
    bool obj = c == '{';
    v->t = obj ? J_OBJ : J_ARR;
    j->p++;
    for (;;) {
      jskip(j);
      if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
        j->p++;
        break;
      }
      char *key = NULL;
      if (obj) {
        size_t kl;
        if (j->p >= j->end || *j->p != '"') {
          j->bad = true;
          return;
        }
        key = jstring(j, &kl);
        jskip(j);
        if (j->p >= j->end || *j->p != ':') {
          free(key);
          j->bad = true;
          return;
        }
        j->p++;
      }
      v->items = realloc(v->items, (v->n + 1) * sizeof *v->items);
      v->keys = realloc(v->keys, (v->n + 1) * sizeof *v->keys);
      v->keys[v->n] = key;
      jparse(j, &v->items[v->n++]);
      if (j->bad) return;
      jskip(j);
      if (j->p < j->end && *j->p == ',') j->p++;
    }
  } else if (!strncmp(j->p, "true", 4) || !strncmp(j->p, "false", 5)) {
    v->t = J_BOOL;
    v->b = c == 't';
    j->p += v->b ? 4 : 5;
  } else if (!strncmp(j->p, "null", 4)) {
    v->t = J_NULL;
    j->p += 4;
  } else {
    char *e;
    v->t = J_NUM;
    v->num = strtod(j->p, &e);
    if (e == j->p) j->bad = true;
    j->p = e;
  }
}

static void jfree(jval *v) {
  free(v->str);
  for (size_t i = 0; i < v->n; i++) {
    jfree(&v->items[i]);
    if (v->keys) free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
}

static const jval *jget(const jval *o, const char *key) {
  if (!o || o->t != J_OBJ) return NULL;
  for (size_t i = 0; i < o->n; i++)
    if (o->keys[i] && !strcmp(o->keys[i], key)) return &o->items[i];
  return NULL;
}

/* ---- the runner ------------------------------------------------------------------------ */

typedef struct skipent {
  char name[128];
  char reason[256];
} skipent;

static size_t load_skips(const char *path, skipent *out, size_t max) {
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

static const char *skip_reason(const skipent *s, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(s[i].name, name)) return s[i].reason;
  return NULL;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Runs one test; returns true when it passed. why gets the first mismatch. */
static bool run_one(const char *dir, const char *stem, bool walk, char *why, size_t why_n) {
  char wasm[PATH_MAX], json[PATH_MAX];
  h_fmt(wasm, sizeof wasm, "%s/%s.wasm", dir, stem);
  h_fmt(json, sizeof json, "%s/%s.json", dir, stem);
  hbuf text = {0};
  jval spec;
  memset(&spec, 0, sizeof spec);
  spec.t = J_OBJ;
  if (h_read_file(json, &text)) {
    jparser j = {text.s, text.s + text.len, false};
    jparse(&j, &spec);
    if (j.bad) {
      h_fmt(why, why_n, "cannot parse %s", json);
      hbuf_free(&text);
      jfree(&spec);
      return false;
    }
  }
  hbuf_free(&text);
  /* args: argv[0] is the program, then the spec's. */
  const jval *args = jget(&spec, "args"), *env = jget(&spec, "env"), *root = jget(&spec, "root");
  const jval *code = jget(&spec, "exit_code"), *sout = jget(&spec, "stdout"), *serr = jget(&spec, "stderr");
  size_t nargs = args && args->t == J_ARR ? args->n : 0, nenv = env && env->t == J_OBJ ? env->n : 0;
  const char **argv = calloc(nargs + 2, sizeof *argv);
  char **envv = calloc(nenv + 1, sizeof *envv);
  argv[0] = stem;
  for (size_t i = 0; i < nargs; i++) argv[i + 1] = args->items[i].str ? args->items[i].str : "";
  for (size_t i = 0; i < nenv; i++) {
    const char *v = env->items[i].str ? env->items[i].str : "";
    envv[i] = malloc(strlen(env->keys[i]) + strlen(v) + 2);
    sprintf(envv[i], "%s=%s", env->keys[i], v);
  }
  char scratch[PATH_MAX] = "";
  h_preopen pre;
  h_run r;
  memset(&r, 0, sizeof r);
  r.wasm = wasm;
  r.args = argv;
  r.env = (const char *const *)envv;
  r.walk_only = walk;
  bool ok = true;
  if (root && root->t == J_STR) {
    char src[PATH_MAX], base[PATH_MAX];
    h_fmt(src, sizeof src, "%s/%s", dir, root->str);
    if (!h_mkdtemp(base, sizeof base, "suite")) {
      h_fmt(why, why_n, "cannot make a scratch directory");
      ok = false;
    } else {
      h_fmt(scratch, sizeof scratch, "%s", base);
      if (!h_copy_tree(src, scratch)) {
        h_fmt(why, why_n, "cannot copy %s", src);
        ok = false;
      }
    }
    pre.host = scratch;
    pre.guest = "/";
    pre.readonly = false;
    r.preopens = &pre;
    r.npreopens = 1;
  }
  if (ok) {
    h_run_module(&r);
    int want = code && code->t == J_NUM ? (int)code->num : 0;
    if (r.err[0]) {
      h_fmt(why, why_n, "kumi error: %s (stderr: %.200s)", r.err, r.errout.s ? r.errout.s : "");
      ok = false;
    } else if (r.exit_code != want) {
      h_fmt(why, why_n, "exit code %d, want %d (stderr: %.300s)", r.exit_code, want, r.errout.s ? r.errout.s : "");
      ok = false;
    } else if (sout && sout->t == J_STR && (r.out.len != sout->str_len || memcmp(r.out.s, sout->str, r.out.len))) {
      h_fmt(why, why_n, "stdout '%.100s', want '%.100s'", r.out.s ? r.out.s : "", sout->str);
      ok = false;
    } else if (serr && serr->t == J_STR && (r.errout.len != serr->str_len || memcmp(r.errout.s, serr->str, r.errout.len))) {
      h_fmt(why, why_n, "stderr '%.100s', want '%.100s'", r.errout.s ? r.errout.s : "", serr->str);
      ok = false;
    }
  }
  h_run_free(&r);
  if (scratch[0]) h_rm_rf(scratch);
  free(argv);
  for (size_t i = 0; i < nenv; i++) free(envv[i]);
  free(envv);
  jfree(&spec);
  return ok;
}

int main(int argc, char **argv) {
  char here[PATH_MAX], suite[PATH_MAX], skipfile[PATH_MAX];
  h_source_dir(here, sizeof here, __FILE__);
  const char *env_suite = getenv("KUMI_WASI_TESTSUITE");
  if (env_suite && *env_suite) h_fmt(suite, sizeof suite, "%s", env_suite);
  else h_fmt(suite, sizeof suite, "%s/../../../shared/conformance/wasi-testsuite", here);
  h_fmt(skipfile, sizeof skipfile, "%s/testsuite_skip.txt", here);
  struct stat st;
  if (stat(suite, &st) != 0) {
    printf("wasi-testsuite not found at %s: skipped\n0 passed, 0 failed, 1 skipped\n", suite);
    return 0;
  }
  static skipent skips[256];
  size_t nskips = load_skips(skipfile, skips, 256);
  static const char *const groups[] = {"c-wasip1", "assemblyscript-wasip1", "rust-wasip1"};
  int passed = 0, failed = 0, known = 0;
  /* Twice: paths resolved by openat2 where the kernel has it, and by the
   * portable openat walk. */
  for (int mode = 0; mode < 2; mode++) {
    bool walk = mode == 1;
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
      char dir[PATH_MAX];
      h_fmt(dir, sizeof dir, "%s/%s", suite, groups[g]);
      DIR *d = opendir(dir);
      if (!d) continue;
      char *names[512];
      size_t n = 0;
      struct dirent *e;
      while ((e = readdir(d)) && n < 512) {
        size_t l = strlen(e->d_name);
        if (l > 5 && !strcmp(e->d_name + l - 5, ".wasm")) names[n++] = strndup(e->d_name, l - 5);
      }
      closedir(d);
      qsort(names, n, sizeof *names, cmp_str);
      int gp = 0, gn = 0;
      for (size_t i = 0; i < n; i++) {
        char full[256];
        h_fmt(full, sizeof full, "%s/%s", groups[g], names[i]);
        bool wanted = argc < 2;
        for (int a = 1; a < argc; a++)
          if (!strcmp(argv[a], full) || !strcmp(argv[a], names[i]) || !strcmp(argv[a], groups[g])) wanted = true;
        if (!wanted) {
          free(names[i]);
          continue;
        }
        char why[1024] = "";
        bool ok = run_one(dir, names[i], walk, why, sizeof why);
        const char *reason = skip_reason(skips, nskips, full);
        const char *tag = walk ? " (openat walk)" : "";
        gn++;
        if (ok) {
          gp++;
          passed++;
          if (reason) printf("PASS %s%s (listed as a known failure: remove it from testsuite_skip.txt)\n", full, tag);
        } else if (reason) {
          known++;
          printf("KNOWN %s%s: %s [%s]\n", full, tag, why, reason);
        } else {
          failed++;
          printf("FAIL %s%s: %s\n", full, tag, why);
        }
        free(names[i]);
      }
      printf("%s%s: %d of %d pass\n", groups[g], walk ? " (openat walk)" : " (openat2)", gp, gn);
    }
  }
  printf("%d passed, %d failed, %d skipped\n", passed, failed, known);
  return failed ? 1 : 0;
}
