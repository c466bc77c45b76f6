/* Bounded execution for fuzzing: see fuzz_exec.h. This file reaches into
 * the decoded module (src/core/module.h) because the public API does not
 * expose import types or function bodies. */
#include "fuzz_exec.h"

#include <stdlib.h>
#include <string.h>

#include "core/instr.h"
#include "core/runtime.h"

/* Analysis limits: beyond these the module is treated as unbounded. */
#define MAX_NODES 20000u
#define MAX_EDGES (1u << 21)

/* Execution limits. Costs are in instructions. */
#define CALL_BUDGET (1u << 18)
#define TOTAL_BUDGET (1u << 20)

static uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

typedef struct graph {
  uint32_t nnodes;  /* functions, then one node per type index (call_indirect) */
  uint64_t *base;   /* own cost of each node */
  uint32_t *first;  /* edges of node i: to[first[i] .. first[i+1]) */
  uint32_t *to;
  uint32_t nedges, cap;
} graph;

static bool add_edge(graph *g, uint32_t to) {
  if (g->nedges == g->cap) {
    if (g->cap >= MAX_EDGES) return false;
    uint32_t ncap = g->cap ? g->cap * 2 : 256;
    uint32_t *n = realloc(g->to, ncap * sizeof *n);
    if (!n) return false;
    g->to = n;
    g->cap = ncap;
  }
  g->to[g->nedges++] = to;
  return true;
}

/* Reads the body of defined function f: counts its instructions and adds
 * its call edges. A `loop` or an unreadable body makes it unbounded. */
static bool scan_body(graph *g, const core_module *c, uint32_t f, bool *indirect_used) {
  const core_func *fn = &c->funcs[f];
  size_t pos = fn->body_start;
  uint64_t count = 0;
  while (pos < fn->body_end) {
    core_instr in;
    kumi_error *e = core_read_instr(kb_default_allocator(), c->bytes, &pos, fn->body_end, &in);
    if (e) {
      kumi_error_free(e);
      g->base[f] = FUZZ_COST_UNBOUNDED;
      return true;
    }
    count++;
    if (in.op == CORE_OP_LOOP) {
      g->base[f] = FUZZ_COST_UNBOUNDED;
    } else if (in.op == CORE_OP_CALL || in.op == CORE_OP_RETURN_CALL) {
      if (in.imm.index < c->nfuncs && !add_edge(g, in.imm.index)) return false;
    } else if (in.op == CORE_OP_CALL_INDIRECT || in.op == CORE_OP_RETURN_CALL_INDIRECT) {
      if (in.imm.call_indirect.type < c->ntypes) {
        indirect_used[in.imm.call_indirect.type] = true;
        if (!add_edge(g, c->nfuncs + in.imm.call_indirect.type)) return false;
      }
    }
  }
  if (g->base[f] != FUZZ_COST_UNBOUNDED) g->base[f] = count;
  return true;
}

static bool build(graph *g, const core_module *c) {
  g->nnodes = c->nfuncs + c->ntypes;
  g->base = calloc(g->nnodes + 1, sizeof *g->base);
  g->first = calloc(g->nnodes + 1, sizeof *g->first);
  bool *indirect_used = calloc(c->ntypes + 1, sizeof *indirect_used);
  bool ok = g->base && g->first && indirect_used;
  for (uint32_t f = 0; ok && f < c->nfuncs; f++) {
    g->first[f] = g->nedges;
    if (f < c->nimported_funcs) {
      g->base[f] = 1; /* a host stub */
      continue;
    }
    ok = scan_body(g, c, f, indirect_used);
  }
  for (uint32_t t = 0; ok && t < c->ntypes; t++) {
    g->first[c->nfuncs + t] = g->nedges;
    if (!indirect_used[t] || !c->declared_refs) continue;
    for (uint32_t f = 0; ok && f < c->nfuncs; f++)
      if (c->declared_refs[f] && core_functype_equal(&c->types[c->funcs[f].type], &c->types[t]))
        ok = add_edge(g, f);
  }
  if (ok) g->first[g->nnodes] = g->nedges;
  free(indirect_used);
  return ok;
}

