/*
 * Gaze Insight: convolution and normalisation kernels for the tfjs wasm backend, in
 * WebAssembly SIMD (+ relaxed-SIMD fused multiply-add).
 *
 * Built by build.sh (clang 14 -> wasm32, +simd128, +bulk-memory, prototype relaxed-simd whose
 * f32x4.fma is rewritten to the final f32x4.relaxed_madd by patch_relaxed_simd.ts) into a module
 * that IMPORTS the tfjs wasm backend's own memory ("env"."memory"): every pointer below is a
 * byte offset into that heap, so tensors are read and written in place, with no copies in or
 * out. For that to be safe the module has NO data segment and never touches the shadow stack
 * (no address-taken locals, no arrays on the stack); build.sh checks both. Scratch memory is
 * allocated by the caller (tfjs's malloc).
 *
 * Layout: NHWC tensors, filters [KH][KW][CI][CO] (tfjs), dilation 1.
 *
 * Core: 6x8 register-tile micro-kernels, C[6][8] (+)= sum_k A[k][0..5] (x) B[k][0..7], with B
 * packed in panels of 8 columns and A either packed in panels of 6 rows (kern6p) or read as 6
 * consecutive floats per k (kern6t, for weight gradients). On top of them:
 *   conv_s1          stride-1 conv by "virtual rows": the input is zero-padded to Hp x Wp and
 *                    output pixel (oy,ox) becomes virtual row q = oy*Wp+ox, so tap (ky,kx) reads
 *                    padded row q + ky*Wp + kx: a GEMM per image with the A panels gathered
 *                    from the padded image (no im2col buffer); rows with ox >= OW are computed
 *                    into a dummy tile. With flip=1 it is Conv2DBackpropInput (stride 1): the
 *                    conv of dy with the flipped, transposed filter.
 *   conv_s1_dw       stride-1 weight gradient over the same virtual rows (A^T B).
 *   conv_im2col      any stride/padding: im2col of chunks of output pixels, then GEMM.
 *   conv_im2col_dw   any stride/padding weight gradient.
 *   conv_im2col_dx   any stride/padding input gradient: dy x W^T then col2im (scatter-add).
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))
#define NOINLINE static __attribute__((noinline))

typedef float f32;
typedef v128_t v4;

#define LD(p) wasm_v128_load(p)
#define ST(p, v) wasm_v128_store((p), (v))
#define SPLAT(p) wasm_v128_load32_splat(p)
#define MUL(a, b) wasm_f32x4_mul((a), (b))
#define ADD(a, b) wasm_f32x4_add((a), (b))
#define ZERO wasm_f32x4_splat(0.0f)
/* a*b + c. clang 14 emits the prototype f32x4.fma; build.sh rewrites it to f32x4.relaxed_madd. */
#define MADD(a, b, c) __builtin_wasm_fma_f32x4((a), (b), (c))

#define MR 6
#define NR 8
#define SLACK 8 /* floats of readable padding after buffers read by kern6t */

INLINE int imin(int a, int b) { return a < b ? a : b; }
INLINE int imax(int a, int b) { return a > b ? a : b; }

/* Store (or add into) 8 columns, or the first nr of them. No stack use. */
INLINE void store_row(f32* c, v4 x0, v4 x1, int nr, int acc) {
  if (nr == NR) {
    if (acc) {
      x0 = ADD(x0, LD(c));
      x1 = ADD(x1, LD(c + 4));
    }
    ST(c, x0);
    ST(c + 4, x1);
    return;
  }
#define LANE(j, v, l) \
  if (nr > j) c[j] = (acc ? c[j] : 0.0f) + wasm_f32x4_extract_lane(v, l);
  LANE(0, x0, 0)
  LANE(1, x0, 1)
  LANE(2, x0, 2)
  LANE(3, x0, 3)
  LANE(4, x1, 0)
  LANE(5, x1, 1)
  LANE(6, x1, 2)
#undef LANE
}

#define TILE_DECL                                                                     \
  v4 s00 = ZERO, s01 = ZERO, s10 = ZERO, s11 = ZERO, s20 = ZERO, s21 = ZERO, s30 = ZERO; \
  v4 s31 = ZERO, s40 = ZERO, s41 = ZERO, s50 = ZERO, s51 = ZERO;
/* one k step: A values at pa[0..5] (splat), B row at pb[0..7] */
#define TILE_STEP(pa, pb)                    \
  {                                          \
    v4 b0 = LD(pb), b1 = LD((pb) + 4), x;    \
    x = SPLAT((pa) + 0);                     \
    s00 = MADD(x, b0, s00);                  \
    s01 = MADD(x, b1, s01);                  \
    x = SPLAT((pa) + 1);                     \
    s10 = MADD(x, b0, s10);                  \
    s11 = MADD(x, b1, s11);                  \
    x = SPLAT((pa) + 2);                     \
    s20 = MADD(x, b0, s20);                  \
    s21 = MADD(x, b1, s21);                  \
    x = SPLAT((pa) + 3);                     \
    s30 = MADD(x, b0, s30);                  \
    s31 = MADD(x, b1, s31);                  \
    x = SPLAT((pa) + 4);                     \
    s40 = MADD(x, b0, s40);                  \
    s41 = MADD(x, b1, s41);                  \
    x = SPLAT((pa) + 5);                     \
    s50 = MADD(x, b0, s50);                  \
    s51 = MADD(x, b1, s51);                  \
  }
#define TILE_STORE(c0, c1, c2, c3, c4, c5, nr, acc) \
  store_row(c0, s00, s01, nr, acc);                 \
  store_row(c1, s10, s11, nr, acc);                 \
  store_row(c2, s20, s21, nr, acc);                 \
  store_row(c3, s30, s31, nr, acc);                 \
  store_row(c4, s40, s41, nr, acc);                 \
  store_row(c5, s50, s51, nr, acc);

/* C[r][0..nr) (+)= sum_{k<kc} Ap[k*6 + r] * Bp[k*8 + j]   (A packed in a panel of 6 rows) */
NOINLINE void kern6p(int kc, const f32* a, const f32* b, f32* c0, f32* c1, f32* c2, f32* c3, f32* c4, f32* c5,
                     int nr, int acc) {
  TILE_DECL
  int k = 0;
  for (; k + 2 <= kc; k += 2) {
    TILE_STEP(a, b)
    TILE_STEP(a + MR, b + NR)
    a += 2 * MR;
    b += 2 * NR;
  }
  if (k < kc) TILE_STEP(a, b)
  TILE_STORE(c0, c1, c2, c3, c4, c5, nr, acc)
}

/*
 * C[r][0..nr) (+)= sum_{t<T} sum_{c<CI} A[r*ars + sh(t) + c] * Bp[(t*CI + c)*8 + j] with
 * sh(t) = (t / KW)*tys + (t % KW)*txs: rows read in place (no packing), 4 channels per step.
 */
NOINLINE void kern6d(const f32* a, int ars, int T, int KW, int tys, int txs, int CI, const f32* b, f32* c0, f32* c1,
                     f32* c2, f32* c3, f32* c4, f32* c5, int nr, int acc) {
  TILE_DECL
  for (int t = 0; t < T; t++) {
    const f32* p0 = a + (t / KW) * tys + (t % KW) * txs;
    const f32 *p1 = p0 + ars, *p2 = p1 + ars, *p3 = p2 + ars, *p4 = p3 + ars, *p5 = p4 + ars;
#define DSTEP(o, pb)                       \
  {                                        \
    v4 b0 = LD(pb), b1 = LD((pb) + 4), x; \
    x = SPLAT(p0 + (o));                   \
    s00 = MADD(x, b0, s00);                \
    s01 = MADD(x, b1, s01);                \
    x = SPLAT(p1 + (o));                   \
    s10 = MADD(x, b0, s10);                \
    s11 = MADD(x, b1, s11);                \
    x = SPLAT(p2 + (o));                   \
    s20 = MADD(x, b0, s20);                \
    s21 = MADD(x, b1, s21);                \
    x = SPLAT(p3 + (o));                   \
    s30 = MADD(x, b0, s30);                \
    s31 = MADD(x, b1, s31);                \
    x = SPLAT(p4 + (o));                   \
    s40 = MADD(x, b0, s40);                \
    s41 = MADD(x, b1, s41);                \
    x = SPLAT(p5 + (o));                   \
    s50 = MADD(x, b0, s50);                \
    s51 = MADD(x, b1, s51);                \
  }
    int c = 0;
    for (; c + 4 <= CI; c += 4) {
      DSTEP(0, b)
      DSTEP(1, b + NR)
      DSTEP(2, b + 2 * NR)
      DSTEP(3, b + 3 * NR)
      b += 4 * NR;
      p0 += 4;
      p1 += 4;
      p2 += 4;
      p3 += 4;
      p4 += 4;
      p5 += 4;
    }
    for (; c < CI; c++) {
      DSTEP(0, b)
      b += NR;
      p0++;
      p1++;
      p2++;
      p3++;
      p4++;
      p5++;
    }
#undef DSTEP
  }
  TILE_STORE(c0, c1, c2, c3, c4, c5, nr, acc)
}

/* C[r][0..nr) (+)= sum_{k<kc} A[k*aks + r] * Bp[k*8 + j]   (6 consecutive floats of A per k) */
NOINLINE void kern6t(int kc, const f32* a, int aks, const f32* b, f32* c0, f32* c1, f32* c2, f32* c3, f32* c4,
                     f32* c5, int nr, int acc) {
  TILE_DECL
  int k = 0;
  for (; k + 2 <= kc; k += 2) {
    TILE_STEP(a, b)
    TILE_STEP(a + aks, b + NR)
    a += 2 * aks;
    b += 2 * NR;
  }
  if (k < kc) TILE_STEP(a, b)
  TILE_STORE(c0, c1, c2, c3, c4, c5, nr, acc)
}

/*
 * Pack a [K][N] operand into panels of 8 columns: Bp[nt][k][8] (zero beyond N).
 * Element (k, n) is read at src[k*ks + n*ns].
 */
static void pack_b(const f32* src, int K, int N, int ks, int ns, f32* bp) {
  int NT = (N + NR - 1) / NR;
  for (int nt = 0; nt < NT; nt++) {
    f32* d = bp + (long)nt * K * NR;
    int n0 = nt * NR, nr = imin(NR, N - n0);
    if (ns == 1 && nr == NR) {
      for (int k = 0; k < K; k++) {
        const f32* s = src + (long)k * ks + n0;
        ST(d, LD(s));
        ST(d + 4, LD(s + 4));
        d += NR;
      }
    } else {
      for (int k = 0; k < K; k++) {
        for (int j = 0; j < NR; j++) d[j] = j < nr ? src[(long)k * ks + (long)(n0 + j) * ns] : 0.0f;
        d += NR;
      }
    }
  }
}

/* Zero-padded copy of one image [H][W][C] into [Hp][Wp][C] at offset (pt, pl). */
static void pad_image(const f32* x, int H, int W, int C, int Hp, int Wp, int pt, int pl, f32* xp) {
  for (int yy = 0; yy < Hp; yy++) {
    f32* d = xp + (long)yy * Wp * C;
    int sy = yy - pt;
    int x0 = imax(0, pl), x1 = imin(Wp, pl + W); /* destination columns that have a source */
    if (sy < 0 || sy >= H || x1 <= x0) {
      __builtin_memset(d, 0, sizeof(f32) * Wp * C);
      continue;
    }
    if (x0 > 0) __builtin_memset(d, 0, sizeof(f32) * x0 * C);
    __builtin_memcpy(d + (long)x0 * C, x + ((long)sy * W + (x0 - pl)) * C, sizeof(f32) * (x1 - x0) * C);
    if (x1 < Wp) __builtin_memset(d + (long)x1 * C, 0, sizeof(f32) * (Wp - x1) * C);
  }
}

/*
 * Interleave n values from each of 6 rows: d[k*6 + r] = s_r[k] for k < n (a NULL row gives zeros).
 * SIMD 4x4 transposes when n is a multiple of 4, scalar otherwise.
 */
static void pack6(const f32* s0, const f32* s1, const f32* s2, const f32* s3, const f32* s4, const f32* s5, int n,
                  f32* d) {
  int k = 0;
  if ((n & 3) == 0) {
    for (; k < n; k += 4, d += 4 * MR) {
      v4 r0 = s0 ? LD(s0 + k) : ZERO;
      v4 r1 = s1 ? LD(s1 + k) : ZERO;
      v4 r2 = s2 ? LD(s2 + k) : ZERO;
      v4 r3 = s3 ? LD(s3 + k) : ZERO;
      v4 r4 = s4 ? LD(s4 + k) : ZERO;
      v4 r5 = s5 ? LD(s5 + k) : ZERO;
      v4 t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5);
      v4 t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
      v4 t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
      v4 t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
      v4 u = wasm_i32x4_shuffle(r4, r5, 0, 4, 1, 5);
      v4 v = wasm_i32x4_shuffle(r4, r5, 2, 6, 3, 7);
      ST(d, wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5));
      wasm_v128_store64_lane(d + 4, u, 0);
      ST(d + 6, wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7));
      wasm_v128_store64_lane(d + 10, u, 1);
      ST(d + 12, wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5));
      wasm_v128_store64_lane(d + 16, v, 0);
      ST(d + 18, wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7));
      wasm_v128_store64_lane(d + 22, v, 1);
    }
    return;
  }
  for (; k < n; k++, d += MR) {
    d[0] = s0 ? s0[k] : 0.0f;
    d[1] = s1 ? s1[k] : 0.0f;
    d[2] = s2 ? s2[k] : 0.0f;
    d[3] = s3 ? s3[k] : 0.0f;
    d[4] = s4 ? s4[k] : 0.0f;
    d[5] = s5 ? s5[k] : 0.0f;
  }
}

/* Pack 6 rows of a row-major matrix (row r at rows + r*ld, r < nrows; zero beyond) for k in [k0,k1). */
static void pack_a_rows(const f32* rows, long ld, int nrows, int k0, int k1, f32* ap) {
  const f32* r = rows + k0;
#define ROW(i) (nrows > i ? r + i * ld : (const f32*)0)
  pack6(ROW(0), ROW(1), ROW(2), ROW(3), ROW(4), ROW(5), k1 - k0, ap);
#undef ROW
}

