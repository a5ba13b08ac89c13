/* vmath_driver.c - measures the back end's tanh, sigmoid, exp and erf (an object
 * made by cg_emit_vmath with --name=vm) against libm in double precision.
 *
 * Sweeps every x = -20 + k * 1e-4 (k = 0..400000) for tanh and sigmoid,
 * every x = -87 + k * 1e-4 (k = 0..1750000, up to 88) for exp, every
 * x = -6 + k * 1e-4 (k = 0..120000) and 1e-30..1e-1 for erf, and checks
 * special values (signed zeros, denormals, +-inf, NaN, huge magnitudes,
 * exp's overflow and underflow); the vector form must give the scalar
 * form's bits. Prints
 *   tanh <max abs error> <max rel error> sigmoid <max abs> <max rel>
 *   exp <max rel> erf <max abs> <max rel>
 * and exits 1 when a special value or a vector result is wrong. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

float vm_tanh(float);
float vm_sigmoid(float);
void vm_tanh_v(const float *x, float *y);
void vm_sigmoid_v(const float *x, float *y);
float vm_exp(float);
void vm_exp_v(const float *x, float *y);
float vm_erf(float);
void vm_erf_v(const float *x, float *y);
extern const int32_t vm_vmath_width;

static int bad;

struct err {
	double abs, rel, at_abs, at_rel;
};

static void note(struct err *e, float x, float y, double ref)
{
	double a = fabs((double)y - ref);
	if (a > e->abs) {
		e->abs = a;
		e->at_abs = x;
	}
	if (ref != 0 && a / fabs(ref) > e->rel) {
		e->rel = a / fabs(ref);
		e->at_rel = x;
	}
}

static int same_bits(float a, float b)
{
	return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b));
}

/* Runs the vector form over x[0..n) (n a multiple of the width). */
static void vector(void (*f)(const float *, float *), const float *x, float *y, int n)
{
	for (int i = 0; i < n; i += vm_vmath_width)
		f(x + i, y + i);
}

static void special(const char *what, float x, float y, float want, float tol)
{
	int ok = isnan(want)   ? isnan(y)
	         : isinf(want) ? y == want
	                       : fabsf(y - want) <= tol && !isnan(y);
	if (!ok) {
		printf("%s(%g) = %.9g, expected %.9g\n", what, (double)x, (double)y, (double)want);
		bad = 1;
	}
}

#define N 400064 /* 400001 rounded up to a multiple of 64 */
static float xs[N], yt[N], ys[N];
#define NE 1750016 /* 1750001 rounded up to a multiple of 64 */
static float xe[NE], ye[NE];

/* exp over [-87, 88] and its special values; returns the max rel error. */
static double check_exp(void)
{
	struct err e = { 0 };
	for (int k = 0; k < NE; k++)
		xe[k] = (float)(-87.0 + (k < 1750001 ? k : 1750000) * 1e-4);
	vector(vm_exp_v, xe, ye, NE);
	for (int k = 0; k < NE; k++) {
		float x = xe[k], y = vm_exp(x);
		if (!same_bits(y, ye[k])) {
			printf("x = %.9g: vector exp %.9g, scalar %.9g\n", (double)x, (double)ye[k],
			       (double)y);
			bad = 1;
		}
		note(&e, x, y, exp((double)x));
	}
	static const float xs_special[] = { 0.0f, -0.0f, 1e-30f, -1e-30f, 88.72f, -100.0f };
	for (unsigned i = 0; i < sizeof xs_special / sizeof *xs_special; i++) {
		float x = xs_special[i];
		double ref = exp((double)x);
		special("exp", x, vm_exp(x), (float)ref, (float)(ref * 3e-7) + 1e-44f);
	}
	special("exp", 88.8f, vm_exp(88.8f), INFINITY, 0);
	special("exp", INFINITY, vm_exp(INFINITY), INFINITY, 0);
	special("exp", -104.0f, vm_exp(-104.0f), 0.0f, 0);
	special("exp", -INFINITY, vm_exp(-INFINITY), 0.0f, 0);
	special("exp", NAN, vm_exp(NAN), NAN, 0);
	fprintf(stderr, "exp: max rel at %.9g\n", e.at_rel);
	return e.rel;
}

#define NF 120064 /* 120001 rounded up to a multiple of 64 */
static float xf[NF], yf[NF];

