// How much native stack the calling thread has left. Swift cannot see its own stack pointer
// (under AddressSanitizer its locals even live on a separate "fake" stack), so the frame address
// comes from the compiler here, and the stack's bounds from glibc.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include "kernels.h"

static __thread uintptr_t stack_low;   // 0: not known yet
static __thread int stack_unknown;     // the platform cannot say

long descent_stack_room(void) {
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    if (stack_unknown) return -1;
    if (stack_low == 0) {
#ifdef __GLIBC__
        pthread_attr_t attributes;
        void *address = 0;
        size_t size = 0;
        if (pthread_getattr_np(pthread_self(), &attributes) == 0) {
            if (pthread_attr_getstack(&attributes, &address, &size) == 0) stack_low = (uintptr_t)address;
            pthread_attr_destroy(&attributes);
        }
#endif
        if (stack_low == 0) { stack_unknown = 1; return -1; }
    }
    return here > stack_low ? (long)(here - stack_low) : 0;
}

long descent_claim_next(long *counter) { return __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED); }
