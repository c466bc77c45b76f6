/* One wast2json manifest or .wast script: a store shared by all its
 * modules (like the spec interpreter), the spectest module, named instances
 * and definitions, and the commands in script order. A .wast script is
 * parsed by src/text (text/wast.h) and its commands are rebuilt in memory
 * as manifest-shaped JSON, so both kinds of input run through the same
 * command code below; their modules come from the script's own text
 * (field "kumi_command") instead of files.
 *
 * Each command counts once: passed, failed or skipped. Skipped are commands
 * this runner cannot judge yet (text-format modules, SIMD values, later
 * proposals) and the commands that depend on a skipped module. A failure
 * whose `stem:line` is in the skip list counts as skipped and is printed
 * with the list's reason.
 *
 * How strict the assertions are (a deliberate choice, stated once here):
 * - assert_return compares bit patterns; NaN patterns as in the spec.
 * - assert_trap / assert_uninstantiable pass when the call traps with a
 *   trap code whose message agrees with the expected text (one is a prefix
 *   of the other, plus the alias "undefined element" for an out-of-range
 *   call_indirect index, which engines report as an out-of-bounds table
 *   access or an uninitialized element). A trap of a clearly different
 *   kind (e.g. "integer overflow" for "integer divide by zero") fails.
 *   Texts we do not know are accepted with any trap.
 * - assert_exhaustion needs the trap KUMI_TRAP_STACK_EXHAUSTED.
 * - assert_malformed / assert_invalid / assert_unlinkable need the error
 *   kind KUMI_ERR_MALFORMED / KUMI_ERR_INVALID / KUMI_ERR_LINK: a decoder
 *   that rejects a well-formed module, or accepts a malformed one and leaves
 *   it to the validator, is wrong. The message itself is not compared.
 *
 * Components (a binary whose header says layer 1) are decoded and validated
 * by src/component with the features of --features, and instantiated by
 * the component runtime (src/component/inst.c); actions on component
 * instances go through wast_comp.c. What the runtime does not support yet
 * (its "unsupported: " errors) is skipped with that reason. */
#include "wast.h"
#include "text/text.h"
#include "text/wast.h"
#include "wast_comp.h"
#include "component/inst.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

typedef enum wast_result { R_PASS, R_FAIL, R_SKIP } wast_result;

/* An instance as the script sees it. inst is NULL when its module command
 * failed (uses fail) or was skipped (skip_reason set: uses are skipped). */
typedef struct wast_inst {
  kumi_instance *inst;
  kumi_component_instance *cinst; /* a component instance (inst is then NULL) */
  const char *skip_reason;
  uint32_t line; /* of the command that made it */
} wast_inst;

/* A module definition (module_definition). */
typedef struct wast_def {
  kumi_module *mod;
  kumi_component *comp; /* a component definition (mod is then NULL) */
  const char *skip_reason;
  uint32_t line;
} wast_def;

typedef struct wast_script {
  const wast_options *opt;
  const kumi_allocator *a;
  const char *path;       /* the manifest as given */
  size_t dir_len;         /* path[0..dir_len) is its directory, with the '/' */
  const char *stem;       /* file name without ".json" */
  size_t stem_len;
  kb_arena arena;         /* names and records; freed with the script */
  kumi_engine *engine;
  kumi_store *store;
  kumi_linker *linker;
  kb_map instances;       /* "$name" -> wast_inst * */
  kb_map defs;            /* "$name" -> wast_def * */
  kb_map skipped_regs;    /* registered names of skipped modules -> reason */
  KB_VEC(kumi_module *) modules; /* definitions, freed at the end */
  KB_VEC(kumi_component *) comps; /* every valid component loaded, freed at the end */
  KB_VEC(kumi_component_instance *) cinsts; /* freed before the store */
  kumi_component *last_comp; /* set by load_any for a valid component */
  wast_inst *current;
  wast_def *last_def;
  wast_counts counts;
  /* A .wast script: its commands' modules are parsed from here, found by
   * the command field "kumi_command" (an index into script->cmds). NULL
   * for a wast2json manifest. */
  const text_wast_script *script;
} wast_script;

/* The reason of a failure or skip, written by the command. */
typedef struct wast_why {
  char text[1024];
} wast_why;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static wast_result result(wast_result r, wast_why *w, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w->text, sizeof w->text, fmt, ap);
  va_end(ap);
  return r;
}

static const char *error_kind_name(kumi_error_kind k) {
  switch (k) {
  case KUMI_ERR_MALFORMED: return "malformed";
  case KUMI_ERR_INVALID: return "invalid";
  case KUMI_ERR_LINK: return "link";
  case KUMI_ERR_TRAP: return "trap";
  case KUMI_ERR_EXIT: return "exit";
  case KUMI_ERR_IO: return "io";
  case KUMI_ERR_OOM: return "out of memory";
  case KUMI_ERR_ARG: return "argument";
  case KUMI_ERR_LIMIT: return "limit";
  }
  return "unknown";
}

static const char *msg_of(const kumi_error *e) {
  const char *m = kumi_error_message(e);
  return m ? m : "(no message)";
}

/* ---- JSON helpers ---------------------------------------------------------- */

static const char *jstr(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A name from the manifest as (bytes, length): the reader turned each
 * escaped NUL into the byte 0xFF (never valid in UTF-8 text), so names may
 * contain NUL. Returns false when key is absent. */
static bool jname(wast_script *s, const cJSON *obj, const char *key, const char **out, size_t *len) {
  const char *v = jstr(obj, key);
  if (!v) return false;
  size_t n = strlen(v);
  char *c = kb_arena_strndup(&s->arena, v, n);
  if (!c) return false;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)c[i] == 0xFF) c[i] = 0;
  *out = c;
  *len = n;
  return true;
}

/* Replaces each JSON escape \u0000 by the single byte 0xFF (see jname),
 * because cJSON strings end at the first NUL. Returns a NUL-terminated
 * copy, or NULL on OOM; *out_len is its length. */
static char *escape_nuls(const kumi_allocator *a, const uint8_t *in, size_t len, size_t *out_len) {
  char *out = kb_alloc(a, len + 1);
  if (!out) return NULL;
  size_t o = 0;
  for (size_t i = 0; i < len;) {
    if (in[i] == '\\' && i + 1 < len) {
      if (in[i + 1] == 'u' && i + 6 <= len && memcmp(in + i + 2, "0000", 4) == 0) {
        out[o++] = (char)0xFF;
        i += 6;
      } else {
        out[o++] = (char)in[i];
        out[o++] = (char)in[i + 1];
        i += 2;
      }
    } else {
      out[o++] = (char)in[i++];
    }
  }
  out[o] = 0;
  *out_len = o;
  return out;
}

/* ---- instances and names ----------------------------------------------------- */

static wast_inst *new_inst(wast_script *s, kumi_instance *inst, const char *skip_reason, uint32_t line) {
  wast_inst *wi = kb_arena_alloc(&s->arena, sizeof *wi);
  if (!wi) return NULL;
  wi->inst = inst;
  wi->skip_reason = skip_reason;
  wi->line = line;
  return wi;
}

