// Training kernels: each op's forward next to its backward (the layout llm.c uses).
//
// References: RMSNorm (Zhang & Sennrich 2019) and its gradient; SwiGLU (Shazeer 2020); softmax and
// cross-entropy gradients (standard; as in Karpathy's llm.c `crossentropy_softmax_backward`);
// dropout (Srivastava et al. 2014) with a counter-based hash (SplitMix64's finaliser) so masks are
// recomputed in the backward pass instead of stored.
#include "TensorKernels.h"
#include "internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

// MARK: - RMSNorm

void tk_rms_norm_forward(const float *x, const float *weight, int n, int dim, float eps, float *y, float *rstd) {
    for (int t = 0; t < n; t++) {
        const float *xt = x + (size_t)t * dim;
        float *yt = y + (size_t)t * dim;
        float sum = 0;
        for (int i = 0; i < dim; i++) sum += xt[i] * xt[i];
        float r = 1.0f / sqrtf(sum / (float)dim + eps);
        if (rstd) rstd[t] = r;
        for (int i = 0; i < dim; i++) yt[i] = xt[i] * r * weight[i];
    }
}

void tk_rms_norm_backward(const float *dy, const float *x, const float *weight, const float *rstd,
                          int n, int dim, float *dx) {
    for (int t = 0; t < n; t++) {
        const float *dyt = dy + (size_t)t * dim, *xt = x + (size_t)t * dim;
        float *dxt = dx + (size_t)t * dim;
        float r = rstd[t], dot = 0;
        for (int i = 0; i < dim; i++) dot += weight[i] * dyt[i] * xt[i];
        float c = r * r * r * dot / (float)dim;
        for (int i = 0; i < dim; i++) dxt[i] += r * weight[i] * dyt[i] - c * xt[i];
    }
}

// MARK: - SwiGLU

#if defined(__x86_64__)
TK_AVX512 static size_t swiglu_forward_avx512(const float *g, const float *u, float *h, size_t count) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        __m512 a = _mm512_loadu_ps(g + i);
        __m512 e = exp512(_mm512_sub_ps(_mm512_setzero_ps(), a));
        __m512 s = _mm512_div_ps(a, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
        _mm512_storeu_ps(h + i, _mm512_mul_ps(s, _mm512_loadu_ps(u + i)));
    }
    return i;
}

TK_AVX512 static size_t swiglu_backward_avx512(const float *dh, const float *g, const float *u, float *dg, float *du, size_t count) {
    size_t i = 0;
    const __m512 one = _mm512_set1_ps(1.0f);
    for (; i + 16 <= count; i += 16) {
        __m512 a = _mm512_loadu_ps(g + i), d = _mm512_loadu_ps(dh + i);
        __m512 sig = _mm512_div_ps(one, _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), a))));
        __m512 silu = _mm512_mul_ps(a, sig);
        // σ'·a + σ = σ(1 + a(1 − σ))
        __m512 dsilu = _mm512_mul_ps(sig, _mm512_fmadd_ps(a, _mm512_sub_ps(one, sig), one));
        _mm512_storeu_ps(du + i, _mm512_mul_ps(d, silu));
        _mm512_storeu_ps(dg + i, _mm512_mul_ps(_mm512_mul_ps(d, _mm512_loadu_ps(u + i)), dsilu));
    }
    return i;
}
#endif

void tk_swiglu_forward(const float *g, const float *u, float *h, size_t count) {
    size_t i = 0;
#if defined(__x86_64__)
    if (tk_vectorized()) i = swiglu_forward_avx512(g, u, h, count);
#endif
    for (; i < count; i++) h[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}

void tk_swiglu_backward(const float *dh, const float *g, const float *u, float *dg, float *du, size_t count) {
    size_t i = 0;
#if defined(__x86_64__)
    if (tk_vectorized()) i = swiglu_backward_avx512(dh, g, u, dg, du, count);
#endif
    for (; i < count; i++) {
        float sig = 1.0f / (1.0f + expf(-g[i]));
        float silu = g[i] * sig;
        du[i] = dh[i] * silu;
        dg[i] = dh[i] * u[i] * sig * (1.0f + g[i] * (1.0f - sig));
    }
}

// MARK: - Causal softmax

#if defined(__x86_64__)
/// Σ exp(row[j] − max) for j < len, writing the exponentials back.
TK_AVX512 static float exp_row_avx512(float *row, int len, float max) {
    __m512 vmax = _mm512_set1_ps(max), acc = _mm512_setzero_ps();
    int j = 0;
    for (; j + 16 <= len; j += 16) {
        __m512 e = exp512(_mm512_sub_ps(_mm512_loadu_ps(row + j), vmax));
        _mm512_storeu_ps(row + j, e);
        acc = _mm512_add_ps(acc, e);
    }
    if (j < len) {
        __mmask16 m = (__mmask16)((1u << (len - j)) - 1);
        __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, row + j), vmax));
        e = _mm512_maskz_mov_ps(m, e);
        _mm512_mask_storeu_ps(row + j, m, e);
        acc = _mm512_add_ps(acc, e);
    }
    return _mm512_reduce_add_ps(acc);
}
#endif