/* Depth-first, with an explicit stack (a long call chain must not
 * overflow the C stack). A function's cost is its own count plus the sum
 * over its call sites; a call_indirect node's cost is the maximum over its
 * possible targets. Reaching a node still on the stack means a cycle. */
static uint64_t *solve(const graph *g, uint32_t nfuncs) {
  uint64_t *cost = calloc(g->nnodes + 1, sizeof *cost);
  uint8_t *state = calloc(g->nnodes + 1, 1); /* 0 new, 1 on stack, 2 done */
  uint32_t *stack = malloc((g->nnodes + 1) * sizeof *stack);
  uint32_t *next = malloc((g->nnodes + 1) * sizeof *next); /* next edge to follow */
  if (!cost || !state || !stack || !next) {
    free(cost);
    cost = NULL;
    goto done;
  }
  for (uint32_t root = 0; root < g->nnodes; root++) {
    if (state[root]) continue;
    uint32_t sp = 0;
    stack[sp++] = root;
    state[root] = 1;
    next[root] = g->first[root];
    cost[root] = root < nfuncs ? g->base[root] : 0;
    while (sp) {
      uint32_t n = stack[sp - 1];
      if (next[n] < g->first[n + 1] && cost[n] != FUZZ_COST_UNBOUNDED) {
        uint32_t m = g->to[next[n]++];
        if (state[m] == 0) {
          state[m] = 1;
          next[m] = g->first[m];
          cost[m] = m < nfuncs ? g->base[m] : 0;
          stack[sp++] = m;
        } else if (state[m] == 1) {
          cost[n] = FUZZ_COST_UNBOUNDED;
        } else if (n < nfuncs) {
          cost[n] = sat_add(cost[n], cost[m]);
        } else if (cost[m] > cost[n]) {
          cost[n] = cost[m];
        }
        continue;
      }
      state[n] = 2;
      sp--;
      if (sp) {
        uint32_t p = stack[sp - 1];
        if (p < nfuncs) cost[p] = sat_add(cost[p], cost[n]);
        else if (cost[n] > cost[p]) cost[p] = cost[n];
      }
    }
  }
done:
  free(state);
  free(stack);
  free(next);
  return cost;
}

uint64_t *fuzz_costs(const kumi_module *m) {
  const core_module *c = m->core;
  if ((uint64_t)c->nfuncs + c->ntypes > MAX_NODES) return NULL;
  graph g;
  memset(&g, 0, sizeof g);
  uint64_t *cost = build(&g, c) ? solve(&g, c->nfuncs) : NULL;
  free(g.base);
  free(g.first);
  free(g.to);
  return cost;
}

/* ---- instantiation with stubs ---------------------------------------------------- */

static kumi_val zero_val(kumi_valkind k) {
  kumi_val v;
  memset(&v, 0, sizeof v);
  v.kind = k;
  return v;
}

/* env is the import's kumi_functype, in the module's arena. */
static kumi_error *stub(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results) {
  (void)caller;
  (void)args;
  const kumi_functype *ft = env;
  for (uint32_t i = 0; i < ft->nresults; i++) results[i] = zero_val(ft->results[i]);
  return NULL;
}

static void drop(kumi_error *e) {
  if (e) kumi_error_free(e);
}

/* Defines import i; failures (a limit, a name with NUL) just leave it
 * undefined, which instantiation then reports. */