/* Makes wi the current instance and binds it to the command's name field. */
static void bind_inst(wast_script *s, const cJSON *cmd, const char *field, wast_inst *wi) {
  if (!wi) return;
  s->current = wi;
  const char *name;
  size_t len;
  if (jname(s, cmd, field, &name, &len)) kb_map_put(&s->instances, name, len, wi);
}

/* The instance an action or register refers to: by name, or the current one.
 * Returns R_PASS with *out set, or R_FAIL / R_SKIP with the reason. */
static wast_result find_inst(wast_script *s, const cJSON *obj, const char *field, kumi_instance **out, wast_why *w) {
  const char *name;
  size_t len;
  wast_inst *wi = s->current;
  bool named = jname(s, obj, field, &name, &len);
  if (named) {
    void *p = NULL;
    if (!kb_map_get(&s->instances, name, len, &p)) return result(R_FAIL, w, "no module named %s", name);
    wi = p;
  }
  if (!wi) return result(R_FAIL, w, "no module has been instantiated");
  if (wi->skip_reason) return result(R_SKIP, w, "module at line %" PRIu32 " skipped: %s", wi->line, wi->skip_reason);
  if (!wi->inst) return result(R_FAIL, w, "module at line %" PRIu32 " did not load or instantiate", wi->line);
  *out = wi->inst;
  return R_PASS;
}

/* ---- module files ---------------------------------------------------------- */

/* Reads the binary of a module-carrying command into *bytes (free with
 * kb_free(s->a, *bytes, *len)). A text module (.wat) goes through kumi's own
 * text parser; when it does not parse, *bytes is NULL and *parse_err holds
 * the (malformed) error. */
static wast_result read_module(wast_script *s, const cJSON *cmd, uint8_t **bytes, size_t *len, kumi_error **parse_err,
                               wast_why *w) {
  const cJSON *jc = cJSON_GetObjectItemCaseSensitive(cmd, "kumi_command");
  if (s->script && cJSON_IsNumber(jc) && jc->valuedouble >= 0 && jc->valuedouble < (double)s->script->ncmds) {
    const text_wast_cmd *tc = &s->script->cmds[(size_t)jc->valuedouble];
    /* A component under an unsupported feature is skipped unparsed, as its
     * manifest binary would be (see load_any); a `(component quote ...)`
     * is parsed, as the manifest's text file is. */
    const text_token *kw = tc->module_tok != SIZE_MAX && tc->module_tok + 3 < s->script->ntoks
                               ? &s->script->toks[tc->module_tok + 1] : NULL;
    *parse_err = NULL;
    if (s->opt->unsupported && kw && kw->kind == TK_KEYWORD && kw->slen == 9 && memcmp(kw->str, "component", 9) == 0) {
      const text_token *q = kw[1].kind == TK_ID ? &kw[2] : &kw[1];
      if (!(q->kind == TK_KEYWORD && q->slen == 5 && memcmp(q->str, "quote", 5) == 0))
        return result(R_SKIP, w, "%s", s->opt->unsupported);
    }
    *parse_err = text_wast_module(s->script, tc, bytes, len);
    if (*parse_err && kumi_error_kind_of(*parse_err) == KUMI_ERR_OOM) {
      kumi_error_free(*parse_err);
      *parse_err = NULL;
      return result(R_FAIL, w, "out of memory");
    }
    return R_PASS;
  }
  const char *type = jstr(cmd, "module_type");
  const char *file = jstr(cmd, "filename");
  bool text = type && strcmp(type, "text") == 0;
  *parse_err = NULL;
  if (!text && type && strcmp(type, "binary") != 0) return result(R_FAIL, w, "unknown module_type \"%s\"", type);
  if (!file) return result(R_FAIL, w, "command has no filename");
  size_t flen = strlen(file);
  char *full = kb_arena_alloc(&s->arena, s->dir_len + flen + 1);
  if (!full) return result(R_FAIL, w, "out of memory");
  memcpy(full, s->path, s->dir_len);
  memcpy(full + s->dir_len, file, flen + 1);
  kumi_error *err = kb_read_file(s->a, full, bytes, len);
  if (err) {
    result(R_FAIL, w, "%s", msg_of(err));
    kumi_error_free(err);
    return R_FAIL;
  }
  if (text) {
    uint8_t *wasm = NULL;
    size_t wasm_len = 0;
    *parse_err = text_parse_any(s->a, (const char *)*bytes, *len, &wasm, &wasm_len);
    kb_free(s->a, *bytes, *len);
    *bytes = wasm;
    *len = wasm_len;
  }
  return R_PASS;
}

/* Reads and loads (decode, validate, prepare) a module. On R_PASS *mod is
 * set, or *mod is NULL and *err holds the load error when want_error. */
static const char comp_no_instantiation[] = "component instantiation not implemented";

/* Reads and loads a module or component. A core module is decoded,
 * validated and prepared (*mod set, or *err). A component (*is_component)
 * is decoded and validated only: *mod stays NULL and *err is its error, or
 * NULL when valid. Components are skipped when a requested feature is not
 * supported. */
static wast_result load_any(wast_script *s, const cJSON *cmd, kumi_module **mod, kumi_error **err, bool *is_component,
                            wast_why *w) {
  uint8_t *bytes = NULL;
  size_t len = 0;
  *mod = NULL;
  *is_component = false;
  wast_result r = read_module(s, cmd, &bytes, &len, err, w);
  if (r != R_PASS) return r;
  if (*err) {
    *mod = NULL;
    return R_PASS;
  }
  if (comp_is_component(bytes, len)) {
    *is_component = true;
    if (s->opt->unsupported) {
      kb_free(s->a, bytes, len);
      return result(R_SKIP, w, "%s", s->opt->unsupported);
    }
    /* Decoded and validated once, for the component runtime. */
    s->last_comp = comp_rt_new(s->engine, bytes, len, &s->opt->features, err);
    if (s->last_comp && !kb_vec_push(s->a, &s->comps, s->last_comp)) {
      kumi_component_free(s->last_comp);
      s->last_comp = NULL;
      *err = kb_error_oom();
    }
    kb_free(s->a, bytes, len);
    return R_PASS;
  }
  *mod = kumi_module_new(s->engine, bytes, len, err);
  kb_free(s->a, bytes, len);
  if (!*mod && !*err) return result(R_FAIL, w, "kumi_module_new returned neither a module nor an error");
  return R_PASS;
}

/* A component that failed to validate, as a failure. */
static wast_result component_failed(kumi_error *err, wast_why *w) {
  wast_result r = result(R_FAIL, w, "component failed to validate: %s error at 0x%llx: %s",
                         error_kind_name(kumi_error_kind_of(err)), (unsigned long long)kumi_error_offset(err), msg_of(err));
  kumi_error_free(err);
  return r;
}

/* When a module cannot link because it imports from a registered name
 * whose module was skipped, the module is skipped too. */
static const char *skipped_import(wast_script *s, const kumi_module *m) {
  if (s->skipped_regs.count == 0) return NULL;
  size_t n = kumi_module_import_count(m);
  for (size_t i = 0; i < n; i++) {
    kumi_import_desc d;
    kumi_module_import(m, i, &d);
    void *reason = NULL;
    if (d.module && kb_map_get(&s->skipped_regs, d.module, d.module_len, &reason)) return reason;
  }
  return NULL;
}

/* Instantiates m in the script's store; binds the result (or its failure)
 * as the current instance under the command's `field` name. */