/* ------------------------------------------------------------------------------------------ */
/* stride-1 convolution (and stride-1 input gradient with flip=1)                              */
/* ------------------------------------------------------------------------------------------ */

#define S1_PANELS 16 /* 6-row panels per cache block of virtual rows */
#ifndef S1_DIRECT_MAX_NT
#define S1_DIRECT_MAX_NT 4 /* column panels up to which conv_s1_run reads A in place (measured) */
#endif
#define S1_KC 768    /* largest reduction block (blocks are balanced: K=1152 -> 2 x 576) */

/*
 * Pack the A panel of virtual rows q0..q0+5 (rows >= qend are zero) for k in [k0, k1) where
 * k = (ky*KW + kx)*CI + c reads src[(q + ky*Wp + kx)*CI + c].
 */
static void pack_a_s1(const f32* src, int CI, int KW, int Wp, int q0, int qend, int k0, int k1, f32* ap) {
  int k = k0;
  while (k < k1) {
    int t = k / CI, c = k - t * CI, ky = t / KW, kx = t - ky * KW;
    int n = imin(CI - c, k1 - k);
    const f32* s = src + ((long)q0 + ky * Wp + kx) * CI + c;
#define ROW(i) (q0 + i < qend ? s + i * CI : (const f32*)0)
    pack6(ROW(0), ROW(1), ROW(2), ROW(3), ROW(4), ROW(5), n, ap + (k - k0) * MR);
#undef ROW
    k += n;
  }
}

/* Work items of conv_s1_run: B images x blocks of virtual rows. */
EXPORT(conv_s1_items)
int conv_s1_items(int B, int KW, int OH, int OW) {
  int Wp = OW + KW - 1, M = (OH - 1) * Wp + OW, blk = S1_PANELS * MR;
  return B * ((M + blk - 1) / blk);
}

/* Floats of per-thread scratch conv_s1_run needs (A panels + a dummy tile). */
EXPORT(conv_s1_thread_floats)
int conv_s1_thread_floats(void) { return S1_PANELS * S1_KC * MR + 2 * NR; }

/* Floats of the packed filter: NT * KH*KW*CI * 8. */
EXPORT(conv_s1_packed_floats)
int conv_s1_packed_floats(int CI, int CO, int KH, int KW) { return ((CO + NR - 1) / NR) * KH * KW * CI * NR; }

/*
 * Pack the filter for conv_s1_run: Bp[nt][(ky,kx,c)][8] = W(ky,kx,c,n) with
 * flip=0: W(ky,kx,c,n) = w[ky][kx][c][n]          (w is [KH][KW][CI][CO])
 * flip=1: W(ky,kx,c,n) = w[KH-1-ky][KW-1-kx][n][c] (w is [KH][KW][CO][CI]; Conv2DBackpropInput)
 */
EXPORT(conv_s1_pack)
void conv_s1_pack(const f32* w, f32* bp, int CI, int CO, int KH, int KW, int flip) {
  int NT = (CO + NR - 1) / NR, T = KH * KW, K = T * CI;
  if (!flip) {
    pack_b(w, K, CO, CO, 1, bp);
    return;
  }
  for (int t = 0; t < T; t++) {
    const f32* src = w + (long)(T - 1 - t) * CO * CI;
    for (int nt = 0; nt < NT; nt++) {
      f32* d = bp + ((long)nt * K + (long)t * CI) * NR;
      int n0 = nt * NR, nr = imin(NR, CO - n0);
      for (int c = 0; c < CI; c++)
        for (int j = 0; j < NR; j++) d[c * NR + j] = j < nr ? src[(long)(n0 + j) * CI + c] : 0.0f;
    }
  }
}

/* Zero-pad B images [H][W][C] into [Hp][Wp][C] each (offset pt, pl), then SLACK zero floats. */
EXPORT(pad_batch)
void pad_batch(const f32* x, f32* xp, int B, int H, int W, int C, int Hp, int Wp, int PT, int PL) {
  for (int b = 0; b < B; b++)
    pad_image(x + (long)b * H * W * C, H, W, C, Hp, Wp, PT, PL, xp + (long)b * Hp * Wp * C);
  __builtin_memset(xp + (long)B * Hp * Wp * C, 0, sizeof(f32) * SLACK);
}

/*
 * Stride-1 convolution of padded images xp [B][Hp][Wp][CI] with a packed filter (conv_s1_pack):
 * y[b][oy][ox][n] = sum_{ky,kx,c} xp[b][oy+ky][ox+kx][c] * W(ky,kx,c,n), y [B][OH][OW][CO],
 * Hp = OH+KH-1, Wp = OW+KW-1. Work items are (image, block of virtual rows), conv_s1_items of
 * them; this call does items [i0, i1) with the scratch of thread `part`, at ts + part*tstride
 * floats (tstride >= conv_s1_thread_floats()). Items write disjoint outputs.
 */
EXPORT(conv_s1_run)
void conv_s1_run(const f32* xp, const f32* bp, f32* y, f32* ts, int tstride, int B, int Hp, int Wp, int CI, int CO,
                 int KH, int KW, int OH, int OW, int part, int i0, int i1) {
  int NT = (CO + NR - 1) / NR, K = KH * KW * CI;
  int M = (OH - 1) * Wp + OW; /* virtual rows per image */
  int blk = S1_PANELS * MR, nblk = (M + blk - 1) / blk;
  (void)B;
  f32* apb = ts + (long)part * tstride;
  f32* dummy = apb + S1_PANELS * S1_KC * MR;
  for (int it = i0; it < i1; it++) {
    int b = it / nblk, m0 = (it - b * nblk) * blk;
    const f32* src = xp + (long)b * Hp * Wp * CI;
    f32* yb = y + (long)b * OH * OW * CO;
    int m1 = imin(M, m0 + blk), np = (m1 - m0 + MR - 1) / MR;
    if (NT <= S1_DIRECT_MAX_NT && m1 - m0 == blk) {
      /* few column panels: packing A would cost more than reading it in place (full blocks only,
         so the six rows never run past the padded image) */
      for (int nt = 0; nt < NT; nt++) {
        int n0 = nt * NR, nr = imin(NR, CO - n0);
        for (int p = 0; p < np; p++) {
          int q = m0 + p * MR, oy = q / Wp, ox = q - oy * Wp;
#define ROWPTR(r)                                                                     \
  f32* c##r = (q + r < m1 && ox < OW) ? yb + ((long)oy * OW + ox) * CO + n0 : dummy; \
  if (++ox == Wp) {                                                                   \
    ox = 0;                                                                           \
    oy++;                                                                             \
  }
          ROWPTR(0) ROWPTR(1) ROWPTR(2) ROWPTR(3) ROWPTR(4) ROWPTR(5)
#undef ROWPTR
          kern6d(src + (long)q * CI, CI, KH * KW, KW, Wp * CI, CI, CI, bp + (long)nt * K * NR, c0, c1, c2, c3, c4, c5,
                 nr, 0);
        }
      }
      continue;
    }
    int nkb = (K + S1_KC - 1) / S1_KC, kb = ((K + nkb - 1) / nkb + 3) & ~3; /* multiple of 4 for pack6 */
    for (int k0 = 0; k0 < K; k0 += kb) {
      int k1 = imin(K, k0 + kb), kc = k1 - k0;
      for (int p = 0; p < np; p++) pack_a_s1(src, CI, KW, Wp, m0 + p * MR, m1, k0, k1, apb + (long)p * kc * MR);
      for (int nt = 0; nt < NT; nt++) {
        int n0 = nt * NR, nr = imin(NR, CO - n0);
        const f32* bpn = bp + ((long)nt * K + k0) * NR;
        for (int p = 0; p < np; p++) {
          int q = m0 + p * MR, oy = q / Wp, ox = q - oy * Wp;
#define ROWPTR(r)                                                                     \
  f32* c##r = (q + r < m1 && ox < OW) ? yb + ((long)oy * OW + ox) * CO + n0 : dummy; \
  if (++ox == Wp) {                                                                   \
    ox = 0;                                                                           \
    oy++;                                                                             \
  }
          ROWPTR(0) ROWPTR(1) ROWPTR(2) ROWPTR(3) ROWPTR(4) ROWPTR(5)
#undef ROWPTR
          kern6p(kc, apb + (long)p * kc * MR, bpn, c0, c1, c2, c3, c4, c5, nr, k0 > 0);
        }
      }
    }
  }
}

/* ------------------------------------------------------------------------------------------ */
/* stride-1 weight gradient                                                                    */
/* ------------------------------------------------------------------------------------------ */

#define DW_KBLOCK 512 /* virtual rows (the reduction) per cache block */

/* Floats of per-thread scratch conv_s1_dw_run needs (one image of dy, packed, + a dummy tile). */
EXPORT(conv_s1_dw_thread_floats)
int conv_s1_dw_thread_floats(int CO, int KW, int OH, int OW) {
  int Wp = OW + KW - 1, M = (OH - 1) * Wp + OW;
  return ((CO + NR - 1) / NR) * M * NR + 2 * NR;
}

/*
 * Stride-1 weight gradient from padded images xp [B][Hp][Wp][CI] (+ SLACK readable floats, as
 * pad_batch leaves them): dw[ky][kx][c][n] += sum_{b,oy,ox} xp[b][oy+ky][ox+kx][c] * dy[b][oy][ox][n].
 * dw [KH][KW][CI][CO] must be zero on entry. Work items are (8-column panel, tap), panel-major,
 * KH*KW*ceil(CO/8) of them; this call does items [i0, i1) with the scratch of thread `part`, at
 * ts + part*tstride floats (tstride >= conv_s1_dw_thread_floats()). Items write disjoint outputs.
 */
