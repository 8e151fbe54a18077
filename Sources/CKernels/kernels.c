#include "kernels.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__clang__)
#define MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MULTIVERSION
#endif

// Results of this many elements (4 MiB) and more are written with non-temporal stores: they go
// straight to memory instead of first reading every destination line into the cache, which is a
// third of the memory traffic of `x + y` (500 us -> 320 us for 1e6 elements), and a result that
// large would not stay in the cache anyway. The arithmetic, and so every result, is the same.
#define STREAMING_THRESHOLD ((size_t)1 << 19)

#if defined(__x86_64__) && defined(__clang__)
#define STREAM_FENCE() __builtin_ia32_sfence()
#else
#define STREAM_FENCE() ((void)0)
#endif

// Eight doubles as one value: clang stores a whole one with a single (non-temporal) vector store.
typedef double vector8 __attribute__((vector_size(64)));
typedef double unaligned_vector8 __attribute__((vector_size(64), aligned(8)));
#define VECTOR(p, i) (*(const unaligned_vector8 *)((p) + (i)))

// out[i] = VALUE for i < count (VALUE an expression of i). Past the threshold, the part from
// out's first 64-byte boundary is computed eight elements at a time, VECTOR_VALUE, and streamed
// with aligned stores.
#define FILL(out, VALUE, VECTOR_VALUE)                                                               \
    if (count < STREAMING_THRESHOLD) {                                                               \
        for (size_t i = 0; i < count; i++) (out)[i] = VALUE;                                         \
    } else {                                                                                         \
        size_t i = 0;                                                                                \
        for (; ((uintptr_t)((out) + i) & 63) != 0; i++) (out)[i] = VALUE;                            \
        for (; i + 8 <= count; i += 8) __builtin_nontemporal_store(VECTOR_VALUE, (vector8 *)((out) + i)); \
        for (; i < count; i++) (out)[i] = VALUE;                                                     \
        STREAM_FENCE();                                                                              \
    }

// Each case is its own loop so that every loop vectorises; the stride-0 cases hoist the number.
#define ARITHMETIC_LOOPS(OPERATOR)                                                                   \
    if (a_stride == 1 && b_stride == 1) {                                                            \
        FILL(out, a[i] OPERATOR b[i], VECTOR(a, i) OPERATOR VECTOR(b, i))                            \
    } else if (a_stride == 1) {                                                                      \
        double y = b[0];                                                                             \
        FILL(out, a[i] OPERATOR y, VECTOR(a, i) OPERATOR y)                                          \
    } else {                                                                                         \
        double x = a[0];                                                                             \
        FILL(out, x OPERATOR b[i], x OPERATOR VECTOR(b, i))                                          \
    }

MULTIVERSION
void descent_arithmetic(enum descent_operator op, size_t count, const double *a, size_t a_stride,
                        const double *b, size_t b_stride, double *out) {
    switch (op) {
    case DESCENT_ADD: ARITHMETIC_LOOPS(+) break;
    case DESCENT_SUBTRACT: ARITHMETIC_LOOPS(-) break;
    case DESCENT_MULTIPLY: ARITHMETIC_LOOPS(*) break;
    case DESCENT_DIVIDE: ARITHMETIC_LOOPS(/) break;
    }
}

// Separate from descent_arithmetic: with the output aliasing an input, the compiler's overlap
// check would send that loop down its scalar path.
#define IN_PLACE_LOOPS(OPERATOR)                                                                     \
    if (b_stride == 1) {                                                                             \
        FILL(a, a[i] OPERATOR b[i], VECTOR(a, i) OPERATOR VECTOR(b, i))                              \
    } else {                                                                                         \
        double y = b[0];                                                                             \
        FILL(a, a[i] OPERATOR y, VECTOR(a, i) OPERATOR y)                                            \
    }

MULTIVERSION
void descent_arithmetic_in_place(enum descent_operator op, size_t count, double *restrict a, const double *restrict b,
                                 size_t b_stride) {
    switch (op) {
    case DESCENT_ADD: IN_PLACE_LOOPS(+) break;
    case DESCENT_SUBTRACT: IN_PLACE_LOOPS(-) break;
    case DESCENT_MULTIPLY: IN_PLACE_LOOPS(*) break;
    case DESCENT_DIVIDE: IN_PLACE_LOOPS(/) break;
    }
}

// exp by Cephes's method: x = k ln2 + r with |r| <= ln2 / 2, exp(r) from a Padé approximant,
// then scaled by 2^k through the exponent bits. Accurate to about 1 ulp; branch-free so that
// loops vectorise. Valid for x in [-708, 709]; callers patch other inputs (and NaN) with libm.
static const double exp_low = -708.0, exp_high = 709.0;