static wast_result instantiate(wast_script *s, const cJSON *cmd, const char *field, kumi_module *m, uint32_t line,
                               wast_why *w) {
  kumi_error *err = NULL;
  kumi_instance *inst = kumi_linker_instantiate(s->linker, m, &err);
  if (inst) {
    if (err) kumi_error_free(err);
    bind_inst(s, cmd, field, new_inst(s, inst, NULL, line));
    return R_PASS;
  }
  const char *skip = err && kumi_error_kind_of(err) == KUMI_ERR_LINK ? skipped_import(s, m) : NULL;
  wast_result r;
  if (skip) {
    bind_inst(s, cmd, field, new_inst(s, NULL, skip, line));
    r = result(R_SKIP, w, "imports from a skipped module: %s", skip);
  } else {
    bind_inst(s, cmd, field, new_inst(s, NULL, NULL, line));
    r = result(R_FAIL, w, "instantiation failed: %s error: %s", err ? error_kind_name(kumi_error_kind_of(err)) : "?",
               err ? msg_of(err) : "no error value");
  }
  if (err) kumi_error_free(err);
  return r;
}

/* Instantiates component c; binds the result like instantiate(). */
static wast_result comp_instantiate(wast_script *s, const cJSON *cmd, const char *field, kumi_component *c,
                                    uint32_t line, wast_why *w) {
  kumi_error *err = NULL;
  kumi_component_instance *ci = c ? kumi_component_instantiate(s->store, c, &err) : NULL;
  if (ci && !kb_vec_push(s->a, &s->cinsts, ci)) {
    kumi_component_instance_free(ci);
    ci = NULL;
    err = kb_error_oom();
  }
  wast_inst *wi = new_inst(s, NULL, NULL, line);
  wast_result r = R_PASS;
  if (!c) {
    r = result(R_FAIL, w, "%s: no component", comp_no_instantiation);
  } else if (!ci && comp_rt_unsupported(err)) {
    r = result(R_SKIP, w, "component instantiation: %s", msg_of(err));
    if (wi) wi->skip_reason = kb_arena_strndup(&s->arena, w->text, strlen(w->text));
  } else if (!ci) {
    r = result(R_FAIL, w, "component instantiation failed: %s error: %s",
               err ? error_kind_name(kumi_error_kind_of(err)) : "?", err ? msg_of(err) : "no error value");
  }
  if (wi) wi->cinst = ci;
  bind_inst(s, cmd, field, wi);
  if (err) kumi_error_free(err);
  return r;
}

/* The component instance an action targets, or NULL (not a component). */
static wast_inst *comp_target(wast_script *s, const cJSON *cmd) {
  const cJSON *action = cJSON_GetObjectItemCaseSensitive(cmd, "action");
  const char *name;
  size_t len;
  wast_inst *wi = s->current;
  if (action && jname(s, action, "module", &name, &len)) {
    void *p = NULL;
    if (!kb_map_get(&s->instances, name, len, &p)) return NULL;
    wi = p;
  }
  return wi && wi->cinst ? wi : NULL;
}

/* mode: 0 action, 1 assert_return, 2 assert_trap. */
static wast_result comp_action(wast_script *s, const cJSON *cmd, wast_inst *wi, int mode, wast_why *w);

/* ---- commands ---------------------------------------------------------------- */

static wast_result cmd_module(wast_script *s, const cJSON *cmd, uint32_t line, wast_why *w) {
  kumi_module *m = NULL;
  kumi_error *err = NULL;
  bool is_component = false;
  wast_result r = load_any(s, cmd, &m, &err, &is_component, w);
  if (r == R_PASS && is_component) {
    /* Decoded and validated: that is what can be checked today. */
    if (err) {
      bind_inst(s, cmd, "name", new_inst(s, NULL, NULL, line));
      return component_failed(err, w);
    }
    return comp_instantiate(s, cmd, "name", s->last_comp, line, w);
  }
  if (r == R_SKIP) {
    bind_inst(s, cmd, "name", new_inst(s, NULL, kb_arena_strndup(&s->arena, w->text, strlen(w->text)), line));
    return r;
  }
  if (r == R_FAIL || !m) {
    bind_inst(s, cmd, "name", new_inst(s, NULL, NULL, line));
    if (err) {
      r = result(R_FAIL, w, "module failed to load: %s error: %s", error_kind_name(kumi_error_kind_of(err)),
                 msg_of(err));
      kumi_error_free(err);
    }
    return R_FAIL;
  }
  r = instantiate(s, cmd, "name", m, line, w);
  kumi_module_free(m);
  return r;
}

static wast_result cmd_module_definition(wast_script *s, const cJSON *cmd, uint32_t line, wast_why *w) {
  wast_def *d = kb_arena_alloc(&s->arena, sizeof *d);
  if (!d) return result(R_FAIL, w, "out of memory");
  d->line = line;
  s->last_def = d;
  const char *name;
  size_t len;
  if (jname(s, cmd, "name", &name, &len)) kb_map_put(&s->defs, name, len, d);
  kumi_error *err = NULL;
  bool is_component = false;
  wast_result r = load_any(s, cmd, &d->mod, &err, &is_component, w);
  if (r == R_SKIP) d->skip_reason = kb_arena_strndup(&s->arena, w->text, strlen(w->text));
  if (r != R_PASS) return r;
  if (is_component) {
    if (err) return component_failed(err, w);
    d->comp = s->last_comp;
    return R_PASS;
  }
  if (!d->mod) {
    r = result(R_FAIL, w, "module failed to load: %s error: %s", error_kind_name(kumi_error_kind_of(err)), msg_of(err));
    kumi_error_free(err);
    return r;
  }
  if (!kb_vec_push(s->a, &s->modules, d->mod)) {
    kumi_module_free(d->mod);
    d->mod = NULL;
    return result(R_FAIL, w, "out of memory");
  }
  return R_PASS;
}

static wast_result cmd_module_instance(wast_script *s, const cJSON *cmd, uint32_t line, wast_why *w) {
  wast_def *d = s->last_def;
  const char *name;
  size_t len;
  if (jname(s, cmd, "module", &name, &len)) {
    void *p = NULL;
    if (!kb_map_get(&s->defs, name, len, &p)) {
      bind_inst(s, cmd, "instance", new_inst(s, NULL, NULL, line));
      return result(R_FAIL, w, "no module definition named %s", name);
    }
    d = p;
  }
  if (!d) {
    bind_inst(s, cmd, "instance", new_inst(s, NULL, NULL, line));
    return result(R_FAIL, w, "no module definition");
  }
  if (d->skip_reason) {
    bind_inst(s, cmd, "instance", new_inst(s, NULL, d->skip_reason, line));
    return result(R_SKIP, w, "definition at line %" PRIu32 " skipped: %s", d->line, d->skip_reason);
  }
  if (d->comp) return comp_instantiate(s, cmd, "instance", d->comp, line, w);
  if (!d->mod) {
    bind_inst(s, cmd, "instance", new_inst(s, NULL, NULL, line));
    return result(R_FAIL, w, "definition at line %" PRIu32 " failed to load", d->line);
  }
  return instantiate(s, cmd, "instance", d->mod, line, w);
}

