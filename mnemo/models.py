"""Build a profile's encoders, falling back (once, with a warning) when weights cannot be had."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import sys
from dataclasses import dataclass

import mnemo.compat  # noqa: F401  - torchvision fix before open_clip is imported
from mnemo.config import ComponentConfig, Profile, load_profile
from mnemo.errors import ConfigError
from perception import create_frame_encoder, create_text_embedder
from perception.encoders.base import FrameEncoder, TextEmbedder
from perception.errors import UnknownComponent, WeightsUnavailable
from perception.ocr import TextReader, create_text_reader

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def torch_threads(count: int):
    """Run torch with at most ``count`` intra-op threads inside the block (restored after).

    On a small machine torch's pool spinning on every core beside other work (a decode thread,
    another process) makes both slower: a MiniLM sentence took 0.4 s instead of 12-20 ms.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, min(before, count)))
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def blas_threads(count: int):
    """Run numpy's and scipy's BLAS (OpenBLAS) with at most ``count`` threads inside the block.

    Ingest calls BLAS on small matrices (a spectrum times a mel filter bank, a few voice
    vectors), where a pool of threads buys nothing, and its idle threads spin on cores a
    decoder needs: on 2 cores, lite's voices took 4x longer with numpy's default 2 threads.
    One thread never splits a sum, so results do not depend on the machine's core count (lite's
    memory of a 10-minute talk came out byte for byte the same as with 2 threads).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # only a speed-up: without it BLAS keeps its own thread count
        logger.debug("threadpoolctl is not installed; BLAS keeps its thread count")
        yield
        return
    with threadpool_limits(limits=max(1, count), user_api="blas"):
        yield


@dataclass
class Encoders:
    """The models of one profile, loaded once and shared by ingest and queries."""

    profile: Profile  # the profile actually in use (after any fallback)
    frame: FrameEncoder
    text: TextEmbedder | None  # embeds transcripts/subtitles and text queries
    ocr: TextReader | None = None  # reads screen text on keyframes (profile section ocr), None: off

    def warm(self) -> "Encoders":
        """Load lazily-loaded weights now, so that the first event does not pay for them."""
        if self.text is not None:
            self.text.embed(["warm up"])
        speech = self.profile.speech
        if speech.enabled:  # the VAD's first voiced segment initialises its pitch tracker (~0.8 s)
            import numpy as np

            from perception.speech import detect_speech

            t = np.arange(32_000) / 16_000
            voiced = (0.3 * np.sin(2 * np.pi * 150 * t) * (t > 0.5) * (t < 1.5)).astype(np.float32)
            detect_speech(voiced, 0.0, "", vad=speech.vad, **dict(speech.vad_options))
        return self

    @property
    def image_key(self) -> str:
        """Where frame vectors (and image queries) live in the store: ``image/<encoder space>``."""
        return f"image/{self.frame.space}"

    @property
    def text_key(self) -> str | None:
        """Where text vectors (subtitles, transcripts) live: ``text/<embedder space>``.

        Keyed by role as well as space: with CLIP, frames and texts share one space but are
        different vectors of the same event.
        """
        return f"text/{self.text.space}" if self.text is not None else None

    @property
    def spaces(self) -> dict[str, str]:
        """Stored vector keys by role: ``{"image": ..., "text": ...}``."""
        out = {"image": self.image_key}
        if self.text_key is not None:
            out["text"] = self.text_key
        return out


# components whose model files come through perception.model_cache: (section, name) -> model
_MODEL_OF = {
    ("asr", "faster-whisper"): None,  # the model named in asr_options (base: the verified cache)
    ("vad", "silero"): "silero-vad",
    ("voices", "ge2e"): "ge2e",
    ("voices", "campplus"): "campplus",
    ("ocr", "rapidocr"): "pp-ocr",
}


def required_models(profile: Profile) -> list[str]:
    """The cached models (``mnemo models``) a profile's speech and screen-text components need."""
    speech = profile.speech
    wanted = [("vad", speech.vad), ("voices", speech.voices), ("asr", speech.asr)]
    if profile.ocr.enabled:
        wanted.append(("ocr", profile.ocr.name))
    names = []
    for key in wanted:
        if key not in _MODEL_OF:
            continue
        model = _MODEL_OF[key]
        if model is None:  # faster-whisper: the cached size, when the profile names one
            size = str(dict(speech.asr_options).get("model", "base"))
            model = f"faster-whisper-{size}"
        names.append(model)
    return names


def check_models(profile: Profile) -> None:
    """Raise WeightsUnavailable naming every model the profile needs that is missing or fails its hash."""
    from perception import model_cache

    problems = []
    for name in required_models(profile):
        if name not in model_cache.MODELS:
            continue  # not one mnemo ships (e.g. a hub size): its component says when it is missing
        try:
            if model_cache.get_spec(name).assembled:
                model_cache.assemble(name)  # verifies it (once: later calls only check the stamp)
            else:
                model_cache.model_dir(name)  # used in place: its package must be installed
        except WeightsUnavailable as err:
            problems.append(str(err))
    if problems:
        raise WeightsUnavailable("; ".join(problems))


def load_encoders(profile: Profile) -> Encoders:
    """Create the profile's frame encoder and text embedder, or its fallback's with one warning.

    The fallback is taken too when a model of the profile's speech or screen-text components is
    missing (the warning names it), so that a profile never runs half its models silently.
    """
    try:
        check_models(profile)
        return _create(profile).warm()
    except WeightsUnavailable as err:
        if not profile.fallback:
            raise
        logger.warning("profile %r: %s; falling back to profile %r", profile.name, err, profile.fallback)
        fallback = load_profile(profile.fallback)
        fallback = dataclasses.replace(fallback, captioner=profile.captioner)  # an endpoint, not a model file
        return load_encoders(fallback.with_sampling(**_sampling_overrides(profile, fallback)))


def _sampling_overrides(profile: Profile, fallback: Profile) -> dict:
    # keep what the user chose for sampling (fps, keyframes) when falling back
    return {"fps": profile.sampling.fps, "keyframes_only": profile.sampling.keyframes_only}


def _create(profile: Profile) -> Encoders:
    frame = _component(create_frame_encoder, profile.frame_encoder, profile, "frame_encoder")
    text = None
    if profile.text_embedder.name is not None:
        options = dict(profile.text_embedder.options)
        if profile.text_embedder.name == frame_encoder_name(profile) and frame.supports_text:
            options.setdefault("encoder", frame)  # reuse the loaded CLIP's text tower
        text = _component(create_text_embedder, ComponentConfig(profile.text_embedder.name, options), profile,
                          "text_embedder")
    ocr = None
    if profile.ocr.enabled:
        ocr = _component(create_text_reader, ComponentConfig(profile.ocr.name, profile.ocr.options), profile, "ocr")
    return Encoders(profile, frame, text, ocr)


def frame_encoder_name(profile: Profile) -> str | None:
    return profile.frame_encoder.name


def _component(factory, config: ComponentConfig, profile: Profile, section: str):
    if config.name is None:
        raise ConfigError(f"profile {profile.name!r}: {section} must name a component")
    try:
        return factory(config.name, **dict(config.options))
    except UnknownComponent as err:
        raise ConfigError(f"profile {profile.name!r} ({profile.source}): {section}: {err}") from err
    except TypeError as err:
        raise ConfigError(f"profile {profile.name!r} ({profile.source}): {section} options: {err}") from err
