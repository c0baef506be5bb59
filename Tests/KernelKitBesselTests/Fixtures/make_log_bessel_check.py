#!/usr/bin/env python3
"""Independent high-precision check values for log I_v(x), log K_v(x) and the ratio I_v/I_(v-1).

Usage:  python make_log_bessel_check.py points OUT.csv [i n] (log I, log K; ~2300 rows; shard i of n)
        python make_log_bessel_check.py ratio  OUT.csv      (I_v/I_(v-1), v = p/2; ~500 rows)
        python make_log_bessel_check.py verify REF.csv      (re-derive the 300 shared reference rows)
Needs mpmath (tested with 1.4.1). Deterministic (numpy-free; random.Random(seed)).

Every input is an exact binary64 number (written with repr, read back exactly); every value is
computed at 45 significant digits and rounded once to a double. Methods, chosen per point:
  K_v(x)  always by tanh-sinh quadrature of K_v(x) = int_0^inf exp(-x cosh t) cosh(v t) dt, with the
          integrand scaled by its maximum and break points around the peak t0 = asinh(v/x) (DLMF 10.32.9).
  I_v(x)  x <= 4000: mpmath.besseli (the 0F1 power series, DLMF 10.25.2);
          x > 4000, v < 40: the Hankel expansion DLMF 10.40.1 summed until terms < 1e-50 (e^-x part
          below 1e-1700);
          x > 4000, v >= 40: the Debye expansion DLMF 10.41.3 with exact rational U_k (DLMF 10.41.10)
          summed to 60 terms or 1e-50.
Each row also records `wronskian` = |x (I_v K_(v+1) + I_(v+1) K_v) - 1| (DLMF 10.28.2), computed from
the same methods for v and v+1: it ties every I (series, Hankel or Debye) to an independently
computed K (quadrature), so a wrong value in either shows up there. Rows whose Wronskian residual
exceeds 1e-30 are dropped and reported on stderr (none are expected).
"""
import sys, random
from fractions import Fraction
import mpmath as mp

mp.mp.dps = 45

# Debye polynomials U_k(p) as exact rationals: U_{k+1} = p^2(1-p^2)/2 U_k' + 1/8 int_0^p (1-5t^2) U_k dt.
def debye_polys(n):
    polys = [[Fraction(1)]]
    for k in range(n - 1):
        u = polys[-1]
        nxt = [Fraction(0)] * (len(u) + 3)
        for e, c in enumerate(u):
            if c == 0:
                continue
            if e > 0:
                d = c * e
                nxt[e + 1] += d / 2
                nxt[e + 3] -= d / 2
            nxt[e + 1] += c / (8 * (e + 1))
            nxt[e + 3] -= 5 * c / (8 * (e + 3))
        polys.append(nxt)
    return [[mp.mpf(c.numerator) / c.denominator for c in u] for u in polys]

U = debye_polys(60)

def polyval(c, p):
    s = mp.mpf(0)
    for a in reversed(c):
        s = s * p + a
    return s

def log_i_debye(v, x):
    z = x / v
    s = mp.sqrt(1 + z * z)
    p = 1 / s
    eta = s + mp.log(z / (1 + s))
    total, last = mp.mpf(1), None
    for k in range(1, 60):
        t = polyval(U[k], p) / v ** k
        total += t
        if abs(t) < mp.mpf(10) ** -50:
            break
    else:
        raise RuntimeError("Debye did not reach 1e-50 at v=%r x=%r" % (v, x))
    return v * eta - mp.log(2 * mp.pi * v) / 2 + mp.log(p) / 2 + mp.log(total)

def log_i_hankel(v, x):
    m = 4 * v * v
    term, total = mp.mpf(1), mp.mpf(1)
    prev = mp.inf
    for k in range(1, 400):
        term *= -(m - (2 * k - 1) ** 2) / (8 * k * x)
        total += term
        if abs(term) < mp.mpf(10) ** -50:
            return x - mp.log(2 * mp.pi * x) / 2 + mp.log(total)
        if abs(term) > prev and k > 2 * v + 2:
            break
        prev = abs(term)
    raise RuntimeError("Hankel did not reach 1e-50 at v=%r x=%r" % (v, x))

def log_i(v, x):
    if x == 0:
        return mp.mpf(0) if v == 0 else -mp.inf
    if x <= 4000:
        return mp.log(mp.besseli(v, x, maxterms=10**6))
    if v < 40:
        return log_i_hankel(v, x)
    return log_i_debye(v, x)

def log_k(v, x):
    """log of int_0^inf exp(-x cosh t) cosh(v t) dt, scaled by the integrand's maximum."""
    def g(t):
        # log of the integrand: -x cosh t + log cosh(v t)
        return -x * mp.cosh(t) + v * t + mp.log((1 + mp.exp(-2 * v * t)) / 2)
    t0 = mp.asinh(v / x) if v > 0 else mp.mpf(0)
    # refine the peak: solve x sinh t = v tanh(v t) by a few Newton steps from asinh(v/x)
    if v > 0:
        for _ in range(60):
            f = x * mp.sinh(t0) - v * mp.tanh(v * t0)
            df = x * mp.cosh(t0) - v * v / mp.cosh(v * t0) ** 2
            if df <= 0:
                break
            step = f / df
            t0 -= step
            if t0 < 0:
                t0 = mp.mpf(0)
                break
            if abs(step) < mp.mpf(10) ** -30 * (1 + t0):
                break
    gmax = max(g(t0), g(mp.mpf(0)))
    # end point: where the integrand has fallen by e^-130
    T = t0 + 1
    while g(T) - gmax > -130:
        T = T * 2 + 1
    width = 1 / mp.sqrt(mp.sqrt(x * x + v * v))
    pts = {mp.mpf(0), T}
    for j in [-8, -4, -2, -1, 0, 1, 2, 4, 8]:
        t = t0 + j * width * 2
        if 0 < t < T:
            pts.add(t)
    for j in range(1, 6):
        pts.add(T * j / 6)
    pts = sorted(pts)
    val = mp.quad(lambda t: mp.exp(g(t) - gmax), pts)
    return gmax + mp.log(val)