static wast_result cmd_register(wast_script *s, const cJSON *cmd, wast_why *w) {
  const char *as;
  size_t as_len;
  if (!jname(s, cmd, "as", &as, &as_len)) return result(R_FAIL, w, "register without \"as\"");
  kumi_instance *inst = NULL;
  wast_result r = find_inst(s, cmd, "name", &inst, w);
  if (r == R_SKIP) {
    kb_map_put(&s->skipped_regs, as, as_len, kb_arena_strndup(&s->arena, w->text, strlen(w->text)));
    return r;
  }
  if (r != R_PASS) return r;
  if (memchr(as, 0, as_len)) return result(R_FAIL, w, "register name contains a NUL byte");
  kumi_error *err = kumi_linker_define_instance(s->linker, as, inst);
  if (err) {
    r = result(R_FAIL, w, "register \"%s\" failed: %s", as, msg_of(err));
    kumi_error_free(err);
    return r;
  }
  return R_PASS;
}

/* A performed action: its results, or the error it returned. */
typedef struct wast_outcome {
  kumi_val *results;
  size_t nresults;
  kumi_error *error;
} wast_outcome;

static void outcome_free(wast_script *s, wast_outcome *o) {
  if (o->results) kb_free(s->a, o->results, o->nresults * sizeof *o->results);
  if (o->error) kumi_error_free(o->error);
  memset(o, 0, sizeof *o);
}

/* Performs an invoke or get. R_PASS means it ran (o->error may hold a trap);
 * R_FAIL / R_SKIP mean it could not be attempted. */
/* R_SKIP when the action's target instance was skipped (for example a
 * component, which cannot be instantiated yet), else R_PASS. */
static wast_result target_skipped(wast_script *s, const cJSON *cmd, wast_why *w) {
  const cJSON *action = cJSON_GetObjectItemCaseSensitive(cmd, "action");
  const char *name;
  size_t len;
  wast_inst *wi = s->current;
  if (action && jname(s, action, "module", &name, &len)) {
    void *p = NULL;
    if (!kb_map_get(&s->instances, name, len, &p)) return R_PASS;
    wi = p;
  }
  if (wi && wi->skip_reason) return result(R_SKIP, w, "module at line %" PRIu32 " skipped: %s", wi->line, wi->skip_reason);
  return R_PASS;
}

static wast_result run_action(wast_script *s, const cJSON *cmd, wast_outcome *o, wast_why *w) {
  memset(o, 0, sizeof *o);
  if (target_skipped(s, cmd, w) == R_SKIP) return R_SKIP;
  const cJSON *action = cJSON_GetObjectItemCaseSensitive(cmd, "action");
  const char *type = jstr(action, "type");
  const char *field;
  size_t field_len;
  if (!type) return result(R_FAIL, w, "command has no action");
  if (!jname(s, action, "field", &field, &field_len)) return result(R_FAIL, w, "action has no field");

  /* Arguments first: a value we cannot represent skips the command before
   * anything runs. */
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(action, "args");
  size_t nargs = cJSON_IsArray(args) ? (size_t)cJSON_GetArraySize(args) : 0;
  kumi_val *argv = kb_zalloc(s->a, (nargs ? nargs : 1) * sizeof *argv);
  if (!argv) return result(R_FAIL, w, "out of memory");
  wast_result r = R_PASS;
  size_t i = 0;
  const cJSON *arg;
  cJSON_ArrayForEach(arg, args) {
    const char *why = NULL;
    wast_valres vr = cli_wast_arg(arg, &argv[i], &why);
    if (vr != WAST_VAL_OK) {
      r = result(vr == WAST_VAL_UNSUPPORTED ? R_SKIP : R_FAIL, w, "argument %zu: %s", i + 1, why);
      goto done;
    }
    i++;
  }

  kumi_instance *inst = NULL;
  if ((r = find_inst(s, action, "module", &inst, w)) != R_PASS) goto done;
  /* Export names may hold NUL bytes, so look them up with their length. */
  kumi_extern ext;
  bool found = kumi_instance_export_n(inst, field, field_len, &ext);

  if (strcmp(type, "invoke") == 0) {
    kumi_func *f = found && ext.kind == KUMI_EXTERN_FUNC ? ext.of.func : NULL;
    if (!f) {
      r = result(R_FAIL, w, "no exported function \"%s\"", field);
      goto done;
    }
    const kumi_functype *ft = kumi_func_type(f);
    if (!ft) {
      r = result(R_FAIL, w, "function \"%s\" has no type", field);
      goto done;
    }
    if (ft->nparams != nargs) {
      r = result(R_FAIL, w, "\"%s\" takes %" PRIu32 " arguments, the script passes %zu", field, ft->nparams, nargs);
      goto done;
    }
    for (i = 0; i < nargs; i++) {
      if (ft->params[i] != argv[i].kind) {
        r = result(R_FAIL, w, "argument %zu of \"%s\" has type %s, the script passes %s", i + 1, field,
                   cli_wast_kind_name(ft->params[i]), cli_wast_kind_name(argv[i].kind));
        goto done;
      }
    }
    o->nresults = ft->nresults;
    o->results = kb_zalloc(s->a, (o->nresults ? o->nresults : 1) * sizeof *o->results);
    if (!o->results) {
      o->nresults = 0;
      r = result(R_FAIL, w, "out of memory");
      goto done;
    }
    o->error = kumi_func_call(s->store, f, argv, nargs, o->results, o->nresults);
  } else if (strcmp(type, "get") == 0) {
    if (!found || ext.kind != KUMI_EXTERN_GLOBAL) {
      r = result(R_FAIL, w, "no exported global \"%s\"", field);
      goto done;
    }
    o->nresults = 1;
    o->results = kb_zalloc(s->a, sizeof *o->results);
    if (!o->results) {
      o->nresults = 0;
      r = result(R_FAIL, w, "out of memory");
      goto done;
    }
    o->results[0] = kumi_global_get(ext.of.global);
  } else {
    r = result(R_SKIP, w, "action type \"%s\" not supported", type);
  }
done:
  kb_free(s->a, argv, (nargs ? nargs : 1) * sizeof *argv);
  return r;
}

static wast_result cmd_action(wast_script *s, const cJSON *cmd, wast_why *w) {
  wast_inst *cwi = comp_target(s, cmd);
  if (cwi) return comp_action(s, cmd, cwi, 0, w);
  wast_outcome o;
  wast_result r = run_action(s, cmd, &o, w);
  if (r == R_PASS && o.error)
    r = result(R_FAIL, w, "%s error: %s", error_kind_name(kumi_error_kind_of(o.error)), msg_of(o.error));
  outcome_free(s, &o);
  return r;
}