EXPORT(conv_s1_dw_run)
void conv_s1_dw_run(const f32* xp, const f32* dy, f32* dw, f32* ts, int tstride, int B, int Hp, int Wp, int CI, int CO,
                    int KH, int KW, int OH, int OW, int part, int i0, int i1) {
  int NT = (CO + NR - 1) / NR, T = KH * KW, M = (OH - 1) * Wp + OW;
  if (i0 >= i1) return;
  int nt0 = i0 / T, nt1 = (i1 - 1) / T; /* the column panels this part touches */
  f32* dyp = ts + (long)part * tstride;  /* [NT][M][8] (only panels nt0..nt1 filled), zero on dropped rows */
  f32* dummy = dyp + (long)NT * M * NR;
  for (int b = 0; b < B; b++) {
    const f32* src = xp + (long)b * Hp * Wp * CI;
    const f32* dyb = dy + (long)b * OH * OW * CO;
    for (int nt = nt0; nt <= nt1; nt++) {
      int n0 = nt * NR, nr = imin(NR, CO - n0);
      f32* d = dyp + (long)nt * M * NR;
      for (int q = 0; q < M; q++, d += NR) {
        int oy = q / Wp, ox = q - oy * Wp;
        const f32* s = dyb + ((long)oy * OW + ox) * CO + n0;
        if (ox >= OW) {
          ST(d, ZERO);
          ST(d + 4, ZERO);
        } else if (nr == NR) {
          ST(d, LD(s));
          ST(d + 4, LD(s + 4));
        } else {
          for (int j = 0; j < NR; j++) d[j] = j < nr ? s[j] : 0.0f;
        }
      }
    }
    for (int k0 = 0; k0 < M; k0 += DW_KBLOCK) {
      int kc = imin(DW_KBLOCK, M - k0);
      for (int it = i0; it < i1; it++) {
        int nt = it / T, t = it - nt * T;
        int n0 = nt * NR, nr = imin(NR, CO - n0);
        const f32* bpn = dyp + ((long)nt * M + k0) * NR;
        int ky = t / KW, kx = t - ky * KW;
        const f32* a = src + ((long)k0 + ky * Wp + kx) * CI;
        f32* dwt = dw + (long)t * CI * CO + n0;
        for (int c = 0; c < CI; c += MR) {
#define DWROW(r) f32* c##r = c + r < CI ? dwt + (long)(c + r) * CO : dummy;
          DWROW(0) DWROW(1) DWROW(2) DWROW(3) DWROW(4) DWROW(5)
#undef DWROW
          kern6t(kc, a + c, CI, bpn, c0, c1, c2, c3, c4, c5, nr, 1);
        }
      }
    }
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Winograd F(2x2, 3x3): stride-1 3x3 convolution (and its input gradient with flip=1)         */
/* ------------------------------------------------------------------------------------------ */

/*
 * Each 2x2 block of output pixels ("tile") is computed from the 4x4 patch d of the padded input
 * under it as Y = A^T [ sum_c (B^T d_c B) (.) U_c ] A, with U_c = G g_c G^T the transformed filter
 * (Lavin & Gray 2016): 16 multiplications per tile and channel pair instead of 36, i.e. 2.25x fewer
 * multiply-adds than the direct convolution. The 16 element-wise products summed over channels are
 * 16 GEMMs, [tiles x CI] x [CI x CO], run on kern6d. The transforms use only +, - and the exact
 * factor 0.5, so the result differs from the direct sum by round-off only.
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1]
 *   A^T = [1 1 1 0; 0 1 -1 -1]
 * Needs CI and CO multiples of 4 (the transforms run on 4 channels at a time) and even OH, OW.
 */

/* Floats of the transformed, packed filter: [16][NT][CI][8]. */
EXPORT(conv_wino_packed_floats)
int conv_wino_packed_floats(int CI, int CO) { return 16 * ((CO + NR - 1) / NR) * CI * NR; }

void conv_wino_pack_run(const f32* w, f32* ub, int CI, int CO, int flip, int part, int c0, int c1);
void conv_wino_dw_finish_run(const f32* partial, int nch, f32* dw, int CI, int CO, int part, int c0, int c1);

/*
 * Transform and pack a 3x3 filter for conv_wino_run: Ub[xi][nt][c][8] = U(c, n)[xi] with
 * n = nt*8 + j (zero for n >= CO) and U = G g G^T, where g(ky,kx) is
 * flip=0: w[ky][kx][c][n]           (w is [3][3][CI][CO])
 * flip=1: w[2-ky][2-kx][n][c]       (w is [3][3][CO][CI]; Conv2DBackpropInput)
 */
EXPORT(conv_wino_pack)
void conv_wino_pack(const f32* w, f32* ub, int CI, int CO, int flip) {
  if (CO & (NR - 1)) __builtin_memset(ub, 0, sizeof(f32) * conv_wino_packed_floats(CI, CO)); /* past CO: zero */
  conv_wino_pack_run(w, ub, CI, CO, flip, 0, 0, CI);
}

/*
 * conv_wino_pack for input channels [c0, c1) (the thread pool's work items), without zeroing the
 * columns past CO: when CO is not a multiple of 8 the caller zeroes ub first.
 */
EXPORT(conv_wino_pack_run)
void conv_wino_pack_run(const f32* w, f32* ub, int CI, int CO, int flip, int part, int c0, int c1) {
  int NT = (CO + NR - 1) / NR;
  long xs = (long)NT * CI * NR; /* stride between the 16 transformed positions */
  v4 half = wasm_f32x4_splat(0.5f);
  for (int c = c0; c < c1; c++) {
    for (int n = 0; n < CO; n += 4) { /* 4 output channels at a time (CO is a multiple of 4) */
      v4 g0, g1, g2, g3, g4, g5, g6, g7, g8;
#define G(t)                                                                                               \
  (flip ? wasm_f32x4_make(w[(long)(8 - (t)) * CO * CI + (long)n * CI + c],                                 \
                          w[(long)(8 - (t)) * CO * CI + (long)(n + 1) * CI + c],                           \
                          w[(long)(8 - (t)) * CO * CI + (long)(n + 2) * CI + c],                           \
                          w[(long)(8 - (t)) * CO * CI + (long)(n + 3) * CI + c])                           \
        : LD(w + ((long)(t) * CI + c) * CO + n))
      g0 = G(0), g1 = G(1), g2 = G(2), g3 = G(3), g4 = G(4), g5 = G(5), g6 = G(6), g7 = G(7), g8 = G(8);
#undef G
      /* rows of G g (4 x 3): G applied to each column of g */
      v4 a00 = g0, a01 = g1, a02 = g2;
      v4 a10 = MUL(half, ADD(ADD(g0, g3), g6)), a11 = MUL(half, ADD(ADD(g1, g4), g7));
      v4 a12 = MUL(half, ADD(ADD(g2, g5), g8));
      v4 a20 = MUL(half, ADD(wasm_f32x4_sub(g0, g3), g6)), a21 = MUL(half, ADD(wasm_f32x4_sub(g1, g4), g7));
      v4 a22 = MUL(half, ADD(wasm_f32x4_sub(g2, g5), g8));
      v4 a30 = g6, a31 = g7, a32 = g8;
      f32* d = ub + ((long)(n / NR) * CI + c) * NR + (n & (NR - 1));
#define ROWT(i, r0, r1, r2)                                                   \
  ST(d + (4 * (i) + 0) * xs, r0);                                             \
  ST(d + (4 * (i) + 1) * xs, MUL(half, ADD(ADD(r0, r1), r2)));                \
  ST(d + (4 * (i) + 2) * xs, MUL(half, ADD(wasm_f32x4_sub(r0, r1), r2)));     \
  ST(d + (4 * (i) + 3) * xs, r2);
      ROWT(0, a00, a01, a02)
      ROWT(1, a10, a11, a12)
      ROWT(2, a20, a21, a22)
      ROWT(3, a30, a31, a32)
#undef ROWT
    }
  }
}

/* Work items of conv_wino_run: chunks of wt tiles over the whole batch. */
EXPORT(conv_wino_items)
int conv_wino_items(int B, int OH, int OW, int wt) {
  long tiles = (long)B * (OH / 2) * (OW / 2);
  return (int)((tiles + wt - 1) / wt);
}

/* Floats of per-thread scratch conv_wino_run needs for chunks of wt tiles (a multiple of 6). */
EXPORT(conv_wino_thread_floats)
int conv_wino_thread_floats(int CI, int CO, int wt) { return 16 * wt * (CI + ((CO + NR - 1) / NR) * NR); }

/* one row of 4 columns of the input transform: r0..r3 = (d0 - d2, d1 + d2, d2 - d1, d1 - d3) */
#define BT4(d0, d1, d2, d3, r0, r1, r2, r3) \
  v4 r0 = wasm_f32x4_sub(d0, d2), r1 = ADD(d1, d2), r2 = wasm_f32x4_sub(d2, d1), r3 = wasm_f32x4_sub(d1, d3);

/*
 * Input transform of one tile: the 4x4 patch at p (rows rs floats apart, pixels CI apart) ->
 * v[xi*vs + c] = (B^T d_c B)[xi] for every channel c, 4 channels at a time.
 */
INLINE void wino_input(const f32* p, long rs, int CI, f32* v, long vs) {
  long cs = CI;
  for (int c = 0; c < CI; c += 4) {
    const f32* q = p + c;
    /* B^T d: combine the 4 rows, column by column */
    BT4(LD(q), LD(q + rs), LD(q + 2 * rs), LD(q + 3 * rs), e00, e10, e20, e30)
    BT4(LD(q + cs), LD(q + rs + cs), LD(q + 2 * rs + cs), LD(q + 3 * rs + cs), e01, e11, e21, e31)
    BT4(LD(q + 2 * cs), LD(q + rs + 2 * cs), LD(q + 2 * rs + 2 * cs), LD(q + 3 * rs + 2 * cs), e02, e12, e22, e32)
    BT4(LD(q + 3 * cs), LD(q + rs + 3 * cs), LD(q + 2 * rs + 3 * cs), LD(q + 3 * rs + 3 * cs), e03, e13, e23, e33)
    /* (B^T d) B: combine the 4 columns of each row */
#define ROWB(i)                                             \
  {                                                         \
    BT4(e##i##0, e##i##1, e##i##2, e##i##3, f0, f1, f2, f3) \
    ST(v + (4 * i + 0) * vs + c, f0);                       \
    ST(v + (4 * i + 1) * vs + c, f1);                       \
    ST(v + (4 * i + 2) * vs + c, f2);                       \
    ST(v + (4 * i + 3) * vs + c, f3);                       \
  }
    ROWB(0) ROWB(1) ROWB(2) ROWB(3)
#undef ROWB
  }
}

/*
 * Output transform of one tile: the 16 products at m (position xi at m + xi*mxs, CO channels) ->
 * the 2x2 outputs Y = A^T M A at o (next row ro floats on), 4 channels at a time.
 */
INLINE void wino_output(const f32* m, long mxs, f32* o, int CO, long ro) {
  for (int n = 0; n < CO; n += 4) {
#define MM(i, j) LD(m + (4 * (i) + (j)) * mxs + n)
    /* A^T M: rows 0 and 1 of the 2x4 intermediate, column by column */
#define COLA(j)                                                  \
  v4 s0##j, s1##j;                                               \
  {                                                              \
    v4 m0 = MM(0, j), m1 = MM(1, j), m2 = MM(2, j), m3 = MM(3, j); \
    s0##j = ADD(ADD(m0, m1), m2);                                \
    s1##j = wasm_f32x4_sub(wasm_f32x4_sub(m1, m2), m3);          \
  }
    COLA(0) COLA(1) COLA(2) COLA(3)
#undef COLA
#undef MM
    ST(o + n, ADD(ADD(s00, s01), s02));
    ST(o + CO + n, wasm_f32x4_sub(wasm_f32x4_sub(s01, s02), s03));
    ST(o + ro + n, ADD(ADD(s10, s11), s12));
    ST(o + ro + CO + n, wasm_f32x4_sub(wasm_f32x4_sub(s11, s12), s13));
  }
}

/*
 * Winograd F(2x2,3x3) of padded images xp [B][Hp][Wp][CI] (Hp = OH+2, Wp = OW+2) with a filter
 * packed by conv_wino_pack: y [B][OH][OW][CO] as conv_s1_run with KH = KW = 3 (up to round-off).
 * Work items are chunks of wt tiles (wt a multiple of 6), conv_wino_items of them; this call does
 * items [i0, i1) with the scratch of thread `part`, at ts + part*tstride floats (tstride >=
 * conv_wino_thread_floats). Every tile is computed the same way whatever the chunking, so the
 * result does not depend on wt or on the thread count.
 */
EXPORT(conv_wino_run)
void conv_wino_run(const f32* xp, const f32* ub, f32* y, f32* ts, int tstride, int B, int Hp, int Wp, int CI, int CO,
                   int wt, int OH, int OW, int part, int i0, int i1) {
  int NT = (CO + NR - 1) / NR, CO8 = NT * NR, TY = OH / 2, TX = OW / 2;
  long tiles = (long)B * TY * TX, rs = (long)Wp * CI;
  f32* V = ts + (long)part * tstride; /* [16][wt][CI] */
  f32* Mm = V + 16L * wt * CI;        /* [16][wt][CO8] */
  long vxs = (long)wt * CI, mxs = (long)wt * CO8, uxs = (long)NT * CI * NR;
  for (int it = i0; it < i1; it++) {
    long t0 = (long)it * wt;
    int nt_c = (int)(tiles - t0 < wt ? tiles - t0 : wt);
    /* input transform, 4 channels at a time */
    for (int t = 0; t < nt_c; t++) {
      long tt = t0 + t;
      int b = (int)(tt / ((long)TY * TX)), r = (int)(tt - (long)b * TY * TX), ty = r / TX, tx = r - ty * TX;
      const f32* p = xp + (((long)b * Hp + 2 * ty) * Wp + 2 * tx) * CI;
      wino_input(p, rs, CI, V + (long)t * CI, vxs);
    }
    /* 16 GEMMs: M[xi] (nt_c x CO8) = V[xi] (nt_c x CI) x U[xi] (CI x CO8); rows past nt_c are
       computed from stale scratch and never read */
    int np = (nt_c + MR - 1) / MR;
    for (int xi = 0; xi < 16; xi++) {
      const f32* a = V + xi * vxs;
      f32* m = Mm + xi * mxs;
      for (int nt = 0; nt < NT; nt++) {
        const f32* bpn = ub + xi * uxs + (long)nt * CI * NR;
        for (int pp = 0; pp < np; pp++) {
          f32* c0 = m + (long)pp * MR * CO8 + nt * NR;
          kern6d(a + (long)pp * MR * CI, CI, 1, 1, 0, 0, CI, bpn, c0, c0 + CO8, c0 + 2 * CO8, c0 + 3 * CO8,
                 c0 + 4 * CO8, c0 + 5 * CO8, NR, 0);
        }
      }
    }
    /* output transform, 4 channels at a time: Y = A^T M A */
    for (int t = 0; t < nt_c; t++) {
      long tt = t0 + t;
      int b = (int)(tt / ((long)TY * TX)), r = (int)(tt - (long)b * TY * TX), ty = r / TX, tx = r - ty * TX;
      f32* o = y + (((long)b * OH + 2 * ty) * OW + 2 * tx) * CO;
      wino_output(Mm + (long)t * CO8, mxs, o, CO, (long)OW * CO);
    }
  }
}

/*
 * Weight gradient by the same transform (F(3x3, 2x2) read backwards): with Q = A dy A^T the 4x4
 * transform of a 2x2 block of dy (A = A^T^T, 4x2) and V = B^T d B as above,
 *   dw(c, n) = G^T [ sum_tiles V_c (.) Q_n ] G,
 * so the sum over tiles is 16 GEMMs P[xi] (CI x CO) = V[xi]^T Q[xi], on kern6t. The tiles are cut
 * into conv_wino_dw_chunks chunks, a number that depends on the shape only; each chunk sums its
 * tiles into its own partial P, and conv_wino_dw_finish adds the partials in chunk order: the result
 * does not depend on the thread count.
 */

/* Chunks (work items) of conv_wino_dw_run: about 64 tiles or more each, at most 8. */
EXPORT(conv_wino_dw_chunks)
int conv_wino_dw_chunks(int B, int OH, int OW) {
  long tiles = (long)B * (OH / 2) * (OW / 2), n = tiles / 64;
  return n < 1 ? 1 : n > 8 ? 8 : (int)n;
}

/* Floats of one chunk's partial sums: [16][CI][CO8]. */
EXPORT(conv_wino_dw_partial_floats)
int conv_wino_dw_partial_floats(int CI, int CO) { return 16 * CI * ((CO + NR - 1) / NR) * NR; }

/* Floats of per-thread scratch conv_wino_dw_run needs for blocks of wt tiles. */
EXPORT(conv_wino_dw_thread_floats)
int conv_wino_dw_thread_floats(int CI, int CO, int wt) {
  return 16 * wt * (CI + ((CO + NR - 1) / NR) * NR) + SLACK + 2 * NR;
}

/*
 * Partial weight-gradient sums of chunks (conv_wino_dw_chunks of them) from padded images
 * xp [B][Hp][Wp][CI] (Hp = OH+2, Wp = OW+2) and dy [B][OH][OW][CO]: part[ch] [16][CI][CO8] =
 * sum over the chunk's tiles of V^T Q, in blocks of wt tiles, with the scratch of thread `part`.
 * Work items are (chunk, group of the 16 transformed positions xi), nch * xg of them: item it
 * computes the positions [16 g / xg, 16 (g + 1) / xg) of chunk it / xg (g = it mod xg), so a
 * chunk can be shared by threads; each partial element is summed alike for any xg (xg > 1 only
 * repeats the chunk's input and dy transforms per group). This call does items [i0, i1).
 */
EXPORT(conv_wino_dw_run)
void conv_wino_dw_run(const f32* xp, const f32* dy, f32* partial, f32* ts, int tstride, int B, int Hp, int Wp, int CI,
                      int CO, int wt, int OH, int OW, int xg, int part, int i0, int i1) {
  int NT = (CO + NR - 1) / NR, CO8 = NT * NR, TY = OH / 2, TX = OW / 2;
  long tiles = (long)B * TY * TX, rs = (long)Wp * CI;
  int nch = conv_wino_dw_chunks(B, OH, OW);
  long per = (tiles + nch - 1) / nch;
  f32* V = ts + (long)part * tstride; /* [16][wt][CI] (+ SLACK: kern6t reads up to 5 floats past a row) */
  f32* Q = V + 16L * wt * CI + SLACK; /* [16][NT][wt][8] */
  f32* dummy = Q + 16L * NT * wt * NR;
  long vxs = (long)wt * CI, qxs = (long)NT * wt * NR, pxs = (long)CI * CO8;
  __builtin_memset(V + 16L * wt * CI, 0, sizeof(f32) * SLACK);
  for (int it = i0; it < i1; it++) {
    int ch = it / xg, g = it - ch * xg, xi0 = 16 * g / xg, xi1 = 16 * (g + 1) / xg;
    f32* P = partial + (long)ch * 16 * pxs;
    long c0 = ch * per, c1 = c0 + per < tiles ? c0 + per : tiles;
    for (long t0 = c0; t0 < c1; t0 += wt) {
      int nt_c = (int)(c1 - t0 < wt ? c1 - t0 : wt);
      for (int t = 0; t < nt_c; t++) {
        long tt = t0 + t;
        int b = (int)(tt / ((long)TY * TX)), r = (int)(tt - (long)b * TY * TX), ty = r / TX, tx = r - ty * TX;
        const f32* p = xp + (((long)b * Hp + 2 * ty) * Wp + 2 * tx) * CI;
        wino_input(p, rs, CI, V + (long)t * CI, vxs);
        /* Q = A g A^T of the 2x2 block of dy, 4 output channels at a time:
           (u0, u1, u2, u3) = (a, a + b, a - b, -b) along each axis */
        const f32* g = dy + (((long)b * OH + 2 * ty) * OW + 2 * tx) * CO;
        for (int n = 0; n < CO; n += 4) {
          v4 g00 = LD(g + n), g01 = LD(g + CO + n), g10 = LD(g + (long)OW * CO + n), g11 = LD(g + (long)OW * CO + CO + n);
          /* rows: A applied to columns (g0j, g1j) */
          v4 h00 = g00, h01 = g01;
          v4 h10 = ADD(g00, g10), h11 = ADD(g01, g11);
          v4 h20 = wasm_f32x4_sub(g00, g10), h21 = wasm_f32x4_sub(g01, g11);
          v4 h30 = wasm_f32x4_neg(g10), h31 = wasm_f32x4_neg(g11);
          f32* qq = Q + ((long)(n / NR) * wt + t) * NR + (n & (NR - 1));
#define ROWQ(i)                                                               \
  ST(qq + (4 * (i) + 0) * qxs, h##i##0);                                      \
  ST(qq + (4 * (i) + 1) * qxs, ADD(h##i##0, h##i##1));                        \
  ST(qq + (4 * (i) + 2) * qxs, wasm_f32x4_sub(h##i##0, h##i##1));             \
  ST(qq + (4 * (i) + 3) * qxs, wasm_f32x4_neg(h##i##1));
          ROWQ(0) ROWQ(1) ROWQ(2) ROWQ(3)
#undef ROWQ
        }
      }
      /* P[xi] (+)= V[xi]^T Q[xi]: rows c (6 at a time), columns n (panels of 8), reduction over tiles */
      int acc = t0 > c0;
      for (int xi = xi0; xi < xi1; xi++) {
        for (int nt = 0; nt < NT; nt++) {
          const f32* bq = Q + xi * qxs + (long)nt * wt * NR;
          for (int c = 0; c < CI; c += MR) {
            f32* pr = P + xi * pxs + (long)c * CO8 + nt * NR;
#define PROW(r) f32* c##r = c + r < CI ? pr + (long)(r) * CO8 : dummy;
            PROW(0) PROW(1) PROW(2) PROW(3) PROW(4) PROW(5)
#undef PROW
            kern6t(nt_c, V + xi * vxs + c, CI, bq, c0, c1, c2, c3, c4, c5, NR, acc);
          }
        }
      }
    }
  }
}

/*
 * dw [3][3][CI][CO] = G^T (sum of the nch partials, in order) G, 4 output channels at a time:
 * (r0, r1, r2) = (p0 + (p1 + p2)/2, (p1 - p2)/2, (p1 + p2)/2 + p3) along each axis.
 */
EXPORT(conv_wino_dw_finish)
void conv_wino_dw_finish(const f32* partial, int nch, f32* dw, int CI, int CO) {
  conv_wino_dw_finish_run(partial, nch, dw, CI, CO, 0, 0, CI);
}

/* conv_wino_dw_finish for input channels [c0, c1) (the thread pool's work items). */
EXPORT(conv_wino_dw_finish_run)
void conv_wino_dw_finish_run(const f32* partial, int nch, f32* dw, int CI, int CO, int part, int c0, int c1) {
  int CO8 = ((CO + NR - 1) / NR) * NR;
  long pxs = (long)CI * CO8, chs = 16 * pxs;
  v4 half = wasm_f32x4_splat(0.5f);
  for (int c = c0; c < c1; c++) {
    for (int n = 0; n < CO; n += 4) {
      const f32* p = partial + (long)c * CO8 + n;
#define PS(xi, dst)                                                      \
  v4 dst = LD(p + (xi) * pxs);                                           \
  for (int ch = 1; ch < nch; ch++) dst = ADD(dst, LD(p + ch * chs + (xi) * pxs));
      PS(0, p00) PS(1, p01) PS(2, p02) PS(3, p03) PS(4, p10) PS(5, p11) PS(6, p12) PS(7, p13)
      PS(8, p20) PS(9, p21) PS(10, p22) PS(11, p23) PS(12, p30) PS(13, p31) PS(14, p32) PS(15, p33)
#undef PS
      /* G^T along the first axis: rows r0..r2 of 4 columns */
#define GT(a0, a1, a2, a3, r0, r1, r2)                                                         \
  v4 r0 = ADD(a0, MUL(half, ADD(a1, a2))), r1 = MUL(half, wasm_f32x4_sub(a1, a2)), \
     r2 = ADD(MUL(half, ADD(a1, a2)), a3);
      GT(p00, p10, p20, p30, q00, q10, q20)
      GT(p01, p11, p21, p31, q01, q11, q21)
      GT(p02, p12, p22, p32, q02, q12, q22)
      GT(p03, p13, p23, p33, q03, q13, q23)
      f32* d = dw + (long)c * CO + n;
      long ts = (long)CI * CO; /* between taps */
#define ROWG(i)                                                 \
  {                                                             \
    GT(q##i##0, q##i##1, q##i##2, q##i##3, w0, w1, w2)          \
    ST(d + (3 * (i) + 0) * ts, w0);                             \
    ST(d + (3 * (i) + 1) * ts, w1);                             \
    ST(d + (3 * (i) + 2) * ts, w2);                             \
  }
      ROWG(0) ROWG(1) ROWG(2)
#undef ROWG
#undef GT
    }
  }
}

/* Tiles computed together by conv_wino1_run. */
#define W1T 4

/*
 * conv_wino_run for at most 8 output channels (one column panel), W1T tiles at a time: their
 * input transforms, the 16 products M[xi] = V[xi] . U[xi] with the W1T tiles' 8 accumulators in
 * registers (one tile alone waits on the multiply-add latency; the GEMM calls of conv_wino_run cost
 * more than the multiply-adds for so few channels), then the output transforms. Each tile is
 * computed the same way whatever the grouping. Same arguments, work items and filter packing as
 * conv_wino_run; per-thread scratch 16 * W1T * (CI + 8) floats.
 */
EXPORT(conv_wino1_run)
void conv_wino1_run(const f32* xp, const f32* ub, f32* y, f32* ts, int tstride, int B, int Hp, int Wp, int CI, int CO,
                    int wt, int OH, int OW, int part, int i0, int i1) {
  int TY = OH / 2, TX = OW / 2;
  long tiles = (long)B * TY * TX, rs = (long)Wp * CI, uxs = (long)CI * NR, vs = (long)W1T * CI, ms = W1T * NR;
  f32* V = ts + (long)part * tstride; /* [16][W1T][CI] */
  f32* M = V + 16 * vs;               /* [16][W1T][8] */
  for (int it = i0; it < i1; it++) {
    long t0 = (long)it * wt, t1 = t0 + wt < tiles ? t0 + wt : tiles;
    for (long g = t0; g < t1; g += W1T) {
      int ng = (int)(t1 - g < W1T ? t1 - g : W1T);
      for (int t = 0; t < ng; t++) {
        long tt = g + t;
        int b = (int)(tt / ((long)TY * TX)), r = (int)(tt - (long)b * TY * TX), ty = r / TX, tx = r - ty * TX;
        wino_input(xp + (((long)b * Hp + 2 * ty) * Wp + 2 * tx) * CI, rs, CI, V + (long)t * CI, vs);
      }
      /* missing tiles of a short group repeat tile 0 (computed, never stored) */
      long o1 = ng > 1 ? CI : 0, o2 = ng > 2 ? 2L * CI : 0, o3 = ng > 3 ? 3L * CI : 0;
      for (int xi = 0; xi < 16; xi++) {
        const f32 *a = V + xi * vs, *u = ub + xi * uxs;
        v4 c0a = ZERO, c0b = ZERO, c1a = ZERO, c1b = ZERO, c2a = ZERO, c2b = ZERO, c3a = ZERO, c3b = ZERO;
        for (int c = 0; c < CI; c++) {
          v4 ua = LD(u + c * NR), ub4 = LD(u + c * NR + 4), s0 = SPLAT(a + c), s1 = SPLAT(a + o1 + c);
          c0a = MADD(s0, ua, c0a);
          c0b = MADD(s0, ub4, c0b);
          c1a = MADD(s1, ua, c1a);
          c1b = MADD(s1, ub4, c1b);
          v4 s2 = SPLAT(a + o2 + c), s3 = SPLAT(a + o3 + c);
          c2a = MADD(s2, ua, c2a);
          c2b = MADD(s2, ub4, c2b);
          c3a = MADD(s3, ua, c3a);
          c3b = MADD(s3, ub4, c3b);
        }
        f32* m = M + xi * ms;
        ST(m, c0a);
        ST(m + 4, c0b);
        ST(m + 8, c1a);
        ST(m + 12, c1b);
        ST(m + 16, c2a);
        ST(m + 20, c2b);
        ST(m + 24, c3a);
        ST(m + 28, c3b);
      }
      for (int t = 0; t < ng; t++) {
        long tt = g + t;
        int b = (int)(tt / ((long)TY * TX)), r = (int)(tt - (long)b * TY * TX), ty = r / TX, tx = r - ty * TX;
        wino_output(M + t * NR, ms, y + (((long)b * OH + 2 * ty) * OW + 2 * tx) * CO, CO, (long)OW * CO);
      }
    }
  }
}

#undef BT4

/* ------------------------------------------------------------------------------------------ */
/* any stride: im2col in chunks of output pixels                                               */
/* ------------------------------------------------------------------------------------------ */

#define IC_ROWS 240 /* output pixels per im2col chunk (multiple of MR) */

/* Output pixel p (flattened over the batch) -> its first input position. */
#define PIXEL(p)                                               \
  int b = (p) / (OH * OW), rr = (p) - b * OH * OW, oy = rr / OW; \
  int ox = rr - oy * OW;

/* im2col of pixels p0 .. p0+np-1, packed in panels of 6 pixels: S[panel][k][6] (zero rows beyond np). */
static void im2col_packed(const f32* x, int H, int W, int CI, int KH, int KW, int SH, int SW, int PT, int PL, int OH,
                          int OW, int p0, int np, f32* s) {
  int K = KH * KW * CI, npan = (np + MR - 1) / MR;
  for (int pn = 0; pn < npan; pn++) {
    /* the 6 pixels of this panel: batch index and top-left input position (-1: no pixel) */
    int bb[MR], yy[MR], xx[MR];
    for (int r = 0; r < MR; r++) {
      int i = pn * MR + r;
      if (i >= np) {
        bb[r] = -1;
        continue;
      }
      PIXEL(p0 + i)
      bb[r] = b;
      yy[r] = oy * SH - PT;
      xx[r] = ox * SW - PL;
    }
    f32* d = s + (long)pn * K * MR;
    for (int ky = 0; ky < KH; ky++)
      for (int kx = 0; kx < KW; kx++, d += CI * MR) {
#define SRC(r)                                                                                              \
  (bb[r] >= 0 && yy[r] + ky >= 0 && yy[r] + ky < H && xx[r] + kx >= 0 && xx[r] + kx < W                     \
       ? x + (((long)bb[r] * H + yy[r] + ky) * W + xx[r] + kx) * CI                                          \
       : (const f32*)0)
        pack6(SRC(0), SRC(1), SRC(2), SRC(3), SRC(4), SRC(5), CI, d);
#undef SRC
      }
  }
}

/* im2col of pixels p0 .. p0+np-1, row-major S[i][K]. */
static void im2col_rows(const f32* x, int H, int W, int CI, int KH, int KW, int SH, int SW, int PT, int PL, int OH,
                        int OW, int p0, int np, f32* s) {
  int K = KH * KW * CI;
  for (int i = 0; i < np; i++) {
    PIXEL(p0 + i)
    f32* d = s + (long)i * K;
    for (int ky = 0; ky < KH; ky++) {
      int iy = oy * SH + ky - PT;
      for (int kx = 0; kx < KW; kx++, d += CI) {
        int ix = ox * SW + kx - PL;
        if (iy < 0 || iy >= H || ix < 0 || ix >= W)
          __builtin_memset(d, 0, sizeof(f32) * CI);
        else
          __builtin_memcpy(d, x + (((long)b * H + iy) * W + ix) * CI, sizeof(f32) * CI);
      }
    }
  }
}

EXPORT(conv_im2col_scratch)
int conv_im2col_scratch(int CI, int CO, int KH, int KW) {
  int K = KH * KW * CI, NT = (CO + NR - 1) / NR;
  return 4 * (NT * K * NR + IC_ROWS * K + 2 * NR);
}

/* Output pixels p0 .. p0+np-1 (flattened over the batch) of conv_im2col, filter packed in bp; s: im2col scratch. */
static void im2col_fwd_chunk(const f32* x, const f32* bp, f32* y, f32* s, f32* dummy, int H, int W, int CI, int CO,
                             int KH, int KW, int SH, int SW, int PT, int PL, int OH, int OW, int p0, int np) {
  int K = KH * KW * CI, NT = (CO + NR - 1) / NR, npan = (np + MR - 1) / MR;
  im2col_packed(x, H, W, CI, KH, KW, SH, SW, PT, PL, OH, OW, p0, np, s);
  for (int nt = 0; nt < NT; nt++) {
    int n0 = nt * NR, nr = imin(NR, CO - n0);
    const f32* bpn = bp + (long)nt * K * NR;
    for (int pn = 0; pn < npan; pn++) {
      int i = pn * MR;
#define OROW(r) f32* c##r = i + r < np ? y + ((long)p0 + i + r) * CO + n0 : dummy;
      OROW(0) OROW(1) OROW(2) OROW(3) OROW(4) OROW(5)
#undef OROW
      kern6p(K, s + (long)pn * K * MR, bpn, c0, c1, c2, c3, c4, c5, nr, 0);
    }
  }
}

/* y[b][oy][ox][n] = sum x[b][oy*SH+ky-PT][ox*SW+kx-PL][c] * w[ky][kx][c][n] */
EXPORT(conv_im2col)
void conv_im2col(const f32* x, const f32* w, f32* y, f32* scratch, int B, int H, int W, int CI, int CO, int KH, int KW,
                 int SH, int SW, int PT, int PL, int OH, int OW) {
  int K = KH * KW * CI, NT = (CO + NR - 1) / NR, P = B * OH * OW;
  f32* bp = scratch;
  f32* s = bp + (long)NT * K * NR;
  f32* dummy = s + (long)IC_ROWS * K;
  pack_b(w, K, CO, CO, 1, bp);
  for (int p0 = 0; p0 < P; p0 += IC_ROWS)
    im2col_fwd_chunk(x, bp, y, s, dummy, H, W, CI, CO, KH, KW, SH, SW, PT, PL, OH, OW, p0, imin(IC_ROWS, P - p0));
}

/* The threaded form of conv_im2col, for the pool: work items are its chunks of IC_ROWS output pixels. */
EXPORT(conv_im2col_items)
int conv_im2col_items(int B, int OH, int OW) { return (B * OH * OW + IC_ROWS - 1) / IC_ROWS; }

/* Floats of the packed filter of conv_im2col_run (conv_im2col_pack) and of its per-thread scratch. */
EXPORT(conv_im2col_packed_floats)
int conv_im2col_packed_floats(int K, int CO) { return ((CO + NR - 1) / NR) * K * NR; }
EXPORT(conv_im2col_thread_floats)
int conv_im2col_thread_floats(int K) { return IC_ROWS * K + 2 * NR; }

/* Pack w [K][CO] for conv_im2col_run (as conv_im2col packs it). */
EXPORT(conv_im2col_pack)
void conv_im2col_pack(const f32* w, f32* bp, int K, int CO) { pack_b(w, K, CO, CO, 1, bp); }

/*
 * conv_im2col's chunks [i0, i1) with the scratch of thread `part` (ts + part*tstride floats, tstride >=
 * conv_im2col_thread_floats(K)). Chunks write disjoint outputs with the same code as conv_im2col, so the
 * result does not depend on how the chunks are split.
 */
EXPORT(conv_im2col_run)
void conv_im2col_run(const f32* x, const f32* bp, f32* y, f32* ts, int tstride, int B, int H, int W, int CI, int CO,
                     int KH, int KW, int SH, int SW, int PT, int PL, int OH, int OW, int part, int i0, int i1) {
  int K = KH * KW * CI, P = B * OH * OW;
  f32* s = ts + (long)part * tstride;
  f32* dummy = s + (long)IC_ROWS * K;
  for (int it = i0; it < i1; it++) {
    int p0 = it * IC_ROWS;
    im2col_fwd_chunk(x, bp, y, s, dummy, H, W, CI, CO, KH, KW, SH, SW, PT, PL, OH, OW, p0, imin(IC_ROWS, P - p0));
  }
}

EXPORT(conv_im2col_dw_scratch)
int conv_im2col_dw_scratch(int CI, int CO, int KH, int KW) {
  int K = KH * KW * CI, NT = (CO + NR - 1) / NR;
  return 4 * (IC_ROWS * K + SLACK + NT * IC_ROWS * NR + 2 * NR);
}

/*
 * Column panels [nt0, nt1) of conv_im2col_dw over all its chunks: dw[.][n] += over chunks, in chunk order. s: im2col
 * scratch (IC_ROWS*K + SLACK floats), dyp: packed dy ((nt1-nt0)*IC_ROWS*8 floats), dummy: 8 floats.
 */
static void im2col_dw_panels(const f32* x, const f32* dy, f32* dw, f32* s, f32* dyp, f32* dummy, int B, int H, int W,
                             int CI, int CO, int KH, int KW, int SH, int SW, int PT, int PL, int OH, int OW, int nt0,
                             int nt1) {
  int K = KH * KW * CI, P = B * OH * OW, n0 = nt0 * NR, ncols = imin(CO, nt1 * NR) - n0;
  for (int p0 = 0; p0 < P; p0 += IC_ROWS) {
    int np = imin(IC_ROWS, P - p0);
    im2col_rows(x, H, W, CI, KH, KW, SH, SW, PT, PL, OH, OW, p0, np, s);
    __builtin_memset(s + (long)np * K, 0, sizeof(f32) * SLACK);
    pack_b(dy + (long)p0 * CO + n0, np, ncols, CO, 1, dyp);
    for (int nt = nt0; nt < nt1; nt++) {
      int c0n = nt * NR, nr = imin(NR, CO - c0n);
      const f32* bpn = dyp + (long)(nt - nt0) * np * NR;
      for (int m = 0; m < K; m += MR) {
#define WROW(r) f32* c##r = m + r < K ? dw + (long)(m + r) * CO + c0n : dummy;
        WROW(0) WROW(1) WROW(2) WROW(3) WROW(4) WROW(5)
#undef WROW
        kern6t(np, s + m, K, bpn, c0, c1, c2, c3, c4, c5, nr, 1);
      }
    }
  }
}

/* dw[ky][kx][c][n] = sum_{b,oy,ox} x[b][oy*SH+ky-PT][ox*SW+kx-PL][c] * dy[b][oy][ox][n] */
EXPORT(conv_im2col_dw)
void conv_im2col_dw(const f32* x, const f32* dy, f32* dw, f32* scratch, int B, int H, int W, int CI, int CO, int KH,
                    int KW, int SH, int SW, int PT, int PL, int OH, int OW) {
  int K = KH * KW * CI, NT = (CO + NR - 1) / NR;
  f32* s = scratch;
  f32* dyp = s + (long)IC_ROWS * K + SLACK;
  f32* dummy = dyp + (long)NT * IC_ROWS * NR;
  __builtin_memset(dw, 0, sizeof(f32) * K * CO);
  im2col_dw_panels(x, dy, dw, s, dyp, dummy, B, H, W, CI, CO, KH, KW, SH, SW, PT, PL, OH, OW, 0, NT);
}

/* Floats of per-thread scratch conv_im2col_dw_run needs for `panels` column panels at a time. */
EXPORT(conv_im2col_dw_thread_floats)
int conv_im2col_dw_thread_floats(int K, int panels) { return IC_ROWS * K + SLACK + panels * IC_ROWS * NR + 2 * NR; }

/*
 * The threaded form of conv_im2col_dw, for the pool: work items are column panels of 8 (ceil(CO/8)); this call
 * does panels [i0, i1) (at most `panels` of them, the size conv_im2col_dw_thread_floats was given) over every
 * chunk, with the scratch of thread `part`. dw must be zero on entry. Each panel sums over the chunks in the
 * same order and with the same code as conv_im2col_dw, so the result does not depend on the split.
 */
EXPORT(conv_im2col_dw_run)
void conv_im2col_dw_run(const f32* x, const f32* dy, f32* dw, f32* ts, int tstride, int B, int H, int W, int CI, int CO,
                        int KH, int KW, int SH, int SW, int PT, int PL, int OH, int OW, int part, int i0, int i1) {
  int K = KH * KW * CI;
  if (i0 >= i1) return;
  f32* s = ts + (long)part * tstride;
  f32* dyp = s + (long)IC_ROWS * K + SLACK;
  f32* dummy = dyp + (long)(i1 - i0) * IC_ROWS * NR;
  im2col_dw_panels(x, dy, dw, s, dyp, dummy, B, H, W, CI, CO, KH, KW, SH, SW, PT, PL, OH, OW, i0, i1);
}

EXPORT(conv_im2col_dx_scratch)
int conv_im2col_dx_scratch(int CI, int CO, int KH, int KW) {
  int K = KH * KW * CI, NTK = (K + NR - 1) / NR;
  return 4 * (NTK * CO * NR + IC_ROWS * NTK * NR + MR * CO + 2 * NR);
}

/*
 * Output pixels p0 .. p0+np-1 of conv_im2col_dx: G = dy x W^T for them (bp: w packed as [NTK][CO][8]), then
 * their scatter-add into dx, pixel by pixel in order. g: IC_ROWS*KP floats, ap: MR*CO, dummy: 8.
 */
static void im2col_dx_chunk(const f32* dy, const f32* bp, f32* dx, f32* g, f32* ap, f32* dummy, int H, int W, int CI,
                            int CO, int KH, int KW, int SH, int SW, int PT, int PL, int OH, int OW, int p0, int np) {
  int K = KH * KW * CI, NTK = (K + NR - 1) / NR, KP = NTK * NR;
  for (int i = 0; i < np; i += MR) {
    pack_a_rows(dy + ((long)p0 + i) * CO, CO, imin(MR, np - i), 0, CO, ap);
    for (int nt = 0; nt < NTK; nt++) {
      f32* c = g + (long)i * KP + nt * NR;
#define GROW(r) f32* c##r = i + r < np ? c + (long)r * KP : dummy;
      GROW(0) GROW(1) GROW(2) GROW(3) GROW(4) GROW(5)
#undef GROW
      kern6p(CO, ap, bp + (long)nt * CO * NR, c0, c1, c2, c3, c4, c5, NR, 0);
    }
  }
  for (int i = 0; i < np; i++) {
    PIXEL(p0 + i)
    const f32* gi = g + (long)i * KP;
    for (int ky = 0; ky < KH; ky++) {
      int iy = oy * SH + ky - PT;
      for (int kx = 0; kx < KW; kx++, gi += CI) {
        int ix = ox * SW + kx - PL;
        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
        f32* d = dx + (((long)b * H + iy) * W + ix) * CI;
        int c = 0;
        for (; c + 4 <= CI; c += 4) ST(d + c, ADD(LD(d + c), LD(gi + c)));
        for (; c < CI; c++) d[c] += gi[c];
      }
    }
  }
}

/*
 * dx[b][iy][ix][c] = sum over (oy,ox,ky,kx) with iy = oy*SH+ky-PT, ix = ox*SW+kx-PL of
 *                    dy[b][oy][ox][n] * w[ky][kx][c][n]          (w [KH][KW][CI][CO]; dx [B][H][W][CI])
 * As G = dy x W^T ([P][K], K = KH*KW*CI) followed by a scatter-add of G into dx.
 */
EXPORT(conv_im2col_dx)
void conv_im2col_dx(const f32* dy, const f32* w, f32* dx, f32* scratch, int B, int H, int W, int CI, int CO, int KH,
                    int KW, int SH, int SW, int PT, int PL, int OH, int OW) {
  int K = KH * KW * CI, NTK = (K + NR - 1) / NR, KP = NTK * NR, P = B * OH * OW;
  f32* bp = scratch; /* [NTK][CO][8]: element (k'=n, col=m) = w[m][n] */
  f32* g = bp + (long)NTK * CO * NR;
  f32* ap = g + (long)IC_ROWS * KP;
  f32* dummy = ap + (long)MR * CO;
  pack_b(w, CO, K, 1, CO, bp);
  __builtin_memset(dx, 0, sizeof(f32) * B * H * W * CI);
  for (int p0 = 0; p0 < P; p0 += IC_ROWS)
    im2col_dx_chunk(dy, bp, dx, g, ap, dummy, H, W, CI, CO, KH, KW, SH, SW, PT, PL, OH, OW, p0, imin(IC_ROWS, P - p0));
}

/* Floats of the packed filter of conv_im2col_dx_run (conv_im2col_dx_pack) and of its per-thread scratch. */
EXPORT(conv_im2col_dx_packed_floats)
int conv_im2col_dx_packed_floats(int K, int CO) { return ((K + NR - 1) / NR) * CO * NR; }
EXPORT(conv_im2col_dx_thread_floats)
int conv_im2col_dx_thread_floats(int K, int CO) { return IC_ROWS * ((K + NR - 1) / NR) * NR + MR * CO + 2 * NR; }

/* Pack w [K][CO] for conv_im2col_dx_run (as conv_im2col_dx packs it). */
EXPORT(conv_im2col_dx_pack)
void conv_im2col_dx_pack(const f32* w, f32* bp, int K, int CO) { pack_b(w, CO, K, 1, CO, bp); }

/*
 * The threaded form of conv_im2col_dx, for the pool: work items are images; this call zeroes and computes dx of
 * images [i0, i1) with the scratch of thread `part`. Every element of dx receives the same additions in the same
 * order as in conv_im2col_dx (its image's pixels in order; a pixel's G row does not depend on its neighbours), so
 * the result does not depend on the split.
 */
EXPORT(conv_im2col_dx_run)
void conv_im2col_dx_run(const f32* dy, const f32* bp, f32* dx, f32* ts, int tstride, int B, int H, int W, int CI,
                        int CO, int KH, int KW, int SH, int SW, int PT, int PL, int OH, int OW, int part, int i0,
                        int i1) {
  int K = KH * KW * CI, KP = ((K + NR - 1) / NR) * NR, npix = OH * OW;
  f32* g = ts + (long)part * tstride;
  f32* ap = g + (long)IC_ROWS * KP;
  f32* dummy = ap + (long)MR * CO;
  (void)B;
  for (int b = i0; b < i1; b++) {
    __builtin_memset(dx + (long)b * H * W * CI, 0, sizeof(f32) * H * W * CI);
    for (int q = 0; q < npix; q += IC_ROWS)
      im2col_dx_chunk(dy, bp, dx, g, ap, dummy, H, W, CI, CO, KH, KW, SH, SW, PT, PL, OH, OW, b * npix + q,
                      imin(IC_ROWS, npix - q));
  }
}

/* ------------------------------------------------------------------------------------------ */
/* GroupNorm (+ LeakyReLU)                                                                      */
/* ------------------------------------------------------------------------------------------ */

/*
 * Per-channel sums over the pixels of one image: s1[c] += sum_p u(p,c), s2[c] += sum_p v(p,c),
 * accumulated in f32 per pixel row of `chunk` pixels and then in f64 (acc: C floats of scratch).
 */

EXPORT(group_norm_scratch)
int group_norm_scratch(int C) { return 8 * 4 * C + 4 * 8 * C; }

/* The f32 whose bit pattern is `bits` (float arguments of pool functions travel as 32-bit integers). */
INLINE f32 f32_from_bits(int bits) {
  union {
    int i;
    f32 f;
  } u = {.i = bits};
  return u.f;
}

/*
 * y = act((x - mean_g) * rstd_g * gamma_c + beta_c), act(z) = z > 0 ? z : slope * z (slope 1: none).
 * x, y [B][P][C] (P = H*W pixels); groups of C/G consecutive channels; mean, rstd [B][G] (outputs).
 * Two passes for the statistics (mean, then the centred sum of squares), f64 totals.
 * Computes images [b0, b1) (the thread pool's work items) with the scratch of thread `part`
 * (tstride floats each, at least group_norm_scratch(C) bytes); eps and slope as f32 bit patterns.
 */
EXPORT(group_norm_run)
void group_norm_run(const f32* x, const f32* gamma, const f32* beta, f32* y, f32* mean, f32* rstd, f32* ts,
                    int tstride, int P, int C, int G, int eps_bits, int slope_bits, int part, int b0, int b1) {
  f32 eps = f32_from_bits(eps_bits), slope = f32_from_bits(slope_bits);
  double* t1 = (double*)(ts + (long)part * tstride); /* [C] */
  f32* acc = (f32*)(t1 + 4 * C); /* [C] */
  f32* ca = acc + C;             /* [C] scale */
  f32* cb = ca + C;              /* [C] shift */
  int CG = C / G, vec = (C & 3) == 0;
  const int CH = 64; /* pixels per f32 partial sum */
  double n = (double)P * CG;
  for (int b = b0; b < b1; b++) {
    const f32* xb = x + (long)b * P * C;
    /* pass 1: sums */
    for (int c = 0; c < C; c++) t1[c] = 0;
    for (int p0 = 0; p0 < P; p0 += CH) {
      int p1 = imin(P, p0 + CH);
      __builtin_memset(acc, 0, sizeof(f32) * C);
      for (int p = p0; p < p1; p++) {
        const f32* xp = xb + (long)p * C;
        if (vec)
          for (int c = 0; c < C; c += 4) ST(acc + c, ADD(LD(acc + c), LD(xp + c)));
        else
          for (int c = 0; c < C; c++) acc[c] += xp[c];
      }
      for (int c = 0; c < C; c++) t1[c] += acc[c];
    }
    for (int g = 0; g < G; g++) {
      double s = 0;
      for (int c = g * CG; c < (g + 1) * CG; c++) s += t1[c];
      mean[b * G + g] = (f32)(s / n);
    }
    /* pass 2: centred squares */
    for (int c = 0; c < C; c++) {
      t1[c] = 0;
      cb[c] = mean[b * G + c / CG];
    }
    for (int p0 = 0; p0 < P; p0 += CH) {
      int p1 = imin(P, p0 + CH);
      __builtin_memset(acc, 0, sizeof(f32) * C);
      for (int p = p0; p < p1; p++) {
        const f32* xp = xb + (long)p * C;
        if (vec)
          for (int c = 0; c < C; c += 4) {
            v4 d = wasm_f32x4_sub(LD(xp + c), LD(cb + c));
            ST(acc + c, ADD(LD(acc + c), MUL(d, d)));
          }
        else
          for (int c = 0; c < C; c++) {
            f32 d = xp[c] - cb[c];
            acc[c] += d * d;
          }
      }
      for (int c = 0; c < C; c++) t1[c] += acc[c];
    }
    for (int g = 0; g < G; g++) {
      double s = 0;
      for (int c = g * CG; c < (g + 1) * CG; c++) s += t1[c];
      double var = s / n;
      rstd[b * G + g] = (f32)(1.0 / __builtin_sqrt(var + (double)eps));
    }
    /* pass 3: y = act(x * a_c + b_c) */
    for (int c = 0; c < C; c++) {
      int g = c / CG;
      f32 a = rstd[b * G + g] * gamma[c];
      ca[c] = a;
      cb[c] = beta[c] - mean[b * G + g] * a;
    }
    f32* yb = y + (long)b * P * C;
    v4 vs = wasm_f32x4_splat(slope), z4 = ZERO;
    for (int p = 0; p < P; p++) {
      const f32* xp = xb + (long)p * C;
      f32* yp = yb + (long)p * C;
      if (vec)
        for (int c = 0; c < C; c += 4) {
          v4 z = ADD(MUL(LD(xp + c), LD(ca + c)), LD(cb + c));
          ST(yp + c, wasm_v128_bitselect(z, MUL(z, vs), wasm_f32x4_gt(z, z4)));
        }
      else
        for (int c = 0; c < C; c++) {
          f32 z = xp[c] * ca[c] + cb[c];
          yp[c] = z > 0 ? z : z * slope;
        }
    }
  }
}

/*
 * Gradient of group_norm_run. dz = dy * (y > 0 ? 1 : slope) (valid for slope >= 0);
 * dbeta_c = sum dz; dgamma_c = sum dz * xhat; dx = rstd * (gamma_c dz - m1 - xhat m2) with
 * m1 = mean_g(gamma dz), m2 = mean_g(gamma dz xhat). Images [b0, b1) with the scratch of thread
 * `part` (as group_norm_run); each image's sum dz and sum dz * xhat go to dpart[b][0..C) and
 * dpart[b][C..2C), and group_norm_grad_finish adds them in image order into dbeta and dgamma (so
 * the thread count does not change the result).
 */
EXPORT(group_norm_grad_run)
void group_norm_grad_run(const f32* dy, const f32* x, const f32* y, const f32* gamma, const f32* mean,
                         const f32* rstd, f32* dx, f32* dpart, f32* ts, int tstride, int P, int C, int G, int slope_bits,
                         int part, int b0, int b1) {
  f32 slope = f32_from_bits(slope_bits);
  double* t1 = (double*)(ts + (long)part * tstride); /* [C] sum dz */
  double* t2 = t1 + C;           /* [C] sum dz*x */
  f32* a1 = (f32*)(t2 + 2 * C);  /* [C] */
  f32* a2 = a1 + C;              /* [C] */
  f32* cp = a2 + C;              /* [C] dz coefficient */
  f32* cq = cp + C;              /* [C] x coefficient */
  f32* cr = cq + C;              /* [C] constant */
  int CG = C / G, vec = (C & 3) == 0;
  const int CH = 64;
  double n = (double)P * CG;
  v4 vs = wasm_f32x4_splat(slope), one = wasm_f32x4_splat(1.0f), z4 = ZERO;
  for (int b = b0; b < b1; b++) {
    const f32* xb = x + (long)b * P * C;
    const f32* yb = y + (long)b * P * C;
    const f32* db = dy + (long)b * P * C;
    for (int c = 0; c < C; c++) t1[c] = t2[c] = 0;
    for (int p0 = 0; p0 < P; p0 += CH) {
      int p1 = imin(P, p0 + CH);
      __builtin_memset(a1, 0, sizeof(f32) * 2 * C);
      for (int p = p0; p < p1; p++) {
        long o = (long)p * C;
        if (vec)
          for (int c = 0; c < C; c += 4) {
            v4 dz = MUL(LD(db + o + c), wasm_v128_bitselect(one, vs, wasm_f32x4_gt(LD(yb + o + c), z4)));
            ST(a1 + c, ADD(LD(a1 + c), dz));
            ST(a2 + c, ADD(LD(a2 + c), MUL(dz, LD(xb + o + c))));
          }
        else
          for (int c = 0; c < C; c++) {
            f32 dz = db[o + c] * (yb[o + c] > 0 ? 1.0f : slope);
            a1[c] += dz;
            a2[c] += dz * xb[o + c];
          }
      }
      for (int c = 0; c < C; c++) {
        t1[c] += a1[c];
        t2[c] += a2[c];
      }
    }
    for (int g = 0; g < G; g++) {
      double mu = mean[b * G + g], rs = rstd[b * G + g], m1 = 0, m2 = 0;
      for (int c = g * CG; c < (g + 1) * CG; c++) {
        double sxh = rs * (t2[c] - mu * t1[c]); /* sum dz * xhat */
        dpart[(long)b * 2 * C + c] = (f32)t1[c];
        dpart[(long)b * 2 * C + C + c] = (f32)sxh;
        m1 += gamma[c] * t1[c];
        m2 += gamma[c] * sxh;
      }
      m1 /= n;
      m2 /= n;
      for (int c = g * CG; c < (g + 1) * CG; c++) {
        cp[c] = (f32)(rs * gamma[c]);
        cq[c] = (f32)(-rs * rs * m2);
        cr[c] = (f32)(rs * (mu * rs * m2 - m1));
      }
    }
    f32* xo = dx + (long)b * P * C;
    for (int p = 0; p < P; p++) {
      long o = (long)p * C;
      if (vec)
        for (int c = 0; c < C; c += 4) {
          v4 dz = MUL(LD(db + o + c), wasm_v128_bitselect(one, vs, wasm_f32x4_gt(LD(yb + o + c), z4)));
          ST(xo + o + c, ADD(ADD(MUL(dz, LD(cp + c)), MUL(LD(xb + o + c), LD(cq + c))), LD(cr + c)));
        }
      else
        for (int c = 0; c < C; c++) {
          f32 dz = db[o + c] * (yb[o + c] > 0 ? 1.0f : slope);
          xo[o + c] = dz * cp[c] + xb[o + c] * cq[c] + cr[c];
        }
    }
  }
}

/* dbeta[c] = sum_b dpart[b][c], dgamma[c] = sum_b dpart[b][C + c], added in image order. */
EXPORT(group_norm_grad_finish)
void group_norm_grad_finish(const f32* dpart, int B, int C, f32* dgamma, f32* dbeta) {
  for (int c = 0; c < C; c++) dgamma[c] = dbeta[c] = 0;
  for (int b = 0; b < B; b++)
    for (int c = 0; c < C; c++) {
      dbeta[c] += dpart[(long)b * 2 * C + c];
      dgamma[c] += dpart[(long)b * 2 * C + C + c];
    }
}

/* ------------------------------------------------------------------------------------------ */
/* data movement: concat / split along an axis, sum over leading axes, max-pool gradient        */
/* ------------------------------------------------------------------------------------------ */

/* Copy `bytes` bytes (a multiple of 4); short runs by SIMD, long ones by memory.copy. */
INLINE void copy_run(unsigned char* d, const unsigned char* s, int bytes) {
  if (bytes <= 256 && (bytes & 15) == 0) {
    for (int i = 0; i < bytes; i += 16) wasm_v128_store(d + i, wasm_v128_load(s + i));
  } else {
    __builtin_memcpy(d, s, bytes);
  }
}

/* Bytes per leading index of the runs of a concat_runs/split_runs descriptor. */
INLINE long runs_bytes(const int* desc, int n) {
  long t = 0;
  for (int i = 0; i < n; i++) t += desc[2 * i + 1];
  return t;
}

/*
 * Concatenate n tensors along an axis: for each leading index o in [o0, o1) (the thread pool's
 * work items), input i contributes a run of desc[2i+1] bytes read at desc[2i] + o*desc[2i+1].
 * desc: int32 pairs (pointer, run bytes).
 */
EXPORT(concat_runs_run)
void concat_runs_run(const int* desc, int n, unsigned char* out, int part, int o0, int o1) {
  out += o0 * runs_bytes(desc, n);
  for (int o = o0; o < o1; o++)
    for (int i = 0; i < n; i++) {
      int run = desc[2 * i + 1];
      copy_run(out, (const unsigned char*)desc[2 * i] + (long)o * run, run);
      out += run;
    }
}

/* concat_runs_run over all `outer` leading indices. */
EXPORT(concat_runs)
void concat_runs(const int* desc, int n, int outer, unsigned char* out) { concat_runs_run(desc, n, out, 0, 0, outer); }

/*
 * The inverse of concat_runs_run: for leading indices [o0, o1), output i receives its run of
 * desc[2i+1] bytes at desc[2i] + o*run.
 */
EXPORT(split_runs_run)
void split_runs_run(const unsigned char* in, const int* desc, int n, int part, int o0, int o1) {
  in += o0 * runs_bytes(desc, n);
  for (int o = o0; o < o1; o++)
    for (int i = 0; i < n; i++) {
      int run = desc[2 * i + 1];
      copy_run((unsigned char*)desc[2 * i] + (long)o * run, in, run);
      in += run;
    }
}

/* split_runs_run over all `outer` leading indices. */
EXPORT(split_runs)
void split_runs(const unsigned char* in, const int* desc, int n, int outer) { split_runs_run(in, desc, n, 0, 0, outer); }

/*
 * Sums over blocks of 64 rows: partial[k][j] = sum_{o in block k} x[o*inner + j] in f32, for
 * blocks [k0, k1) (the thread pool's work items; ceil(outer / 64) blocks).
 */
EXPORT(sum_leading_run)
void sum_leading_run(const f32* x, f32* partial, int outer, int inner, int part, int k0, int k1) {
  int vec = (inner & 3) == 0;
  for (int k = k0; k < k1; k++) {
    int o0 = k * 64, o1 = imin(outer, o0 + 64);
    f32* acc = partial + (long)k * inner;
    __builtin_memcpy(acc, x + (long)o0 * inner, sizeof(f32) * inner);
    for (int o = o0 + 1; o < o1; o++) {
      const f32* r = x + (long)o * inner;
      if (vec)
        for (int j = 0; j < inner; j += 4) ST(acc + j, ADD(LD(acc + j), LD(r + j)));
      else
        for (int j = 0; j < inner; j++) acc[j] += r[j];
    }
  }
}

/* out[j] = scale * (the nblk block sums of sum_leading_run added in f64, in block order). */
EXPORT(sum_leading_finish)
void sum_leading_finish(const f32* partial, int nblk, int inner, f32* out, double scale) {
  for (int j = 0; j < inner; j++) {
    double t = 0;
    for (int k = 0; k < nblk; k++) t += partial[(long)k * inner + j];
    out[j] = (f32)(t * scale);
  }
}

/*
 * out[j] = scale * sum_o x[o*inner + j] (f32 partial sums over 64 rows, then f64).
 * scratch: inner doubles + inner floats.
 */
EXPORT(sum_leading)
void sum_leading(const f32* x, f32* out, f32* scratch, int outer, int inner, double scale) {
  double* tot = (double*)scratch;
  f32* acc = (f32*)(tot + inner);
  for (int j = 0; j < inner; j++) tot[j] = 0;
  for (int k = 0; k * 64 < outer; k++) {
    sum_leading_run(x + (long)k * 64 * inner, acc, imin(64, outer - k * 64), inner, 0, 0, 1);
    for (int j = 0; j < inner; j++) tot[j] += acc[j];
  }
  for (int j = 0; j < inner; j++) out[j] = (f32)(tot[j] * scale);
}

/*
 * Max-pool gradient, NHWC: dx = 0, then for every output (b,oy,ox,c) dy goes to the FIRST maximum
 * (row-major window order, strict >) of x over the window rows oy*SH-PT+[0,KH), cols ox*SW-PL+[0,KW)
 * clipped to the input (tfjs semantics). Images [b0, b1) (the thread pool's work items).
 */
EXPORT(max_pool_grad_run)
void max_pool_grad_run(const f32* dy, const f32* x, f32* dx, int B, int H, int W, int C, int OH, int OW, int KH,
                       int KW, int SH, int SW, int PT, int PL, int part, int b0, int b1) {
  __builtin_memset(dx + (long)b0 * H * W * C, 0, sizeof(f32) * (b1 - b0) * H * W * C);
  int vec = (C & 3) == 0;
  for (int b = b0; b < b1; b++)
    for (int oy = 0; oy < OH; oy++) {
      int y0 = oy * SH - PT, ya = imax(0, y0), yb = imin(H, y0 + KH);
      for (int ox = 0; ox < OW; ox++) {
        int x0 = ox * SW - PL, xa = imax(0, x0), xb = imin(W, x0 + KW);
        if (ya >= yb || xa >= xb) continue;
        const f32* g = dy + (((long)b * OH + oy) * OW + ox) * C;
        const f32* base = x + ((long)b * H * W) * C;
        f32* dbase = dx + ((long)b * H * W) * C;
        if (vec) {
          for (int c = 0; c < C; c += 4) {
            v4 best = LD(base + ((long)ya * W + xa) * C + c);
            v4 bi = wasm_i32x4_splat(ya * W + xa);
            for (int yy = ya; yy < yb; yy++)
              for (int xx = xa; xx < xb; xx++) {
                int pos = yy * W + xx;
                v4 v = LD(base + (long)pos * C + c);
                v4 m = wasm_f32x4_gt(v, best);
                best = wasm_v128_bitselect(v, best, m);
                bi = wasm_v128_bitselect(wasm_i32x4_splat(pos), bi, m);
              }
            v4 gv = LD(g + c);
            for (int yy = ya; yy < yb; yy++)
              for (int xx = xa; xx < xb; xx++) {
                int pos = yy * W + xx;
                v4 m = wasm_i32x4_eq(bi, wasm_i32x4_splat(pos));
                f32* d = dbase + (long)pos * C + c;
                ST(d, ADD(LD(d), wasm_v128_and(gv, m)));
              }
          }
        } else {
          for (int c = 0; c < C; c++) {
            int bp = ya * W + xa;
            f32 best = base[(long)bp * C + c];
            for (int yy = ya; yy < yb; yy++)
              for (int xx = xa; xx < xb; xx++) {
                int pos = yy * W + xx;
                f32 v = base[(long)pos * C + c];
                if (v > best) {
                  best = v;
                  bp = pos;
                }
              }
            dbase[(long)bp * C + c] += g[c];
          }
        }
      }
    }
}

/* max_pool_grad_run over all B images. */
EXPORT(max_pool_grad)
void max_pool_grad(const f32* dy, const f32* x, f32* dx, int B, int H, int W, int C, int OH, int OW, int KH, int KW,
                   int SH, int SW, int PT, int PL) {
  max_pool_grad_run(dy, x, dx, B, H, W, C, OH, OW, KH, KW, SH, SW, PT, PL, 0, 0, B);
}

/*
 * out = x[b0:b0+n0, b1:b1+n1, b2:b2+n2, b3:b3+n3] for x of shape [s0][s1][s2][s3] with 4-byte
 * elements (lower ranks: leading sizes 1). Runs of n3 elements are copied at once.
 */
EXPORT(slice4)
void slice4(const unsigned char* x, unsigned char* out, int s1, int s2, int s3, int b0, int b1, int b2, int b3, int n0,
            int n1, int n2, int n3) {
  int run = 4 * n3;
  for (int i = 0; i < n0; i++)
    for (int j = 0; j < n1; j++) {
      const unsigned char* row = x + 4 * ((((long)(b0 + i) * s1 + b1 + j) * s2 + b2) * s3 + b3);
      for (int k = 0; k < n2; k++) {
        if (run == 4)
          *(int*)out = *(const int*)(row + 4L * k * s3);
        else
          copy_run(out, row + 4L * k * s3, run);
        out += run;
      }
    }
}

/*
 * Batched matrix product for small N (attention with a few tokens or heads of a few channels):
 * out[b] (M x N) = A(b) x B(b), A(b)[m][k] = ta ? a[b][k][m] : a[b][m][k] and
 * B(b)[k][n] = tb ? b[b][n][k] : b[b][k][n]; a and b advance by sa and sb floats per batch
 * (0: broadcast). B(b) is packed in scratch as [groups of 8 columns][K][8] (zero padded); each
 * output row is accumulated in registers, 8 columns at a time. scratch: K * round8(N) floats.
 */
EXPORT(bmm_small)
void bmm_small(const f32* a, const f32* b, f32* out, f32* scratch, int batch, int M, int N, int K, int ta, int tb,
               int sa, int sb) {
  int NG = (N + NR - 1) / NR;
  for (int bi = 0; bi < batch; bi++) {
    const f32* A = a + (long)bi * sa;
    const f32* Bm = b + (long)bi * sb;
    f32* C = out + (long)bi * M * N;
    if (bi == 0 || sb != 0) pack_b(Bm, K, N, tb ? 1 : N, tb ? K : 1, scratch);
    long ak = ta ? M : 1, am = ta ? 1 : K;
    for (int m = 0; m < M; m++) {
      for (int g = 0; g < NG; g++) {
        const f32* bp = scratch + (long)g * K * NR;
        const f32* ap = A + m * am;
        v4 s0 = ZERO, s1 = ZERO, u0 = ZERO, u1 = ZERO;
        int k = 0;
        for (; k + 2 <= K; k += 2, bp += 2 * NR, ap += 2 * ak) {
          v4 x = SPLAT(ap), y = SPLAT(ap + ak);
          s0 = MADD(x, LD(bp), s0);
          s1 = MADD(x, LD(bp + 4), s1);
          u0 = MADD(y, LD(bp + NR), u0);
          u1 = MADD(y, LD(bp + NR + 4), u1);
        }
        if (k < K) {
          v4 x = SPLAT(ap);
          s0 = MADD(x, LD(bp), s0);
          s1 = MADD(x, LD(bp + 4), s1);
        }
        store_row(C + (long)m * N + g * NR, ADD(s0, u0), ADD(s1, u1), imin(NR, N - g * NR), 0);
      }
    }
  }
}

/* ------------------------------------------------------------------------------------------ */
/* element-wise: bias add (FusedConv2D), SGD step (GazeSgdStep)                                 */
/* ------------------------------------------------------------------------------------------ */

/* y[p][c] = y[p][c] + bias[c] for P rows of C floats: one f32 addition per element, as tfjs's Add. */
EXPORT(add_bias)
void add_bias(f32* y, const f32* bias, int P, int C) {
  if ((C & 3) == 0) {
    for (int p = 0; p < P; p++) {
      f32* r = y + (long)p * C;
      for (int c = 0; c < C; c += 4) ST(r + c, ADD(LD(r + c), LD(bias + c)));
    }
    return;
  }
  if (C == 1) {
    v4 b = SPLAT(bias);
    int i = 0;
    for (; i + 4 <= P; i += 4) ST(y + i, ADD(LD(y + i), b));
    for (; i < P; i++) y[i] = y[i] + bias[0];
    return;
  }
  for (int p = 0; p < P; p++) {
    f32* r = y + (long)p * C;
    for (int c = 0; c < C; c++) r[c] = r[c] + bias[c];
  }
}

/* JavaScript truthiness of a float: false for +-0 and NaN. */
INLINE int truthy(f32 v) { return v != 0.0f && v == v; }

/*
 * One PyTorch SGD step over n floats, rounding to f32 after every operation in the order of the
 * tf-op chain it replaces (lib/backend/sgd_kernel.ts; no contraction into fused multiply-adds):
 *   g = wd ? g0 + p*wd : g0;  nb = first ? g : buf*m + g  (m != 0; written to bout);
 *   g = m ? (nesterov ? g + nb*m : nb) : g;  pout = p - g*lr.
 * buf is not read when first or m = 0; bout is not written when m = 0. No aliasing.
 */
EXPORT(sgd_step)
void sgd_step(const f32* p, const f32* g0, const f32* buf, f32* pout, f32* bout, int n, f32 lr, f32 m, f32 wd,
              int nesterov, int first) {
#pragma clang fp contract(off)
  int hw = truthy(wd), hm = truthy(m), i = 0;
  v4 vlr = wasm_f32x4_splat(lr), vm = wasm_f32x4_splat(m), vwd = wasm_f32x4_splat(wd);
  for (; i + 4 <= n; i += 4) {
    v4 pi = LD(p + i), g = LD(g0 + i);
    if (hw) g = ADD(g, MUL(pi, vwd));
    if (hm) {
      v4 nb = first ? g : ADD(MUL(LD(buf + i), vm), g);
      ST(bout + i, nb);
      g = nesterov ? ADD(g, MUL(nb, vm)) : nb;
    }
    ST(pout + i, wasm_f32x4_sub(pi, MUL(g, vlr)));
  }
  for (; i < n; i++) {
    f32 pi = p[i], g = g0[i];
    if (hw) g = g + pi * wd;
    if (hm) {
      f32 nb = first ? g : buf[i] * m + g;
      bout[i] = nb;
      g = nesterov ? g + nb * m : nb;
    }
    pout[i] = pi - g * lr;
  }
}

/* ------------------------------------------------------------------------------------------ */
/* GazeMedSeg feature propagation (lib/backend/feature_prop.ts)                                 */
/* ------------------------------------------------------------------------------------------ */

/*
 * exp(x) for x <= 0 (softmax of max-subtracted logits), no libm: x = n ln2 + t with |t| <= ln2/2,
 * exp(t) by its degree-7 Taylor polynomial (relative error < 2e-8 on that range, then float
 * rounding), times 2^n built in the exponent bits; 0 below -87 (the smallest normal float).
 */
INLINE f32 exp_nonpos(f32 x) {
  if (x < -87.0f) return 0.0f;
  f32 fn = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
  int n = (int)fn;
  f32 t = x - fn * 0.693359375f - fn * -2.12194440e-4f; /* ln2 in two parts (Cephes) */
  f32 p = 1.0f + t * (1.0f + t * (0.5f + t * (1.0f / 6 + t * (1.0f / 24 + t * (1.0f / 120 +
          t * (1.0f / 720 + t * (1.0f / 5040)))))));
  union {
    f32 f;
    int i;
  } s;
  s.i = (n + 127) << 23;
  return p * s.f;
}

/* exp_nonpos on 4 lanes (same steps, vector instructions) */
INLINE v4 exp4_nonpos(v4 x) {
  x = wasm_f32x4_max(x, wasm_f32x4_splat(-87.0f));
  v4 fn = wasm_f32x4_floor(MADD(x, wasm_f32x4_splat(1.44269504088896341f), wasm_f32x4_splat(0.5f)));
  v4 t = wasm_f32x4_sub(wasm_f32x4_sub(x, MUL(fn, wasm_f32x4_splat(0.693359375f))),
                        MUL(fn, wasm_f32x4_splat(-2.12194440e-4f)));
  v4 p = wasm_f32x4_splat(1.0f / 5040);
  p = MADD(p, t, wasm_f32x4_splat(1.0f / 720));
  p = MADD(p, t, wasm_f32x4_splat(1.0f / 120));
  p = MADD(p, t, wasm_f32x4_splat(1.0f / 24));
  p = MADD(p, t, wasm_f32x4_splat(1.0f / 6));
  p = MADD(p, t, wasm_f32x4_splat(0.5f));
  p = MADD(p, t, wasm_f32x4_splat(1.0f));
  p = MADD(p, t, wasm_f32x4_splat(1.0f));
  v4 sc = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(fn), wasm_i32x4_splat(127)), 23);
  return MUL(p, sc);
}

/* sum_c a[c] * b[c], 4 lanes then the tail */
INLINE f32 dot_c(const f32* a, const f32* b, int C) {
  v4 s = ZERO;
  int c = 0;
  for (; c + 4 <= C; c += 4) s = MADD(LD(a + c), LD(b + c), s);
  s = ADD(s, wasm_i32x4_shuffle(s, s, 2, 3, 0, 1));
  s = ADD(s, wasm_i32x4_shuffle(s, s, 1, 0, 3, 2));
  f32 r = wasm_f32x4_extract_lane(s, 0);
  for (; c < C; c++) r += a[c] * b[c];
  return r;
}

/* a[0..K) = softmax(a[0..K)) for values >= 0 whose maximum is mx */
INLINE void softmax_nonneg(f32* a, int K, f32 mx) {
  v4 vm = wasm_f32x4_splat(mx), vs = ZERO;
  int n = 0;
  for (; n + 4 <= K; n += 4) {
    v4 e = exp4_nonpos(wasm_f32x4_sub(LD(a + n), vm));
    ST(a + n, e);
    vs = ADD(vs, e);
  }
  vs = ADD(vs, wasm_i32x4_shuffle(vs, vs, 2, 3, 0, 1));
  vs = ADD(vs, wasm_i32x4_shuffle(vs, vs, 1, 0, 3, 2));
  f32 sum = wasm_f32x4_extract_lane(vs, 0);
  for (int m = n; m < K; m++) {
    a[m] = exp_nonpos(a[m] - mx);
    sum += a[m];
  }
  for (int m = 0; m < K; m++) a[m] = a[m] / sum;
}

/* Whether (yy, xx) is inside an H x W image. */
INLINE int fp_inside(int yy, int xx, int H, int W) { return yy >= 0 && xx >= 0 && yy < H && xx < W; }

/*
 * Forward: for every pixel p of f [B][H][W][C] and its K = k*k neighbours f_n (dilation dil,
 * zero outside; n = i*k + j at offset (i*dil - r, j*dil - r), r = (k-1)/2*dil):
 * corr[p][n] = <f_p, f_n>, a[p][n] = softmax_n(relu(corr[p])), out[p] = sum_n a[p][n] f_n.
 * corr and a are [B][H][W][K].
 */
EXPORT(feature_prop)
void feature_prop(const f32* f, f32* out, f32* a, f32* corr, int B, int H, int W, int C, int k, int dil) {
  int K = k * k, r = (k - 1) / 2 * dil;
  for (int b = 0; b < B; b++) {
    const f32* fb = f + (long)b * H * W * C;
    for (int y = 0; y < H; y++) {
      for (int x = 0; x < W; x++) {
        long p = (long)b * H * W + (long)y * W + x;
        const f32* fc = f + p * C;
        f32 *cr = corr + p * K, *ar = a + p * K, *o = out + p * C;
        f32 mx = 0.0f;
        for (int i = 0, n = 0; i < k; i++) {
          int yy = y + i * dil - r;
          for (int j = 0; j < k; j++, n++) {
            int xx = x + j * dil - r;
            f32 v = fp_inside(yy, xx, H, W) ? dot_c(fc, fb + ((long)yy * W + xx) * C, C) : 0.0f;
            cr[n] = v;
            ar[n] = v > 0.0f ? v : 0.0f;
            mx = ar[n] > mx ? ar[n] : mx;
          }
        }
        softmax_nonneg(ar, K, mx);
        int interior = y >= r && y < H - r && x >= r && x < W - r;
        int c = 0;
        for (; c + 8 <= C; c += 8) {
          v4 acc0 = ZERO, acc1 = ZERO;
          for (int i = 0, n = 0; i < k; i++) {
            int yy = y + i * dil - r;
            for (int j = 0; j < k; j++, n++) {
              int xx = x + j * dil - r;
              if (interior || fp_inside(yy, xx, H, W)) {
                v4 w = wasm_f32x4_splat(ar[n]);
                const f32* src = fb + ((long)yy * W + xx) * C + c;
                acc0 = MADD(w, LD(src), acc0);
                acc1 = MADD(w, LD(src + 4), acc1);
              }
            }
          }
          ST(o + c, acc0);
          ST(o + c + 4, acc1);
        }
        for (; c < C; c++) {
          f32 acc = 0.0f;
          for (int i = 0, n = 0; i < k; i++) {
            int yy = y + i * dil - r;
            for (int j = 0; j < k; j++, n++) {
              int xx = x + j * dil - r;
              if (fp_inside(yy, xx, H, W)) acc += ar[n] * fb[((long)yy * W + xx) * C + c];
            }
          }
          o[c] = acc;
        }
      }
    }
  }
}

/*
 * Backward of feature_prop: with dA[p][n] = <dy_p, f_n>, dC[p][n] = a[p][n] (dA[p][n] -
 * sum_m a[p][m] dA[p][m]) [corr[p][n] > 0] (kept in dc, [B][H][W][K] scratch), the gradient
 * df[q] = sum_n dC[q][n] f_{q+o_n} + sum_n (a[p][n] dy_p + dC[p][n] f_p) over p = q - o_n,
 * gathered per output pixel (no scatter).
 */
EXPORT(feature_prop_grad)
void feature_prop_grad(const f32* dy, const f32* f, const f32* a, const f32* corr, f32* df, f32* dc, int B, int H,
                       int W, int C, int k, int dil) {
  int K = k * k, r = (k - 1) / 2 * dil;
  for (int b = 0; b < B; b++) {
    long b0 = (long)b * H * W;
    const f32 *fb = f + b0 * C, *dyb = dy + b0 * C;
    for (int y = 0; y < H; y++) {
      for (int x = 0; x < W; x++) {
        long p = b0 + (long)y * W + x;
        const f32 *ar = a + p * K, *cr = corr + p * K;
        f32* d = dc + p * K;
        f32 s = 0.0f;
        for (int i = 0, n = 0; i < k; i++) {
          int yy = y + i * dil - r;
          for (int j = 0; j < k; j++, n++) {
            int xx = x + j * dil - r;
            d[n] = fp_inside(yy, xx, H, W) ? dot_c(dy + p * C, fb + ((long)yy * W + xx) * C, C) : 0.0f;
            s += ar[n] * d[n];
          }
        }
        for (int n = 0; n < K; n++) d[n] = cr[n] > 0.0f ? ar[n] * (d[n] - s) : 0.0f;
      }
    }
    const f32* ab = a + b0 * K;
    const f32* db = dc + b0 * K;
    for (int y = 0; y < H; y++) {
      for (int x = 0; x < W; x++) {
        long q = (long)y * W + x; /* within the image */
        f32* o = df + (b0 + q) * C;
        /* every neighbour in both directions inside: no bounds checks (most pixels) */
        int interior = y >= r && y < H - r && x >= r && x < W - r;
        int c = 0;
        for (; c + 8 <= C; c += 8) {
          v4 acc0 = ZERO, acc1 = ZERO;
          for (int i = 0, n = 0; i < k; i++) {
            int oy = i * dil - r;
            for (int j = 0; j < k; j++, n++) {
              int ox = j * dil - r;
              long d = (long)oy * W + ox;
              if (interior || fp_inside(y + oy, x + ox, H, W)) { /* direct term: dC[q][n] f_{q + o_n} */
                v4 w = wasm_f32x4_splat(db[q * K + n]);
                const f32* src = fb + (q + d) * C + c;
                acc0 = MADD(w, LD(src), acc0);
                acc1 = MADD(w, LD(src + 4), acc1);
              }
              if (interior || fp_inside(y - oy, x - ox, H, W)) { /* from p = q - o_n: a[p][n] dy_p + dC[p][n] f_p */
                long pp = q - d;
                v4 wa = wasm_f32x4_splat(ab[pp * K + n]), wd = wasm_f32x4_splat(db[pp * K + n]);
                const f32 *g = dyb + pp * C + c, *src = fb + pp * C + c;
                acc0 = MADD(wd, LD(src), MADD(wa, LD(g), acc0));
                acc1 = MADD(wd, LD(src + 4), MADD(wa, LD(g + 4), acc1));
              }
            }
          }
          ST(o + c, acc0);
          ST(o + c + 4, acc1);
        }
        for (; c < C; c++) {
          f32 acc = 0.0f;
          for (int i = 0, n = 0; i < k; i++) {
            int oy = i * dil - r;
            for (int j = 0; j < k; j++, n++) {
              int ox = j * dil - r;
              long d = (long)oy * W + ox;
              if (fp_inside(y + oy, x + ox, H, W)) acc += db[q * K + n] * fb[(q + d) * C + c];
              if (fp_inside(y - oy, x - ox, H, W)) {
                long pp = q - d;
                acc += ab[pp * K + n] * dyb[pp * C + c] + db[pp * K + n] * fb[pp * C + c];
              }
            }
          }
          o[c] = acc;
        }
      }
    }
  }
}

/* ------------------------------------------------------------------------------------------ */
/* per-pixel binary cross-entropy with logits (lib/backend/pixel_bce.ts)                        */
/* ------------------------------------------------------------------------------------------ */

/* log(1 + e) for e in [0, 1]: 2 atanh(s), s = e / (2 + e) <= 1/3, series to s^15 (relative error < 2e-9). */
INLINE v4 log1p4_unit(v4 e) {
  v4 s = wasm_f32x4_div(e, ADD(e, wasm_f32x4_splat(2.0f))), s2 = MUL(s, s);
  v4 p = wasm_f32x4_splat(1.0f / 15);
  p = MADD(p, s2, wasm_f32x4_splat(1.0f / 13));
  p = MADD(p, s2, wasm_f32x4_splat(1.0f / 11));
  p = MADD(p, s2, wasm_f32x4_splat(1.0f / 9));
  p = MADD(p, s2, wasm_f32x4_splat(1.0f / 7));
  p = MADD(p, s2, wasm_f32x4_splat(1.0f / 5));
  p = MADD(p, s2, wasm_f32x4_splat(1.0f / 3));
  p = MADD(p, s2, wasm_f32x4_splat(1.0f));
  return MUL(ADD(s, s), p);
}

/*
 * Pixels p .. p+3 of n: the foreground logit d = z[p*K + c] - (nc >= 0 ? z[p*K + nc] : 0), the
 * target t (rounded to even when partial) and the weight w (partial: ignore > 0.5 ? 0 : 1; else 1);
 * lanes past n get d = t = w = 0.
 */
#define PB_Z(i) (p + (i) < n ? z[(p + (i)) * K + c] - (nc >= 0 ? z[(p + (i)) * K + nc] : 0.0f) : 0.0f)
#define PB_AT(a, i) (p + (i) < n ? (a)[p + (i)] : 0.0f)
#define PB_LANES                                                                                 \
  int full = p + 4 <= n;                                                                         \
  v4 d = full && K == 1 ? LD(z + p) : wasm_f32x4_make(PB_Z(0), PB_Z(1), PB_Z(2), PB_Z(3));       \
  v4 t = full ? LD(y + p) : wasm_f32x4_make(PB_AT(y, 0), PB_AT(y, 1), PB_AT(y, 2), PB_AT(y, 3)); \
  v4 w = full ? wasm_f32x4_splat(1.0f) : wasm_f32x4_make(1.0f, p + 1 < n, p + 2 < n, p + 3 < n); \
  if (partial) {                                                                                 \
    v4 ig = full ? LD(ign + p) : wasm_f32x4_make(PB_AT(ign, 0), PB_AT(ign, 1), PB_AT(ign, 2), PB_AT(ign, 3)); \
    t = wasm_f32x4_nearest(t);                                                                   \
    w = wasm_v128_andnot(w, wasm_f32x4_gt(ig, wasm_f32x4_splat(0.5f)));                          \
  }

/* Sum of the 4 lanes of v into s (float64, lanes in order). */
#define PB_SUM(s, v)                                                                                     \
  s += (double)wasm_f32x4_extract_lane(v, 0) + (double)wasm_f32x4_extract_lane(v, 1) +                  \
       (double)wasm_f32x4_extract_lane(v, 2) + (double)wasm_f32x4_extract_lane(v, 3);

/* The loss's denominator: max(labelled pixels (those with w = 1), 1) when partial, else n. */
static double pixel_bce_denominator(const f32* ign, int partial, long n) {
  if (!partial) return (double)n;
  long count = 0;
  for (long p = 0; p < n; p++) count += !(ign[p] > 0.5f);
  return count > 1 ? (double)count : 1.0;
}

/*
 * The loss of GazePixelBce (lib/backend/pixel_bce.ts): per pixel l = max(d, 0) - d t + log(1 + exp(-|d|))
 * with d, t, w as PB_LANES over pixels [0, n) of logits z [n][K] (foreground channel c, minus
 * channel nc when nc >= 0), targets y [n] and (partial) the ignore map ign [n]; returns
 * sum(w l) / max(sum(w), 1) when partial, else sum(l) / n. Sums in float64.
 */
EXPORT(pixel_bce)
double pixel_bce(const f32* z, int K, int c, int nc, const f32* y, const f32* ign, int partial, long n) {
  double loss = 0;
  for (long p = 0; p < n; p += 4) {
    PB_LANES
    v4 e = exp4_nonpos(wasm_f32x4_neg(wasm_f32x4_abs(d)));
    v4 l = ADD(wasm_f32x4_sub(wasm_f32x4_max(d, ZERO), MUL(d, t)), log1p4_unit(e));
    l = MUL(l, w);
    PB_SUM(loss, l)
  }
  return loss / pixel_bce_denominator(ign, partial, n);
}

/*
 * Its gradient for upstream dy: dz [n][K] = 0 but for channel c: s w (sigmoid(d) - t) (and minus that
 * in channel nc), s = dy / denominator; dt [n] = -s d when not partial, else 0. Arguments as pixel_bce.
 */
EXPORT(pixel_bce_grad)
void pixel_bce_grad(const f32* z, int K, int c, int nc, const f32* y, const f32* ign, int partial, long n, f32 dy,
                    f32* dz, f32* dt) {
  v4 s = wasm_f32x4_splat((f32)(dy / pixel_bce_denominator(ign, partial, n)));
  if (K > 1) __builtin_memset(dz, 0, sizeof(f32) * n * K);
  if (partial) __builtin_memset(dt, 0, sizeof(f32) * n);
  v4 one = wasm_f32x4_splat(1.0f);
  for (long p = 0; p < n; p += 4) {
    PB_LANES
    v4 e = exp4_nonpos(wasm_f32x4_neg(wasm_f32x4_abs(d)));
    v4 r = wasm_f32x4_div(one, ADD(one, e));
    v4 sig = wasm_v128_bitselect(r, MUL(e, r), wasm_f32x4_ge(d, ZERO));
    v4 g = MUL(MUL(s, w), wasm_f32x4_sub(sig, t));
    v4 gt = MUL(wasm_f32x4_neg(s), d);
    if (full && K == 1) {
      ST(dz + p, g);
    } else {
#define PB_PUT(i)                                                                         \
  if (p + (i) < n) {                                                                      \
    dz[(p + (i)) * K + c] = wasm_f32x4_extract_lane(g, i);                                \
    if (nc >= 0) dz[(p + (i)) * K + nc] = -wasm_f32x4_extract_lane(g, i);                 \
    if (!partial && !full) dt[p + (i)] = wasm_f32x4_extract_lane(gt, i);                  \
  }
      PB_PUT(0) PB_PUT(1) PB_PUT(2) PB_PUT(3)
#undef PB_PUT
    }
    if (!partial && full) ST(dt + p, gt);
  }
}
#undef PB_SUM
#undef PB_LANES
#undef PB_AT
#undef PB_Z
