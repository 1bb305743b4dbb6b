/* The C reference of issue 12: a tape interpreter for the scalar graph
 * (asv_benchmarks/scalar_graph.py), compiled with -O3 by c_tape.py.
 *
 * The tape is what c_tape.py records: one instruction per row of W int32s,
 * (opcode, in0, in1, in2, in3, aux, out), the ins and out being slots of
 * `vals` (slots 0..n_inputs-1 hold the inputs).  run_tape runs the forward in
 * tape order, then the reverse pass, leaving d loss / d slot in `grads` (so
 * grads[0..n_inputs-1] are the inputs' gradients), and returns the loss.
 * Every value of the forward stays in `vals`: the reverse pass recomputes what
 * it needs from them, as a tape interpreter without saved buffers does.
 *
 * The formulas follow PyTorch's CPU kernels: softplus with beta 1 and
 * threshold 20, softmax with the maximum subtracted.
 */
#include <math.h>

enum { OP_SOFTPLUS = 0, OP_SUM4 = 1, OP_MUL = 2, OP_SOFTMAX4_SELECT = 3 };
#define W 7

static inline double softplus(double x) { return x > 20.0 ? x : log1p(exp(x)); }

/* softmax of (x0, x1, x2, x3): the four probabilities in p */
static inline void softmax4(const double *v, const int *in, double *p)
{
    double m = v[in[0]];
    for (int j = 1; j < 4; j++)
        m = v[in[j]] > m ? v[in[j]] : m;
    double s = 0.0;
    for (int j = 0; j < 4; j++) {
        p[j] = exp(v[in[j]] - m);
        s += p[j];
    }
    double r = 1.0 / s;
    for (int j = 0; j < 4; j++)
        p[j] *= r;
}

static void forward(const int *code, int n_instr, double *v)
{
    double p[4];
    for (int i = 0; i < n_instr; i++) {
        const int *c = code + (long)i * W;
        const int *in = c + 1;
        switch (c[0]) {
        case OP_SOFTPLUS: v[c[6]] = softplus(v[in[0]]); break;
        case OP_SUM4: v[c[6]] = v[in[0]] + v[in[1]] + v[in[2]] + v[in[3]]; break;
        case OP_MUL: v[c[6]] = v[in[0]] * v[in[1]]; break;
        case OP_SOFTMAX4_SELECT: softmax4(v, in, p); v[c[6]] = p[c[5]]; break;
        }
    }
}

static void reverse(const int *code, int n_instr, const double *v, double *g)
{
    double p[4];
    for (int i = n_instr - 1; i >= 0; i--) {
        const int *c = code + (long)i * W;
        const int *in = c + 1;
        double go = g[c[6]];
        switch (c[0]) {
        case OP_SOFTPLUS: {
            double x = v[in[0]];
            double z = exp(x);
            g[in[0]] += x > 20.0 ? go : go * z / (z + 1.0);
            break;
        }
        case OP_SUM4:
            for (int j = 0; j < 4; j++)
                g[in[j]] += go;
            break;
        case OP_MUL: {
            double a = v[in[0]], b = v[in[1]];
            g[in[0]] += go * b;
            g[in[1]] += go * a;
            break;
        }
        case OP_SOFTMAX4_SELECT: {
            /* d p_k / d x_j = p_k (delta_kj - p_j) */
            softmax4(v, in, p);
            int k = c[5];
            for (int j = 0; j < 4; j++)
                g[in[j]] += go * p[k] * ((j == k ? 1.0 : 0.0) - p[j]);
            break;
        }
        }
    }
}

/* Forward and reverse pass of the tape; returns vals[out_slot] (the loss). */
double run_tape(const int *code, int n_instr, double *vals, double *grads, int n_slots,
                int out_slot)
{
    forward(code, n_instr, vals);
    for (int s = 0; s < n_slots; s++)
        grads[s] = 0.0;
    grads[out_slot] = 1.0;
    reverse(code, n_instr, vals, grads);
    return vals[out_slot];
}
