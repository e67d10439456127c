"""Decoding real files: probe, frame sampling, audio, images, and every way a bad upload can fail."""

from __future__ import annotations

import io
import shutil
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.paths import fixture_path, fixture_truth
from vodguard.moderation.config import Limits
from vodguard.moderation.errors import DeadlineExceeded, MediaLimitExceeded, SourceFileError
from vodguard.moderation.media import load_audio, load_image, load_image_frames, probe, sample_frames
from vodguard.moderation.media.video import _VideoSampler
from vodguard.moderation.sampling import FrameSelector, hamming, phash, thumbnail

LIMITS = Limits()


def sample(path: Path, *, interval: float = 1.0, limits: Limits = LIMITS, **kw) -> list:
    info = probe(path, limits)
    return list(
        sample_frames(
            path, info, interval=interval, scene_threshold=0.35, dedupe_hamming=4, limits=limits, **kw
        )
    )


def keyframe_times(path: Path) -> list[float]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return sorted(
            round(float(p.pts * p.time_base), 2) for p in c.demux(s) if p.is_keyframe and p.pts is not None
        )


# ------------------------------------------------------------------------------------------------- probe

CONTAINERS = [
    # file, category, container (FFmpeg's name), video codec, audio codec
    ("tiny.mp4", "Video", "mov,mp4,m4a,3gp,3g2,mj2", "h264", "aac"),
    ("tiny.mov", "Video", "mov,mp4,m4a,3gp,3g2,mj2", "h264", "aac"),
    ("tiny.mkv", "Video", "matroska,webm", "h264", "flac"),
    ("tiny.webm", "Video", "matroska,webm", "vp9", "opus"),
    ("tiny.ts", "Video", "mpegts", "h264", "aac"),
    ("tiny.flv", "Video", "flv", "flv1", "mp3"),
    ("tiny.avi", "Video", "avi", "mpeg4", "mp3"),
    ("tiny.mp3", "Audio", "mp3", None, "mp3"),
    ("tiny.m4a", "Audio", "mov,mp4,m4a,3gp,3g2,mj2", None, "aac"),
    ("tiny.wav", "Audio", "wav", None, "pcm_s16le"),
    ("tiny.ogg", "Audio", "ogg", None, "opus"),
    ("tiny.flac", "Audio", "flac", None, "flac"),
    ("tiny.aac", "Audio", "aac", None, "aac"),
    ("gbk_tag.avi", "Video", "avi", "mpeg4", "mp3"),  # a software tag in GBK, not UTF-8
]


@pytest.mark.parametrize(("name", "category", "container", "vcodec", "acodec"), CONTAINERS)
def test_probe_reads_every_container(
    name: str, category: str, container: str, vcodec: str | None, acodec: str
):
    info = probe(fixture_path(f"containers/{name}"), LIMITS)
    assert info.category == category
    assert info.container == container
    assert info.duration == pytest.approx(1.0, abs=0.15)
    assert [s.codec for s in info.audio_streams] == [acodec]
    assert info.has_audio
    if vcodec:
        assert [s.codec for s in info.video_streams] == [vcodec]
        assert (info.width, info.height) == (160, 120)
        assert info.fps == pytest.approx(10.0)
        frames = sample(fixture_path(f"containers/{name}"))
        assert frames and frames[0].image.shape == (120, 160, 3)
    else:
        assert not info.has_video
        assert sample(fixture_path(f"containers/{name}")) == []
    track = load_audio(info.path, info, LIMITS)
    assert track is not None and track.duration == pytest.approx(1.0, abs=0.1)


def test_cover_art_does_not_make_a_song_a_video():
    path = fixture_path("containers/cover_art.mp3")
    with av.open(str(path)) as c:
        assert [s.type for s in c.streams] == ["audio", "video"]  # FFmpeg shows the APIC picture as video
    info = probe(path, LIMITS)
    assert (info.category, info.has_video, info.video_streams) == ("Audio", False, ())
    assert sample(path) == []
    track = load_audio(path, info, LIMITS)
    assert track is not None and track.duration == pytest.approx(1.0, abs=0.1)


