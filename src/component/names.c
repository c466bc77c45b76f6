/* Extern name syntax. See names.h. */
#include "names.h"

#include <stdarg.h>
#include <stdio.h>

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static bool nfail(char *err, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, cap, fmt, ap);
  va_end(ap);
  return false;
}

static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* label ::= fragment ('-' fragment)*: each fragment is non-empty and is
 * all-lowercase or all-uppercase letters and digits; the first fragment
 * starts with a letter. */
bool comp_is_kebab(const char *s, size_t n) {
  if (n == 0) return false;
  bool lower = false, upper = false;
  size_t frag_len = 0, frag = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '-') {
      if (frag_len == 0) return false;
      lower = upper = false;
      frag_len = 0;
      frag++;
      continue;
    }
    if (is_lower(c)) {
      if (upper) return false;
      lower = true;
    } else if (is_upper(c)) {
      if (lower) return false;
      upper = true;
    } else if (is_digit(c)) {
      if (frag == 0 && frag_len == 0) return false;
    } else {
      return false;
    }
    frag_len++;
  }
  return frag_len > 0;
}

static bool eq_nocase(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

static bool check_kebab(const char *s, size_t n, char *err, size_t cap) {
  if (!comp_is_kebab(s, n)) return nfail(err, cap, "`%.*s` is not in kebab case", (int)n, s);
  return true;
}

/* ---- semver ---------------------------------------------------------------- */

static bool numeric_ident(const char *s, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++)
    if (!is_digit(s[i])) return false;
  return n == 1 || s[0] != '0';
}

static bool dot_idents(const char *s, size_t n, bool pre) {
  if (n == 0) return false;
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && s[i] != '.') {
      char c = s[i];
      if (!(is_digit(c) || is_lower(c) || is_upper(c) || c == '-')) return false;
      continue;
    }
    size_t len = i - start;
    if (len == 0) return false;
    if (pre) {
      bool all_digits = true;
      for (size_t k = start; k < i; k++)
        if (!is_digit(s[k])) all_digits = false;
      if (all_digits && !numeric_ident(s + start, len)) return false;
    }
    start = i + 1;
  }
  return true;
}

bool comp_semver_valid(const char *s, size_t n) {
  size_t i = 0;
  for (int part = 0; part < 3; part++) {
    size_t st = i;
    while (i < n && is_digit(s[i])) i++;
    if (!numeric_ident(s + st, i - st)) return false;
    if (part < 2) {
      if (i >= n || s[i] != '.') return false;
      i++;
    }
  }
  if (i < n && s[i] == '-') {
    size_t st = ++i;
    while (i < n && s[i] != '+') i++;
    if (!dot_idents(s + st, i - st, true)) return false;
  }
  if (i < n && s[i] == '+') {
    size_t st = ++i;
    i = n;
    if (!dot_idents(s + st, i - st, false)) return false;
  }
  return i == n;
}

bool comp_canonversion(const char *s, size_t n) {
  /* [1-9][0-9]* | 0.[1-9][0-9]* | 0.0.[1-9][0-9]* | 0.0.0 */
  if (n == 5 && memcmp(s, "0.0.0", 5) == 0) return true;
  size_t skip = 0;
  if (n >= 4 && memcmp(s, "0.0.", 4) == 0) skip = 4;
  else if (n >= 2 && memcmp(s, "0.", 2) == 0) skip = 2;
  s += skip;
  n -= skip;
  if (n == 0 || s[0] < '1' || s[0] > '9') return false;
  for (size_t i = 1; i < n; i++)
    if (!is_digit(s[i])) return false;
  return true;
}

/* ---- interface names ------------------------------------------------------ */

/* words ::= [a-z][0-9a-z]* ('-' [0-9a-z]+)*: namespaces and packages. */
static bool check_words(const char *s, size_t n, char *err, size_t cap) {
  bool ok = n > 0 && is_lower(s[0]) && s[n - 1] != '-';
  for (size_t i = 0; ok && i < n; i++) {
    char c = s[i];
    if (c == '-') ok = s[i + 1] != '-';
    else ok = is_lower(c) || is_digit(c);
  }
  if (ok) return true;
  if (!comp_is_kebab(s, n)) return nfail(err, cap, "`%.*s` is not in kebab case", (int)n, s);
  return nfail(err, cap, "`%.*s` is not a valid extern name: namespaces and packages are lowercase", (int)n, s);
}

