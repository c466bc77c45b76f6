/* WASI preview1 test programs: the C programs in progs/ are compiled with
 * clang --target=wasm32-wasi against wasi-libc when the test runs, run by
 * kumi through the embedding API (captured stdout/stderr, in-memory stdin,
 * preopened scratch directories), and their stdout and exit status are
 * compared with progs/<case>.out and the table below. Each program checks
 * itself too and prints one line per check (see progs/common.h).
 *
 * The same programs run under node's node:wasi (node_wasi.cjs) when node
 * is installed; their outputs are compared line by line with kumi's, and
 * each difference should be listed in node_divergences.txt (where node's
 * WASI behaves differently or lacks the function); unlisted differences
 * are reported, and fail the test with KUMI_WASI_NODE_STRICT=1. The sandbox case checks
 * afterwards that nothing outside the preopens changed.
 *
 * Without clang or wasi-libc the test says so and passes (skipped).
 * KUMI_WASI_BLESS=1 rewrites the .out files from kumi's output (review the
 * diff!). Arguments: case names to run only those. Ends with
 * "N passed, N failed". */
#include "wasi_harness.h"

#include "../test.h"

#include <time.h>

typedef enum { LAYOUT_NONE, LAYOUT_EMPTY, LAYOUT_SANDBOX } layout;

typedef struct prog_case {
  const char *name; /* golden output: progs/<name>.out */
  const char *prog; /* progs/<prog>.c */
  const char *args[6];
  const char *env[4];
  const char *stdin_data;
  layout lay;
  int want_exit;            /* -1: kumi reports an error (a trap) */
  const char *want_stderr;  /* NULL: not checked */
  const char *want_error;   /* a substring of kumi's error, with want_exit -1 */
  const char *no_node;      /* why node does not run this case, or NULL */
} prog_case;

static const prog_case cases[] = {
    {"args_env", "args_env", {"a b", "", "q\"x", "5"}, {"FOO=bar", "X=1"}, NULL, LAYOUT_NONE, 5, NULL, NULL, NULL},
    {"args_env_none", "args_env", {NULL}, {NULL}, NULL, LAYOUT_NONE, 0, NULL, NULL, NULL},
    {"clocks", "clocks", {NULL}, {NULL}, NULL, LAYOUT_NONE, 0, NULL, NULL, NULL},
    {"poll", "poll", {NULL}, {NULL}, "hello\n", LAYOUT_NONE, 0, NULL, NULL,
     "node's poll_oneoff never returns for an absolute clock deadline (see poll_relative)"},
    {"poll_relative", "poll", {"relative"}, {NULL}, "hello\n", LAYOUT_NONE, 0, NULL, NULL, NULL},
    {"stdio", "stdio", {NULL}, {NULL}, "abc\ndef\n", LAYOUT_NONE, 0, "to stderr\n", NULL, NULL},
    {"proc_exit", "proc", {"exit", "42"}, {NULL}, NULL, LAYOUT_NONE, 42, NULL, NULL, NULL},
    {"proc_exit_0", "proc", {"exit", "0"}, {NULL}, NULL, LAYOUT_NONE, 0, NULL, NULL, NULL},
    {"proc_raise_term", "proc", {"raise", "15"}, {NULL}, NULL, LAYOUT_NONE, 143, NULL, NULL, NULL},
    {"proc_raise_ignored", "proc", {"raise", "17"}, {NULL}, NULL, LAYOUT_NONE, 0, NULL, NULL, NULL},
    {"proc_raise_bad", "proc", {"raise", "99"}, {NULL}, NULL, LAYOUT_NONE, 0, NULL, NULL, NULL},
    {"proc_trap", "proc", {"trap"}, {NULL}, NULL, LAYOUT_NONE, -1, NULL, "unreachable",
     "a trap is an error in both, with different reports"},
    {"proc_return", "proc", {"return", "3"}, {NULL}, NULL, LAYOUT_NONE, 3, NULL, NULL, NULL},
    {"fd", "fd", {NULL}, {NULL}, NULL, LAYOUT_EMPTY, 0, NULL, NULL, NULL},
    {"path", "path", {NULL}, {NULL}, NULL, LAYOUT_EMPTY, 0, NULL, NULL, NULL},
    {"sandbox", "sandbox", {NULL}, {NULL}, NULL, LAYOUT_SANDBOX, 0, NULL, NULL, NULL},
};
#define NCASES (sizeof cases / sizeof cases[0])

