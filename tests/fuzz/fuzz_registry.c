/*
 * Fuzz target: the registry CSV loader, on the input as the file. It is
 * loaded twice, from the same registry.c compiled in here: once with the
 * real 64 KiB chunks (the whole input in one chunk) and once with chunks of
 * 4 to 32 bytes, so that chunk boundaries fall inside rows, quoted fields,
 * CRLF pairs and UTF-8 characters. Both loads must say exactly the same
 * (errors and assets), one error per line, and a loaded registry must hold
 * its contract: ids unique and findable, coordinates both or neither.
 *
 * The file is a memfd opened through /proc/self/fd, so nothing touches the
 * disk.
 */
#include "fuzz.h"

#include <math.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t fuzz_chunk_bytes;
#define REGISTRY_CHUNK_BYTES fuzz_chunk_bytes
#include "../../collector/registry.c" /* NOLINT: the loader with a chunk size of our choice */

#include "category.h"
#include "utf8.h"

static struct registry *load(size_t chunk, const char *path, struct buf *errors, int *nerrors)
{
    fuzz_chunk_bytes = chunk;
    buf_reset(errors);
    *nerrors = -1;
    struct registry *reg = registry_load(path, category_known, errors, nerrors);
    FUZZ_CHECK((reg != NULL) == (*nerrors == 0), "a registry exactly when there are no errors");
    size_t lines = 0;
    for (size_t i = 0; i < errors->len; i++)
        lines += errors->data[i] == '\n';
    FUZZ_CHECK(lines == (size_t)*nerrors, "one line per error");
    FUZZ_CHECK(errors->len == 0 || errors->data[errors->len - 1] == '\n',
               "errors end in a newline");
    FUZZ_CHECK(utf8_valid(errors->data ? errors->data : "", errors->len), "errors are UTF-8");
    return reg;
}

static bool streq(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static void check_registry(const struct registry *reg)
{
    int prev_line = 0;
    for (size_t i = 0; i < registry_count(reg); i++) {
        const struct asset *a = registry_at(reg, i);
        FUZZ_CHECK(a && a->asset_id && a->asset_id[0], "asset_id not empty");
        FUZZ_CHECK(utf8_valid(a->asset_id, strlen(a->asset_id)) &&
                       utf8_valid(a->name, strlen(a->name)) &&
                       utf8_valid(a->district, strlen(a->district)) &&
                       utf8_valid(a->device_id, strlen(a->device_id)) &&
                       utf8_valid(a->model, strlen(a->model)),
                   "strings are UTF-8");
        FUZZ_CHECK(category_known(a->category), "category known");
        FUZZ_CHECK(registry_find_asset(reg, a->asset_id) == a, "asset_id finds its asset");
        if (a->device_id[0])
            FUZZ_CHECK(registry_find_device(reg, a->device_id, strlen(a->device_id)) == a,
                       "device_id finds its asset");
        FUZZ_CHECK(isnan(a->lat) == isnan(a->lon), "lat and lon both or neither");
        if (!isnan(a->lat))
            FUZZ_CHECK(fabs(a->lat) <= 90 && fabs(a->lon) <= 180, "coordinates in range");
        FUZZ_CHECK(a->status <= ASSET_RETIRED, "status known");
        FUZZ_CHECK((a->status == ASSET_UPGRADED) == (a->upgraded_on >= 0),
                   "upgraded_on iff upgraded");
        FUZZ_CHECK(a->report_interval_s >= 0 && a->report_interval_s <= 604800,
                   "interval in range");
        FUZZ_CHECK(a->line > prev_line, "rows in file order");
        prev_line = a->line;
    }
}

static void same_registry(const struct registry *x, const struct registry *y)
{
    FUZZ_CHECK((x == NULL) == (y == NULL), "chunking: both load or neither");
    FUZZ_CHECK(registry_count(x) == registry_count(y), "chunking: same count");
    for (size_t i = 0; i < registry_count(x); i++) {
        const struct asset *a = registry_at(x, i), *b = registry_at(y, i);
        FUZZ_CHECK(streq(a->asset_id, b->asset_id) && streq(a->name, b->name) &&
                       streq(a->category, b->category) && streq(a->district, b->district) &&
                       streq(a->device_id, b->device_id) && streq(a->model, b->model) &&
                       a->status == b->status && a->upgraded_on == b->upgraded_on &&
                       a->report_interval_s == b->report_interval_s && a->line == b->line &&
                       memcmp(&a->lat, &b->lat, sizeof a->lat) == 0 &&
                       memcmp(&a->lon, &b->lon, sizeof a->lon) == 0,
                   "chunking: same asset");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    static struct buf e1, e2;
    if (fd < 0) {
        fd = memfd_create("registry.csv", MFD_CLOEXEC);
        FUZZ_CHECK(fd >= 0, "memfd_create");
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        buf_init(&e1, 1u << 24);
        buf_init(&e2, 1u << 24);
    }
    FUZZ_CHECK(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0, "truncate");
    for (size_t off = 0; off < size;) {
        ssize_t n = write(fd, data + off, size - off);
        FUZZ_CHECK(n > 0, "write");
        off += (size_t)n;
    }
    int n1, n2;
    struct registry *big = load((size_t)64 * 1024, path, &e1, &n1);
    if (big)
        check_registry(big);
    struct registry *small = load(4 + size % 29, path, &e2, &n2);
    FUZZ_CHECK(n1 == n2, "chunking: same number of errors");
    FUZZ_CHECK(e1.len == e2.len && (e1.len == 0 || memcmp(e1.data, e2.data, e1.len) == 0),
               "chunking: same errors");
    same_registry(big, small);
    registry_free(big);
    registry_free(small);
    return 0;
}