static bool parse_interface(const char *s, size_t n, const comp_features *f, comp_name_info *out, char *err,
                            size_t cap) {
  out->kind = CN_INTERFACE;
  size_t at = n;
  for (size_t i = 0; i < n; i++)
    if (s[i] == '@') {
      at = i;
      break;
    }
  /* namespaces: words ':' (one, or more with 🪺) */
  size_t i = 0, nns = 0;
  for (;;) {
    size_t st = i;
    while (i < at && s[i] != ':' && s[i] != '/') i++;
    if (i >= at || s[i] != ':') {
      i = st;
      break;
    }
    if (!check_words(s + st, i - st, err, cap)) return false;
    nns++;
    i++;
  }
  if (nns == 0) return nfail(err, cap, "`%.*s` is not a valid extern name", (int)n, s);
  if (nns > 1 && !f->nested_names) return nfail(err, cap, "expected `/` after package name");
  /* package */
  size_t st = i;
  while (i < at && s[i] != '/') i++;
  if (!check_words(s + st, i - st, err, cap)) return false;
  if (i >= at) return nfail(err, cap, "expected `/` after package name");
  /* projections */
  size_t nproj = 0;
  while (i < at && s[i] == '/') {
    if (nproj == 1 && !f->nested_names) return nfail(err, cap, "trailing characters found: `%.*s`", (int)(at - i), s + i);
    st = ++i;
    while (i < at && s[i] != '/') i++;
    if (!check_kebab(s + st, i - st, err, cap)) return false;
    nproj++;
  }
  if (at < n) {
    const char *v = s + at + 1;
    size_t vn = n - at - 1;
    bool ok = comp_semver_valid(v, vn) || (f->canon_names && comp_canonversion(v, vn));
    if (!ok) return nfail(err, cap, "`%.*s` is not a valid semver", (int)vn, v);
    out->version = v;
    out->version_len = (uint32_t)vn;
  }
  return true;
}

/* ---- legacy forms (imports only) -------------------------------------------- */

static bool starts(const char *s, size_t n, const char *p) {
  size_t pn = strlen(p);
  return n >= pn && memcmp(s, p, pn) == 0;
}

/* "<" ... ">" at s; returns the content and advances *i past '>'. */
static bool bracketed(const char *s, size_t n, size_t *i, size_t *cst, size_t *cn, char *err, size_t cap) {
  if (*i >= n || s[*i] != '<') return nfail(err, cap, "expected `<` at `%.*s`", (int)(n - *i), s + *i);
  size_t st = ++*i;
  while (*i < n && s[*i] != '>') (*i)++;
  if (*i >= n) return nfail(err, cap, "failed to find `>`");
  *cst = st;
  *cn = *i - st;
  (*i)++;
  return true;
}

/* Base64 digits then at most two '=' of padding; the reference checks no
 * more than that (no length multiple of 4). */
static bool valid_base64(const char *s, size_t n) {
  size_t i = 0;
  while (i < n && (is_lower(s[i]) || is_upper(s[i]) || is_digit(s[i]) || s[i] == '+' || s[i] == '/')) i++;
  if (i == 0) return false;
  size_t pad = 0;
  while (i < n && s[i] == '=') {
    i++;
    pad++;
  }
  return i == n && pad <= 2;
}

static bool parse_integrity(const char *s, size_t n, char *err, size_t cap) {
  size_t i = 0;
  bool any = false;
  while (i < n) {
    while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
    if (i >= n) break;
    size_t st = i;
    while (i < n && s[i] != ' ' && s[i] != '\t') i++;
    const char *h = s + st;
    size_t hn = i - st;
    size_t dash = 0;
    while (dash < hn && h[dash] != '-') dash++;
    if (dash == hn) return nfail(err, cap, "expected `-` after hash algorithm");
    if (!(dash == 6 && (memcmp(h, "sha256", 6) == 0 || memcmp(h, "sha384", 6) == 0 || memcmp(h, "sha512", 6) == 0)))
      return nfail(err, cap, "unrecognized hash algorithm `%.*s`", (int)dash, h);
    size_t q = dash + 1;
    while (q < hn && h[q] != '?') q++;
    if (!valid_base64(h + dash + 1, q - dash - 1)) return nfail(err, cap, "not valid base64: `%.*s`", (int)(q - dash - 1), h + dash + 1);
    any = true;
  }
  if (!any) return nfail(err, cap, "integrity hash cannot be empty");
  return true;
}

