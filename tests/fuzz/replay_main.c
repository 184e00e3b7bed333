/*
 * replay_main: runs a fuzz target without libFuzzer, once per input file,
 * so that every build (gcc, sanitizers) exercises the targets on their seed
 * corpus as a unit test. Arguments are files or directories (every regular
 * file in them, not recursively, in name order so runs repeat). Exits 1
 * when an input cannot be read or none was given; a broken invariant
 * aborts inside the target.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Runs one file; 0 or -1 when it cannot be read. The input is a heap copy of
 * exactly its size, so that ASan sees a read past its end, as under libFuzzer. */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    int rc = -1;
    size_t cap = 4096, len = 0;
    uint8_t *data = malloc(cap);
    while (data) {
        len += fread(data + len, 1, cap - len, f);
        if (len < cap)
            break;
        uint8_t *more = realloc(data, cap *= 2);
        if (!more) {
            free(data);
            data = NULL;
        } else {
            data = more;
        }
    }
    if (data && !ferror(f)) {
        uint8_t *exact = malloc(len ? len : 1);
        if (exact) {
            memcpy(exact, data, len);
            LLVMFuzzerTestOneInput(exact, len);
            free(exact);
            rc = 0;
        }
    }
    if (rc)
        fprintf(stderr, "replay: cannot read %s\n", path);
    free(data);
    fclose(f);
    return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
    size_t runs = 0;
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            bad = 1;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            bad |= replay_file(argv[i]) != 0;
            runs++;
            continue;
        }
        struct dirent **names;
        int n = scandir(argv[i], &names, NULL, by_name);
        if (n < 0) {
            perror(argv[i]);
            bad = 1;
            continue;
        }
        for (int k = 0; k < n; k++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], names[k]->d_name);
            if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                bad |= replay_file(path) != 0;
                runs++;
            }
            free(names[k]);
        }
        free(names);
    }
    printf("replay: %zu inputs\n", runs);
    if (runs == 0) {
        fprintf(stderr, "replay: no inputs; usage: %s FILE|DIR...\n", argv[0]);
        return 1;
    }
    return bad;
}
