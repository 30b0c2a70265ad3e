// GGML's K-quant formats Q4_K and Q6_K (ggml-common.h, ggml-quants.c), read in place.
//
// Super-blocks of 256 values. Products dequantize one row at a time into a buffer and take f32
// dot products with it: slower per weight than the Q4_1 / Q8_0 kernels, but without keeping an
// f32 copy of the model (4x its size) in memory. The arithmetic mirrors the GGUF module's
// dequantizer operation for operation (no fused multiply-adds), so both give the same floats.
#pragma STDC FP_CONTRACT OFF
#include "TensorKernels.h"
#include "internal.h"

#include <string.h>

static inline float half_at(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return tk_f16_to_f32(h);
}

/// The 6-bit scale and minimum of sub-block j (0..<8) of a Q4_K block (ggml's get_scale_min_k4).
static inline void scale_min_k4(int j, const uint8_t *q, uint8_t *scale, uint8_t *min) {
    if (j < 4) {
        *scale = q[j] & 63;
        *min = q[j + 4] & 63;
    } else {
        *scale = (q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4);
        *min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

void tk_dequantize_kquant_row(int type, const uint8_t *row, int columns, float *out) {
    const int blocks = columns / 256;
    for (int block = 0; block < blocks; block++) {
        float *y = out + 256 * block;
        if (type == TK_Q4_K) {  // 144 bytes: d, dmin, 12 bytes of scales/mins, 128 bytes of nibbles
            const uint8_t *in = row + 144 * block;
            const float d = half_at(in), dmin = half_at(in + 2);
            const uint8_t *scales = in + 4, *q = in + 16;
            for (int group = 0; group < 4; group++) {
                uint8_t s1, m1, s2, m2;
                scale_min_k4(2 * group, scales, &s1, &m1);
                scale_min_k4(2 * group + 1, scales, &s2, &m2);
                const float d1 = d * (float)s1, min1 = dmin * (float)m1;
                const float d2 = d * (float)s2, min2 = dmin * (float)m2;
                for (int l = 0; l < 32; l++) y[l] = d1 * (float)(q[l] & 0x0F) - min1;
                for (int l = 0; l < 32; l++) y[32 + l] = d2 * (float)(q[l] >> 4) - min2;
                y += 64;
                q += 32;
            }
        } else {  // TK_Q6_K, 210 bytes: ql[128], qh[64], int8 scales[16], d
            const uint8_t *in = row + 210 * block;
            const uint8_t *ql = in, *qh = in + 128;
            const int8_t *scales = (const int8_t *)(in + 192);
            const float d = half_at(in + 208);
            for (int half = 0; half < 2; half++) {
                for (int l = 0; l < 32; l++) {
                    const int s = l / 16;
                    const int q1 = (int)((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32;
                    const int q2 = (int)((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    const int q3 = (int)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    const int q4 = (int)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    y[l] = d * (float)scales[s] * (float)q1;
                    y[l + 32] = d * (float)scales[s + 2] * (float)q2;
                    y[l + 64] = d * (float)scales[s + 4] * (float)q3;
                    y[l + 96] = d * (float)scales[s + 6] * (float)q4;
                }
                y += 128;
                ql += 64;
                qh += 32;
                scales += 8;
            }
        }
    }
}