/* "ns:name" (🪺: "a:b:c/d/e") of a dependency name. */
static bool parse_pkg(const char *s, size_t n, const comp_features *f, char *err, size_t cap) {
  size_t c = 0;
  while (c < n && s[c] != ':') c++;
  if (c == n) return nfail(err, cap, "expected `:` in package name");
  if (!check_kebab(s, c, err, cap)) return false;
  const char *rest = s + c + 1;
  size_t rn = n - c - 1;
  if (f->nested_names) {
    /* more namespaces, the package, then projections */
    size_t i = 0;
    for (;;) {
      size_t st = i;
      while (i < rn && rest[i] != ':' && rest[i] != '/') i++;
      if (!check_kebab(rest + st, i - st, err, cap)) return false;
      if (i == rn) return true;
      i++;
    }
  }
  return check_kebab(rest, rn, err, cap);
}

static bool parse_range(const char *s, size_t n, char *err, size_t cap) {
  if (n == 1 && s[0] == '*') return true;
  if (n < 2 || s[0] != '{' || s[n - 1] != '}') return nfail(err, cap, "`%.*s` is not a valid semver", (int)n, s);
  s++;
  n -= 2;
  size_t sp = 0;
  while (sp < n && s[sp] != ' ') sp++;
  if (starts(s, n, ">=")) {
    if (!comp_semver_valid(s + 2, sp - 2)) return nfail(err, cap, "`%.*s` is not a valid semver", (int)(sp - 2), s + 2);
    if (sp == n) return true;
    const char *r = s + sp + 1;
    size_t rn = n - sp - 1;
    if (!starts(r, rn, "<") || !comp_semver_valid(r + 1, rn - 1))
      return nfail(err, cap, "`%.*s` is not a valid semver", (int)rn, r);
    return true;
  }
  if (starts(s, n, "<")) {
    if (!comp_semver_valid(s + 1, n - 1)) return nfail(err, cap, "`%.*s` is not a valid semver", (int)(n - 1), s + 1);
    return true;
  }
  return nfail(err, cap, "`%.*s` is not a valid semver", (int)n, s);
}

static bool parse_dep(const char *s, size_t n, bool locked, const comp_features *f, char *err, size_t cap) {
  size_t i = 0, cst = 0, cn = 0;
  /* A version range in braces may itself contain '>'. */
  if (n > 1 && s[0] == '<') {
    size_t k = 1;
    while (k < n && s[k] != '>' && s[k] != '{') k++;
    if (k < n && s[k] == '{') {
      while (k < n && s[k] != '}') k++;
      while (k < n && s[k] != '>') k++;
      if (k < n) {
        cst = 1;
        cn = k - 1;
        i = k + 1;
        goto have_content;
      }
    }
  }
  if (!bracketed(s, n, &i, &cst, &cn, err, cap)) {
    if (strncmp(err, "failed to find", 14) == 0) {
      /* Report the missing '>' like the reference: after the content. */
      const char *c = s + 1;
      size_t k = 0, m = n - 1;
      while (k < m && c[k] != '@') k++;
      if (!parse_pkg(c, k, f, err, cap)) return false;
      if (k < m && locked && !comp_semver_valid(c + k + 1, m - k - 1)) return nfail(err, cap, "expected `>` at ``");
      return nfail(err, cap, "expected `>` at ``");
    }
    return false;
  }
have_content:;
  const char *c = s + cst;
  size_t k = 0;
  while (k < cn && c[k] != '@') k++;
  if (!parse_pkg(c, k, f, err, cap)) return false;
  if (k < cn) {
    const char *v = c + k + 1;
    size_t vn = cn - k - 1;
    if (locked) {
      if (!comp_semver_valid(v, vn)) return nfail(err, cap, "`%.*s` is not a valid semver", (int)vn, v);
    } else if (!parse_range(v, vn, err, cap)) {
      return false;
    }
  }
  if (i < n) {
    if (!locked) return nfail(err, cap, "trailing characters found: `%.*s`", (int)(n - i), s + i);
    if (s[i] != ',') return nfail(err, cap, "trailing characters found: `%.*s`", (int)(n - i), s + i);
    i++;
    if (!starts(s + i, n - i, "integrity=<")) return nfail(err, cap, "expected `integrity=<`");
    i += 10;
    if (!bracketed(s, n, &i, &cst, &cn, err, cap)) return false;
    if (!parse_integrity(s + cst, cn, err, cap)) return false;
    if (i < n) return nfail(err, cap, "trailing characters found: `%.*s`", (int)(n - i), s + i);
  }
  return true;
}

