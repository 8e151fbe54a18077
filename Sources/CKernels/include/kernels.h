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

/// out = gradient * (1 - y * y) and out = gradient * ((1 - y) * y): tanh's and sigmoid's
/// backward passes from their outputs y.
void descent_tanh_backward(size_t count, const double *gradient, const double *y, double *out);
void descent_sigmoid_backward(size_t count, const double *gradient, const double *y, double *out);
/// out = x > 20 ? gradient : gradient * sigmoid_x: softplus's backward pass.
void descent_softplus_backward(size_t count, const double *gradient, const double *x, const double *sigmoid_x, double *out);
/// 1 when no element is NaN or infinite, else 0.
int descent_all_finite(size_t count, const double *x);

/// One torch.optim.Adam step (no weight decay, amsgrad or maximize) of a parameter in place;
/// the arrays must not overlap.
void descent_adam_step(size_t count, double *param, const double *grad, double *exp_avg, double *exp_avg_sq,
                       double beta1, double beta2, double step_size, double bias_correction2_sqrt, double eps);

/// Memory for `count` doubles (NULL when out of memory), from this thread's cache of recently
/// freed buffers when one of the same size class is there; return it with descent_buffer_free.
double *descent_buffer_allocate(size_t count);
void descent_buffer_free(double *buffer, size_t count);

/// Bytes of native stack left below the caller's frame on this thread, or -1 when unknown.
long descent_stack_room(void);

/// Atomically increments *counter (which may be shared between processes) and returns its old value.
long descent_claim_next(long *counter);

#endif