def test_image_metadata():
    info = probe(fixture_path("images/shapes.png"), LIMITS)
    assert (info.category, info.container, info.width, info.height) == ("Image", "png", 512, 384)
    assert info.video_streams == ()
    gif = probe(fixture_path("images/animated.gif"), LIMITS)
    assert (gif.category, gif.frame_count) == ("Image", 3)


def test_category_comes_from_content_not_extension(tmp_path: Path):
    assert probe(fixture_path("bad/video_named.jpg"), LIMITS).category == "Video"
    png_as_mp4 = tmp_path / "picture.mp4"
    shutil.copy(fixture_path("images/shapes.png"), png_as_mp4)
    assert probe(png_as_mp4, LIMITS).category == "Image"
    wav_as_mp4 = tmp_path / "sound.mp4"
    shutil.copy(fixture_path("containers/tiny.wav"), wav_as_mp4)
    assert probe(wav_as_mp4, LIMITS).category == "Audio"


# ------------------------------------------------------------------------------------------------- frames


@pytest.mark.parametrize("interval", [1.0, 2.0])
def test_sampled_times_are_keyframes_intervals_and_cuts(interval: float):
    truth = fixture_truth("cuts.json")
    times = [f.time for f in sample(fixture_path("cuts.mp4"), interval=interval)]
    # Every keyframe, every cut, and a frame `interval` after the last kept one when neither came first.
    expected, t = [], 0.0
    marks = sorted(set(truth["keyframes"]) | set(truth["cuts"]))
    while t < truth["duration"] - 1e-6:
        expected.append(round(t, 2))
        due = t + interval
        t = min([m for m in marks if m > t + 1e-6] + [due])
    assert times == pytest.approx(expected, abs=0.021)


def test_sampling_covers_the_text_windows_and_keeps_order():
    truth = fixture_truth("text_video.json")
    path = fixture_path("text_video.mp4")
    frames = sample(path, interval=1.0)
    times = [f.time for f in frames]
    assert times == sorted(set(times))
    assert [f.index for f in frames] == list(range(len(frames)))
    assert max(b - a for a, b in zip(times, times[1:], strict=False)) <= 1.0 + 0.021
    assert set(keyframe_times(path)) <= {round(t, 2) for t in times}
    for shown in truth["text"]:
        assert any(shown["start"] <= t < shown["end"] for t in times), shown["text"]
    for f in frames:
        assert f.image.dtype == np.uint8 and f.image.shape == (360, 640, 3) and f.image.flags.c_contiguous


def test_caption_pixels_are_where_the_truth_says():
    truth = fixture_truth("text_video.json")
    frames = sample(fixture_path("text_video.mp4"), interval=1.0)
    for shown in truth["text"]:
        x1, y1, x2, y2 = shown["box"]
        on = next(f for f in frames if shown["start"] + 0.5 <= f.time < shown["end"])
        off = next(f for f in frames if f.time >= shown["end"] + 0.5)
        # white glyphs on a dark box: bright and dark pixels both present inside the box only while shown
        region = on.image[y1:y2, x1:x2].mean(axis=2)
        assert (region > 200).mean() > 0.05 and (region < 60).mean() > 0.3
        assert (off.image[y1:y2, x1:x2].mean(axis=2) < 60).mean() < 0.05


def test_a_still_picture_is_kept_once():
    frames = sample(fixture_path("static.mp4"), interval=1.0)
    assert [f.time for f in frames] == [0.0]


