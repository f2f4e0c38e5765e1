"""Alt text and output names from figure records (journal/readable.py)."""

from journal import readable
from journal.figures import MIME


def axes(**fields):
    base = {"title": "", "xlabel": "", "ylabel": "", "legend": [], "texts": [],
            "lines": [], "bars": [], "points": [], "images": []}
    return {**base, **fields}


def test_alt_text_names_plot_axes_and_series():
    record = {"suptitle": "", "axes": [axes(
        xlabel="epoch", ylabel="training loss", legend=["two blocks", "three blocks"],
        lines=[{"x": [0], "y": [1]}, {"x": [0], "y": [2]}])]}
    assert readable.alt_text(record) == (
        "A line plot of training loss against epoch, one line each for two blocks, "
        "three blocks.")
    assert readable.figure_name(record) == "the figure of training loss"


def test_alt_text_of_a_grid_lists_what_each_image_shows():
    image = {"shape": [8, 8], "sha256": "0", "thumb": [[0.0]]}
    record = {"suptitle": "Worst mistakes",
              "axes": [axes(title=f"{k}→{k + 1}", images=[image]) for k in range(20)]}
    text = readable.alt_text(record)
    assert text.startswith("Worst mistakes. A grid of 20 images, labelled 0→1, 1→2")
    assert text.endswith("15→16 and 4 more.")
    assert readable.figure_name(record) == "the grid of 20 images"


def test_alt_text_without_a_record_says_so():
    assert "no description was recorded" in readable.alt_text(None)


def test_outputs_are_named_as_a_reader_sees_them():
    table = {"output_type": "execute_result", "data": {"text/html": "<table></table>"}}
    figure = {"output_type": "display_data", "data": {
        "image/png": "", MIME: {"suptitle": "", "axes": [axes(title="loss", lines=[{}])]}}}
    stream = {"output_type": "stream", "name": "stdout", "text": "acc 0.9\n"}
    assert readable.output_name(table, "accuracy-table") == "the accuracy table"
    assert readable.output_name(table, "results") == "the table"
    assert readable.output_name(figure) == "the figure of loss"
    assert readable.output_name(stream) == "the printed output"
    assert readable.output_name({"output_type": "stream", "text": " "}) is None


def test_unverified_parts_in_plain_words():
    assert readable.reason("code cell 4 of 12 (tag train): stream stdout: timings "
                           "depend on the machine") == \
        "the printed output: timings depend on the machine"
