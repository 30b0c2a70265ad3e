// Elementwise kernels, RMSNorm, RoPE and causal attention.
//
// References: RMSNorm (Zhang & Sennrich 2019), RoPE (Su et al. 2021; GGML's "normal" pairing of
// adjacent elements, which GGUF Llama files expect), online softmax for attention (Milakov &
// Gimelshein 2018, as used by FlashAttention).
#include "TensorKernels.h"
#include "internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// MARK: - exp

// exp512 lives in internal.h (the training kernels use it too).

// MARK: - RMSNorm, add

void tk_rms_norm(const float *x, const float *weight, int n, int dim, float eps, float *y) {
    tk_rms_norm_forward(x, weight, n, dim, eps, y, NULL);   // training.c: the same norm, keeping rstd when asked
}

void tk_add(float *x, const float *y, size_t count) {
    for (size_t i = 0; i < count; i++) x[i] += y[i];
}

// MARK: - SiLU

#if defined(__x86_64__)
TK_AVX512 static void silu_mul_avx512(float *gate, const float *up, size_t begin, size_t end) {
    size_t i = begin;
    for (; i + 16 <= end; i += 16) {
        __m512 g = _mm512_loadu_ps(gate + i);
        __m512 e = exp512(_mm512_sub_ps(_mm512_setzero_ps(), g));
        __m512 s = _mm512_div_ps(g, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
        _mm512_storeu_ps(gate + i, _mm512_mul_ps(s, _mm512_loadu_ps(up + i)));
    }
    for (; i < end; i++) gate[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}
#endif

static void silu_mul_range(int vectorized, float *gate, const float *up, size_t begin, size_t end) {
#if defined(__x86_64__)
    if (vectorized) {
        silu_mul_avx512(gate, up, begin, end);
        return;
    }
#endif
    for (size_t i = begin; i < end; i++) gate[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

typedef struct {
    int vectorized;
    float *gate;
    const float *up;
    size_t count;
} silu_task;

static void silu_task_run(void *raw, int ith, int nth) {
    silu_task *task = raw;
    size_t per = ((task->count + (size_t)nth - 1) / (size_t)nth + 15) & ~(size_t)15;
    size_t begin = (size_t)ith * per, end = begin + per;
    if (end > task->count) end = task->count;
    if (begin < end) silu_mul_range(task->vectorized, task->gate, task->up, begin, end);
}

void tk_silu_mul(tk_pool *pool, float *gate, const float *up, size_t count) {
    silu_task task = {tk_vectorized(), gate, up, count};
    if (count < 16384) silu_task_run(&task, 0, 1);
    else tk_pool_run(pool, silu_task_run, &task);
}

// MARK: - RoPE

void tk_rope(float *x, int n, int heads, int head_dim, int rot_dim,
             const float *cos_table, const float *sin_table) {
    const int half = rot_dim / 2;
    for (int t = 0; t < n; t++) {
        const float *c = cos_table + (size_t)t * half, *s = sin_table + (size_t)t * half;
        for (int h = 0; h < heads; h++) {
            float *v = x + ((size_t)t * heads + h) * head_dim;
            for (int i = 0; i < half; i++) {
                float a = v[2 * i], b = v[2 * i + 1];
                v[2 * i] = a * c[i] - b * s[i];
                v[2 * i + 1] = a * s[i] + b * c[i];
            }
        }
    }
}

// MARK: - Attention

enum { TK_KEY_CHUNK = 128 };

/// One query head over keys first...last, online softmax over chunks of keys. Leaves the
/// unnormalised result: *max_out = the largest score m, *sum_out = Σ exp(s - m) and
/// out = Σ exp(s - m)·v, so partial results over key ranges can be merged.
static void attend_partial_scalar(const float *q, const float *k, const float *v, int kv_stride, int head_dim,
                                  int first, int last, float scale, float *max_out, float *sum_out, float *out) {
    float scores[TK_KEY_CHUNK];
    float running_max = -INFINITY, running_sum = 0;
    for (int d = 0; d < head_dim; d++) out[d] = 0;
    for (int j0 = first; j0 <= last; j0 += TK_KEY_CHUNK) {
        int count = last + 1 - j0 < TK_KEY_CHUNK ? last + 1 - j0 : TK_KEY_CHUNK;
        float chunk_max = -INFINITY;
        for (int j = 0; j < count; j++) {
            const float *kj = k + (size_t)(j0 + j) * kv_stride;
            float s = 0;
            for (int d = 0; d < head_dim; d++) s += q[d] * kj[d];
            s *= scale;
            scores[j] = s;
            chunk_max = s > chunk_max ? s : chunk_max;
        }
        float new_max = chunk_max > running_max ? chunk_max : running_max;
        float correction = expf(running_max - new_max);
        running_sum *= correction;
        for (int d = 0; d < head_dim; d++) out[d] *= correction;
        for (int j = 0; j < count; j++) {
            float p = expf(scores[j] - new_max);
            running_sum += p;
            const float *vj = v + (size_t)(j0 + j) * kv_stride;
            for (int d = 0; d < head_dim; d++) out[d] += p * vj[d];
        }
        running_max = new_max;
    }
    *max_out = running_max;
    *sum_out = running_sum;
}

#if defined(__x86_64__)
/// Sums each of 16 vectors: result lane i = Σ v[i]. A transposing tree of shuffles (45 operations)
/// instead of 16 separate horizontal sums (about 10 dependent operations each).
TK_AVX512 static inline __m512 reduce16(const __m512 v[16]) {
    __m512 t[8], u[4];
    for (int i = 0; i < 8; i++)  // per 128-bit lane: [a0+a2, b0+b2, a1+a3, b1+b3]
        t[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
    for (int i = 0; i < 4; i++) {  // per 128-bit lane: that lane's sums of keys 4i..4i+3
        __m512d a = _mm512_castps_pd(t[2 * i]), b = _mm512_castps_pd(t[2 * i + 1]);
        u[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)), _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
    }
    __m512 r01 = _mm512_add_ps(_mm512_shuffle_f32x4(u[0], u[1], _MM_SHUFFLE(2, 0, 2, 0)),
                               _mm512_shuffle_f32x4(u[0], u[1], _MM_SHUFFLE(3, 1, 3, 1)));
    __m512 r23 = _mm512_add_ps(_mm512_shuffle_f32x4(u[2], u[3], _MM_SHUFFLE(2, 0, 2, 0)),
                               _mm512_shuffle_f32x4(u[2], u[3], _MM_SHUFFLE(3, 1, 3, 1)));
    return _mm512_add_ps(_mm512_shuffle_f32x4(r01, r23, _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f32x4(r01, r23, _MM_SHUFFLE(3, 1, 3, 1)));
}

/// The same for head_dim a multiple of 16 and at most 256.
TK_AVX512 static void attend_partial_avx512(const float *q, const float *k, const float *v, int kv_stride, int head_dim,
                                            int first, int last, float scale, float *max_out, float *sum_out, float *out) {
    float scores[TK_KEY_CHUNK] __attribute__((aligned(64)));
    const int lanes = head_dim / 16;
    __m512 qv[16], acc[16];
    for (int l = 0; l < lanes; l++) {
        qv[l] = _mm512_mul_ps(_mm512_loadu_ps(q + 16 * l), _mm512_set1_ps(scale));
        acc[l] = _mm512_setzero_ps();
    }
    float running_max = -INFINITY, running_sum = 0;
    for (int j0 = first; j0 <= last; j0 += TK_KEY_CHUNK) {
        int count = last + 1 - j0 < TK_KEY_CHUNK ? last + 1 - j0 : TK_KEY_CHUNK;
        float chunk_max = -INFINITY;
        int j = 0;
        for (; j + 16 <= count; j += 16) {  // 16 keys at a time, reduced together
            __m512 partial[16];
            for (int i = 0; i < 16; i++) {
                const float *kj = k + (size_t)(j0 + j + i) * kv_stride;
                __m512 s = _mm512_mul_ps(qv[0], _mm512_loadu_ps(kj));
                for (int l = 1; l < lanes; l++) s = _mm512_fmadd_ps(qv[l], _mm512_loadu_ps(kj + 16 * l), s);
                partial[i] = s;
            }
            __m512 block = reduce16(partial);
            _mm512_store_ps(scores + j, block);
            float block_max = _mm512_reduce_max_ps(block);
            chunk_max = block_max > chunk_max ? block_max : chunk_max;
        }
        for (; j < count; j++) {
            const float *kj = k + (size_t)(j0 + j) * kv_stride;
            __m512 s = _mm512_mul_ps(qv[0], _mm512_loadu_ps(kj));
            for (int l = 1; l < lanes; l++) s = _mm512_fmadd_ps(qv[l], _mm512_loadu_ps(kj + 16 * l), s);
            float score = _mm512_reduce_add_ps(s);
            scores[j] = score;
            chunk_max = score > chunk_max ? score : chunk_max;
        }
        float new_max = chunk_max > running_max ? chunk_max : running_max;
        float correction = expf(running_max - new_max);
        running_sum *= correction;
        __m512 vc = _mm512_set1_ps(correction);
        for (int l = 0; l < lanes; l++) acc[l] = _mm512_mul_ps(acc[l], vc);
        __m512 vmax = _mm512_set1_ps(new_max), vsum = _mm512_setzero_ps();
        for (j = 0; j + 16 <= count; j += 16) {
            __m512 p = exp512(_mm512_sub_ps(_mm512_load_ps(scores + j), vmax));
            _mm512_store_ps(scores + j, p);
            vsum = _mm512_add_ps(vsum, p);
        }
        running_sum += _mm512_reduce_add_ps(vsum);
        for (; j < count; j++) {
            scores[j] = expf(scores[j] - new_max);
            running_sum += scores[j];
        }
        for (j = 0; j < count; j++) {
            const float *vj = v + (size_t)(j0 + j) * kv_stride;
            __m512 p = _mm512_set1_ps(scores[j]);
            for (int l = 0; l < lanes; l++) acc[l] = _mm512_fmadd_ps(p, _mm512_loadu_ps(vj + 16 * l), acc[l]);
        }
        running_max = new_max;
    }
    for (int l = 0; l < lanes; l++) _mm512_storeu_ps(out + 16 * l, acc[l]);
    *max_out = running_max;
    *sum_out = running_sum;
}
#endif

/// Attention of one query head over keys first...last, unnormalised (see attend_partial_scalar).
static void attend_partial(int vectorized, const float *q, const float *k, const float *v, int kv_stride, int head_dim,
                           int first, int last, float scale, float *max_out, float *sum_out, float *out) {
#if defined(__x86_64__)
    if (vectorized && head_dim % 16 == 0 && head_dim <= 256) {
        attend_partial_avx512(q, k, v, kv_stride, head_dim, first, last, scale, max_out, sum_out, out);
        return;
    }
#endif
    attend_partial_scalar(q, k, v, kv_stride, head_dim, first, last, scale, max_out, sum_out, out);
}

typedef struct {
    int vectorized;
    const float *q, *k, *v;
    int n, heads, kv_heads, head_dim, start;
    float scale;
    float *out;
} attention_task;

static void attention_task_run(void *raw, int ith, int nth) {
    attention_task *task = raw;
    const int group = task->heads / task->kv_heads;
    const int kv_stride = task->kv_heads * task->head_dim;
    const int total = task->n * task->heads;
    // Interleave (token, head) pairs over threads: later tokens attend to more keys.
    for (int pair = ith; pair < total; pair += nth) {
        int t = pair / task->heads, h = pair % task->heads;
        const float *q = task->q + ((size_t)t * task->heads + h) * task->head_dim;
        const float *k = task->k + (size_t)(h / group) * task->head_dim;
        const float *v = task->v + (size_t)(h / group) * task->head_dim;
        float *out = task->out + ((size_t)t * task->heads + h) * task->head_dim;
        float max, sum;
        attend_partial(task->vectorized, q, k, v, kv_stride, task->head_dim, 0, task->start + t, task->scale, &max, &sum, out);
        float inv = 1.0f / sum;
        for (int d = 0; d < task->head_dim; d++) out[d] *= inv;
    }
}

/// Decoding one token: every thread takes a contiguous share of the keys for all heads (so each
/// key and value is read once per group of query heads that share it), leaving unnormalised
/// partial results that `tk_attention` merges.
typedef struct {
    attention_task base;
    float *partials;  // [threads][heads][head_dim + 2]: max, sum, acc[head_dim]
} split_task;

static void split_task_run(void *raw, int ith, int nth) {
    split_task *task = raw;
    attention_task *a = &task->base;
    const int keys = a->start + 1, group = a->heads / a->kv_heads;
    const int kv_stride = a->kv_heads * a->head_dim, width = a->head_dim + 2;
    const int first = (int)((long)keys * ith / nth), last = (int)((long)keys * (ith + 1) / nth) - 1;
    for (int h = 0; h < a->heads; h++) {
        float *slot = task->partials + ((size_t)ith * a->heads + h) * width;
        if (first > last) {
            slot[0] = -INFINITY;
            slot[1] = 0;
            continue;
        }
        attend_partial(a->vectorized, a->q + (size_t)h * a->head_dim, a->k + (size_t)(h / group) * a->head_dim,
                       a->v + (size_t)(h / group) * a->head_dim, kv_stride, a->head_dim, first, last, a->scale,
                       &slot[0], &slot[1], slot + 2);
    }
}

void tk_attention(tk_pool *pool, const float *q, int n, int heads, int kv_heads, int head_dim,
                  const float *k_cache, const float *v_cache, int start, float scale, float *out) {
    attention_task task = {tk_vectorized(), q, k_cache, v_cache, n, heads, kv_heads, head_dim, start, scale, out};
    const int threads = tk_pool_thread_count(pool);
    if (n == 1 && threads > 1 && start + 1 >= 64 * threads) {
        const int width = head_dim + 2;
        split_task split = {task, malloc(sizeof(float) * (size_t)threads * heads * width)};
        tk_pool_run(pool, split_task_run, &split);
        for (int h = 0; h < heads; h++) {  // merge: rescale each share to the common maximum
            float max = -INFINITY, sum = 0;
            for (int i = 0; i < threads; i++) {
                float m = split.partials[((size_t)i * heads + h) * width];
                max = m > max ? m : max;
            }
            float *o = out + (size_t)h * head_dim;
            for (int d = 0; d < head_dim; d++) o[d] = 0;
            for (int i = 0; i < threads; i++) {
                const float *slot = split.partials + ((size_t)i * heads + h) * width;
                if (slot[1] == 0) continue;
                float w = expf(slot[0] - max);
                sum += w * slot[1];
                for (int d = 0; d < head_dim; d++) o[d] += w * slot[2 + d];
            }
            float inv = 1.0f / sum;
            for (int d = 0; d < head_dim; d++) o[d] *= inv;
        }
        free(split.partials);
        return;
    }
    if ((size_t)n * (size_t)(start + n) * (size_t)heads < 256) attention_task_run(&task, 0, 1);
    else tk_pool_run(pool, attention_task_run, &task);
}
