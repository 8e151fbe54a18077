// The few OpenBLAS entry points Descent uses. OpenBLAS is loaded with dlopen the first time one
// of them is called, not linked: loading it (relocations, its CPU probe, starting its threads)
// took 1.6 ms of every start, and most programs never multiply a matrix large enough to need it.
// Enums are passed as ints, as the C ABI does; LAPACK takes every argument by pointer and, for
// character arguments, a trailing hidden length (gfortran's convention).
#include <stddef.h>

enum { DescentRowMajor = 101, DescentNoTrans = 111, DescentTrans = 112 };

void descent_dgemm(int order, int transA, int transB, int m, int n, int k, double alpha,
                   const double *a, int lda, const double *b, int ldb, double beta, double *c, int ldc);

void descent_dgetrf(const int *m, const int *n, double *a, const int *lda, int *pivots, int *info);
void descent_dgetri(const int *n, double *a, const int *lda, const int *pivots, double *work, const int *lwork, int *info);
void descent_dgesv(const int *n, const int *nrhs, double *a, const int *lda, int *pivots, double *b, const int *ldb, int *info);
void descent_dsyevd(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
                    double *work, const int *lwork, int *iwork, const int *liwork, int *info,
                    size_t jobzLength, size_t uploLength);

/// OpenBLAS's thread count; before it is loaded, remembered and applied when it is.
void descent_blas_set_threads(int threads);
/// Once loaded, OpenBLAS's idle threads are stopped (they spin on other cores otherwise).
void descent_blas_stop_idle_threads_when_loaded(void);
/// Whether OpenBLAS has been loaded (tests check that starting does not load it).
int descent_blas_is_loaded(void);