/* ---- scratch layouts -------------------------------------------------------- */

static bool mk(const char *base, const char *rel, const char *content, const char *link) {
  char p[PATH_MAX];
  h_fmt(p, sizeof p, "%s/%s", base, rel);
  if (link) return symlink(link, p) == 0;
  if (!content) return mkdir(p, 0755) == 0;
  return h_write_file(p, content, strlen(content));
}

/* Makes base/{sandbox,outside,ro} for LAYOUT_SANDBOX (see progs/sandbox.c),
 * or just base/sandbox for LAYOUT_EMPTY. */
static bool make_layout(const char *base, layout lay) {
  if (!mk(base, "sandbox", NULL, NULL)) return false;
  if (lay != LAYOUT_SANDBOX) return true;
  char outside[PATH_MAX];
  h_fmt(outside, sizeof outside, "%s/outside", base);
  return mk(base, "outside", NULL, NULL) && mk(base, "outside/secret", "SECRET\n", NULL) &&
         mk(base, "ro", NULL, NULL) && mk(base, "ro/file", "readonly\n", NULL) &&
         mk(base, "sandbox/sub", NULL, NULL) && mk(base, "sandbox/sub/ok.txt", "inside\n", NULL) &&
         mk(base, "sandbox/sub/up", NULL, "..") && mk(base, "sandbox/sub/upup", NULL, "../..") &&
         mk(base, "sandbox/abs", NULL, outside) && mk(base, "sandbox/rel", NULL, "../outside") &&
         mk(base, "sandbox/relfile", NULL, "../outside/secret") && mk(base, "sandbox/inner", NULL, "sub") &&
         mk(base, "sandbox/loop1", NULL, "loop2") && mk(base, "sandbox/loop2", NULL, "loop1");
}

/* The names in dir, sorted, space-separated. */
static void list_dir(const char *dir, hbuf *out) {
  char *names[64];
  size_t n = 0;
  DIR *d = opendir(dir);
  if (!d) {
    hbuf_str(out, "(cannot open)");
    return;
  }
  struct dirent *e;
  while ((e = readdir(d)) && n < 64)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
  closedir(d);
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      if (strcmp(names[j], names[i]) < 0) {
        char *t = names[i];
        names[i] = names[j];
        names[j] = t;
      }
  for (size_t i = 0; i < n; i++) {
    if (i) hbuf_str(out, " ");
    hbuf_str(out, names[i]);
    free(names[i]);
  }
  if (!out->s) hbuf_add(out, "", 0);
}

/* After the sandbox program: nothing outside sandbox/ changed. For kumi
 * that is a check; for node (report_only) a finding to print. */
static void check_untouched(const char *who, const char *base, bool report_only) {
  char what[128], p[PATH_MAX];
  h_fmt(what, sizeof what, "%s: nothing outside the sandbox changed", who);
  hbuf top = {0}, out = {0}, ro = {0}, secret = {0};
  list_dir(base, &top);
  h_fmt(p, sizeof p, "%s/outside", base);
  list_dir(p, &out);
  h_fmt(p, sizeof p, "%s/ro", base);
  list_dir(p, &ro);
  h_fmt(p, sizeof p, "%s/outside/secret", base);
  bool ok = h_read_file(p, &secret) && !strcmp(secret.s, "SECRET\n") && !strcmp(top.s, "outside ro sandbox") &&
            !strcmp(out.s, "secret") && !strcmp(ro.s, "file");
  h_fmt(p, sizeof p, "%s/ro/file", base);
  hbuf rof = {0};
  ok = ok && h_read_file(p, &rof) && !strcmp(rof.s, "readonly\n");
  char why[512];
  h_fmt(why, sizeof why, "top [%s], outside [%s], ro [%s]", top.s, out.s, ro.s);
  if (report_only) printf("     %s: %s (%s)\n", what, ok ? "yes" : "NO", why);
  else test_result(ok, what, why);
  hbuf_free(&top);
  hbuf_free(&out);
  hbuf_free(&ro);
  hbuf_free(&secret);
  hbuf_free(&rof);
}

