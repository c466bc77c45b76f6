/* Small facts about core types, and freeing a decoded module. */
#include "module.h"

bool core_is_reftype(core_valtype t) { return t == CORE_FUNCREF || t == CORE_EXTERNREF || t == CORE_EXNREF; }

bool core_is_valtype(core_valtype t) {
  switch (t) {
  case CORE_I32:
  case CORE_I64:
  case CORE_F32:
  case CORE_F64:
  case CORE_V128:
  case CORE_FUNCREF:
  case CORE_EXTERNREF:
  case CORE_EXNREF:
    return true;
  default:
    return false;
  }
}

const char *core_valtype_name(core_valtype t) {
  switch (t) {
  case CORE_I32: return "i32";
  case CORE_I64: return "i64";
  case CORE_F32: return "f32";
  case CORE_F64: return "f64";
  case CORE_V128: return "v128";
  case CORE_FUNCREF: return "funcref";
  case CORE_EXTERNREF: return "externref";
  case CORE_EXNREF: return "exnref";
  default: return "<unknown type>";
  }
}

bool core_functype_equal(const core_functype *a, const core_functype *b) {
  if (a == b) return true;
  if (a->nparams != b->nparams || a->nresults != b->nresults) return false;
  size_t n = (size_t)a->nparams + a->nresults;
  return n == 0 || memcmp(a->types, b->types, n) == 0;
}

/* Everything a module points to lives in its arena (decode.c allocates
 * there, and so do the validator's declared_refs and compile.c's code),
 * except the copy of the bytes and the module struct itself. */
void core_module_free(core_module *m) {
  if (!m) return;
  const kumi_allocator *a = m->alloc;
  kb_arena_free(&m->arena);
  if (m->bytes) kb_free(a, m->bytes, m->len ? m->len : 1);
  kb_free(a, m, sizeof *m);
}