static inline double exp_in_range(double x) {
    const double log2e = 1.4426950408889634073599;
    const double ln2_high = 6.93145751953125e-1, ln2_low = 1.42860682030941723212e-6;
    double k = floor(x * log2e + 0.5);
    double r = x - k * ln2_high - k * ln2_low;
    double rr = r * r;
    double p = r * ((1.26177193074810590878e-4 * rr + 3.02994407707441961300e-2) * rr + 9.99999999999999999910e-1);
    double q = ((3.00198505138664455042e-6 * rr + 2.52448340349684104192e-3) * rr + 2.27265548208155028766e-1) * rr
               + 2.00000000000000000009e0;
    double e = 1.0 + 2.0 * p / (q - p);
    // 2^k: k + 1023 lands in the low mantissa bits of k + 1023 + 1.5 * 2^52.
    double biased = k + 1023.0 + 6755399441055744.0;
    uint64_t bits;
    memcpy(&bits, &biased, sizeof bits);
    bits <<= 52;
    double scale;
    memcpy(&scale, &bits, sizeof scale);
    return e * scale;
}

static inline int outside(double x) { return !(x >= exp_low && x <= exp_high); }

MULTIVERSION
void descent_exp(size_t count, const double *x, double *out) {
    int patch = 0;
    for (size_t i = 0; i < count; i++) {
        double v = x[i];
        patch |= outside(v);
        double clamped = v < exp_low ? exp_low : (v > exp_high ? exp_high : v);
        out[i] = exp_in_range(clamped);
    }
    if (patch) {
        for (size_t i = 0; i < count; i++) {
            if (outside(x[i])) out[i] = exp(x[i]);
        }
    }
}

// tanh as in Cephes: a rational function of x^2 for |x| < 0.625, else 1 - 2 / (e^2|x| + 1)
// (which is exactly 1 in doubles beyond |x| = 19.1, so the exponent is capped at 40).
MULTIVERSION
void descent_tanh(size_t count, const double *x, double *out) {
    for (size_t i = 0; i < count; i++) {
        double v = x[i];
        double a = fabs(v);
        double twice = 2.0 * a < 40.0 ? 2.0 * a : 40.0;
        double large = 1.0 - 2.0 / (exp_in_range(twice) + 1.0);
        large = v < 0 ? -large : large;
        double s = v * v;
        double numerator = (-9.64399179425052238628e-1 * s - 9.92877231001918586564e1) * s - 1.61468768441708447952e3;
        double denominator = ((s + 1.12811678491632931402e2) * s + 2.23548839060100448583e3) * s + 4.84406305325125486048e3;
        double small = v + v * s * (numerator / denominator);
        // v + v * s * (...) turns -0 into +0; tanh(-0) is -0, as in PyTorch and libm.
        out[i] = a > 0.625 ? large : (v == 0 ? v : small);
    }
}

// PyTorch's stable sigmoid: 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below, with e^-|x|
// (tiny or exactly representable) patched by libm where it leaves the fast range.
MULTIVERSION
void descent_sigmoid(size_t count, const double *x, double *out) {
    int patch = 0;
    for (size_t i = 0; i < count; i++) {
        double v = x[i];
        double negative = -fabs(v);
        patch |= !(negative >= exp_low);
        double e = exp_in_range(negative < exp_low ? exp_low : negative);
        out[i] = v >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
    }
    if (patch) {
        for (size_t i = 0; i < count; i++) {
            double v = x[i];
            if (!(-fabs(v) >= exp_low)) {
                double e = exp(-fabs(v));
                out[i] = v != v ? v : (v >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e));
            }
        }
    }
}

// Eight running sums: vectorisable, and with less rounding error than one.
MULTIVERSION
double descent_sum(size_t count, const double *x) {
    double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        for (int j = 0; j < 8; j++) s[j] += x[i + j];
    }
    double total = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; i < count; i++) total += x[i];
    return total;
}

// Four sets of eight running extremes: eight lanes vectorise into one AVX-512 register, and four
// independent registers keep one compare's latency from holding up the next. NaNs are collected
// in lanes of their own (a NaN replaces what is there), so the extremes stay one max instruction
// each and any NaN makes the result NaN.
#define EXTREME_LANES(BEST, NANS, OFFSET, BETTER)                                                    \
    for (int j = 0; j < 8; j++) {                                                                    \
        double v = x[i + OFFSET + j];                                                                \
        BEST[j] = v BETTER BEST[j] ? v : BEST[j];                                                    \
        NANS[j] = v != v ? v : NANS[j];                                                              \
    }
