/*
 * Gaze Insight: convolution kernels for the tfjs wasm backend, in WebAssembly SIMD.
 *
 * Built by build.sh (clang 14 -> wasm32, +simd128, +bulk-memory) into a module that
 * IMPORTS the tfjs wasm backend's own memory ("env"."memory"): every pointer below
 * is a byte offset into that heap, so tensors are read and written in place, with
 * no copies in or out. For that to be safe the module has NO data segment and
 * never touches the shadow stack (no address-taken locals, no arrays on the stack);
 * build.sh checks both. Scratch memory is allocated by the caller (tfjs's malloc).
 *
 * Layout: NHWC tensors, filters [KH][KW][CI][CO] (tfjs), dilation 1.
 *
 * Core: a 6x8 register-tile micro-kernel C[6][8] (+)= sum_k A[r][k] * Bp[k][8], with
 * A addressed by (row stride, k stride) so the same kernel serves A (implicit im2col
 * rows of the padded input) and A^T (weight gradient); Bp is packed in panels of 8
 * columns. On top of it:
 *   conv_s1          stride-1 conv by "virtual rows": the input is zero-padded to
 *                    Hp x Wp and output pixel (oy,ox) becomes virtual row q = oy*Wp+ox,
 *                    so tap (ky,kx) reads padded row q + ky*Wp + kx: one GEMM per image
 *                    without an im2col buffer (rows with ox >= OW are computed and dropped).
 *                    With flip=1 it is Conv2DBackpropInput (stride 1): conv of dy with the
 *                    flipped, transposed filter.
 *   conv_s1_dw       stride-1 weight gradient, same virtual rows, A^T B.
 *   conv_im2col      any stride/padding: im2col of chunks of output pixels, then GEMM.
 *   conv_im2col_dw   any stride/padding weight gradient.
 *   conv_im2col_dx   any stride/padding input gradient: dy x W^T then col2im (scatter-add).
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))

typedef float f32;
typedef v128_t v4;

#define LD(p) wasm_v128_load(p)
#define ST(p, v) wasm_v128_store((p), (v))
#define SPLAT(p) wasm_v128_load32_splat(p)
#define MUL(a, b) wasm_f32x4_mul((a), (b))
#define ADD(a, b) wasm_f32x4_add((a), (b))
#define ZERO wasm_f32x4_splat(0.0f)

#define MR 6
#define NR 8

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

/*
 * C[r][0..nr) (+)= sum_{t < ntap, k < kc} A[r*ars + sh(t) + k*aks] * Bp[(t*kc + k)*8 + j]
 * for r < 6, with sh(t) = (t / tw)*tys + (t % tw)*txs (taps of a tw-wide window).
 * Rows of C are given by six pointers (a dropped row may point at a dummy tile).
 */
INLINE void kern6(const f32* a, int ars, int aks, int ntap, int tw, int tys, int txs, int kc, const f32* b,
                  f32* c0, f32* c1, f32* c2, f32* c3, f32* c4, f32* c5, int nr, int acc) {
  v4 s00 = ZERO, s01 = ZERO, s10 = ZERO, s11 = ZERO, s20 = ZERO, s21 = ZERO;
  v4 s30 = ZERO, s31 = ZERO, s40 = ZERO, s41 = ZERO, s50 = ZERO, s51 = ZERO;
  for (int t = 0; t < ntap; t++) {
    const f32* p0 = a + (t / tw) * tys + (t % tw) * txs;
    const f32* p1 = p0 + ars;
    const f32* p2 = p1 + ars;
    const f32* p3 = p2 + ars;
    const f32* p4 = p3 + ars;
    const f32* p5 = p4 + ars;
    for (int k = 0; k < kc; k++) {
      v4 b0 = LD(b), b1 = LD(b + 4);
      b += NR;
      v4 x;
      x = SPLAT(p0);
      s00 = ADD(s00, MUL(x, b0));
      s01 = ADD(s01, MUL(x, b1));
      x = SPLAT(p1);
      s10 = ADD(s10, MUL(x, b0));
      s11 = ADD(s11, MUL(x, b1));
      x = SPLAT(p2);
      s20 = ADD(s20, MUL(x, b0));
      s21 = ADD(s21, MUL(x, b1));
      x = SPLAT(p3);
      s30 = ADD(s30, MUL(x, b0));
      s31 = ADD(s31, MUL(x, b1));
      x = SPLAT(p4);
      s40 = ADD(s40, MUL(x, b0));
      s41 = ADD(s41, MUL(x, b1));
      x = SPLAT(p5);
      s50 = ADD(s50, MUL(x, b0));
      s51 = ADD(s51, MUL(x, b1));
      p0 += aks;
      p1 += aks;
      p2 += aks;
      p3 += aks;
      p4 += aks;
      p5 += aks;
    }
  }
  store_row(c0, s00, s01, nr, acc);
  store_row(c1, s10, s11, nr, acc);
  store_row(c2, s20, s21, nr, acc);
  store_row(c3, s30, s31, nr, acc);
  store_row(c4, s40, s41, nr, acc);
  store_row(c5, s50, s51, nr, acc);
}

