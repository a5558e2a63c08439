"""The defaults: the tutorial's values, pinned."""
from gan_mnist import config
from gan_mnist.graph.train_graph import build_train_graph


def test_the_tutorials_defaults_are_pinned():
    """The tutorial's values, written out here rather than read from the
    code under test."""
    hp = config.HParams()
    assert (hp.max_epoch, hp.batch_size, hp.h1_size, hp.h2_size, hp.z_size,
            hp.learning_rate, hp.keep_prob) == (500, 256, 256, 512, 128, 1e-4, 0.7)
    assert (hp.data_dir, hp.output, hp.seed, hp.limit) == ("MNIST_data", "output",
                                                           None, None)
    # every option beyond the tutorial's is off
    assert (hp.shuffle, hp.beta1, hp.label_smoothing, hp.init, hp.leaky_relu,
            hp.g_average, hp.eval_every) == (False, 0.9, 0.0, "truncated_normal",
                                             0.0, 0.0, 0)
    assert config.GRID_SIZE == (8, 8) and config.GRID_PAD == 5
    tg = build_train_graph(hp._replace(seed=1), 300)
    shapes = {v.op.name: v.shape.as_list() for v in tg.g_params + tg.d_params}
    assert shapes == {
        "g_w1": [128, 256], "g_b1": [256], "g_w2": [256, 512], "g_b2": [512],
        "g_w3": [512, 784], "g_b3": [784], "d_w1": [784, 512], "d_b1": [512],
        "d_w2": [512, 256], "d_b2": [256], "d_w3": [256, 1], "d_b3": [1]}
    assert tg.iters_per_epoch == 1  # 300 // 256; 60000 // 256 = 234