static wast_result cmd_assert_return(wast_script *s, const cJSON *cmd, wast_why *w) {
  wast_inst *cwi = comp_target(s, cmd);
  if (cwi) return comp_action(s, cmd, cwi, 1, w);
  const cJSON *expected = cJSON_GetObjectItemCaseSensitive(cmd, "expected");
  if (!cJSON_IsArray(expected)) return result(R_FAIL, w, "assert_return without expected values");
  if (target_skipped(s, cmd, w) == R_SKIP) return R_SKIP;
  const cJSON *e;
  cJSON_ArrayForEach(e, expected) {
    const char *why = NULL;
    wast_valres vr = cli_wast_expect_check(e, &why);
    if (vr != WAST_VAL_OK) return result(vr == WAST_VAL_UNSUPPORTED ? R_SKIP : R_FAIL, w, "%s", why);
  }
  wast_outcome o;
  wast_result r = run_action(s, cmd, &o, w);
  if (r != R_PASS) return r;
  size_t nexp = (size_t)cJSON_GetArraySize(expected);
  if (o.error) {
    r = result(R_FAIL, w, "%s error: %s", error_kind_name(kumi_error_kind_of(o.error)), msg_of(o.error));
  } else if (o.nresults != nexp) {
    r = result(R_FAIL, w, "got %zu results, expected %zu", o.nresults, nexp);
  } else {
    size_t i = 0;
    cJSON_ArrayForEach(e, expected) {
      if (!cli_wast_match(e, &o.results[i])) {
        char got[160], want[160];
        cli_wast_format_val(got, sizeof got, &o.results[i]);
        cli_wast_format_expected(want, sizeof want, e);
        if (nexp == 1) r = result(R_FAIL, w, "got %s, expected %s", got, want);
        else r = result(R_FAIL, w, "result %zu of %zu: got %s, expected %s", i + 1, nexp, got, want);
        break;
      }
      i++;
    }
  }
  outcome_free(s, &o);
  return r;
}

/* Whether a trap code agrees with the reference interpreter's text. */
static bool trap_agrees(kumi_trap_code code, const char *expected) {
  static const char *const known[] = {
      "unreachable", "integer divide by zero", "integer overflow", "invalid conversion to integer",
      "out of bounds memory access", "out of bounds table access", "undefined element", "uninitialized element",
      "indirect call type mismatch", "call stack exhausted",
  };
  bool is_known = false;
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (strncmp(expected, known[i], strlen(known[i])) == 0) is_known = true;
  if (!is_known) return true;
  if (strcmp(expected, "undefined element") == 0)
    return code == KUMI_TRAP_OOB_TABLE || code == KUMI_TRAP_UNINIT_ELEMENT;
  const char *m = kumi_trap_message(code);
  if (!m || !*m) return false;
  size_t ml = strlen(m), el = strlen(expected);
  return strncmp(m, expected, ml < el ? ml : el) == 0;
}

/* Checks that err is a trap agreeing with the command's text. */
static wast_result expect_trap(const kumi_error *err, const char *text, wast_why *w) {
  if (kumi_error_kind_of(err) != KUMI_ERR_TRAP)
    return result(R_FAIL, w, "failed with a %s error (%s), expected trap \"%s\"", error_kind_name(kumi_error_kind_of(err)),
                  msg_of(err), text);
  kumi_trap_code code = kumi_error_trap_code(err);
  if (!trap_agrees(code, text))
    return result(R_FAIL, w, "trapped with \"%s\", expected \"%s\"", msg_of(err), text);
  return R_PASS;
}

/* Component traps are stricter than core ones: the Canonical ABI's trap
 * texts are our own messages, so the expected text (without a "wasm trap: "
 * prefix) must appear in the message, unless it is a core trap text that
 * expect_trap knows. */
static wast_result comp_expect_trap(const kumi_error *err, const char *text, wast_why *w) {
  wast_result r = expect_trap(err, text, w);
  if (r != R_PASS) return r;
  if (strncmp(text, "wasm trap: ", 11) == 0) text += 11;
  if (kumi_error_trap_code(err) != KUMI_TRAP_NONE && kumi_error_trap_code(err) != KUMI_TRAP_HOST) return R_PASS;
  if (strstr(msg_of(err), text)) return R_PASS;
  /* The reference texts (contained in the expected text) and kumi's
   * Canonical ABI messages for the same checks. */
  static const char *const aliases[][2] = {
      {"unaligned pointer", "unaligned"},
      {"string content out-of-bounds", "string out of bounds"},
      {"string pointer/length out of bounds of memory", "string out of bounds"},
      {"list content out-of-bounds", "out-of-bounds pointer"},
      {"list content out-of-bounds", "list out of bounds"},
      {"invalid `char` bit pattern", "invalid char"},
      {"realloc return: beyond end of memory", "realloc returned an out-of-bounds pointer"},
      {"realloc return: result not aligned", "unaligned pointer returned by realloc"},
      {"incomplete utf-8 byte sequence", "invalid UTF-8"},
      {"invalid utf-8", "invalid UTF-8"},
      {"invalid variant discriminant", "discriminant out of range"},
      {"unknown handle index", "invalid handle index"},
      {"used with the wrong type", "wrong resource type"},
      {"cannot remove owned resource while borrowed", "lent out"},
  };
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
    if (strstr(text, aliases[i][0]) && strstr(msg_of(err), aliases[i][1])) return R_PASS;
  return result(R_FAIL, w, "trapped with \"%s\", expected \"%s\"", msg_of(err), text);
}

static wast_result comp_action(wast_script *s, const cJSON *cmd, wast_inst *wi, int mode, wast_why *w) {
  const cJSON *action = cJSON_GetObjectItemCaseSensitive(cmd, "action");
  const cJSON *expected = mode == 1 ? cJSON_GetObjectItemCaseSensitive(cmd, "expected") : NULL;
  kumi_error *err = NULL;
  wast_comp_res cr = cli_wast_comp_invoke(s->a, s->store, wi->cinst, action, expected, &err, w->text, sizeof w->text);
  wast_result r = cr == WAST_COMP_SKIP ? R_SKIP : cr == WAST_COMP_FAIL ? R_FAIL : R_PASS;
  if (cr == WAST_COMP_RAN && err && comp_rt_unsupported(err)) {
    r = result(R_SKIP, w, "%s", msg_of(err));
  } else if (cr == WAST_COMP_RAN) {
    const char *text = jstr(cmd, "text");
    if (mode == 2) r = err ? comp_expect_trap(err, text ? text : "", w) : result(R_FAIL, w, "returned, expected a trap");
    else if (err) r = result(R_FAIL, w, "%s error: %s", error_kind_name(kumi_error_kind_of(err)), msg_of(err));
  }
  if (err) kumi_error_free(err);
  return r;
}

/* assert_unlinkable / assert_uninstantiable on the component just loaded. */
static wast_result comp_instantiate_error(wast_script *s, kumi_error_kind want, const char *text, wast_why *w) {
  kumi_error *err = NULL;
  kumi_component_instance *ci = s->last_comp ? kumi_component_instantiate(s->store, s->last_comp, &err) : NULL;
  if (ci) {
    kumi_component_instance_free(ci);
    return result(R_FAIL, w, "component instantiated, expected %s \"%s\"", want == KUMI_ERR_LINK ? "link error" : "trap",
                  text);
  }
  wast_result r = R_PASS;
  if (!err) r = result(R_FAIL, w, "%s: no component", comp_no_instantiation);
  else if (comp_rt_unsupported(err)) r = result(R_SKIP, w, "component instantiation: %s", msg_of(err));
  else if (want == KUMI_ERR_TRAP) r = comp_expect_trap(err, text, w);
  else if (kumi_error_kind_of(err) != KUMI_ERR_LINK)
    r = result(R_FAIL, w, "failed with a %s error (%s), expected link error \"%s\"",
               error_kind_name(kumi_error_kind_of(err)), msg_of(err), text);
  if (err) kumi_error_free(err);
  return r;
}

