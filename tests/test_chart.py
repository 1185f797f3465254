import io

import pytest
from PIL import Image, ImageChops

from bot.chart import GREEN, HEIGHT, NEUTRAL, RED, WIDTH, Bar, ChartData, percent, render_chart

PURPLE = (123, 31, 162)
WHITE = (255, 255, 255)


def _open(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def _bbox_of(image: Image.Image, color: tuple[int, int, int]) -> tuple[int, int, int, int] | None:
    """Bounding box of the pixels that have exactly ``color``."""
    masks = [
        band.point(lambda value, wanted=wanted: 255 if value == wanted else 0)
        for band, wanted in zip(image.split(), color)
    ]
    return ImageChops.multiply(ImageChops.multiply(masks[0], masks[1]), masks[2]).getbbox()


def _chart(*bars: Bar, title: str = "Rødt eller grønt lys: jubileet") -> ChartData:
    return ChartData(title=title, subtitle="Del 2: Oslo-turen – 7 stemmer", bars=bars)


def test_renders_png_with_bars_in_proportion() -> None:
    image = _open(render_chart(_chart(Bar("Rødt lys", 5, RED), Bar("Grønt lys", 2, GREEN))))

    assert image.format == "PNG"
    assert image.size == (WIDTH, HEIGHT) == (800, 450)
    assert image.mode == "RGB"
    assert image.getpixel((0, 0)) == WHITE

    red, green = _bbox_of(image, RED), _bbox_of(image, GREEN)
    assert red is not None and green is not None
    red_centre = ((red[0] + red[2]) // 2, (red[1] + red[3]) // 2)
    assert image.getpixel(red_centre) == RED
    assert red[3] - red[1] >= 20  # a real bar, not a stray pixel
    assert red[3] <= green[1]  # first bar above the second
    assert red[0] == green[0]  # bars share a baseline
    red_length, green_length = red[2] - red[0], green[2] - green[0]
    assert green_length / red_length == pytest.approx(2 / 5, abs=0.01)


def test_zero_votes_draws_no_coloured_bars() -> None:
    image = _open(render_chart(_chart(Bar("Rødt lys", 0, RED), Bar("Grønt lys", 0, GREEN))))

    assert image.size == (WIDTH, HEIGHT)
    assert _bbox_of(image, RED) is None
    assert _bbox_of(image, GREEN) is None


def test_four_bars_are_stacked_in_order() -> None:
    colors = (RED, GREEN, NEUTRAL, PURPLE)
    bars = tuple(
        Bar(label, count, color)
        for label, count, color in zip(
            ("Habil", "Inhabil", "Usikker", "Vet ikke"), (3, 1, 2, 4), colors
        )
    )
    image = _open(render_chart(_chart(*bars)))

    boxes = [_bbox_of(image, color) for color in colors]
    assert all(box is not None for box in boxes)
    tops = [box[1] for box in boxes]
    assert tops == sorted(tops)
    assert all(upper[3] < lower[1] for upper, lower in zip(boxes, boxes[1:]))
    assert max(box[2] for box in boxes) == boxes[3][2]  # the leader is longest


def test_long_title_and_labels_stay_inside_the_image() -> None:
    title = "Habil eller inhabil: " + " ".join(["ordføreren som også sitter i styret"] * 12)
    long_word = "Grunnskolelærerutdanningsprogramevaluering" * 5
    data = _chart(Bar(long_word, 3, RED), Bar("Nei", 1, GREEN), title=title)
    image = _open(render_chart(data))

    assert image.size == (WIDTH, HEIGHT)
    right_edge = image.crop((WIDTH - 20, 0, WIDTH, HEIGHT))
    assert right_edge.getcolors() == [(20 * HEIGHT, WHITE)]
    assert _bbox_of(image, RED) is not None


def test_title_without_spaces_is_shortened() -> None:
    image = _open(render_chart(_chart(Bar("Ja", 1, RED), title="Å" * 200)))

    right_edge = image.crop((WIDTH - 20, 0, WIDTH, HEIGHT))
    assert right_edge.getcolors() == [(20 * HEIGHT, WHITE)]


def test_rendering_is_deterministic() -> None:
    data = _chart(Bar("Rødt lys", 4, RED), Bar("Grønt lys", 3, GREEN))
    assert render_chart(data) == render_chart(data)


def _drawn(image: Image.Image) -> tuple[int, int, int, int] | None:
    """Bounding box of everything that is not background."""
    return ImageChops.difference(image, Image.new("RGB", image.size, WHITE)).getbbox()


def test_no_bars_renders_only_the_heading() -> None:
    image = _open(render_chart(_chart()))
    assert image.size == (WIDTH, HEIGHT)
    heading = _drawn(image)
    assert heading is not None  # the title and subtitle are there
    assert heading[1] < 60 and heading[3] < HEIGHT // 4  # at the top, and nothing below them: no track, no bar
    with_a_bar = _drawn(_open(render_chart(_chart(Bar("Rødt lys", 1, RED)))))
    assert with_a_bar is not None and with_a_bar[3] > HEIGHT // 2  # (the same check sees a bar when there is one)


@pytest.mark.parametrize(
    ("count", "total", "expected"),
    [(0, 0, 0), (0, 7, 0), (7, 7, 100), (5, 7, 71), (2, 7, 29), (1, 3, 33), (2, 3, 67), (1, 8, 13)],
)
def test_percent_rounds_half_up_and_survives_zero_total(
    count: int, total: int, expected: int
) -> None:
    assert percent(count, total) == expected


def test_negative_count_is_rejected() -> None:
    with pytest.raises(ValueError):
        Bar("Rødt lys", -1, RED)
