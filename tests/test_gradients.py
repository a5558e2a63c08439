import contextlib

import numpy as np
import pytest

from gan_mnist import gradients
from gan_mnist._tf import tf, v1
from gan_mnist.train_graph import build_train_graph


def _grads(a_shape, b_shape, faster, order=1):
    """d/da and d/db of sum(r * tanh(a . b)) (order 1), or of the squared norm of
    d/da of it (order 2, as R1 differentiates), and the op type that makes
    d/da in the first-order graph."""
    rng = np.random.default_rng(0)
    a0, b0 = (rng.standard_normal(s).astype(np.float32) for s in (a_shape, b_shape))
    r0 = rng.standard_normal((a_shape[0], b_shape[1])).astype(np.float32)
    with tf.Graph().as_default() as g:
        a, b = tf.constant(a0), v1.Variable(b0)
        context = gradients.faster_matmul_gradients(g) if faster else contextlib.nullcontext()
        with context:
            loss = tf.reduce_sum(tf.tanh(tf.matmul(a, b)) * r0)
            da, db = tf.gradients(loss, [a, b])
            kind = da.op.type
            if order == 2:
                da, db = tf.gradients(tf.reduce_sum(tf.square(da)), [a, b])
        with v1.Session() as s:
            s.run(v1.global_variables_initializer())
            return s.run([da, db]) + [kind]


@pytest.mark.parametrize("a_shape, b_shape, form", [
    ((32, 512), (512, 784), "Transpose"),  # G's last layer: a wide weight
    ((32, 784), (784, 512), "Transpose"),  # D's first layer
    ((128, 784), (784, 512), "Transpose"),
    ((256, 784), (784, 512), "MatMul"),    # the tutorial's batch: TensorFlow's form
    ((32, 256), (256, 512), "MatMul"),     # narrower: TensorFlow's form
])
def test_the_gradient_is_tensorflows_in_a_faster_form(a_shape, b_shape, form):
    da, db, kind = _grads(a_shape, b_shape, faster=True)
    want_da, want_db, plain = _grads(a_shape, b_shape, faster=False)
    assert kind == form and plain == "MatMul"
    np.testing.assert_allclose(da, want_da, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(db, want_db, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("b_shape", [(6, 5), (6, 1)])
def test_second_order_gradients_are_tensorflows(monkeypatch, b_shape):
    # R1 differentiates a gradient, so the transposed products that make it
    # are differentiated too; SWAP_MIN 1 puts the swapped form in the way.
    monkeypatch.setattr(gradients, "SWAP_MIN", 1)
    assert gradients.swaps(list(b_shape), 4)
    da, db, _ = _grads((4, 6), b_shape, faster=True, order=2)
    want_da, want_db, _ = _grads((4, 6), b_shape, faster=False, order=2)
    np.testing.assert_allclose(da, want_da, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(db, want_db, rtol=1e-5, atol=1e-6)


def test_the_training_step_takes_the_faster_gradient(tiny_hp):
    tg = build_train_graph(tiny_hp, 64)
    kinds = {op.get_attr("_gradient_op_type") for op in tg.graph.get_operations()
             if op.type == "MatMul" and "_gradient_op_type" in op.node_def.attr}
    assert kinds == {gradients.GRADIENT_NAME.encode()}
