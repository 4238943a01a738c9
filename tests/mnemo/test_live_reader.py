"""LiveReadStage: a live stream read at its own pace, thinned evenly when the analysis is slow.

The sender is real (ffmpeg over UDP); the slow analysis is a consumer that takes 0.25 s per
frame while 8 frames arrive per second: analysing every frame would fall ever further behind.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from mnemo.runtime.reader import LiveReadStage
from mnemo.runtime.records import PacketBatch
from streams.live import LiveOptions
from streams.sampling import SamplingPolicy
from streams.schemes import open_source





def test_a_slow_analysis_drops_frames_evenly_and_keeps_the_lag_bounded(senders, live_clip):
    port = senders.free_port()
    processes = []
    timer = threading.Timer(0.5, lambda: processes.append(senders.send_udp(live_clip.video, port, seconds=8)))
    timer.start()
    source = open_source(f"udp://127.0.0.1:{port}", SamplingPolicy(fps=8.0, frame_size=64, audio=True),
                         live=LiveOptions(reconnect=False, stall=1.0))
    timer.join()
    analysed, per_frame, max_lag = [], 0.25, 1.0
    try:
        with source, LiveReadStage(source, 0.0, batch_size=32, max_lag=max_lag) as reader:
            for batch in reader:
                assert isinstance(batch, PacketBatch)
                time.sleep(per_frame * len(batch.frames))  # the analysis: 4 frames a second at most
                analysed += [f.time for f in batch.frames]
    finally:
        senders.stop(processes[0])
    sent = 8 * 8  # frames the policy samples from 8 s
    assert reader.dropped >= sent // 3  # capacity is half the rate: about half must go
    assert len(analysed) + reader.dropped == pytest.approx(sent, abs=4)
    assert all(b > a for a, b in zip(analysed, analysed[1:]))
    steady = [t for t in analysed if t >= 2.0]  # after the burst of frames buffered while the stream was probed
    assert max(np.diff(steady)) <= max_lag and max(np.diff(analysed)) <= 2 * max_lag  # thinned evenly
    lags = np.asarray(reader.lags)
    # analysing every frame would end 8 * 8 * 0.25 - 8 = 8 s behind; thinned, it stays near max_lag
    assert np.percentile(lags, 50) <= max_lag + 0.5 and lags.max() <= max_lag + 1.5, lags.round(2)