static void define_import(kumi_linker *l, kumi_store *s, kumi_module *m, const core_import *im) {
  kumi_error *e = NULL;
  kumi_extern x;
  memset(&x, 0, sizeof x);
  x.kind = (kumi_externkind)im->kind;
  switch (im->kind) {
  case CORE_EXTERN_FUNC: {
    kumi_functype *ft = &m->api_types[im->desc.func_type];
    drop(kumi_linker_define_func(l, im->module, im->name, ft, stub, ft));
    return;
  }
  case CORE_EXTERN_TABLE: {
    const core_limits *lim = &im->desc.table.limits;
    if (lim->min > UINT32_MAX || lim->max > UINT32_MAX) return;
    x.of.table = kumi_table_new(s, core_valkind(im->desc.table.elem), (uint32_t)lim->min, (uint32_t)lim->max,
                                lim->has_max, zero_val(core_valkind(im->desc.table.elem)), &e);
    break;
  }
  case CORE_EXTERN_MEMORY: {
    const core_limits *lim = &im->desc.memory.limits;
    if (lim->min > UINT32_MAX || lim->max > UINT32_MAX) return;
    x.of.memory = kumi_memory_new(s, (uint32_t)lim->min, (uint32_t)lim->max, lim->has_max, &e);
    break;
  }
  case CORE_EXTERN_GLOBAL:
    x.of.global = kumi_global_new(s, zero_val(core_valkind(im->desc.global.type)), im->desc.global.mut, &e);
    break;
  default: return;
  }
  if (e) {
    drop(e);
    return;
  }
  drop(kumi_linker_define(l, im->module, im->name, x));
}

static void call_exports(kumi_store *s, kumi_instance *inst, kumi_module *m, const uint64_t *cost) {
  const core_module *c = m->core;
  uint64_t budget = TOTAL_BUDGET;
  for (uint32_t i = 0; i < c->nexports; i++) {
    const core_export *ex = &c->exports[i];
    kumi_extern x;
    if (!kumi_instance_export_n(inst, ex->name, ex->name_len, &x)) continue;
    if (x.kind == KUMI_EXTERN_GLOBAL) {
      (void)kumi_global_get(x.of.global);
      continue;
    }
    if (x.kind != KUMI_EXTERN_FUNC || ex->kind != CORE_EXTERN_FUNC) continue;
    uint64_t k = cost[ex->index];
    if (k > CALL_BUDGET || k > budget) continue;
    budget -= k;
    const kumi_functype *ft = kumi_func_type(x.of.func);
    kumi_val *args = calloc(ft->nparams + 1, sizeof *args);
    kumi_val *results = calloc(ft->nresults + 1, sizeof *results);
    if (args && results) {
      for (uint32_t j = 0; j < ft->nparams; j++) args[j] = zero_val(ft->params[j]);
      drop(kumi_func_call(s, x.of.func, args, ft->nparams, results, ft->nresults));
    }
    free(args);
    free(results);
  }
}

void fuzz_instantiate(kumi_engine *engine, kumi_module *m, bool execute) {
  const core_module *c = m->core;
  uint64_t *cost = (execute || c->has_start) ? fuzz_costs(m) : NULL;
  if (c->has_start && (!cost || cost[c->start] > CALL_BUDGET)) goto done;
  /* Small limits: a fuzzed module asks for 4 GiB as easily as for 1 page. */
  kumi_limits limits;
  memset(&limits, 0, sizeof limits);
  limits.max_memory_pages = 64;
  limits.max_table_elems = 1u << 16;
  limits.max_call_depth = 1000;
  limits.max_stack_slots = 1u << 16;
  kumi_store *s = kumi_store_new(engine, &limits);
  if (!s) goto done;
  kumi_linker *l = kumi_linker_new(s);
  if (l) {
    for (uint32_t i = 0; i < c->nimports; i++) define_import(l, s, m, &c->imports[i]);
    kumi_error *e = NULL;
    kumi_instance *inst = kumi_linker_instantiate(l, m, &e);
    drop(e);
    if (inst && execute && cost) call_exports(s, inst, m, cost);
    kumi_linker_free(l);
  }
  kumi_store_free(s);
done:
  free(cost);
}
