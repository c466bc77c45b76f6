/* float: n-body gravity simulation in f64 (add, mul, div, sqrt) for n steps.
   The checksum folds in the exact bits of the final state, so it also
   checks IEEE rounding. bench-n: 250000 */
#include "common.h"

#define NB 6

typedef struct { double x, y, z, vx, vy, vz, m; } body;

static body bodies[NB];

static void init(void) {
    u32 s = 12345u;
    int i;
    for (i = 0; i < NB; i++) {
        double *f = &bodies[i].x;
        int k;
        for (k = 0; k < 7; k++) {
            s = s * 1103515245u + 12345u;
            f[k] = (double)(s >> 8) / 16777216.0 - 0.5; /* in [-0.5, 0.5) */
        }
        bodies[i].x *= 10.0; bodies[i].y *= 10.0; bodies[i].z *= 10.0;
        bodies[i].m = 1.0 + bodies[i].m; /* mass in [0.5, 1.5) */
    }
}

static double energy(void) {
    double e = 0.0;
    int i, j;
    for (i = 0; i < NB; i++) {
        body *a = &bodies[i];
        e += 0.5 * a->m * (a->vx * a->vx + a->vy * a->vy + a->vz * a->vz);
        for (j = i + 1; j < NB; j++) {
            body *b = &bodies[j];
            double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            e -= a->m * b->m / __builtin_sqrt(dx * dx + dy * dy + dz * dz + 0.01);
        }
    }
    return e;
}

static void step(double dt) {
    int i, j;
    for (i = 0; i < NB; i++) {
        body *a = &bodies[i];
        for (j = i + 1; j < NB; j++) {
            body *b = &bodies[j];
            double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            double d2 = dx * dx + dy * dy + dz * dz + 0.01; /* softened */
            double mag = dt / (d2 * __builtin_sqrt(d2));
            a->vx -= dx * b->m * mag; a->vy -= dy * b->m * mag; a->vz -= dz * b->m * mag;
            b->vx += dx * a->m * mag; b->vy += dy * a->m * mag; b->vz += dz * a->m * mag;
        }
    }
    for (i = 0; i < NB; i++) {
        bodies[i].x += dt * bodies[i].vx;
        bodies[i].y += dt * bodies[i].vy;
        bodies[i].z += dt * bodies[i].vz;
    }
}

BENCH_EXPORT int run(int n) {
    u32 h = 0;
    int i;
    init();
    h = mix_double(h, energy());
    for (i = 0; i < n; i++) step(0.001);
    h = mix_double(h, energy());
    for (i = 0; i < NB; i++) h = mix_double(h, bodies[i].x);
    return (int)h;
}
