// A small thread pool for the kernels: the caller plus (n - 1) workers run one task at a time.
//
// Decoding one token issues a few hundred short tasks (one per matrix product), so handing a task
// to a worker must cost well under a microsecond: workers spin on a generation counter for a
// while after each task and only then sleep on a condition variable.
#define _GNU_SOURCE
#include "TensorKernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define TK_PAUSE() _mm_pause()
#else
#define TK_PAUSE() ((void)0)
#endif

enum { TK_SPIN_LIMIT = 200000 };  // about 0.1 to 0.5 ms of spinning before a worker sleeps

struct tk_pool {
    int count;
    pthread_t *threads;
    _Atomic unsigned generation;
    _Atomic int pending;
    _Atomic int stop;
    tk_task_fn fn;
    void *context;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
};

typedef struct {
    tk_pool *pool;
    int index;
} tk_worker_arg;

static void *tk_worker(void *raw) {
    tk_worker_arg arg = *(tk_worker_arg *)raw;
    free(raw);
    tk_pool *pool = arg.pool;
    unsigned seen = 0;
    for (;;) {
        unsigned now;
        int spins = 0;
        while ((now = atomic_load_explicit(&pool->generation, memory_order_acquire)) == seen) {
            if (++spins < TK_SPIN_LIMIT) {
                TK_PAUSE();
                continue;
            }
            pthread_mutex_lock(&pool->mutex);
            while (atomic_load_explicit(&pool->generation, memory_order_acquire) == seen &&
                   !atomic_load(&pool->stop)) {
                pthread_cond_wait(&pool->wake, &pool->mutex);
            }
            pthread_mutex_unlock(&pool->mutex);
            spins = 0;
        }
        seen = now;
        if (atomic_load(&pool->stop)) return NULL;
        pool->fn(pool->context, arg.index, pool->count);
        atomic_fetch_sub_explicit(&pool->pending, 1, memory_order_acq_rel);
    }
}

tk_pool *tk_pool_create(int thread_count) {
    if (thread_count < 1) thread_count = 1;
    tk_pool *pool = calloc(1, sizeof(tk_pool));
    if (!pool) return NULL;
    pool->count = thread_count;
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pool->threads = calloc((size_t)thread_count, sizeof(pthread_t));
    for (int i = 1; i < thread_count; i++) {
        tk_worker_arg *arg = malloc(sizeof(tk_worker_arg));
        arg->pool = pool;
        arg->index = i;
        if (pthread_create(&pool->threads[i], NULL, tk_worker, arg) != 0) {
            free(arg);
            pool->count = i;  // run with the threads we got
            break;
        }
    }
    return pool;
}

void tk_pool_destroy(tk_pool *pool) {
    if (!pool) return;
    pthread_mutex_lock(&pool->mutex);
    atomic_store(&pool->stop, 1);
    atomic_fetch_add(&pool->generation, 1);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    for (int i = 1; i < pool->count; i++) pthread_join(pool->threads[i], NULL);
    pthread_mutex_destroy(&pool->mutex);
    pthread_cond_destroy(&pool->wake);
    free(pool->threads);
    free(pool);
}

int tk_pool_thread_count(const tk_pool *pool) { return pool ? pool->count : 1; }

void tk_pool_run(tk_pool *pool, tk_task_fn fn, void *context) {
    if (!pool || pool->count == 1) {
        fn(context, 0, 1);
        return;
    }
    pool->fn = fn;
    pool->context = context;
    atomic_store_explicit(&pool->pending, pool->count - 1, memory_order_relaxed);
    pthread_mutex_lock(&pool->mutex);
    atomic_fetch_add_explicit(&pool->generation, 1, memory_order_release);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    fn(context, 0, pool->count);
    // Wait for the workers; yield the core if one of them was descheduled (more threads than cores).
    for (int spins = 0; atomic_load_explicit(&pool->pending, memory_order_acquire) > 0;) {
        if (++spins < TK_SPIN_LIMIT) TK_PAUSE();
        else sched_yield();
    }
}