def test_long_interval_decodes_keyframes_only():
    path = fixture_path("text_video.mp4")
    info = probe(path, LIMITS)
    keys = keyframe_times(path)
    selector = FrameSelector(interval=5.0, scene_threshold=0.35, dedupe_hamming=4)
    with av.open(str(path)) as container:
        sampler = _VideoSampler(container, info, selector, LIMITS, None, 1280, path.name)
        frames = list(sampler.run())
    assert sampler.fed == len(keys)  # the GOP (2 s) is shorter than the interval: no other packet is decoded
    assert sampler.packets == 500
    assert [f.time for f in frames] == pytest.approx(keys, abs=0.01)


def test_frames_are_scaled_down(tmp_path: Path):
    frames = sample(fixture_path("text_video.mp4"), interval=5.0, max_side=320)
    assert {f.image.shape for f in frames} == {(180, 320, 3)}
    big = tmp_path / "big.png"
    Image.new("RGB", (3000, 2000), (10, 200, 30)).save(big)
    assert load_image(big, LIMITS).image.shape == (853, 1280, 3)
    assert load_image(big, LIMITS, max_side=None).image.shape == (2000, 3000, 3)


def test_rotation_is_honoured():
    path = fixture_path("rotated.mp4")
    info = probe(path, LIMITS)
    assert (info.width, info.height, info.rotation, info.display_size) == (320, 180, 90, (180, 320))
    first = sample(path)[0].image
    assert first.shape == (320, 180, 3)  # portrait
    # The coded picture's top-left red block is top-right once turned clockwise.
    assert first[5:35, 150:175, 0].mean() > 200 and first[5:35, 150:175, 1].mean() < 60
    assert first[5:35, 5:30, 0].mean() < 200


def test_exif_orientation_is_honoured():
    frame = load_image(fixture_path("images/exif_rotated.jpg"), LIMITS)
    assert frame.image.shape == (320, 240, 3)
    assert frame.image[5:35, 205:235, 0].mean() > 200 and frame.image[5:35, 205:235, 1].mean() < 60


# ------------------------------------------------------------------------------------------------- dedupe