#define EXTREME(NAME, START, BETTER)                                                                 \
    MULTIVERSION                                                                                     \
    double NAME(size_t count, const double *x) {                                                     \
        double a[8], b[8], c[8], d[8], na[8], nb[8];                                                 \
        for (int j = 0; j < 8; j++) {                                                                \
            a[j] = b[j] = c[j] = d[j] = START;                                                       \
            na[j] = nb[j] = 0;                                                                       \
        }                                                                                            \
        size_t i = 0;                                                                                \
        for (; i + 32 <= count; i += 32) {                                                           \
            EXTREME_LANES(a, na, 0, BETTER)                                                          \
            EXTREME_LANES(b, nb, 8, BETTER)                                                          \
            EXTREME_LANES(c, na, 16, BETTER)                                                         \
            EXTREME_LANES(d, nb, 24, BETTER)                                                         \
        }                                                                                            \
        double result = START;                                                                       \
        int nan = 0;                                                                                 \
        for (int j = 0; j < 8; j++) {                                                                \
            nan |= (na[j] != na[j]) | (nb[j] != nb[j]);                                              \
            result = a[j] BETTER result ? a[j] : result;                                             \
            result = b[j] BETTER result ? b[j] : result;                                             \
            result = c[j] BETTER result ? c[j] : result;                                             \
            result = d[j] BETTER result ? d[j] : result;                                             \
        }                                                                                            \
        for (; i < count; i++) {                                                                     \
            nan |= x[i] != x[i];                                                                     \
            result = x[i] BETTER result ? x[i] : result;                                             \
        }                                                                                            \
        return nan ? NAN : result;                                                                   \
    }

EXTREME(descent_max, -INFINITY, >)
EXTREME(descent_min, INFINITY, <)

// torch.optim.Adam's single-tensor step for one parameter without weight decay, amsgrad or
// maximize, operation for operation: exp_avg.lerp_(grad, 1 - beta1),
// exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2),
// denom = exp_avg_sq.sqrt() / bias_correction2_sqrt + eps, param.addcdiv_(exp_avg, denom, value=-step_size).
MULTIVERSION
void descent_adam_step(size_t count, double *restrict param, const double *restrict grad, double *restrict exp_avg,
                       double *restrict exp_avg_sq, double beta1, double beta2, double step_size,
                       double bias_correction2_sqrt, double eps) {
    double weight = 1 - beta1, keep = 1 - weight, added = 1 - beta2;
    if (weight < 0.5) {
        for (size_t i = 0; i < count; i++) {
            double g = grad[i];
            double m = exp_avg[i] + weight * (g - exp_avg[i]);
            double v = exp_avg_sq[i] * beta2 + added * g * g;
            exp_avg[i] = m;
            exp_avg_sq[i] = v;
            param[i] = param[i] + -step_size * (m / (sqrt(v) / bias_correction2_sqrt + eps));
        }
    } else {
        for (size_t i = 0; i < count; i++) {
            double g = grad[i];
            double m = g - (g - exp_avg[i]) * keep;
            double v = exp_avg_sq[i] * beta2 + added * g * g;
            exp_avg[i] = m;
            exp_avg_sq[i] = v;
            param[i] = param[i] + -step_size * (m / (sqrt(v) / bias_correction2_sqrt + eps));
        }
    }
}

// The backward passes of tanh and sigmoid from their outputs, in one pass instead of three
// temporaries; the same operations in the same order as the composed form, so the same results.
MULTIVERSION
void descent_tanh_backward(size_t count, const double *restrict gradient, const double *restrict y, double *restrict out) {
    for (size_t i = 0; i < count; i++) out[i] = gradient[i] * (1 - y[i] * y[i]);
}

MULTIVERSION
void descent_sigmoid_backward(size_t count, const double *restrict gradient, const double *restrict y, double *restrict out) {
    for (size_t i = 0; i < count; i++) out[i] = gradient[i] * ((1 - y[i]) * y[i]);
}

// True when no element is NaN or infinite: the exponent bits are tested as integers, so the
// loop vectorises (a floating-point test would have to keep NaN semantics).
MULTIVERSION
int descent_all_finite(size_t count, const double *x) {
    const unsigned long long *bits = (const unsigned long long *)x;
    unsigned long long non_finite = 0;
    for (size_t i = 0; i < count; i++) non_finite |= (~bits[i] & 0x7ff0000000000000ULL) == 0;
    return non_finite == 0;
}

// Softplus's backward pass (threshold 20, as PyTorch's default) given sigmoid(x): the gradient
// passes unchanged where softplus is the identity.
MULTIVERSION
void descent_softplus_backward(size_t count, const double *restrict gradient, const double *restrict x,
                               const double *restrict sigmoid_x, double *restrict out) {
    for (size_t i = 0; i < count; i++) out[i] = x[i] > 20 ? gradient[i] : gradient[i] * sigmoid_x[i];
}
