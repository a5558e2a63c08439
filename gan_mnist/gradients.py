"""MatMul's gradient, written the way oneDNN runs fastest at small batches.

TensorFlow differentiates y = x . w (x (n, K), w (K, N)) into
dx = dy . w^T and dw = x^T . dy. Both are kept here, the same products
of the same numbers, with two changes of form:

- For a wide weight (K and N both at least ``SWAP_MIN``), dx is computed as
  (w . dy^T)^T. oneDNN's sgemm runs dy . w^T with the weight transposed
  1.5-1.6x slower than this form at n = 32 (and as fast at n = 256): the
  backward passes through D's first and G's last layer. Each element of dx
  is the same dot product over N either way.
- For a weight of one column (N = 1, D's logit layer), dx is the outer
  product dy * w^T, an element-wise multiply: one product per element, so
  exactly what the matmul gives, without a matmul's set-up.

``python scripts/step_variants.py`` times the step with TensorFlow's own
gradient against this one (README: throughput).

Use ``with faster_matmul_gradients(graph):`` around the ops to differentiate
and the ``tf.gradients`` calls: MatMul ops made inside take this gradient.
"""

from ._tf import tf

GRADIENT_NAME = "GanMnistMatMul"
SWAP_MIN = 512  # both sides of a weight at least this: dx as (w . dy^T)^T


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
    rows, cols = b.shape.as_list()
    if cols == 1:
        grad_a = grad * tf.transpose(b)
    elif rows and cols and min(rows, cols) >= SWAP_MIN:
        grad_a = tf.transpose(tf.matmul(b, grad, transpose_b=True))
    else:
        grad_a = tf.matmul(grad, b, transpose_b=True)
    return grad_a, tf.matmul(a, grad, transpose_a=True)


tf.RegisterGradient(GRADIENT_NAME)(matmul_gradient)


def faster_matmul_gradients(graph):
    """Context: MatMul ops created in ``graph`` inside it take
    ``matmul_gradient`` as their gradient."""
    return graph.gradient_override_map({"MatMul": GRADIENT_NAME})