static wast_result cmd_assert_trap(wast_script *s, const cJSON *cmd, bool exhaustion, wast_why *w) {
  wast_inst *cwi = comp_target(s, cmd);
  if (cwi && !exhaustion) return comp_action(s, cmd, cwi, 2, w);
  const char *text = jstr(cmd, "text");
  if (!text) text = "";
  wast_outcome o;
  wast_result r = run_action(s, cmd, &o, w);
  if (r != R_PASS) return r;
  if (!o.error) {
    char got[160] = "no results";
    if (o.nresults) cli_wast_format_val(got, sizeof got, &o.results[0]);
    r = result(R_FAIL, w, "returned (%s%s), expected %s \"%s\"", got, o.nresults > 1 ? ", ..." : "",
               exhaustion ? "exhaustion" : "trap", text);
  } else if (exhaustion) {
    if (kumi_error_kind_of(o.error) != KUMI_ERR_TRAP || kumi_error_trap_code(o.error) != KUMI_TRAP_STACK_EXHAUSTED)
      r = result(R_FAIL, w, "failed with %s error \"%s\", expected call stack exhaustion",
                 error_kind_name(kumi_error_kind_of(o.error)), msg_of(o.error));
  } else {
    r = expect_trap(o.error, text, w);
  }
  outcome_free(s, &o);
  return r;
}

/* assert_exception: the call must end with an exception no wasm frame
 * caught. */
static wast_result cmd_assert_exception(wast_script *s, const cJSON *cmd, wast_why *w) {
  if (comp_target(s, cmd)) return result(R_SKIP, w, "assert_exception on a component");
  wast_outcome o;
  wast_result r = run_action(s, cmd, &o, w);
  if (r != R_PASS) return r;
  if (!o.error) {
    char got[160] = "no results";
    if (o.nresults) cli_wast_format_val(got, sizeof got, &o.results[0]);
    r = result(R_FAIL, w, "returned (%s%s), expected an exception", got, o.nresults > 1 ? ", ..." : "");
  } else if (!kumi_error_is_exception(o.error)) {
    r = result(R_FAIL, w, "failed with %s error \"%s\", expected an exception", error_kind_name(kumi_error_kind_of(o.error)),
               msg_of(o.error));
  }
  outcome_free(s, &o);
  return r;
}

/* assert_invalid and assert_malformed: loading must fail with `want`. */
static wast_result cmd_assert_load_error(wast_script *s, const cJSON *cmd, kumi_error_kind want, wast_why *w) {
  const char *text = jstr(cmd, "text");
  if (!text) text = "";
  kumi_module *m = NULL;
  kumi_error *err = NULL;
  bool is_component = false;
  wast_result r = load_any(s, cmd, &m, &err, &is_component, w);
  if (r != R_PASS) return r;
  if (m) {
    kumi_module_free(m);
    return result(R_FAIL, w, "module loaded, expected %s: \"%s\"", error_kind_name(want), text);
  }
  if (is_component && !err)
    return result(R_FAIL, w, "component validated, expected %s: \"%s\"", error_kind_name(want), text);
  if (kumi_error_kind_of(err) != want)
    r = result(R_FAIL, w, "failed as %s (%s), expected %s: \"%s\"", error_kind_name(kumi_error_kind_of(err)), msg_of(err),
               error_kind_name(want), text);
  kumi_error_free(err);
  return r;
}

/* assert_unlinkable (want KUMI_ERR_LINK) and assert_uninstantiable (a trap):
 * the module loads, instantiation fails. */
static wast_result cmd_assert_instantiate_error(wast_script *s, const cJSON *cmd, kumi_error_kind want, wast_why *w) {
  const char *text = jstr(cmd, "text");
  if (!text) text = "";
  kumi_module *m = NULL;
  kumi_error *err = NULL;
  bool is_component = false;
  wast_result r = load_any(s, cmd, &m, &err, &is_component, w);
  if (r != R_PASS) return r;
  if (is_component && !err) return comp_instantiate_error(s, want, text, w);
  if (!m) {
    r = result(R_FAIL, w, "module failed to load: %s error: %s", error_kind_name(kumi_error_kind_of(err)), msg_of(err));
    kumi_error_free(err);
    return r;
  }
  kumi_instance *inst = kumi_linker_instantiate(s->linker, m, &err);
  kumi_module_free(m);
  if (inst) {
    if (err) kumi_error_free(err);
    return result(R_FAIL, w, "module instantiated, expected %s \"%s\"", want == KUMI_ERR_LINK ? "link error" : "trap",
                  text);
  }
  if (!err) return result(R_FAIL, w, "instantiation returned neither an instance nor an error");
  if (want == KUMI_ERR_TRAP) {
    r = expect_trap(err, text, w);
  } else if (kumi_error_kind_of(err) != KUMI_ERR_LINK) {
    r = result(R_FAIL, w, "failed with a %s error (%s), expected link error \"%s\"",
               error_kind_name(kumi_error_kind_of(err)), msg_of(err), text);
  }
  kumi_error_free(err);
  return r;
}

static wast_result run_command(wast_script *s, const cJSON *cmd, const char *type, uint32_t line, wast_why *w) {
  if (cJSON_GetObjectItemCaseSensitive(cmd, "error")) {
    /* The converter could not produce this command; a module it could not
     * produce makes its users skip too. */
    if (strcmp(type, "module") == 0) bind_inst(s, cmd, "name", new_inst(s, NULL, "not converted", line));
    return result(R_SKIP, w, "the converter could not produce this command");
  }
  if (strcmp(type, "module") == 0) return cmd_module(s, cmd, line, w);
  if (strcmp(type, "module_definition") == 0) return cmd_module_definition(s, cmd, line, w);
  if (strcmp(type, "module_instance") == 0) return cmd_module_instance(s, cmd, line, w);
  if (strcmp(type, "register") == 0) return cmd_register(s, cmd, w);
  if (strcmp(type, "action") == 0) return cmd_action(s, cmd, w);
  if (strcmp(type, "assert_return") == 0) return cmd_assert_return(s, cmd, w);
  if (strcmp(type, "assert_trap") == 0) return cmd_assert_trap(s, cmd, false, w);
  if (strcmp(type, "assert_exhaustion") == 0) return cmd_assert_trap(s, cmd, true, w);
  if (strcmp(type, "assert_invalid") == 0) return cmd_assert_load_error(s, cmd, KUMI_ERR_INVALID, w);
  if (strcmp(type, "assert_malformed") == 0) return cmd_assert_load_error(s, cmd, KUMI_ERR_MALFORMED, w);
  if (strcmp(type, "assert_unlinkable") == 0) return cmd_assert_instantiate_error(s, cmd, KUMI_ERR_LINK, w);
  if (strcmp(type, "assert_uninstantiable") == 0) return cmd_assert_instantiate_error(s, cmd, KUMI_ERR_TRAP, w);
  if (strcmp(type, "assert_exception") == 0) return cmd_assert_exception(s, cmd, w);
  return result(R_SKIP, w, "command type \"%s\" not supported", type);
}

/* ---- the manifest ---------------------------------------------------------------- */

