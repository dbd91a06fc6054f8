/* replay_main.c - runs a fuzz target over files, without libFuzzer.
 *
 * Built with every compiler (the gcc CI build included), so that the seed
 * corpus and every regression input go through the same entry point as the
 * fuzzer on each test run: `replay_X DIR_OR_FILE...`.  Each file is one
 * input; a directory stands for the files in it, in name order.  A broken
 * rule aborts inside the target, which ctest reports as a failure.  Exits 0
 * after at least one input, 1 if it found none, 2 on a file it cannot read.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int
run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;

    if (f == NULL) {
        perror(path);
        return -1;
    }
    do {
        if (len == cap) {
            uint8_t *nb = realloc(buf, cap = cap ? 2 * cap : 4096);

            if (nb == NULL) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 0;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

int
main(int argc, char **argv)
{
    unsigned long inputs = 0;

    if (LLVMFuzzerInitialize != NULL)
        LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        struct dirent **names;
        int n;

        if (stat(argv[i], &sb) < 0) {
            perror(argv[i]);
            return 2;
        }
        if (!S_ISDIR(sb.st_mode)) {
            if (run_file(argv[i]) < 0)
                return 2;
            inputs++;
            continue;
        }
        if ((n = scandir(argv[i], &names, NULL, by_name)) < 0) {
            perror(argv[i]);
            return 2;
        }
        for (int k = 0; k < n; k++) {
            char path[4096];

            snprintf(path, sizeof path, "%s/%s", argv[i], names[k]->d_name);
            if (names[k]->d_name[0] != '.' && stat(path, &sb) == 0 &&
                S_ISREG(sb.st_mode)) {
                if (run_file(path) < 0)
                    return 2;
                inputs++;
            }
            free(names[k]);
        }
        free(names);
    }
    printf("replay: %lu inputs, no rule broken\n", inputs);
    return inputs > 0 ? 0 : 1;
}
