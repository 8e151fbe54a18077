// Recently freed tensor buffers, kept per thread by power-of-two size class for reuse. A training
// step frees and allocates dozens of same-sized small tensors; glibc serves blocks above 1 KiB
// from its general bins (with consolidation on free), which cost as much as the arithmetic on a
// 32 x 32 tensor. Buffers of 4 MiB and more are aligned to 2 MiB and offered transparent huge
// pages, as NumPy does (reading 1e6 doubles through 4 KiB pages misses the TLB on every page:
// sum and max took 20% longer); a few of them are kept by exact size, because a fresh huge page
// costs its zeroing (x + y, whose result is a fresh buffer each time, took 4x longer without).
// A thread's blocks are released when the thread ends.
#include "kernels.h"
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

enum { POOL_CLASSES = 17, POOL_DEPTH = 8 };  // classes up to 2^16 doubles (512 KiB)
enum { HUGE_PAGE = 2 << 20, LARGE_SLOTS = 4, LARGE_CACHE_BYTES = 64 << 20 };

struct pool {
    int count[POOL_CLASSES];
    double *blocks[POOL_CLASSES][POOL_DEPTH];
    double *large[LARGE_SLOTS];
    size_t large_bytes[LARGE_SLOTS];  // 0: slot empty
    int next_evicted;                 // when every slot is full, the slots are replaced in turn
};

static pthread_key_t pool_key;
static pthread_once_t pool_key_once = PTHREAD_ONCE_INIT;
static _Thread_local struct pool *thread_pool;

static void release_pool(void *opaque) {
    struct pool *pool = opaque;
    for (int k = 0; k < POOL_CLASSES; k++) {
        for (int i = 0; i < pool->count[k]; i++) free(pool->blocks[k][i]);
    }
    for (int i = 0; i < LARGE_SLOTS; i++) {
        if (pool->large_bytes[i]) free(pool->large[i]);
    }
    free(pool);
    thread_pool = NULL;
}

static void make_pool_key(void) { pthread_key_create(&pool_key, release_pool); }

static struct pool *current_pool(void) {
    if (thread_pool) return thread_pool;
    pthread_once(&pool_key_once, make_pool_key);
    thread_pool = calloc(1, sizeof *thread_pool);
    if (thread_pool) pthread_setspecific(pool_key, thread_pool);
    return thread_pool;
}

static int size_class(size_t count) { return count <= 1 ? 0 : 64 - __builtin_clzl(count - 1); }

static double *allocate_large(size_t bytes) {
    if (bytes < 2 * HUGE_PAGE) return malloc(bytes);
    struct pool *pool = current_pool();
    for (int i = 0; pool && i < LARGE_SLOTS; i++) {
        if (pool->large_bytes[i] == bytes) {
            pool->large_bytes[i] = 0;
            return pool->large[i];
        }
    }
    void *block = NULL;
    if (posix_memalign(&block, HUGE_PAGE, bytes) != 0) return NULL;
    madvise(block, bytes, MADV_HUGEPAGE);
    return block;
}

static void free_large(double *buffer, size_t bytes) {
    struct pool *pool = bytes >= 2 * HUGE_PAGE && bytes <= LARGE_CACHE_BYTES / LARGE_SLOTS ? current_pool() : NULL;
    if (!pool) {
        free(buffer);
        return;
    }
    int slot = pool->next_evicted;
    for (int i = 0; i < LARGE_SLOTS; i++) {
        if (pool->large_bytes[i] == 0) slot = i;
    }
    if (slot == pool->next_evicted) {
        if (pool->large_bytes[slot]) free(pool->large[slot]);
        pool->next_evicted = (slot + 1) % LARGE_SLOTS;
    }
    pool->large[slot] = buffer;
    pool->large_bytes[slot] = bytes;
}

double *descent_buffer_allocate(size_t count) {
    int k = size_class(count);
    if (k >= POOL_CLASSES) return allocate_large(count * sizeof(double));
    struct pool *pool = current_pool();
    if (pool && pool->count[k] > 0) return pool->blocks[k][--pool->count[k]];
    return malloc(sizeof(double) << k);
}

void descent_buffer_free(double *buffer, size_t count) {
    int k = size_class(count);
    if (k >= POOL_CLASSES) {
        free_large(buffer, count * sizeof(double));
        return;
    }
    struct pool *pool = current_pool();
    if (pool && pool->count[k] < POOL_DEPTH) {
        pool->blocks[k][pool->count[k]++] = buffer;
        return;
    }
    free(buffer);
}