/* ---- comparing with node ------------------------------------------------------- */

typedef struct divergence {
  char name[64], label[160];
} divergence;
static divergence divs[256];
static size_t ndivs;

static void load_divergences(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return;
  char line[512];
  while (ndivs < 256 && fgets(line, sizeof line, f)) {
    if (line[0] == '#' || line[0] == '\n') continue;
    line[strcspn(line, "\n")] = 0;
    char *t1 = strchr(line, '\t');
    if (!t1) continue;
    *t1++ = 0;
    char *t2 = strchr(t1, '\t');
    if (t2) *t2 = 0;
    h_fmt(divs[ndivs].name, sizeof divs[ndivs].name, "%s", line);
    h_fmt(divs[ndivs].label, sizeof divs[ndivs].label, "%s", t1);
    ndivs++;
  }
  fclose(f);
}

static bool known_divergence(const char *name, const char *label) {
  for (size_t i = 0; i < ndivs; i++)
    if (!strcmp(divs[i].name, name) && !strcmp(divs[i].label, label)) return true;
  return false;
}

/* Splits text into lines (in place). */
static size_t split_lines(char *text, char **lines, size_t max) {
  size_t n = 0;
  for (char *p = text; p && *p && n < max;) {
    lines[n++] = p;
    char *nl = strchr(p, '\n');
    if (!nl) break;
    *nl = 0;
    p = nl + 1;
  }
  return n;
}

/* The label of a line: the text before the last ": ", or the whole line. */
static void label_of(const char *line, char *out, size_t n) {
  const char *c = NULL;
  for (const char *p = line; (p = strstr(p, ": ")); p++) c = p;
  size_t len = c ? (size_t)(c - line) : strlen(line);
  if (len >= n) len = n - 1;
  memcpy(out, line, len);
  out[len] = 0;
}

static int node_agree, node_known, node_unexpected;

/* Compares kumi's and node's lines, matched by label and occurrence. */
static void compare_node(const prog_case *c, const char *kumi_out, const char *node_out, int kumi_exit, int node_exit) {
  char *ka = strdup(kumi_out), *na = strdup(node_out);
  char *kl[1024], *nl[1024];
  size_t nk = split_lines(ka, kl, 1024), nn = split_lines(na, nl, 1024);
  bool used[1024] = {false};
  int agree = 0, known = 0, unexpected = 0;
  for (size_t i = 0; i < nk; i++) {
    char lab[256], lab2[256];
    label_of(kl[i], lab, sizeof lab);
    const char *match = NULL;
    for (size_t j = 0; j < nn; j++) {
      if (used[j]) continue;
      label_of(nl[j], lab2, sizeof lab2);
      if (!strcmp(lab, lab2)) {
        used[j] = true;
        match = nl[j];
        break;
      }
    }
    if (match && !strcmp(match, kl[i])) {
      agree++;
    } else if (known_divergence(c->name, lab) || known_divergence(c->name, "*")) {
      known++;
      printf("     node differs (known) %s: kumi [%s] node [%s]\n", c->name, kl[i], match ? match : "(no such line)");
    } else {
      unexpected++;
      printf("     node differs %s: kumi [%s] node [%s]\n", c->name, kl[i], match ? match : "(no such line)");
    }
  }
  if (kumi_exit != node_exit) {
    char lab[64];
    h_fmt(lab, sizeof lab, "exit status");
    if (known_divergence(c->name, lab)) known++;
    else unexpected++;
    printf("     node exit status %d, kumi %d%s\n", node_exit, kumi_exit,
           known_divergence(c->name, lab) ? " (known)" : "");
  }
  printf("     node agrees on %d of %zu lines of %s (%d known differences, %d unexpected)\n", agree, nk, c->name,
         known, unexpected);
  node_agree += agree;
  node_known += known;
  node_unexpected += unexpected;
  free(ka);
  free(na);
}

