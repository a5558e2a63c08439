"""MatMul's gradient, written the way oneDNN runs fastest at small batches.

TensorFlow differentiates y = x . w (x (n, K), w (K, N)) into
dx = dy . w^T and dw = x^T . dy. Here dx of a wide weight (K and N both
at least ``SWAP_MIN``) at a small batch (n at most ``SWAP_MAX_ROWS``) is
computed as (w . dy^T)^T: the same dot products, which oneDNN's sgemm runs
1.5-2.1x as fast at n = 32 and 1.2x at n = 128 as dy . w^T with the weight
transposed, and no faster at n = 256, where TensorFlow's form stays (so the
tutorial's batch of 256 trains exactly as before on any machine). At the
default sizes the wide weights are D's first and G's last layer.
Everything else is TensorFlow's form.

``python scripts/matmul_forms.py`` times both forms for every input
gradient of the step and says whether they agree bit for bit;
``python scripts/step_variants.py`` times the whole step with TensorFlow's
gradient against this one (README: throughput).

Use ``with faster_matmul_gradients(graph):`` around the ops to differentiate
and the ``tf.gradients`` calls: MatMul ops made inside take this gradient.
"""

from ._tf import tf

GRADIENT_NAME = "GanMnistMatMul"
SWAP_MIN = 512       # both sides of a weight at least this ...
SWAP_MAX_ROWS = 128  # ... and at most this many rows: dx as (w . dy^T)^T


def swaps(weight_shape, rows):
    """True when dx of a weight of ``weight_shape`` (K, N) at ``rows`` rows
    (None: unknown) is computed as (w . dy^T)^T."""
    return (rows is not None and rows <= SWAP_MAX_ROWS
            and None not in weight_shape and min(weight_shape) >= SWAP_MIN)


def matmul_gradient(op, grad):
    """(d a, d b) of MatMul ``op`` (any transpose flags) for the upstream
    gradient ``grad`` (the shape of op's output)."""
    a, b = op.inputs
    t_a, t_b = op.get_attr("transpose_a"), op.get_attr("transpose_b")
    if t_a or t_b:  # the products a gradient itself is made of (R1): as TensorFlow
        if not t_a:
            return tf.matmul(grad, b), tf.matmul(grad, a, transpose_a=True)
        if not t_b:
            return tf.matmul(b, grad, transpose_b=True), tf.matmul(a, grad)
        return (tf.matmul(b, grad, transpose_a=True, transpose_b=True),
                tf.matmul(grad, a, transpose_a=True, transpose_b=True))
    if swaps(b.shape.as_list(), grad.shape.as_list()[0]):
        grad_a = tf.transpose(tf.matmul(b, grad, transpose_b=True))
    else:
        grad_a = tf.matmul(grad, b, transpose_b=True)
    return grad_a, tf.matmul(a, grad, transpose_a=True)


tf.RegisterGradient(GRADIENT_NAME)(matmul_gradient)


def faster_matmul_gradients(graph):
    """Context: MatMul ops created in ``graph`` inside it take
    ``matmul_gradient`` as their gradient."""
    return graph.gradient_override_map({"MatMul": GRADIENT_NAME})
