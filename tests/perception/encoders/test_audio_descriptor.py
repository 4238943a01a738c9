import numpy as np

from perception.encoders.audio import AudioDescriptor


def test_unit_rows_and_tone_separation():
    enc = AudioDescriptor()
    t = np.arange(8000) / 16000
    low, high = np.sin(2 * np.pi * 200 * t), np.sin(2 * np.pi * 3000 * t)
    rng = np.random.default_rng(0)
    def noise():
        return 0.01 * rng.standard_normal(8000)

    v = enc.encode([low + noise(), low + noise(), high + noise(), np.zeros(8000), np.zeros(10)])
    assert v.shape == (5, 32) and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > 0.99 and v[0] @ v[2] < v[0] @ v[1] - 0.05
    assert np.isfinite(v[3]).all() and np.isfinite(v[4]).all()  # silence and a tiny window are fine
