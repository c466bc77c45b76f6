/* Native driver: links with one benchmark program, runs run(N), prints the
   checksum as an unsigned 32-bit number (the harness normalises all engines). */
#include <stdio.h>
#include <stdlib.h>

int run(int n);

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s N\n", argv[0]);
        return 2;
    }
    printf("%u\n", (unsigned)run(atoi(argv[1])));
    return 0;
}