/* ---- one case ---------------------------------------------------------------------- */

static void run_case(const prog_case *c, const char *here, const char *bin, const char *node) {
  char wasm[PATH_MAX], golden[PATH_MAX], base[PATH_MAX] = "", dirspec[2][PATH_MAX];
  h_fmt(wasm, sizeof wasm, "%s/%s.wasm", bin, c->prog);
  h_fmt(golden, sizeof golden, "%s/progs/%s.out", here, c->name);
  const char *argv[8];
  size_t na = 0;
  char argv0[80];
  h_fmt(argv0, sizeof argv0, "%s.wasm", c->prog);
  argv[na++] = argv0;
  for (size_t i = 0; i < 6 && c->args[i]; i++) argv[na++] = c->args[i];
  argv[na] = NULL;
  const char *envv[5];
  size_t ne = 0;
  for (size_t i = 0; i < 4 && c->env[i]; i++) envv[ne++] = c->env[i];
  envv[ne] = NULL;

  for (int mode = 0; mode < (c->lay == LAYOUT_NONE ? 1 : 2); mode++) {
    bool walk = mode == 1;
    char what[128];
    h_fmt(what, sizeof what, "%s%s", c->name, walk ? " (openat walk)" : "");
    h_preopen pre[2];
    size_t npre = 0;
    if (c->lay != LAYOUT_NONE) {
      if (!h_mkdtemp(base, sizeof base, c->name) || !make_layout(base, c->lay)) {
        test_result(false, what, "cannot make the scratch directories");
        return;
      }
      h_fmt(dirspec[0], sizeof dirspec[0], "%s/sandbox", base);
      pre[npre++] = (h_preopen){dirspec[0], "/sandbox", false};
      if (c->lay == LAYOUT_SANDBOX) {
        h_fmt(dirspec[1], sizeof dirspec[1], "%s/ro", base);
        pre[npre++] = (h_preopen){dirspec[1], "/ro", true};
      }
    }
    h_run r;
    memset(&r, 0, sizeof r);
    r.wasm = wasm;
    r.args = argv;
    r.env = envv;
    r.preopens = pre;
    r.npreopens = npre;
    r.stdin_data = c->stdin_data;
    r.stdin_len = c->stdin_data ? strlen(c->stdin_data) : 0;
    r.walk_only = walk;
    h_run_module(&r);
    int got_exit = r.err[0] ? -1 : r.exit_code;
    char why[1024];
    bool ok = true;
    if (got_exit != c->want_exit) {
      h_fmt(why, sizeof why, "exit status %d, want %d%s%s", got_exit, c->want_exit, r.err[0] ? "; error: " : "", r.err);
      ok = false;
    } else if (c->want_error && !strstr(r.err, c->want_error)) {
      h_fmt(why, sizeof why, "error '%s', want '%s'", r.err, c->want_error);
      ok = false;
    } else if (c->want_stderr && strcmp(r.errout.s ? r.errout.s : "", c->want_stderr)) {
      h_fmt(why, sizeof why, "stderr '%s', want '%s'", r.errout.s, c->want_stderr);
      ok = false;
    }
    const char *bless = getenv("KUMI_WASI_BLESS");
    if (ok && !walk && bless && *bless == '1') h_write_file(golden, r.out.s ? r.out.s : "", r.out.len);
    hbuf want = {0};
    if (ok && !h_read_file(golden, &want)) {
      h_fmt(why, sizeof why, "no golden output %s (make it with KUMI_WASI_BLESS=1)", golden);
      ok = false;
    } else if (ok && (want.len != r.out.len || memcmp(want.s, r.out.s ? r.out.s : "", r.out.len))) {
      /* Show the first differing line. */
      const char *a = want.s, *b = r.out.s ? r.out.s : "";
      while (*a && *a == *b) a++, b++;
      while (a > want.s && a[-1] != '\n') a--, b--;
      h_fmt(why, sizeof why, "stdout differs from %s at:\n       want [%.*s]\n       got  [%.*s]", golden,
            (int)strcspn(a, "\n"), a, (int)strcspn(b, "\n"), b);
      ok = false;
    }
    hbuf_free(&want);
    test_result(ok, what, why);
    if (c->lay == LAYOUT_SANDBOX) check_untouched(what, base, false);
    if (base[0]) h_rm_rf(base);
    base[0] = 0;

    /* node, once, on a fresh layout */
    if (node && !walk && c->no_node) printf("     not under node: %s\n", c->no_node);
    if (node && !walk && !c->no_node) {
      hbuf cmd = {0}, out = {0};
      char here_js[PATH_MAX], stdin_file[PATH_MAX] = "";
      h_fmt(here_js, sizeof here_js, "%s/node_wasi.cjs", here);
      if (c->lay != LAYOUT_NONE && (!h_mkdtemp(base, sizeof base, c->name) || !make_layout(base, c->lay))) {
        test_result(false, what, "cannot make the scratch directories for node");
        h_run_free(&r);
        return;
      }
      /* A bounded run: a node that hangs is a difference, not a stuck test. */
      char prefix[128];
      h_fmt(prefix, sizeof prefix, "timeout 10 %s --no-warnings ", node);
      hbuf_str(&cmd, prefix);
      h_shell_quote(&cmd, here_js);
      if (c->lay != LAYOUT_NONE) {
        char spec[PATH_MAX + 16];
        h_fmt(spec, sizeof spec, "%s/sandbox::/sandbox", base);
        hbuf_str(&cmd, " --dir ");
        h_shell_quote(&cmd, spec);
        if (c->lay == LAYOUT_SANDBOX) {
          h_fmt(spec, sizeof spec, "%s/ro::/ro", base);
          hbuf_str(&cmd, " --dir ");
          h_shell_quote(&cmd, spec);
        }
      }
      for (size_t i = 0; i < ne; i++) {
        hbuf_str(&cmd, " --env ");
        h_shell_quote(&cmd, envv[i]);
      }
      if (c->stdin_data) {
        char d[PATH_MAX];
        if (h_mkdtemp(d, sizeof d, "stdin")) {
          h_fmt(stdin_file, sizeof stdin_file, "%s/in", d);
          h_write_file(stdin_file, c->stdin_data, strlen(c->stdin_data));
          hbuf_str(&cmd, " --stdin ");
          h_shell_quote(&cmd, stdin_file);
        }
      }
      hbuf_str(&cmd, " ");
      h_shell_quote(&cmd, wasm);
      for (size_t i = 1; i < na; i++) {
        hbuf_str(&cmd, " ");
        h_shell_quote(&cmd, argv[i]);
      }
      hbuf_str(&cmd, " 2>/dev/null");
      int node_exit = h_system(cmd.s, &out);
      compare_node(c, r.out.s ? r.out.s : "", out.s ? out.s : "", got_exit, node_exit);
      if (c->lay == LAYOUT_SANDBOX) {
        char nwhat[160];
        h_fmt(nwhat, sizeof nwhat, "%s under node", c->name);
        check_untouched(nwhat, base, true);
      }
      if (stdin_file[0]) {
        char *slash = strrchr(stdin_file, '/');
        *slash = 0;
        h_rm_rf(stdin_file);
      }
      if (base[0]) h_rm_rf(base);
      base[0] = 0;
      hbuf_free(&cmd);
      hbuf_free(&out);
    }
    h_run_free(&r);
  }
}