def _png_bytes(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def _picture(caption: bool = False, shift: int = 0) -> np.ndarray:
    """A photo-like picture: smooth random blobs (a plain gradient has too few DCT terms for a steady hash)."""
    blobs = np.random.default_rng(5).integers(0, 256, (9, 16, 3), dtype=np.uint8)
    img = np.asarray(Image.fromarray(blobs).resize((640, 360), Image.Resampling.BICUBIC))
    img = np.roll(img, shift, axis=1)
    if caption:
        pic = Image.fromarray(img)
        ImageDraw.Draw(pic).text((200, 300), "add wechat abc123", fill=(255, 255, 255), font_size=28)
        img = np.asarray(pic)
    return img


def test_phash_is_stable_on_copies_and_differs_between_pictures():
    a = thumbnail(_picture())
    noisy = np.clip(_picture().astype(int) + np.random.default_rng(1).integers(-3, 4, (360, 640, 3)), 0, 255)
    assert hamming(phash(a), phash(thumbnail(noisy.astype(np.uint8)))) <= 4
    assert hamming(phash(a), phash(thumbnail(_picture()[::-1].copy()))) > 16


def test_selector_drops_duplicates_but_keeps_new_text():
    sel = FrameSelector(interval=1.0, scene_threshold=0.35, dedupe_hamming=4)
    plain, captioned = thumbnail(_picture()), thumbnail(_picture(caption=True))
    assert sel.consider(plain, 0.0, keyframe=True)
    assert not sel.consider(plain, 1.0, keyframe=False)  # identical: dropped, but its time counts as covered
    assert sel.next_due == pytest.approx(2.0)
    assert not sel.consider(plain, 1.5, keyframe=False)  # not due, not a cut
    assert sel.consider(captioned, 2.0, keyframe=False)  # same background, new caption: kept
    assert (
        sel.consider(thumbnail(_picture(shift=200)), 2.04, keyframe=False) is False
    )  # not due, small change
    assert sel.consider(thumbnail(255 - _picture(shift=200)), 2.08, keyframe=False)  # a cut
    assert sel.kept == 3


# ------------------------------------------------------------------------------------------------- audio


def test_audio_is_16k_mono_float_with_the_speech_where_the_truth_says():
    truth = fixture_truth("speech.json")
    path = fixture_path("speech.wav")
    track = load_audio(path, probe(path, LIMITS), LIMITS)
    assert track is not None
    assert track.sample_rate == 16000 and track.samples.dtype == np.float32 and track.samples.ndim == 1
    assert track.duration == pytest.approx(truth["duration"], abs=0.01)
    clean, violent = truth["segments"]

    def rms(a: float, b: float) -> float:
        return float(np.sqrt(np.mean(track.samples[int(a * 16000) : int(b * 16000)] ** 2)))

    gap = rms(clean["end"] + 0.2, violent["start"] - 0.2)
    assert rms(clean["start"], clean["end"]) > 10 * gap
    assert rms(violent["start"], violent["end"]) > 10 * gap


def test_audio_of_a_video_matches_its_source():
    truth = fixture_truth("speech.json")
    path = fixture_path("speech_video.mp4")
    info = probe(path, LIMITS)
    track = load_audio(path, info, LIMITS)
    assert track is not None and track.duration == pytest.approx(truth["duration"], abs=0.08)
    source = load_audio(fixture_path("speech.wav"), probe(fixture_path("speech.wav"), LIMITS), LIMITS)
    assert source is not None
    # AAC adds a little priming delay; the loud parts still line up within 60 ms.
    env = [
        np.convolve(np.abs(t.samples[:150000]), np.ones(800) / 800, mode="valid")[::160]
        for t in (track, source)
    ]
    n = min(len(env[0]), len(env[1]))
    lags = range(-6, 7)
    best = max(lags, key=lambda k: float(np.dot(np.roll(env[0][:n], k), env[1][:n])))
    assert abs(best) <= 6


def test_a_video_without_audio_has_no_track():
    path = fixture_path("silent.mp4")
    info = probe(path, LIMITS)
    assert info.has_video and not info.has_audio
    assert load_audio(path, info, LIMITS) is None


# ------------------------------------------------------------------------------------------------- images


def test_gif_frames_come_with_their_times():
    frames = list(load_image_frames(fixture_path("images/animated.gif"), LIMITS))
    assert [f.time for f in frames] == [0.0, 0.1, 0.3]
    assert [f.index for f in frames] == [0, 1, 2]
    colours = [tuple(int(c) for c in f.image[30, 30]) for f in frames]
    assert colours[0][0] > 200 and colours[1][0] > 200  # red square stays (frame 2 draws elsewhere)
    assert tuple(frames[2].image[100, 60]) != tuple(frames[0].image[100, 60])
    sampled = sample(fixture_path("images/animated.gif"))
    assert [f.time for f in sampled] == [0.0, 0.1, 0.3]


def test_animated_pictures_come_frame_by_frame_without_repeats(tmp_path: Path):
    from PIL import ImageDraw, ImageFont

    background = np.zeros((360, 640, 3), np.uint8)
    background[...] = np.linspace(40, 200, 640, dtype=np.uint8)[None, :, None]
    faint = Image.fromarray(background)  # a dark grey caption over the same picture: a new frame, barely
    font = ImageFont.load_default(size=14)  # bundled with Pillow: no system font needed
    ImageDraw.Draw(faint).text(
        (20, 300), "free porn videos, add me on telegram @hotgirls", fill=(60, 60, 60), font=font
    )

    def nudged(picture: np.ndarray, i: int) -> Image.Image:  # one pixel one level off: no encoder merges it
        out = picture.copy()
        out[i % 360, (7 * i) % 640, 0] ^= 1
        return Image.fromarray(out)

    caption = np.asarray(faint)
    pages = [nudged(background, i) for i in range(300)] + [nudged(caption, i) for i in range(100)]
    path = tmp_path / "long.webp"
    pages[0].save(path, format="WEBP", save_all=True, append_images=pages[1:], duration=50, lossless=True)
    frames = load_image_frames(path, LIMITS)
    first = next(frames)  # frames come one at a time, not all 400 decoded up front
    assert (first.index, first.time) == (0, 0.0)
    # the 299 repeats of the picture and the 99 of the captioned one add nothing to look at; the caption does
    assert [(f.index, f.time) for f in frames] == [(300, 15.0)]
    gif = tmp_path / "faint.gif"
    Image.fromarray(background).save(gif, save_all=True, append_images=[faint], duration=[100, 3000])
    assert [f.index for f in load_image_frames(gif, LIMITS)] == [0, 1]


@pytest.mark.parametrize("name", ["gradient.jpg", "shapes.png", "shapes.webp", "shapes.bmp", "text.png"])
def test_still_images_give_one_frame(name: str):
    path = fixture_path(f"images/{name}")
    frames = sample(path)
    assert [f.time for f in frames] == [0.0]
    by_path, by_bytes = load_image(path, LIMITS), load_image(path.read_bytes(), LIMITS)
    assert by_path.image.shape == frames[0].image.shape and np.array_equal(by_path.image, by_bytes.image)
    assert len(list(load_image_frames(path.read_bytes(), LIMITS))) == 1


# ------------------------------------------------------------------------------------------------- bad input


def read_everything(path: Path, limits: Limits = LIMITS) -> None:
    info = probe(path, limits)
    for _ in sample_frames(path, info, interval=1.0, scene_threshold=0.35, dedupe_hamming=4, limits=limits):
        pass
    load_audio(path, info, limits)


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("bad/empty.mp4", SourceFileError, "empty"),
        ("bad/text.mp4", SourceFileError, "not a supported"),
        ("bad/playlist.mp4", SourceFileError, "not a supported"),
        ("bad/truncated.mp4", SourceFileError, "damaged"),
        ("bad/truncated_faststart.mp4", SourceFileError, "truncated"),
        ("bad/truncated.webm", SourceFileError, "truncated"),  # no per-stream duration to compare with
        ("bad/truncated.flv", SourceFileError, "truncated"),
        ("bad/unknown_codec.avi", SourceFileError, "cannot decode"),
        ("bad/subtitles_only.mkv", SourceFileError, "no audio or video stream"),
        ("bad/no_samples.wav", SourceFileError, "no decodable audio"),
        ("bad/bomb.png", MediaLimitExceeded, "pixels per picture"),
    ],
)
def test_bad_files_fail_with_a_typed_error(name: str, error: type[Exception], message: str):
    with pytest.raises(SourceFileError) as caught:
        read_everything(fixture_path(name))
    assert type(caught.value) is error
    assert message in str(caught.value) and Path(name).name in str(caught.value)


