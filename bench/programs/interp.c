/* interp: a small stack-machine bytecode interpreter (switch dispatch) running
   a loop of n iterations with arithmetic and data-dependent branches;
   measures br_table, unpredictable branches and local/memory traffic.
   bench-n: 500000 */
#include "common.h"

enum { PUSH, LOAD, STORE, ADD, SUB, MUL, XOR, AND, SHR, LT, JZ, JMP, HALT };

/* registers: r0 = i, r1 = acc, r2 = limit, r3 = scratch */
static const int program[] = {
    /*  0 */ PUSH, 0, STORE, 0,
    /*  4 */ PUSH, 1, STORE, 1,
    /*  8 */ LOAD, 0, LOAD, 2, LT, JZ, 60,            /* while (i < limit) */
    /* 15 */ LOAD, 1, PUSH, 31, MUL,                  /* acc * 31 */
    /* 20 */ LOAD, 0, LOAD, 0, PUSH, 3, SHR, XOR,     /* i ^ (i >> 3) */
    /* 28 */ ADD, STORE, 1,                           /* acc = ... */
    /* 31 */ LOAD, 1, PUSH, 4, SHR, PUSH, 1, AND,
    /* 39 */ JZ, 48,                                  /* if ((acc >> 4) & 1) */
    /* 41 */ LOAD, 1, LOAD, 0, XOR, STORE, 1,         /*   acc ^= i */
    /* 48 */ LOAD, 0, PUSH, 1, ADD, STORE, 0,         /* i = i + 1 */
    /* 55 */ JMP, 8,
    /* 57 */ HALT, HALT, HALT,
    /* 60 */ LOAD, 1, HALT,
};

static int execute(const int *code, int limit) {
    int stack[64];
    int reg[4] = {0, 0, limit, 0};
    int sp = 0, pc = 0;
    for (;;) {
        int op = code[pc++];
        switch (op) {
        case PUSH: stack[sp++] = code[pc++]; break;
        case LOAD: stack[sp++] = reg[code[pc++]]; break;
        case STORE: reg[code[pc++]] = stack[--sp]; break;
        case ADD: sp--; stack[sp - 1] = (int)((u32)stack[sp - 1] + (u32)stack[sp]); break;
        case SUB: sp--; stack[sp - 1] = (int)((u32)stack[sp - 1] - (u32)stack[sp]); break;
        case MUL: sp--; stack[sp - 1] = (int)((u32)stack[sp - 1] * (u32)stack[sp]); break;
        case XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case SHR: sp--; stack[sp - 1] = (int)((u32)stack[sp - 1] >> (stack[sp] & 31)); break;
        case LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case JZ: { int t = code[pc++]; if (stack[--sp] == 0) pc = t; } break;
        case JMP: pc = code[pc]; break;
        case HALT: return sp > 0 ? stack[sp - 1] : 0;
        default: return -1;
        }
    }
}

BENCH_EXPORT int run(int n) { return execute(program, n); }