/* erf over [-6, 6], small magnitudes and special values. */
static struct err check_erf(void)
{
	struct err e = { 0 };
	for (int k = 0; k < NF; k++)
		xf[k] = (float)(-6.0 + (k < 120001 ? k : 120000) * 1e-4);
	vector(vm_erf_v, xf, yf, NF);
	for (int k = 0; k < NF; k++) {
		float x = xf[k], y = vm_erf(x);
		if (!same_bits(y, yf[k])) {
			printf("x = %.9g: vector erf %.9g, scalar %.9g\n", (double)x, (double)yf[k],
			       (double)y);
			bad = 1;
		}
		note(&e, x, y, erf((double)x));
	}
	for (double x = 1e-30; x < 0.1; x *= 1.01) {
		note(&e, (float)x, vm_erf((float)x), erf((double)(float)x));
		note(&e, (float)-x, vm_erf((float)-x), erf(-(double)(float)x));
	}
	special("erf", 10.0f, vm_erf(10.0f), 1.0f, 0);
	special("erf", -10.0f, vm_erf(-10.0f), -1.0f, 0);
	special("erf", INFINITY, vm_erf(INFINITY), 1.0f, 0);
	special("erf", -INFINITY, vm_erf(-INFINITY), -1.0f, 0);
	special("erf", NAN, vm_erf(NAN), NAN, 0);
	float nz = vm_erf(-0.0f);
	if (!same_bits(nz, -0.0f)) {
		printf("erf(-0) = %g\n", (double)nz);
		bad = 1;
	}
	fprintf(stderr, "erf: max abs at %.9g, max rel at %.9g\n", e.at_abs, e.at_rel);
	return e;
}

int main(void)
{
	struct err et = { 0 }, es = { 0 };
	for (int k = 0; k < N; k++)
		xs[k] = (float)(-20.0 + (k < 400001 ? k : 400000) * 1e-4);
	vector(vm_tanh_v, xs, yt, N);
	vector(vm_sigmoid_v, xs, ys, N);
	for (int k = 0; k < N; k++) {
		float x = xs[k], t = vm_tanh(x), s = vm_sigmoid(x);
		if (!same_bits(t, yt[k]) || !same_bits(s, ys[k])) {
			printf("x = %.9g: vector %.9g %.9g, scalar %.9g %.9g\n", (double)x,
			       (double)yt[k], (double)ys[k], (double)t, (double)s);
			bad = 1;
		}
		note(&et, x, t, tanh((double)x));
		note(&es, x, s, 1.0 / (1.0 + exp(-(double)x)));
	}
	static const float big[] = { 1e-30f, 1e-40f, 3e-4f, 5e-4f, 20.5f, 87.0f, 88.0f, 100.0f,
		                     1e10f, 3.4e38f };
	for (unsigned i = 0; i < sizeof big / sizeof *big; i++)
		for (int sgn = -1; sgn <= 1; sgn += 2) {
			float x = (float)sgn * big[i];
			special("tanh", x, vm_tanh(x), (float)tanh((double)x), 2e-7f);
			special("sigmoid", x, vm_sigmoid(x), (float)(1.0 / (1.0 + exp(-(double)x))),
			        1e-7f);
		}
	special("tanh", INFINITY, vm_tanh(INFINITY), 1.0f, 2e-7f);
	special("tanh", -INFINITY, vm_tanh(-INFINITY), -1.0f, 2e-7f);
	special("sigmoid", INFINITY, vm_sigmoid(INFINITY), 1.0f, 0.0f);
	special("sigmoid", -INFINITY, vm_sigmoid(-INFINITY), 0.0f, 1e-37f);
	special("tanh", NAN, vm_tanh(NAN), NAN, 0);
	special("sigmoid", NAN, vm_sigmoid(NAN), NAN, 0);
	float nz = vm_tanh(-0.0f);
	if (!same_bits(nz, -0.0f)) {
		printf("tanh(-0) = %g\n", (double)nz);
		bad = 1;
	}
	special("sigmoid", 0.0f, vm_sigmoid(0.0f), 0.5f, 0.0f);
	double exp_rel = check_exp();
	struct err ef = check_erf();
	printf("tanh %.3g %.3g sigmoid %.3g %.3g exp %.3g erf %.3g %.3g\n", et.abs, et.rel, es.abs,
	       es.rel, exp_rel, ef.abs, ef.rel);
	fprintf(stderr, "tanh: max abs at %.9g, max rel at %.9g; sigmoid: %.9g, %.9g\n", et.at_abs,
	        et.at_rel, es.at_abs, es.at_rel);
	return bad;
}
