// Recently freed tensor buffers, kept per thread by power-of-two size class for reuse. A training
// step frees and allocates dozens of same-sized small tensors; glibc serves blocks above 1 KiB
// from its general bins (with consolidation on free), which cost as much as the arithmetic on a
// 32 x 32 tensor. A thread's blocks are released when the thread ends.
#include "kernels.h"
#include <pthread.h>
#include <stdlib.h>

enum { POOL_CLASSES = 17, POOL_DEPTH = 8 };  // classes up to 2^16 doubles (512 KiB)

struct pool {
    int count[POOL_CLASSES];
    double *blocks[POOL_CLASSES][POOL_DEPTH];
};

static pthread_key_t pool_key;
static pthread_once_t pool_key_once = PTHREAD_ONCE_INIT;
static _Thread_local struct pool *thread_pool;

static void release_pool(void *opaque) {
    struct pool *pool = opaque;
    for (int k = 0; k < POOL_CLASSES; k++) {
        for (int i = 0; i < pool->count[k]; i++) free(pool->blocks[k][i]);
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

double *descent_buffer_allocate(size_t count) {
    int k = size_class(count);
    if (k >= POOL_CLASSES) return malloc(count * sizeof(double));
    struct pool *pool = current_pool();
    if (pool && pool->count[k] > 0) return pool->blocks[k][--pool->count[k]];
    return malloc(sizeof(double) << k);
}

void descent_buffer_free(double *buffer, size_t count) {
    int k = size_class(count);
    struct pool *pool = k < POOL_CLASSES ? current_pool() : NULL;
    if (pool && pool->count[k] < POOL_DEPTH) {
        pool->blocks[k][pool->count[k]++] = buffer;
        return;
    }
    free(buffer);
}