static float row_max(const float *row, int len) {
    float m = -FLT_MAX;
    for (int j = 0; j < len; j++) m = row[j] > m ? row[j] : m;
    return m;
}

void tk_causal_softmax(float *s, int rows, int ld) { tk_causal_softmax_rows(s, 0, rows, ld, rows); }

void tk_causal_softmax_backward(const float *p, float *dp, int rows, int ld) {
    tk_causal_softmax_backward_rows(p, dp, 0, rows, ld, rows);
}

void tk_causal_softmax_rows(float *s, int first, int rows, int ld, int width) {
    int vectorized = tk_vectorized();
    for (int i = 0; i < rows; i++) {
        float *row = s + (size_t)i * ld;
        int len = first + i + 1;
        float max = row_max(row, len), sum = 0;
#if defined(__x86_64__)
        if (vectorized) sum = exp_row_avx512(row, len, max);
        else
#endif
        {
            (void)vectorized;
            for (int j = 0; j < len; j++) { row[j] = expf(row[j] - max); sum += row[j]; }
        }
        float inv = 1.0f / sum;
        for (int j = 0; j < len; j++) row[j] *= inv;
        for (int j = len; j < width; j++) row[j] = 0;
    }
}

void tk_causal_softmax_backward_rows(const float *p, float *dp, int first, int rows, int ld, int width) {
    for (int i = 0; i < rows; i++) {
        const float *pt = p + (size_t)i * ld;
        float *dt = dp + (size_t)i * ld;
        int len = first + i + 1;
        float dot = 0;
        for (int j = 0; j < len; j++) dot += pt[j] * dt[j];
        for (int j = 0; j < len; j++) dt[j] = pt[j] * (dt[j] - dot);
        for (int j = len; j < width; j++) dt[j] = 0;
    }
}

// MARK: - Cross-entropy

void tk_cross_entropy(float *logits, int n, int vocab, const int32_t *labels, float grad_scale,
                      float *losses, uint8_t *correct) {
    int vectorized = tk_vectorized();
    (void)vectorized;
    for (int t = 0; t < n; t++) {
        int label = labels[t];
        if (label < 0) { losses[t] = 0; correct[t] = 0; continue; }
        float *row = logits + (size_t)t * vocab;
        int argmax = 0;
        float max = row[0];
        for (int j = 1; j < vocab; j++) if (row[j] > max) { max = row[j]; argmax = j; }
        float target = row[label], sum = 0;
#if defined(__x86_64__)
        if (vectorized) sum = exp_row_avx512(row, vocab, max);
        else
#endif
        for (int j = 0; j < vocab; j++) { row[j] = expf(row[j] - max); sum += row[j]; }
        losses[t] = logf(sum) + max - target;
        correct[t] = argmax == label;
        float scale = grad_scale / sum;
        for (int j = 0; j < vocab; j++) row[j] *= scale;
        row[label] -= grad_scale;
    }
}

// MARK: - Dropout

static inline uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void tk_dropout(const float *x, float *out, size_t count, float p, uint64_t seed, size_t first) {
    if (p <= 0) {
        if (out != x) memmove(out, x, count * sizeof(float));
        return;
    }
    uint32_t threshold = (uint32_t)((double)p * 4294967296.0);
    float keep = 1.0f / (1.0f - p);
    uint64_t base = mix64(seed);
    for (size_t i = 0; i < count; i++) {
        uint32_t r = (uint32_t)(mix64(base + (uint64_t)(first + i) * 0x9e3779b97f4a7c15ULL) >> 32);
        out[i] = r >= threshold ? x[i] * keep : 0.0f;
    }
}

void tk_axpy(float *y, const float *x, size_t count, float alpha) {
    for (size_t i = 0; i < count; i++) y[i] += alpha * x[i];
}