static void report(wast_script *s, uint32_t line, const char *type, wast_result r, const wast_why *w) {
  FILE *out = s->opt->out;
  const char *listed = cli_wast_skip_find(s->opt->skip, s->path, s->stem, s->stem_len, line);
  switch (r) {
  case R_PASS:
    s->counts.passed++;
    if (listed) fprintf(out, "%s:%" PRIu32 ": note: %s passes but is in the skip list\n", s->path, line, type);
    else if (s->opt->verbose) fprintf(out, "%s:%" PRIu32 ": %s: ok\n", s->path, line, type);
    return;
  case R_SKIP:
    s->counts.skipped++;
    if (s->opt->verbose) fprintf(out, "%s:%" PRIu32 ": %s: skipped: %s\n", s->path, line, type, w->text);
    return;
  case R_FAIL:
    if (listed) {
      s->counts.skipped++;
      fprintf(out, "%s:%" PRIu32 ": %s: %s [known failure, skip list: %s]\n", s->path, line, type, w->text, listed);
    } else {
      s->counts.failed++;
      fprintf(out, "%s:%" PRIu32 ": %s: %s\n", s->path, line, type, w->text);
    }
    return;
  }
}

static void print_summary(FILE *out, const char *path, const wast_counts *c) {
  fprintf(out, "%s: %zu passed, %zu failed", path, c->passed, c->failed);
  if (c->skipped) fprintf(out, ", %zu skipped", c->skipped);
  fprintf(out, "\n");
}

/* The core proposals a manifest is run with, chosen by its group folder:
 * the `wasm-2.0` suite is WebAssembly 2.0 exactly (it requires the
 * multi-memory encodings to be malformed and arithmetic in constant
 * expressions to be invalid); every other suite gets kumi's defaults. */
static kumi_features core_features_for(const char *path) {
  if (strstr(path, "wasm-2.0/")) return KUMI_FEATURES_EXACT | KUMI_FEATURE_SIMD;
  /* the exceptions suite is 2.0 plus exception handling (its binary and
   * imports tests want single-memory encodings) */
  if (strstr(path, "exceptions/")) return KUMI_FEATURES_EXACT | KUMI_FEATURE_SIMD | KUMI_FEATURE_TAIL_CALL | KUMI_FEATURE_EXCEPTIONS;
  return KUMI_FEATURES_DEFAULT;
}

/* Runs the parsed manifest's commands. Returns false (with a message) when
 * the script cannot start at all. */
static bool run_commands(wast_script *s, const cJSON *root) {
  const cJSON *commands = cJSON_GetObjectItemCaseSensitive(root, "commands");
  if (!cJSON_IsArray(commands)) {
    fprintf(s->opt->out, "%s: error: no \"commands\" array\n", s->path);
    return false;
  }
  kumi_config config = {NULL, core_features_for(s->path)};
  s->engine = kumi_engine_new(&config);
  s->store = s->engine ? kumi_store_new(s->engine, NULL) : NULL;
  s->linker = s->store ? kumi_linker_new(s->store) : NULL;
  if (!s->linker) {
    fprintf(s->opt->out, "%s: error: cannot create an engine, store and linker\n", s->path);
    return false;
  }
  kumi_error *err = cli_wast_define_spectest(s->linker, s->store, s->opt);
  if (err) {
    fprintf(s->opt->out, "%s: error: cannot define the spectest module: %s\n", s->path, msg_of(err));
    kumi_error_free(err);
    return false;
  }
  const cJSON *cmd;
  cJSON_ArrayForEach(cmd, commands) {
    const char *type = jstr(cmd, "type");
    const cJSON *jl = cJSON_GetObjectItemCaseSensitive(cmd, "line");
    uint32_t line = cJSON_IsNumber(jl) && jl->valuedouble >= 0 && jl->valuedouble < 4294967296.0
                        ? (uint32_t)jl->valuedouble
                        : 0;
    wast_why w;
    w.text[0] = 0;
    if (!type) type = "(no type)";
    if (s->opt->verbose) {
      fprintf(s->opt->out, "%s:%" PRIu32 ": %s ...\n", s->path, line, type);
      fflush(s->opt->out);
    }
    wast_result r = strcmp(type, "(no type)") == 0 ? result(R_FAIL, &w, "command without a type")
                                                     : run_command(s, cmd, type, line, &w);
    report(s, line, type, r, &w);
  }
  return true;
}

/* Prepares the script state for path (a manifest or a .wast script). */
static void script_init(wast_script *s, const char *path, const wast_options *opt) {
  memset(s, 0, sizeof *s);
  s->opt = opt;
  s->a = kb_default_allocator();
  s->path = path;
  const char *slash = strrchr(path, '/');
  s->dir_len = slash ? (size_t)(slash - path) + 1 : 0;
  s->stem = path + s->dir_len;
  s->stem_len = strlen(s->stem);
  if (s->stem_len > 5 &&
      (strcmp(s->stem + s->stem_len - 5, ".json") == 0 || strcmp(s->stem + s->stem_len - 5, ".wast") == 0))
    s->stem_len -= 5;
  kb_arena_init(&s->arena, s->a);
  kb_map_init(&s->instances, s->a);
  kb_map_init(&s->defs, s->a);
  kb_map_init(&s->skipped_regs, s->a);
}

/* Frees the script state, prints the summary and adds to *total. */
static void script_finish(wast_script *s, bool ok, wast_counts *total) {
  if (!ok) s->counts.failed++;
  /* Instances die with the store; definitions are ours. */
  if (s->linker) kumi_linker_free(s->linker);
  for (size_t i = 0; i < s->modules.len; i++) kumi_module_free(s->modules.items[i]);
  kb_vec_free(s->a, &s->modules);
  for (size_t i = 0; i < s->cinsts.len; i++) kumi_component_instance_free(s->cinsts.items[i]);
  kb_vec_free(s->a, &s->cinsts);
  for (size_t i = 0; i < s->comps.len; i++) kumi_component_free(s->comps.items[i]);
  kb_vec_free(s->a, &s->comps);
  if (s->store) kumi_store_free(s->store);
  if (s->engine) kumi_engine_free(s->engine);
  kb_map_free(&s->instances);
  kb_map_free(&s->defs);
  kb_map_free(&s->skipped_regs);
  kb_arena_free(&s->arena);
  print_summary(s->opt->out, s->path, &s->counts);
  total->passed += s->counts.passed;
  total->failed += s->counts.failed;
  total->skipped += s->counts.skipped;
}

void cli_wast_run_manifest(const char *path, const wast_options *opt, wast_counts *total) {
  size_t plen = strlen(path);
  if (plen > 5 && strcmp(path + plen - 5, ".wast") == 0) {
    cli_wast_run_script(path, opt, total);
    return;
  }
  wast_script s;
  script_init(&s, path, opt);
  uint8_t *raw = NULL;
  size_t raw_len = 0;
  char *text = NULL;
  size_t text_len = 0;
  cJSON *root = NULL;
  bool ok = false;
  kumi_error *err = kb_read_file(s.a, path, &raw, &raw_len);
  if (err) {
    fprintf(opt->out, "%s: error: %s\n", path, msg_of(err));
    kumi_error_free(err);
  } else if (!(text = escape_nuls(s.a, raw, raw_len, &text_len))) {
    fprintf(opt->out, "%s: error: out of memory\n", path);
  } else if (!(root = cJSON_ParseWithLength(text, text_len))) {
    fprintf(opt->out, "%s: error: not valid JSON\n", path);
  } else {
    ok = run_commands(&s, root);
  }
  script_finish(&s, ok, total);
  cJSON_Delete(root);
  if (text) kb_free(kb_default_allocator(), text, raw_len + 1);
  if (raw) kb_free(kb_default_allocator(), raw, raw_len);
}