def row(v, x):
    vm, xm = mp.mpf(v), mp.mpf(x)
    li, lk = log_i(vm, xm), log_k(vm, xm)
    li1, lk1 = log_i(vm + 1, xm), log_k(vm + 1, xm)
    a, b = li + lk1, li1 + lk
    w = abs(xm * (mp.exp(a) + mp.exp(b)) - 1)
    return li, lk, w

def f17(x):
    return repr(float(x))

def log_uniform(rng, lo, hi):
    return 10 ** rng.uniform(lo, hi)

def points():
    rng = random.Random(20261123)
    pts = []
    for _ in range(2000):
        v = log_uniform(rng, -3, 5) if rng.random() < 0.97 else 0.0
        pts.append((v, log_uniform(rng, -10, 6)))
    # the hard spot of the issue: v ~ 1200, x ~ 2.3e5
    for _ in range(30):
        pts.append((rng.uniform(1100, 1300), rng.uniform(2.0e5, 2.6e5)))
    # region boundaries used by LogBessel / BesselExpansions, each side
    for b in [20.0, 20.0 * (1 - 1e-12), 20.0 * (1 + 1e-12), 19.5, 20.5, 30.0, 40.0, 50.0, 100.0, 128.0, 400.0]:
        for x in [1e-10, 1e-3, 0.5, 1.9999999, 2.0, 2.0000001, 13.254868, 29.999999, 30.000001, 1e2, 1e3, 1e5]:
            pts.append((b, x))
    for v in [0.0, 0.25, 0.5, 1.0, 3.0, 7.5, 10.0, 15.0, 19.9, 19.999999]:
        xs = [1e-10, 1e-5, 1.999999999, 2.000000001, max(30.0, 0.3 * v * v) * (1 - 1e-9),
              max(30.0, 0.3 * v * v) * (1 + 1e-9), 300.0, 1e4, 1e6]
        for x in xs:
            pts.append((v, x))
    # the Debye eta root z0 ~ 0.6627 and the edges of the Taylor window |x/v - z0| = 0.1, several v
    for v in [20.0, 55.5, 1000.0, 12345.6, 1e5]:
        for z in [0.6627434193491816, 0.5627, 0.5628, 0.7627, 0.7628, 1.0, 0.1, 10.0]:
            pts.append((v, v * z))
    return pts

def ratio_points():
    rng = random.Random(77)
    pts = []
    for _ in range(400):
        p = int(log_uniform(rng, 0.302, 6))  # p in [2, 1e6]
        pts.append((p / 2, log_uniform(rng, -8, 7)))
    for p in [2, 3, 4, 5, 39, 40, 41, 100, 2048, 32768, 100000, 10**6]:
        for k in [1e-6, 0.3, 1.0, 10.0, p / 4.0, p / 2.0, 2.0 * p, 1e7]:
            pts.append((p / 2, float(k)))
    return pts

def log_i_ratio_safe(v, x):
    # for x > 4000 and v < 40 with v-1 also Hankel; fine. v-1 >= 0 always here (v >= 1).
    return log_i(v, x)

def main():
    mode, out = sys.argv[1], sys.argv[2]
    if mode == "points":
        with open(out, "w") as f:
            f.write("v,x,logI,logK\n")
            shard, shards = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (0, 1)
            for n, (v, x) in enumerate(points()):
                if n % shards != shard:
                    continue
                li, lk, w = row(v, x)
                if not (w < mp.mpf(10) ** -30):
                    print("dropped v=%r x=%r wronskian %s" % (v, x, mp.nstr(w, 3)), file=sys.stderr)
                    continue
                f.write("%s,%s,%s,%s\n" % (f17(v), f17(x), f17(li), f17(lk)))
                if n % 100 == 0:
                    print(n, file=sys.stderr, flush=True)
                    f.flush()
    elif mode == "ratio":
        with open(out, "w") as f:
            f.write("v,x,ratio\n")
            for v, x in ratio_points():
                vm, xm = mp.mpf(v), mp.mpf(x)
                r = mp.exp(log_i(vm, xm) - log_i(vm - 1, xm))
                f.write("%s,%s,%s\n" % (f17(v), f17(x), f17(r)))
    elif mode == "verify":
        worst = 0
        for line in open(out).read().split()[1:]:
            v, x, li, lk = map(float, line.split(","))
            a, b = log_i(mp.mpf(v), mp.mpf(x)), log_k(mp.mpf(v), mp.mpf(x))
            ea = abs(a - li) / max(1, abs(li)); eb = abs(b - lk) / max(1, abs(lk))
            worst = max(worst, ea, eb)
            if max(ea, eb) > 2e-16:
                print("v=%r x=%r errI %s errK %s" % (v, x, mp.nstr(ea, 3), mp.nstr(eb, 3)))
        print("worst scaled difference from the shared reference:", mp.nstr(worst, 3))

if __name__ == "__main__":
    main()