def test_missing_files_and_folders(tmp_path: Path):
    with pytest.raises(SourceFileError, match="does not exist"):
        probe(tmp_path / "nothing.mp4", LIMITS)
    with pytest.raises(SourceFileError, match="not a regular file"):
        probe(tmp_path, LIMITS)


def test_bad_images():
    with pytest.raises(MediaLimitExceeded, match="pixels per picture"):
        load_image(fixture_path("bad/bomb.png").read_bytes(), LIMITS)
    big = Image.new("RGB", (8000, 6000))
    with pytest.raises(MediaLimitExceeded, match="8000x6000"):
        load_image(_png_bytes(big), LIMITS)
    with pytest.raises(SourceFileError, match="not a supported image"):
        load_image(fixture_path("bad/video_named.jpg"), LIMITS)
    with pytest.raises(SourceFileError, match="empty"):
        load_image(b"", LIMITS)
    png = fixture_path("images/text.png").read_bytes()
    with pytest.raises(SourceFileError, match="damaged or truncated"):
        load_image(png[: len(png) // 2], LIMITS)


def test_limits():
    video = fixture_path("text_video.mp4")
    with pytest.raises(MediaLimitExceeded, match="bytes"):
        probe(video, Limits(max_file_bytes=1000))
    with pytest.raises(MediaLimitExceeded, match="duration"):
        probe(video, Limits(max_duration_seconds=10))
    with pytest.raises(MediaLimitExceeded, match="640x360"):
        probe(video, Limits(max_pixels=640 * 360 - 1))
    with pytest.raises(MediaLimitExceeded, match="sampled frames"):
        sample(video, limits=Limits(max_frames=3))
    with pytest.raises(MediaLimitExceeded, match="frames"):
        load_image_frames(fixture_path("images/animated.gif"), Limits(max_gif_frames=2))
    with pytest.raises(MediaLimitExceeded, match="image limit"):
        load_image(fixture_path("images/text.png"), Limits(max_image_bytes=100))
    with pytest.raises(MediaLimitExceeded, match="bytes"):
        load_image(fixture_path("images/text.png").read_bytes(), Limits(max_image_bytes=100))


def test_a_deadline_in_the_past_stops_decoding():
    past = time.monotonic() - 1
    video = fixture_path("text_video.mp4")
    info = probe(video, LIMITS)
    with pytest.raises(DeadlineExceeded):
        next(
            iter(
                sample_frames(
                    video,
                    info,
                    interval=1,
                    scene_threshold=0.35,
                    dedupe_hamming=4,
                    limits=LIMITS,
                    deadline=past,
                )
            )
        )
    with pytest.raises(DeadlineExceeded):
        load_audio(video, info, LIMITS, past)
    with pytest.raises(DeadlineExceeded):
        load_image_frames(fixture_path("images/animated.gif"), LIMITS, deadline=past)


@pytest.mark.parametrize("seed", range(4))
def test_damaged_copies_fail_only_with_typed_errors(tmp_path: Path, seed: int):
    """Flipped, cut, zeroed and spliced copies of real files either decode or raise a ModerationError."""
    rng = np.random.default_rng(seed)
    sources = [fixture_path(f"containers/{name}") for name, *_ in CONTAINERS] + [
        fixture_path("images/animated.gif"),
        fixture_path("images/gradient.jpg"),
        fixture_path("images/shapes.webp"),
    ]
    for i in range(12):
        source = sources[int(rng.integers(len(sources)))]
        data = bytearray(source.read_bytes())
        n = len(data)
        match i % 4:
            case 0:
                for at in rng.integers(0, n, 10):
                    data[at] = int(rng.integers(256))
            case 1:
                data = data[: int(rng.integers(1, n))]
            case 2:
                at = int(rng.integers(n))
                data[at : at + 2000] = bytes(len(data[at : at + 2000]))
            case _:
                other = sources[int(rng.integers(len(sources)))].read_bytes()
                data = data[: int(rng.integers(n))] + other[int(rng.integers(len(other))) :]
        damaged = tmp_path / f"damaged{i}{source.suffix}"
        damaged.write_bytes(bytes(data))
        try:
            read_everything(damaged)
        except (SourceFileError, DeadlineExceeded):
            pass


def test_a_subtitle_track_longer_than_the_picture_is_no_truncation(tmp_path: Path):
    # the container's duration is its longest track's: here the subtitles, 4 s past the 1 s of video
    path = tmp_path / "subs.mkv"
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=10)
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        subs = out.add_mux_stream("subrip")
        subs.time_base = Fraction(1, 1000)
        for i in range(10):
            out.mux(
                video.encode(
                    av.VideoFrame.from_ndarray(np.full((120, 160, 3), 25 * i, np.uint8), format="rgb24")
                )
            )
        out.mux(video.encode(None))
        for start, text in ((500, b"hello"), (4000, b"the end")):
            packet = av.Packet(text)
            packet.stream, packet.pts, packet.dts, packet.duration = subs, start, start, 1000
            out.mux(packet)
    info = probe(path, LIMITS)
    assert info.duration == pytest.approx(5.0, abs=0.1) and info.has_video
    assert len(sample(path)) >= 1