/* ---- .wast scripts: commands as manifest-shaped JSON in memory ------------- */

/* A NUL-terminated copy of b in the arena with NUL bytes as 0xFF (see
 * jname), or NULL. */
static char *jbytes(wast_script *s, text_wast_bytes b) {
  char *c = kb_arena_alloc(&s->arena, (size_t)b.len + 1);
  if (!c) return NULL;
  for (uint32_t i = 0; i < b.len; i++) c[i] = b.p[i] ? (char)b.p[i] : (char)0xFF;
  c[b.len] = 0;
  return c;
}

static bool jadd_bytes(wast_script *s, cJSON *obj, const char *key, text_wast_bytes b) {
  if (!b.p) return true;
  char *c = jbytes(s, b);
  return c && cJSON_AddStringToObject(obj, key, c);
}

static const char *lane_text(const text_wast_value *v, unsigned k, char *buf, size_t n) {
  if (v->nan[k]) return v->nan[k] == 1 ? "nan:canonical" : "nan:arithmetic";
  snprintf(buf, n, "%" PRIu64, v->lanes[k]);
  return buf;
}

static cJSON *jvalue(const text_wast_value *v) {
  if (v->cval) return cli_wast_cval_json(v->cval);
  cJSON *o = cJSON_CreateObject();
  if (!o || !cJSON_AddStringToObject(o, "type", v->type)) goto fail;
  char buf[32];
  if (strcmp(v->type, "either") == 0) {
    cJSON *vs = cJSON_AddArrayToObject(o, "values");
    if (!vs) goto fail;
    for (uint32_t k = 0; k < v->nalts; k++) {
      cJSON *e = jvalue(&v->alts[k]);
      if (!e || !cJSON_AddItemToArray(vs, e)) {
        cJSON_Delete(e);
        goto fail;
      }
    }
  } else if (v->lane_type) {
    if (!cJSON_AddStringToObject(o, "lane_type", v->lane_type)) goto fail;
    cJSON *lanes = cJSON_AddArrayToObject(o, "value");
    if (!lanes) goto fail;
    for (unsigned k = 0; k < v->nlanes; k++) {
      cJSON *l = cJSON_CreateString(lane_text(v, k, buf, sizeof buf));
      if (!l || !cJSON_AddItemToArray(lanes, l)) {
        cJSON_Delete(l);
        goto fail;
      }
    }
  } else if (v->is_null) {
    if (!cJSON_AddStringToObject(o, "value", "null")) goto fail;
  } else if (!v->no_value) {
    if (!cJSON_AddStringToObject(o, "value", lane_text(v, 0, buf, sizeof buf))) goto fail;
  }
  return o;
fail:
  cJSON_Delete(o);
  return NULL;
}

static bool jvalues(cJSON *obj, const char *key, const text_wast_value *vs, uint32_t n) {
  cJSON *arr = cJSON_AddArrayToObject(obj, key);
  if (!arr) return false;
  for (uint32_t k = 0; k < n; k++) {
    cJSON *v = jvalue(&vs[k]);
    if (!v || !cJSON_AddItemToArray(arr, v)) {
      cJSON_Delete(v);
      return false;
    }
  }
  return true;
}

/* Command k of the script in the shape of a wast2json command. Modules are
 * named by "kumi_command" instead of a file (see read_module). */
static cJSON *jcommand(wast_script *s, const text_wast_cmd *c, size_t k) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  bool ok = cJSON_AddStringToObject(o, "type", c->type) && cJSON_AddNumberToObject(o, "line", c->line);
  if (ok && c->has_module) ok = cJSON_AddNumberToObject(o, "kumi_command", (double)k) != NULL;
  if (ok && strcmp(c->type, "module_instance") == 0) {
    ok = jadd_bytes(s, o, "instance", c->name) && jadd_bytes(s, o, "module", c->as);
  } else if (ok) {
    ok = jadd_bytes(s, o, "name", c->name) && jadd_bytes(s, o, "as", c->as);
  }
  if (ok && c->has_action) {
    cJSON *a = cJSON_AddObjectToObject(o, "action");
    ok = a && cJSON_AddStringToObject(a, "type", c->action_type) && jadd_bytes(s, a, "module", c->action_module) &&
         jadd_bytes(s, a, "field", c->field) && jvalues(a, "args", c->args, c->nargs);
    if (ok && strcmp(c->type, "assert_return") == 0) ok = jvalues(o, "expected", c->expected, c->nexpected);
  }
  if (ok) ok = jadd_bytes(s, o, "text", c->text);
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

/* Prints a script error "path:LINE:COL: message" and the source line. */
static void print_script_error(FILE *out, const char *path, const char *src, size_t len, const kumi_error *e) {
  fprintf(out, "%s:%s\n", path, msg_of(e));
  if (kumi_error_kind_of(e) != KUMI_ERR_MALFORMED) return;
  size_t pos = (size_t)kumi_error_offset(e);
  if (pos > len) return;
  size_t b = pos, f = pos;
  while (b > 0 && src[b - 1] != '\n') b--;
  while (f < len && src[f] != '\n') f++;
  uint32_t line, col;
  text_line_col(src, len, pos, &line, &col);
  fprintf(out, "  %.*s\n  %*s^\n", (int)(f - b), src + b, (int)(col > 0 ? col - 1 : 0), "");
}

void cli_wast_run_script(const char *path, const wast_options *opt, wast_counts *total) {
  wast_script s;
  script_init(&s, path, opt);
  uint8_t *raw = NULL;
  size_t raw_len = 0;
  text_wast_script sc;
  bool parsed = false, ok = false;
  cJSON *root = NULL;
  kumi_error *err = kb_read_file(s.a, path, &raw, &raw_len);
  if (err) {
    fprintf(opt->out, "%s: error: %s\n", path, msg_of(err));
    kumi_error_free(err);
  } else if ((parsed = true, err = text_wast_parse(&sc, s.a, (const char *)raw, raw_len))) {
    print_script_error(opt->out, path, (const char *)raw, raw_len, err);
    kumi_error_free(err);
  } else {
    s.script = &sc;
    root = cJSON_CreateObject();
    cJSON *cmds = root ? cJSON_AddArrayToObject(root, "commands") : NULL;
    bool built = cmds != NULL;
    for (size_t k = 0; built && k < sc.ncmds; k++) {
      cJSON *c = jcommand(&s, &sc.cmds[k], k);
      built = c && cJSON_AddItemToArray(cmds, c);
      if (!built) cJSON_Delete(c);
    }
    if (!built) fprintf(opt->out, "%s: error: out of memory\n", path);
    else ok = run_commands(&s, root);
  }
  script_finish(&s, ok, total);
  cJSON_Delete(root);
  if (parsed) text_wast_free(&sc);
  if (raw) kb_free(kb_default_allocator(), raw, raw_len);
}