/* One row of the same product (for the rows left over after the 6-row tiles). */
INLINE void kern1(const f32* a, int aks, int ntap, int tw, int tys, int txs, int kc, const f32* b, f32* c, int nr,
                  int acc) {
  v4 s0 = ZERO, s1 = ZERO, u0 = ZERO, u1 = ZERO;
  for (int t = 0; t < ntap; t++) {
    const f32* p = a + (t / tw) * tys + (t % tw) * txs;
    int k = 0;
    for (; k + 1 < kc; k += 2) {
      v4 x = SPLAT(p), y = SPLAT(p + aks);
      s0 = ADD(s0, MUL(x, LD(b)));
      s1 = ADD(s1, MUL(x, LD(b + 4)));
      u0 = ADD(u0, MUL(y, LD(b + 8)));
      u1 = ADD(u1, MUL(y, LD(b + 12)));
      b += 2 * NR;
      p += 2 * aks;
    }
    if (k < kc) {
      v4 x = SPLAT(p);
      s0 = ADD(s0, MUL(x, LD(b)));
      s1 = ADD(s1, MUL(x, LD(b + 4)));
      b += NR;
    }
  }
  store_row(c, ADD(s0, u0), ADD(s1, u1), nr, acc);
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
    if (sy < 0 || sy >= H) {
      __builtin_memset(d, 0, sizeof(f32) * Wp * C);
      continue;
    }
    int x0 = imax(0, pl), x1 = imin(Wp, pl + W); /* destination columns that have a source */
    if (x1 <= x0) {
      __builtin_memset(d, 0, sizeof(f32) * Wp * C);
      continue;
    }
    if (x0 > 0) __builtin_memset(d, 0, sizeof(f32) * x0 * C);
    __builtin_memcpy(d + (long)x0 * C, x + ((long)sy * W + (x0 - pl)) * C, sizeof(f32) * (x1 - x0) * C);
    if (x1 < Wp) __builtin_memset(d + (long)x1 * C, 0, sizeof(f32) * (Wp - x1) * C);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* stride-1 convolution (and stride-1 input gradient with flip=1)                              */
/* ------------------------------------------------------------------------------------------ */

#define S1_MBLOCK 96 /* virtual rows per cache block (multiple of MR) */


/* Bytes of scratch conv_s1 needs. */
EXPORT(conv_s1_scratch)
int conv_s1_scratch(int H, int W, int CI, int CO, int KH, int KW, int PT, int PL, int OH, int OW) {
  int Hp = OH + KH - 1, Wp = OW + KW - 1, NT = (CO + NR - 1) / NR;
  int direct = PT == 0 && PL == 0 && Hp == H && Wp == W;
  return 4 * (NT * KH * KW * CI * NR + (direct ? 0 : Hp * Wp * CI) + 2 * NR);
}

/*
 * y[b][oy][ox][n] = sum_{ky,kx,c} x[b][oy+ky-PT][ox+kx-PL][c] * W(ky,kx,c,n)   (zero outside x)
 * flip=0: W(ky,kx,c,n) = w[ky][kx][c][n]          (w is [KH][KW][CI][CO])
 * flip=1: W(ky,kx,c,n) = w[KH-1-ky][KW-1-kx][n][c] (w is [KH][KW][CO][CI]; Conv2DBackpropInput)
 */
EXPORT(conv_s1)
void conv_s1(const f32* x, const f32* w, f32* y, f32* scratch, int B, int H, int W, int CI, int CO, int KH, int KW,
             int PT, int PL, int OH, int OW, int flip) {
  int Hp = OH + KH - 1, Wp = OW + KW - 1, NT = (CO + NR - 1) / NR, T = KH * KW;
  int direct = PT == 0 && PL == 0 && Hp == H && Wp == W;
  f32* bp = scratch;
  f32* xp = bp + (long)NT * T * CI * NR;
  f32* dummy = direct ? xp : xp + (long)Hp * Wp * CI;
  if (!flip) {
    pack_b(w, T * CI, CO, CO, 1, bp);
  } else {
    /* Bp[nt][t][c][8] = w[T-1-t][n][c] : pack tap by tap */
    for (int t = 0; t < T; t++) {
      const f32* src = w + (long)(T - 1 - t) * CO * CI;
      for (int nt = 0; nt < NT; nt++) {
        f32* d = bp + ((long)nt * T + t) * CI * NR;
        int n0 = nt * NR, nr = imin(NR, CO - n0);
        for (int c = 0; c < CI; c++)
          for (int j = 0; j < NR; j++) d[c * NR + j] = j < nr ? src[(long)(n0 + j) * CI + c] : 0.0f;
      }
    }
  }
  int M = (OH - 1) * Wp + OW; /* virtual rows */
  long kb = (long)T * CI * NR;
  for (int b = 0; b < B; b++) {
    const f32* xb = x + (long)b * H * W * CI;
    const f32* src = xb;
    if (!direct) {
      pad_image(xb, H, W, CI, Hp, Wp, PT, PL, xp);
      src = xp;
    }
    f32* yb = y + (long)b * OH * OW * CO;
    for (int m0 = 0; m0 < M; m0 += S1_MBLOCK) {
      int m1 = imin(M, m0 + S1_MBLOCK);
      for (int nt = 0; nt < NT; nt++) {
        int n0 = nt * NR, nr = imin(NR, CO - n0);
        const f32* bpn = bp + nt * kb;
        int q = m0;
        for (; q + MR <= m1; q += MR) {
          /* row pointers (virtual row -> output pixel or dummy) */
          int oy = q / Wp, ox = q - oy * Wp;
#define ROWPTR(r)                                                                         \
  f32* c##r = ox < OW ? yb + ((long)oy * OW + ox) * CO + n0 : dummy;                     \
  if (++ox == Wp) {                                                                       \
    ox = 0;                                                                               \
    oy++;                                                                                 \
  }
          ROWPTR(0) ROWPTR(1) ROWPTR(2) ROWPTR(3) ROWPTR(4) ROWPTR(5)
#undef ROWPTR
          kern6(src + (long)q * CI, CI, 1, T, KW, Wp * CI, CI, CI, bpn, c0, c1, c2, c3, c4, c5, nr, 0);
        }
        for (; q < m1; q++) {
          int oy = q / Wp, ox = q - oy * Wp;
          if (ox >= OW) continue;
          kern1(src + (long)q * CI, 1, T, KW, Wp * CI, CI, CI, bpn, yb + ((long)oy * OW + ox) * CO + n0, nr, 0);
        }
      }
    }
  }
}

/* ------------------------------------------------------------------------------------------ */
/* stride-1 weight gradient                                                                    */
/* ------------------------------------------------------------------------------------------ */

#define DW_KBLOCK 512 /* virtual rows (the reduction) per cache block */

EXPORT(conv_s1_dw_scratch)
int conv_s1_dw_scratch(int H, int W, int CI, int CO, int KH, int KW, int PT, int PL, int OH, int OW) {
  int Hp = OH + KH - 1, Wp = OW + KW - 1, NT = (CO + NR - 1) / NR;
  int direct = PT == 0 && PL == 0 && Hp == H && Wp == W;
  int M = (OH - 1) * Wp + OW;
  return 4 * ((direct ? 0 : Hp * Wp * CI) + NT * M * NR + 2 * NR);
}

/*
 * dw[ky][kx][c][n] = sum_{b,oy,ox} x[b][oy+ky-PT][ox+kx-PL][c] * dy[b][oy][ox][n]   (dw [KH][KW][CI][CO])
 */
EXPORT(conv_s1_dw)
void conv_s1_dw(const f32* x, const f32* dy, f32* dw, f32* scratch, int B, int H, int W, int CI, int CO, int KH,
                int KW, int PT, int PL, int OH, int OW) {
  int Hp = OH + KH - 1, Wp = OW + KW - 1, NT = (CO + NR - 1) / NR, T = KH * KW;
  int direct = PT == 0 && PL == 0 && Hp == H && Wp == W;
  int M = (OH - 1) * Wp + OW;
  f32* xp = scratch;
  f32* dyp = direct ? xp : xp + (long)Hp * Wp * CI; /* [NT][M][8], zero on dropped rows */
  __builtin_memset(dw, 0, sizeof(f32) * T * CI * CO);
  for (int b = 0; b < B; b++) {
    const f32* src = x + (long)b * H * W * CI;
    if (!direct) {
      pad_image(src, H, W, CI, Hp, Wp, PT, PL, xp);
      src = xp;
    }
    const f32* dyb = dy + (long)b * OH * OW * CO;
    for (int nt = 0; nt < NT; nt++) {
      int n0 = nt * NR, nr = imin(NR, CO - n0);
      f32* d = dyp + (long)nt * M * NR;
      for (int q = 0; q < M; q++, d += NR) {
        int oy = q / Wp, ox = q - oy * Wp;
        if (ox >= OW) {
          ST(d, ZERO);
          ST(d + 4, ZERO);
        } else if (nr == NR) {
          const f32* s = dyb + ((long)oy * OW + ox) * CO + n0;
          ST(d, LD(s));
          ST(d + 4, LD(s + 4));
        } else {
          const f32* s = dyb + ((long)oy * OW + ox) * CO + n0;
          for (int j = 0; j < NR; j++) d[j] = j < nr ? s[j] : 0.0f;
        }
      }
    }
    for (int k0 = 0; k0 < M; k0 += DW_KBLOCK) {
      int kc = imin(DW_KBLOCK, M - k0);
      for (int nt = 0; nt < NT; nt++) {
        int n0 = nt * NR, nr = imin(NR, CO - n0);
        const f32* bpn = dyp + ((long)nt * M + k0) * NR;
        for (int t = 0; t < T; t++) {
          int ky = t / KW, kx = t - ky * KW;
          const f32* a = src + ((long)k0 + ky * Wp + kx) * CI;
          f32* dwt = dw + (long)t * CI * CO + n0;
          int c = 0;
          for (; c + MR <= CI; c += MR) {
            f32* cc = dwt + (long)c * CO;
            kern6(a + c, 1, CI, 1, 1, 0, 0, kc, bpn, cc, cc + CO, cc + 2 * CO, cc + 3 * CO, cc + 4 * CO, cc + 5 * CO, nr,
                  1);
          }
          for (; c < CI; c++) kern1(a + c, CI, 1, 1, 0, 0, kc, bpn, dwt + (long)c * CO, nr, 1);
        }
      }
    }
  }
}

/* ------------------------------------------------------------------------------------------ */
/* any stride: im2col in chunks of output pixels                                               */
/* ------------------------------------------------------------------------------------------ */

#define IC_ROWS 240 /* output pixels per im2col chunk (multiple of MR) */

/* S[p][(ky,kx,c)] for output pixels p0 .. p0+np-1 (flattened over batch). */
static void im2col_chunk(const f32* x, int H, int W, int CI, int KH, int KW, int SH, int SW, int PT, int PL, int OH,
                         int OW, int p0, int np, f32* s) {
  int K = KH * KW * CI;
  for (int i = 0; i < np; i++) {
    int p = p0 + i;
    int b = p / (OH * OW), r = p - b * OH * OW, oy = r / OW, ox = r - oy * OW;
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

/* y[b][oy][ox][n] = sum x[b][oy*SH+ky-PT][ox*SW+kx-PL][c] * w[ky][kx][c][n] */
EXPORT(conv_im2col)
void conv_im2col(const f32* x, const f32* w, f32* y, f32* scratch, int B, int H, int W, int CI, int CO, int KH, int KW,
                 int SH, int SW, int PT, int PL, int OH, int OW) {
  int K = KH * KW * CI, NT = (CO + NR - 1) / NR, P = B * OH * OW;
  f32* bp = scratch;
  f32* s = bp + (long)NT * K * NR;
  pack_b(w, K, CO, CO, 1, bp);
  for (int p0 = 0; p0 < P; p0 += IC_ROWS) {
    int np = imin(IC_ROWS, P - p0);
    im2col_chunk(x, H, W, CI, KH, KW, SH, SW, PT, PL, OH, OW, p0, np, s);
    for (int nt = 0; nt < NT; nt++) {
      int n0 = nt * NR, nr = imin(NR, CO - n0);
      const f32* bpn = bp + (long)nt * K * NR;
      int i = 0;
      for (; i + MR <= np; i += MR) {
        f32* c = y + ((long)p0 + i) * CO + n0;
        kern6(s + (long)i * K, K, 1, 1, 1, 0, 0, K, bpn, c, c + CO, c + 2 * CO, c + 3 * CO, c + 4 * CO, c + 5 * CO, nr,
              0);
      }
      for (; i < np; i++) kern1(s + (long)i * K, 1, 1, 1, 0, 0, K, bpn, y + ((long)p0 + i) * CO + n0, nr, 0);
    }
  }
}

EXPORT(conv_im2col_dw_scratch)
int conv_im2col_dw_scratch(int CI, int CO, int KH, int KW) {
  int K = KH * KW * CI, NT = (CO + NR - 1) / NR;
  return 4 * (IC_ROWS * K + NT * IC_ROWS * NR + 2 * NR);
}

/* dw[ky][kx][c][n] = sum_{b,oy,ox} x[b][oy*SH+ky-PT][ox*SW+kx-PL][c] * dy[b][oy][ox][n] */
EXPORT(conv_im2col_dw)
void conv_im2col_dw(const f32* x, const f32* dy, f32* dw, f32* scratch, int B, int H, int W, int CI, int CO, int KH,
                    int KW, int SH, int SW, int PT, int PL, int OH, int OW) {
  int K = KH * KW * CI, NT = (CO + NR - 1) / NR, P = B * OH * OW;
  f32* s = scratch;
  f32* dyp = s + (long)IC_ROWS * K;
  __builtin_memset(dw, 0, sizeof(f32) * K * CO);
  for (int p0 = 0; p0 < P; p0 += IC_ROWS) {
    int np = imin(IC_ROWS, P - p0);
    im2col_chunk(x, H, W, CI, KH, KW, SH, SW, PT, PL, OH, OW, p0, np, s);
    pack_b(dy + (long)p0 * CO, np, CO, CO, 1, dyp);
    for (int nt = 0; nt < NT; nt++) {
      int n0 = nt * NR, nr = imin(NR, CO - n0);
      const f32* bpn = dyp + (long)nt * np * NR;
      int m = 0;
      for (; m + MR <= K; m += MR) {
        f32* c = dw + (long)m * CO + n0;
        kern6(s + m, 1, K, 1, 1, 0, 0, np, bpn, c, c + CO, c + 2 * CO, c + 3 * CO, c + 4 * CO, c + 5 * CO, nr, 1);
      }
      for (; m < K; m++) kern1(s + m, K, 1, 1, 0, 0, np, bpn, dw + (long)m * CO + n0, nr, 1);
    }
  }
}

EXPORT(conv_im2col_dx_scratch)
int conv_im2col_dx_scratch(int CI, int CO, int KH, int KW) {
  int K = KH * KW * CI, NTK = (K + NR - 1) / NR;
  return 4 * (NTK * CO * NR + IC_ROWS * NTK * NR + 2 * NR);
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
  pack_b(w, CO, K, 1, CO, bp);
  __builtin_memset(dx, 0, sizeof(f32) * B * H * W * CI);
  for (int p0 = 0; p0 < P; p0 += IC_ROWS) {
    int np = imin(IC_ROWS, P - p0);
    for (int nt = 0; nt < NTK; nt++) {
      const f32* bpn = bp + (long)nt * CO * NR;
      int i = 0;
      for (; i + MR <= np; i += MR) {
        f32* c = g + (long)i * KP + nt * NR;
        kern6(dy + ((long)p0 + i) * CO, CO, 1, 1, 1, 0, 0, CO, bpn, c, c + KP, c + 2 * KP, c + 3 * KP, c + 4 * KP,
              c + 5 * KP, NR, 0);
      }
      for (; i < np; i++) kern1(dy + ((long)p0 + i) * CO, 1, 1, 1, 0, 0, CO, bpn, g + (long)i * KP + nt * NR, NR, 0);
    }
    for (int i = 0; i < np; i++) {
      int p = p0 + i;
      int b = p / (OH * OW), r = p - b * OH * OW, oy = r / OW, ox = r - oy * OW;
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
}