int main(int argc, char **argv) {
  char here[PATH_MAX], inc[PATH_MAX], bin[PATH_MAX], divfile[PATH_MAX];
  h_source_dir(here, sizeof here, __FILE__);
  h_fmt(inc, sizeof inc, "%s/progs", here);
  h_fmt(divfile, sizeof divfile, "%s/node_divergences.txt", here);
  hbuf log = {0};
  /* Is there a wasm32-wasi C compiler with a libc? */
  if (!h_mkdtemp(bin, sizeof bin, "progs")) {
    printf("cannot make a temporary directory\n0 passed, 1 failed\n");
    return 1;
  }
  char probe_src[PATH_MAX], probe_out[PATH_MAX];
  h_fmt(probe_src, sizeof probe_src, "%s/probe.c", bin);
  h_fmt(probe_out, sizeof probe_out, "%s/probe.wasm", bin);
  static const char probe[] = "#include <stdio.h>\nint main(void) { puts(\"x\"); return 0; }\n";
  h_write_file(probe_src, probe, sizeof probe - 1);
  if (!h_compile(probe_src, probe_out, inc, &log)) {
    printf("SKIP: cannot compile C for wasm32-wasi with '%s' (install clang, lld-14, wasi-libc and "
           "libclang-rt-14-dev-wasm32, or set KUMI_WASI_CC): %.300s\n0 passed, 0 failed, 1 skipped\n",
           h_wasi_cc(), log.s ? log.s : "");
    h_rm_rf(bin);
    hbuf_free(&log);
    return 0;
  }
  hbuf_free(&log);
  const char *node = NULL;
  hbuf nv = {0};
  if (h_system("node --version 2>/dev/null", &nv) == 0 && nv.s && nv.s[0] == 'v') {
    node = "node";
    nv.s[strcspn(nv.s, "\n")] = 0;
    printf("comparing with node %s (node:wasi)\n", nv.s);
  } else {
    printf("node not found: skipping the comparison with node:wasi\n");
  }
  hbuf_free(&nv);
  load_divergences(divfile);

  static const char *const progs[] = {"args_env", "clocks", "poll", "stdio", "proc", "fd", "path", "sandbox"};
  bool built[sizeof progs / sizeof progs[0]];
  for (size_t i = 0; i < sizeof progs / sizeof progs[0]; i++) {
    char src[PATH_MAX], out[PATH_MAX];
    h_fmt(src, sizeof src, "%s/progs/%s.c", here, progs[i]);
    h_fmt(out, sizeof out, "%s/%s.wasm", bin, progs[i]);
    hbuf clog = {0};
    built[i] = h_compile(src, out, inc, &clog);
    char what[64];
    h_fmt(what, sizeof what, "compile %s.c", progs[i]);
    test_result(built[i] && clog.len == 0, what, clog.s ? clog.s : "(no output)");
    hbuf_free(&clog);
  }
  for (size_t i = 0; i < NCASES; i++) {
    bool wanted = argc < 2;
    for (int a = 1; a < argc; a++)
      if (!strcmp(argv[a], cases[i].name)) wanted = true;
    if (wanted) run_case(&cases[i], here, bin, node);
  }
  h_rm_rf(bin);
  if (node)
    printf("node:wasi agreement: %d lines agree, %d known differences (node_divergences.txt), %d unexpected\n",
           node_agree, node_known, node_unexpected);
  /* Node's WASI changes between versions: differences fail the test only
   * when asked (KUMI_WASI_NODE_STRICT=1); they are always printed. */
  const char *strict = getenv("KUMI_WASI_NODE_STRICT");
  if (node_unexpected && strict && *strict == '1') {
    test_count(false);
    printf("FAIL node comparison: %d unexpected differences\n", node_unexpected);
  }
  return test_summary();
}
