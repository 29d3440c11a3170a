"""Human evaluation of generated images, after Chen et al. (2017), Sec. 5.2.1, Table 4, Fig. 8.

Three commands (`python -m avgan.humaneval {prepare,serve,summarize}`):

- prepare: pick, per instrument, sets of images (one per method plus the ground truth),
  shuffle each set, copy the pictures into the study folder under opaque random ids and
  write STUDY/study.json, which holds the method mapping and is never served.
- serve: a small Flask app (under waitress) where raters score every image 0-3 by the
  Table 4 rubric; scores go to a SQLite database (WAL mode) in the study folder.
- summarize: per method and instrument the mean score and the shares of 3s and of
  scores >= 2 (Fig. 8), Krippendorff's ordinal alpha, STUDY/summary.md and a bar chart.

Only the standard library, NumPy, Pillow, Flask and waitress (the server of `serve`); no
TensorFlow at import.
"""

# Table 4 of the paper: score -> meaning.
RUBRIC = {
    3: "Realistic image & match instrument",
    2: "Realistic image & mismatch instrument",
    1: "Fair image (player visible, instrument not visible)",
    0: "Unrealistic image",
}
SCORES = (0, 1, 2, 3)
