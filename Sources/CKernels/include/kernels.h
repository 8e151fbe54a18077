// Element-wise transcendental functions and full reductions over contiguous arrays of doubles,
// compiled once per x86-64 level (AVX-512, AVX2+FMA, baseline) and chosen at run time, as NumPy
// does. Swift cannot yet compile a function for several CPU levels; C can (target_clones).
#ifndef DESCENT_KERNELS_H
#define DESCENT_KERNELS_H
#include <stddef.h>

/// The four arithmetic operators, for the kernels below.
enum descent_operator { DESCENT_ADD, DESCENT_SUBTRACT, DESCENT_MULTIPLY, DESCENT_DIVIDE };

/// out[i] = a[i] op b[i]; with a_stride or b_stride 0, that operand is one number repeated.
void descent_arithmetic(enum descent_operator op, size_t count, const double *a, size_t a_stride,
                        const double *b, size_t b_stride, double *out);

/// a[i] = a[i] op b[i] in place (b_stride 0: one number); b must not overlap a.
void descent_arithmetic_in_place(enum descent_operator op, size_t count, double *a, const double *b, size_t b_stride);

void descent_exp(size_t count, const double *x, double *out);
void descent_tanh(size_t count, const double *x, double *out);
void descent_sigmoid(size_t count, const double *x, double *out);
double descent_sum(size_t count, const double *x);
/// The largest (or smallest) element; NaN when any element is NaN, as in PyTorch.
double descent_max(size_t count, const double *x);
double descent_min(size_t count, const double *x);

/// Bytes of native stack left below the caller's frame on this thread, or -1 when unknown.
long descent_stack_room(void);

#endif
