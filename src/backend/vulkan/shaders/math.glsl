// float32 functions GLSL lacks or defines too loosely, matching src/backend/cpu/vec_math.h.

float log1p_f(float x) {
  float u = 1.0 + x;
  // log(u) * x / (u - 1) cancels the rounding of 1 + x (Goldberg).
  return u == 1.0 ? x : log(u) * x / (u - 1.0);
}

// Kahan's expm1: (u - 1) * x / log(u) cancels the rounding of u = exp(x).
float expm1_f(float x) {
  float u = exp(x);
  if (u == 1.0) return x;
  float um1 = u - 1.0;
  if (um1 == -1.0) return -1.0;
  if (is_inf(u)) return u;
  return um1 * x / log(u);
}

// tanh without the overflow of exp(2x) for large |x|.
float tanh_f(float x) {
  float t = exp(-2.0 * abs(x));
  float r = (1.0 - t) / (1.0 + t);
  if (abs(x) < 0.625) {
    float s = x * x;
    r = ((((-5.70498872745e-3 * s + 2.06390887954e-2) * s - 5.37397155531e-2) * s +
          1.33314422036e-1) * s - 3.33332819422e-1) * s * abs(x) + abs(x);
  }
  return x < 0.0 ? -r : (is_nan(x) ? x : r);
}

float sigmoid_f(float x) { return 1.0 / (1.0 + exp(-x)); }

// erfc for z >= 0 (Numerical Recipes' Chebyshev fit), relative error below 1.2e-7.
float erfc_positive(float z) {
  float t = 1.0 / (1.0 + 0.5 * z);
  float p = 0.17087277;
  p = p * t - 0.82215223;
  p = p * t + 1.48851587;
  p = p * t - 1.13520398;
  p = p * t + 0.27886807;
  p = p * t - 0.18628806;
  p = p * t + 0.09678418;
  p = p * t + 0.37409196;
  p = p * t + 1.00002368;
  p = p * t - 1.26551223;
  float zh = uintBitsToFloat(floatBitsToUint(z) & 0xfffff000u);
  return t * exp(-zh * zh) * exp((zh - z) * (zh + z) + p);
}

float erf_f(float x) {
  float ax = abs(x);
  if (ax < 0.5) {
    float s = x * x;
    float series = 1.0 / 75600.0;
    series = -series * s + 1.0 / 9360.0;
    series = series * s - 1.0 / 1320.0;
    series = series * s + 1.0 / 216.0;
    series = series * s - 1.0 / 42.0;
    series = series * s + 1.0 / 10.0;
    series = series * s - 1.0 / 3.0;
    return (series * s + 1.0) * x * 1.12837916709551257;
  }
  float tail = 1.0 - erfc_positive(ax);
  return x < 0.0 ? -tail : tail;
}

float gelu_erf_f(float x) {
  float u = x * 0.70710678118654752;
  float e = erfc_positive(abs(u));
  return x * (u < 0.0 ? 0.5 * e : 1.0 - 0.5 * e);
}

// C's pow: GLSL's pow is undefined for negative bases and for 0 with y <= 0.
float pow_f(float x, float y) {
  if (y == 0.0 || x == 1.0) return 1.0;
  if (is_nan(x) || is_nan(y)) return uintBitsToFloat(0x7fc00000u);
  if (x == -1.0 && is_inf(y)) return 1.0;
  bool integer = floor(y) == y;
  bool odd = integer && abs(y) < 16777216.0 && mod(y, 2.0) == 1.0;
  float magnitude = exp2(y * log2(abs(x)));
  if (x == 0.0) {
    magnitude = y > 0.0 ? 0.0 : uintBitsToFloat(0x7f800000u);
    return odd && floatBitsToUint(x) != 0u ? -magnitude : magnitude;  // pow(-0, odd)
  }
  if (x > 0.0) return magnitude;
  if (!integer) return uintBitsToFloat(0x7fc00000u);
  return odd ? -magnitude : magnitude;
}

// C's fmod, exact: long division on the significands as integers (as musl's fmodf).
float fmod_f(float x, float y) {
  uint ux = floatBitsToUint(x), uy = floatBitsToUint(y);
  int ex = int((ux >> 23) & 0xffu), ey = int((uy >> 23) & 0xffu);
  uint sign = ux & 0x80000000u;
  if ((uy << 1) == 0u || is_nan(y) || ex == 0xff) return uintBitsToFloat(0x7fc00000u);
  if ((ux << 1) <= (uy << 1)) return (ux << 1) == (uy << 1) ? 0.0 * x : x;
  if (ex == 0) {  // subnormal x: normalise
    for (uint i = ux << 9; (i >> 31) == 0u; i <<= 1) --ex;
    ux <<= uint(1 - ex);
  } else {
    ux = (ux & 0x007fffffu) | 0x00800000u;
  }
  if (ey == 0) {
    for (uint i = uy << 9; (i >> 31) == 0u; i <<= 1) --ey;
    uy <<= uint(1 - ey);
  } else {
    uy = (uy & 0x007fffffu) | 0x00800000u;
  }
  for (; ex > ey; --ex) {
    uint i = ux - uy;
    if ((i >> 31) == 0u) {
      if (i == 0u) return 0.0 * x;
      ux = i;
    }
    ux <<= 1;
  }
  uint i = ux - uy;
  if ((i >> 31) == 0u) {
    if (i == 0u) return 0.0 * x;
    ux = i;
  }
  for (; (ux >> 23) == 0u; ux <<= 1) --ex;
  if (ex > 0) {
    ux = (ux - 0x00800000u) | (uint(ex) << 23);
  } else {
    ux >>= uint(1 - ex);
  }
  return uintBitsToFloat(ux | sign);
}

// Python's %: the result takes the divisor's sign.
float remainder_f(float a, float b) {
  float r = fmod_f(a, b);
  return (r != 0.0 && ((r < 0.0) != (b < 0.0))) ? r + b : r;
}