static bool parse_url(const char *s, size_t n, char *err, size_t cap) {
  size_t i = 0, cst = 0, cn = 0;
  if (!bracketed(s, n, &i, &cst, &cn, err, cap)) return false;
  for (size_t k = 0; k < cn; k++)
    if (s[cst + k] == '<') return nfail(err, cap, "url cannot contain `<`");
  if (i < n) {
    if (s[i] != ',' || !starts(s + i + 1, n - i - 1, "integrity=<"))
      return nfail(err, cap, "trailing characters found: `%.*s`", (int)(n - i), s + i);
    i += 11;
    if (!bracketed(s, n, &i, &cst, &cn, err, cap)) return false;
    if (!parse_integrity(s + cst, cn, err, cap)) return false;
    if (i < n) return nfail(err, cap, "trailing characters found: `%.*s`", (int)(n - i), s + i);
  }
  return true;
}

/* ---- plain names and dispatch ---------------------------------------------- */

bool comp_name_parse(const char *s, uint32_t n, const comp_features *f, comp_name_info *out, char *err, size_t cap) {
  memset(out, 0, sizeof *out);
  if (starts(s, n, "[constructor]")) {
    out->func = CN_FUNC_CONSTRUCTOR;
    out->resource = s + 13;
    out->resource_len = n - 13;
    return check_kebab(s + 13, n - 13, err, cap);
  }
  bool method = starts(s, n, "[method]"), stat = starts(s, n, "[static]");
  if (method || stat) {
    out->func = method ? CN_FUNC_METHOD : CN_FUNC_STATIC;
    const char *r = s + 8;
    size_t rn = n - 8, dot = 0;
    while (dot < rn && r[dot] != '.') dot++;
    if (dot == rn) return nfail(err, cap, "failed to find `.` character");
    out->resource = r;
    out->resource_len = (uint32_t)dot;
    return check_kebab(r, dot, err, cap) && check_kebab(r + dot + 1, rn - dot - 1, err, cap);
  }
  if (starts(s, n, "url=")) {
    out->kind = CN_URL;
    return parse_url(s + 4, n - 4, err, cap);
  }
  if (starts(s, n, "integrity=")) {
    out->kind = CN_HASH;
    size_t i = 0, cst = 0, cn = 0;
    if (!bracketed(s + 10, n - 10, &i, &cst, &cn, err, cap)) return false;
    if (!parse_integrity(s + 10 + cst, cn, err, cap)) return false;
    if (i < n - 10) return nfail(err, cap, "trailing characters found: `%.*s`", (int)(n - 10 - i), s + 10 + i);
    return true;
  }
  if (starts(s, n, "locked-dep=")) {
    out->kind = CN_DEP;
    return parse_dep(s + 11, n - 11, true, f, err, cap);
  }
  if (starts(s, n, "unlocked-dep=")) {
    out->kind = CN_DEP;
    return parse_dep(s + 13, n - 13, false, f, err, cap);
  }
  for (uint32_t i = 0; i < n; i++)
    if (s[i] == ':') return parse_interface(s, n, f, out, err, cap);
  if (n > 0 && (s[0] == '[' || memchr(s, '=', n)))
    return nfail(err, cap, "`%.*s` is not a valid extern name", (int)n, s);
  out->kind = CN_PLAIN;
  return check_kebab(s, n, err, cap);
}

size_t comp_name_key(const char *s, uint32_t n, const comp_name_info *info, char *out) {
  const char *src = s;
  size_t len = n;
  if (info->kind == CN_PLAIN && (info->func == CN_FUNC_METHOD || info->func == CN_FUNC_STATIC)) {
    src = s + 8;
    len = n - 8;
    size_t r = info->resource_len;
    /* [method]l.l is l */
    if (len == 2 * r + 1 && eq_nocase(src, src + r + 1, r)) len = r;
  }
  bool fold = info->kind == CN_PLAIN || info->kind == CN_INTERFACE;
  for (size_t i = 0; i < len; i++) {
    char c = src[i];
    out[i] = fold && c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
  }
  return len;
}
