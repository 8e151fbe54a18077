// The few OpenBLAS entry points Descent uses, declared here rather than through cblas.h/lapack.h,
// whose include paths differ between Debian's BLAS alternatives. Enums are passed as ints,
// as the C ABI does; LAPACK takes every argument by pointer and, for character arguments,
// a trailing hidden length (gfortran's convention).
#include <stddef.h>

enum { DescentRowMajor = 101, DescentNoTrans = 111, DescentTrans = 112 };

void cblas_dgemm(int order, int transA, int transB, int m, int n, int k, double alpha,
                 const double *a, int lda, const double *b, int ldb, double beta, double *c, int ldc);

void dgetrf_(const int *m, const int *n, double *a, const int *lda, int *pivots, int *info);
void dgetri_(const int *n, double *a, const int *lda, const int *pivots, double *work, const int *lwork, int *info);
void dgesv_(const int *n, const int *nrhs, double *a, const int *lda, int *pivots, double *b, const int *ldb, int *info);
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobzLength, size_t uploLength);

void openblas_set_num_threads(int num_threads);
int blas_thread_shutdown_(void);
