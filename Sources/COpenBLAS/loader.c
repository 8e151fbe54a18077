#include "COpenBLAS.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

typedef void (*dgemm_fn)(int, int, int, int, int, int, double, const double *, int, const double *, int,
                         double, double *, int);
typedef void (*dgetrf_fn)(const int *, const int *, double *, const int *, int *, int *);
typedef void (*dgetri_fn)(const int *, double *, const int *, const int *, double *, const int *, int *);
typedef void (*dgesv_fn)(const int *, const int *, double *, const int *, int *, double *, const int *, int *);
typedef void (*dsyevd_fn)(const char *, const char *, const int *, double *, const int *, double *, double *,
                          const int *, int *, const int *, int *, size_t, size_t);
typedef void (*set_threads_fn)(int);
typedef int (*shutdown_fn)(void);

static struct {
    dgemm_fn dgemm;
    dgetrf_fn dgetrf;
    dgetri_fn dgetri;
    dgesv_fn dgesv;
    dsyevd_fn dsyevd;
    set_threads_fn set_threads;
    shutdown_fn shutdown;
} blas;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int loaded;
static int requested_threads;  // 0: OpenBLAS's own choice
static int stop_idle_threads;

static void *symbol(void *library, const char *name) {
    void *address = dlsym(library, name);
    if (!address) {
        fprintf(stderr, "descent: OpenBLAS has no symbol %s: %s\n", name, dlerror());
        exit(70);
    }
    return address;
}

// A missing OpenBLAS is a broken installation, not something a program can recover from: say
// what to install and stop, as the dynamic loader would have done had it been linked.
static void load(void) {
    void *library = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!library) library = dlopen("libopenblas.so", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        fprintf(stderr, "descent: cannot load OpenBLAS (%s); install it with `apt-get install libopenblas0` "
                        "(`make deps` does)\n", dlerror());
        exit(70);
    }
    blas.dgemm = (dgemm_fn)symbol(library, "cblas_dgemm");
    blas.dgetrf = (dgetrf_fn)symbol(library, "dgetrf_");
    blas.dgetri = (dgetri_fn)symbol(library, "dgetri_");
    blas.dgesv = (dgesv_fn)symbol(library, "dgesv_");
    blas.dsyevd = (dsyevd_fn)symbol(library, "dsyevd_");
    blas.set_threads = (set_threads_fn)symbol(library, "openblas_set_num_threads");
    blas.shutdown = (shutdown_fn)symbol(library, "blas_thread_shutdown_");
    if (requested_threads > 0) blas.set_threads(requested_threads);
    if (stop_idle_threads) blas.shutdown();
    __atomic_store_n(&loaded, 1, __ATOMIC_RELEASE);
}

static inline void ensure_loaded(void) {
    if (!__atomic_load_n(&loaded, __ATOMIC_ACQUIRE)) pthread_once(&load_once, load);
}

void descent_dgemm(int order, int transA, int transB, int m, int n, int k, double alpha,
                   const double *a, int lda, const double *b, int ldb, double beta, double *c, int ldc) {
    ensure_loaded();
    blas.dgemm(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void descent_dgetrf(const int *m, const int *n, double *a, const int *lda, int *pivots, int *info) {
    ensure_loaded();
    blas.dgetrf(m, n, a, lda, pivots, info);
}

void descent_dgetri(const int *n, double *a, const int *lda, const int *pivots, double *work, const int *lwork, int *info) {
    ensure_loaded();
    blas.dgetri(n, a, lda, pivots, work, lwork, info);
}

void descent_dgesv(const int *n, const int *nrhs, double *a, const int *lda, int *pivots, double *b, const int *ldb, int *info) {
    ensure_loaded();
    blas.dgesv(n, nrhs, a, lda, pivots, b, ldb, info);
}

void descent_dsyevd(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
                    double *work, const int *lwork, int *iwork, const int *liwork, int *info,
                    size_t jobzLength, size_t uploLength) {
    ensure_loaded();
    blas.dsyevd(jobz, uplo, n, a, lda, w, work, lwork, iwork, liwork, info, jobzLength, uploLength);
}

void descent_blas_set_threads(int threads) {
    if (__atomic_load_n(&loaded, __ATOMIC_ACQUIRE)) {
        blas.set_threads(threads);
    } else {
        requested_threads = threads;
    }
}

void descent_blas_stop_idle_threads_when_loaded(void) { stop_idle_threads = 1; }

int descent_blas_is_loaded(void) { return __atomic_load_n(&loaded, __ATOMIC_ACQUIRE); }
