"""MSPA (GuidosToolbox definitions) on hand-checkable maps, invariants on random maps, CLI."""

from __future__ import annotations

import argparse
import base64
import zlib

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from scipy import ndimage

from zoning.corridors import mspa_cli
from zoning.corridors._mspa import (
    CLASS_OF_CODE,
    CLASSES,
    CODES,
    core_patches,
    mspa,
    mspa_statistics,
)
from zoning.corridors._mspa_paths import widen
from zoning.corridors._mspa_thin import (
    COMMON,
    FOUR,
    ISOLATED_CONFIGURATIONS,
    OFFSETS,
    anchored_thinning,
    pair_tables,
)
from zoning.errors import CorridorError, LayerError

FG, BG, MISSING = 2, 1, 0
FOREGROUND_CODES = {c for c, name in CLASS_OF_CODE.items() if name in CLASSES}
BACKGROUND_CODES = {0, 100, 220}


def canvas(rows: int, cols: int) -> np.ndarray:
    return np.full((rows, cols), BG, np.uint8)


def two_squares() -> np.ndarray:
    """Two 7×7 squares, 4 px apart, joined by a 1-px horizontal line on row 4."""
    image = canvas(9, 20)
    image[1:8, 1:8] = FG
    image[1:8, 12:19] = FG
    image[4, 8:12] = FG
    return image


def blobs(seed: int, shape: tuple[int, int] = (120, 140), missing: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = ndimage.gaussian_filter(rng.standard_normal(shape), 2.0)
    image = np.where(noise > 0.05, FG, BG).astype(np.uint8)
    if missing:
        image[rng.random(shape) < 0.02] = MISSING
        image[:10, :15] = MISSING
    return image


# GuidosToolbox's own codes for blobs(5, (48, 64), missing=True): computed with
# the JRC's mspa (miallib 2.3, as bundled in pyGuidos 2.6.3), stored zlib-compressed, base64.
GTB_REFERENCE = {
    (8, 1, True): (
        "eNqFVtux6yAMRLMVUIKHUm4r58dlqE8Xcw0IkJCImUkyAVaP1SJgNiO54ef4Qc6cM4C6/IEPBl58R0d4WfgJ"
        "x9y04etCFssj3GSjInCGSs+M3MbPCAh6PcRn/I4f6QsPlUBQky+8yQCIKa3THOLZZIADI2hbP/23akcG2ubA"
        "5NSGnYv9B1Nbth7fNyDGMzhQq1h9v2joD5Wm7KWBMM5u4V2n+X9OTkjFH3hWvBq8zNImrZoD9UmUwoAqC9gb"
        "oBHBJpse8/MInhcfwsHpvLAKc+K7e3VGdCfYA4AoUeONRuSPca7Y1P6p1B8WiObcwq+y4mmmRVClKLsGYQp2"
        "XZ0TyRN4hKFC0Rlmhx96q2b+vXBJ/Ec/0mvXZQT7PBPfqaUIvwJAMcxpPGs92PwVPh/wk0/fXtniofE1/y6Q"
        "kVbQXmsPW4LpjV8rVG1H1BxfVmjDmxOm8mUgUjvR6hPStheezV5G0CDGMTWZLv+nu4PHT8d3OPuGUfeElY+u"
        "5BTiY+Xw3qNmaArPs2t++Ne8uAaZ4R1uTT64MXJ2guHkxHa4GFcNOM+62oR1r03h7TY+QEzYTmclitKhCOnk"
        "X4W9GrnVcLPOW73h3jXy7rD5h1cvgul5UgbrdxtB+1JPguBtMl3ff++4l7LYPRNq//FxzMrdgt8jEA/8slUV"
        "yqH1kcA6Rv5NQASvAn8/zwBsdUMF9ovTXdEwDLcrHHw6S4cAVtFXW/wPiVXFFg=="
    ),
    (4, 1, True): (
        "eNqFVu2xxCAI1NkKKCFjKWnl/UkZ9Jlint+C4MWZu5szrsCyQJjVCmbZPQ4gYiIA5fEH3lm4qaM9fH/wAw66"
        "56ENn/dB/ebprvYqggkiPLWorp8eRMjnLp7w23+ELzxEAE5OvvAqgsIJfD/ALp5VBDgwgnr00z5woLQedq6c"
        "2tB7vn1na4vW4tsB+HgGG7nNW/NXDFVhRWe846s04PrZbrip4EksyOwUvOU5ieM3gsb3S+ImrRJDbJtIiQGR"
        "FrC9IA4PNtnUONP7djwvPjoHp3ph4SYGvpkXNQLs+YqbvDReaaT/UcYFm9J+LByCO0RyruFXqhyvq5ugUl7r"
        "XoVQCbuufO7uLqX883aGUvRqmA1+6C3bKCbfHviPfiSfXZcUbM7axDdqo4dfDmSTkjkIPEs96PgFng74yadt"
        "r6zw/cEsuLfxhxGW015LD1uCaY1fKPQWx+E1x8xK3PCqwu4VLwOe2mNcfaK37YVndZbhNIhRpirSpd3T7ODx"
        "0/ANzrv7zSM387bJ2crp9l087z1uuibwPLvmh33Ji2mQBGtwa/LOxCAyguFgxHYYjCsHTDOvOmDZa4M73cYH"
        "8Anb6SxExXBIQjjZX27fq5FLfD7Im33A3JqHTx0vgXX87uiFsz0rZbD+1OW0L/FK4LybTNPPX17PUhab14TS"
        "f6wfM3NPx+8edAuc2SoKZff2EcAqI/tOECOsCux8ng7o7LoKbIPTjGgohusIB59q6eDASvqaCv+J1cga"
    ),
    (8, 1, False): (
        "eNqFVguOxSAI1Ex6AI/Q9Ch7Mm6+9Ycg46vJbvPUQRgGVMSNFEack4RSpBQAdfkDTwZefEcz/Fj4CYdu2vB1"
        "oQzL6q73KkMKTHhulDZ+epBh1ym+4Lf/SF94mABITr7wLgKAU1qnheLFRYADI2hbP89v2WYG2mZiUrXh5/j5"
        "ZGqLNuL7BnC8QIhah9X3X576Q6WpRGmA+tktvOtZf+ukQir+wLPh1eHHbN6kVWPIfRLPI4BJCyQayNODTTbd"
        "Zz1TFh+Dg1O9iHFT8f14UyO2E+wOYCjR4p1Gxg93uGHTnp+f+pEBsZx7+P0sf5rpIajnMXYdwiXsvjsnI873"
        "Mxh6MqthCfipt2rmb7H1ox/Ztft2gjUV0anNDL8cwOOYs3ixevDxG3w54JXP2F7F42HxveCWJRTSXmsPW4Lp"
        "jd8q1GwHa44vK3nDuwoz8QrA1J7z6hOjbS+8uL0C0iBmmbpIbe3wu0Pmp+M7XGLDqHto5tmVnCieK0f2HqWu"
        "Gbxo1/w43/ISGmRBPHBr8uTGKCUIRlIQ2+FiXDmQonn1Adtem+jtNv8ATthOZyUqp0MS0ul84/Zq5F7Dzbps"
        "+UZ414x3h4+fXr0g01opk/WrDdK+zJOAvE306Kv+upayJDwTav+JfmjmroHfPRgnyMtWVahQ6zOAVUbxTZAz"
        "ogri/awO+OxSBfaLM1zRcAy3KxxyqqWDAyvpqy3+A8Wzo5I="
    ),
    (8, 2, True): (
        "eNqNlklyxCAMRVFp5SVH6OKk/54cJkYgkEB0h00cm6d5aMCddJzzHSpzBrfTPv/gg0PMg454IvqB06QP3kpW"
        "cxM2HEZDzPNX9XTnczvfee9gxA8B92DiN29U3Bxqr7H7LzxOnmOeI56d/jdbORQgl3eRnba3abwM9Ef8Yazw"
        "2UmUBHDIMxhHtb73SmkSJPVaI4ydpzBSpQy+hcXyGquJUFj7RU4e/PBbD8/XrrR6I8njpxQUsSH3tIjd2dkw"
        "1R5p56a71hFDzHgs3md7lajjRX93VPPBYb6WJG4I5Krweo9sj+4BN80pmruB9SOP4H36iIAdHxJK5/lNXel8"
        "0L4pxOXG5z1V+U/Uwzj4Nd4Eqj3w7+N1FFj7h2HK1zp5+/nKr8j1gleeZ96D6ZhvfMta1cQNs3S8mvHp9ZPa"
        "1MuqtsSpBuoNp1VsOnbjMXkeOVwFfQxHk07yDuTBr1XD4XYwvSePsB2K4ideMCA0a+T91/a+7Q7oH6KFI+Tx"
        "a6POyrXuG/0hj5NPB485Nf+hP6VA/yoYXJfo9u8abci+4JDS11G783nIoGMdG4PjPd22G/oEu9jvDWhfn3aO"
        "IITLl04HHosbvjUANv1BHU4cs3W0gy4RSqeAVeaWL8EPwOGWNXkJH373AdIE+UDrTwL6zoP7AFsjwOp/v78R"
        "fPA88NI1cmxXnI/fePumYKpHOiK/6kiDZVskXJt9cfbK8VveT0hwZsatfPNxRMBKWo9/e/oDZz65Hg=="
    ),
    (4, 3, False): (
        "eNqllkuyAyEIRdty1EOXYLnSu/OngIiC6cGjklTF9AHkG2CTx4k/w5NzRn/nNH7+4ANJKZOw+pNPKX3hJNO9"
        "TbLRrO7iwGEsxHz+Mv8Pfr/gwZchHNnnHkxc+Tz5dHPYnI80Ov8Hj52/3IiOPU/Hhk+3kMCfzvDlzXxr4xXZ"
        "LyXmt2u21kp/nwlo47y4kCAfca/C18qhHA81Epx8CkPdVPjniQ/znKtkeB/nxfOji+8nHOyJrbagL+x/7Y6q"
        "AyNIo0pi/rFxryrkw0Ag+Zw8pzvyGk89eLKv9cAJzWexGAeIxM7besqa8Lg5rf1aKV/1nD6kwI+WdPB6Dde+"
        "T4jTE2J4Y/cehuNFCSWYoRu+7JtOS9owM1iPwd/3N68X8zwIV/nmi7ffOTgF2Plk7Y/QbO4H/NOLBwePyUsU"
        "Z/TiC0TdJ9XepgLxNcI16lp6YJ5bBG3LeYBr1lbpju6gRbCPLbnDvgMgPOPQKWh5fG3UY6cqXmTshjyuk2/x"
        "42/Cbazdl6r0N0/HNSAQB8I3ZVYFoEnTtMZg+ffqjEwougENT7+OTSLjPd2xMtY5ivDO/90BHIfN1EDz6oNC"
        "2ovL9EDncdj/hSNlXTG5heajOl4hhfJZejDE6elAj0Rf7NblAU7+vfIUN2o+cSSy39vxGR/YtUv5ynpcPPwF"
        "wiqY5c/blWeJjHn19Q0jqP+uqXKk+nsZNNlSivAkxG0lzPZT4X23TC7rfz/Atmg="
    ),
}


def test_pixel_identical_to_guidostoolbox_on_a_reference_map() -> None:
    image = blobs(5, (48, 64), missing=True)
    for (connectivity, edge_width, intext), encoded in GTB_REFERENCE.items():
        expected = np.frombuffer(zlib.decompress(base64.b64decode(encoded)), np.uint8)
        codes = mspa(image, connectivity=connectivity, edge_width=edge_width, intext=intext)
        np.testing.assert_array_equal(codes, expected.reshape(image.shape))


def test_isolated_pixel_is_islet() -> None:
    image = canvas(5, 5)
    image[2, 2] = FG
    codes = mspa(image)
    assert codes[2, 2] == CODES["islet"]
    assert (np.delete(codes.ravel(), 12) == 0).all()


def test_square_has_core_and_a_ring_of_edge() -> None:
    image = canvas(7, 7)
    image[1:6, 1:6] = FG
    expected = np.zeros((7, 7), np.uint8)
    expected[1:6, 1:6] = 3
    expected[2:5, 2:5] = 17
    np.testing.assert_array_equal(mspa(image), expected)


def test_edge_width_two_thickens_the_edge() -> None:
    image = canvas(11, 11)
    image[1:10, 1:10] = FG
    codes = mspa(image, edge_width=2)
    expected = np.zeros((11, 11), np.uint8)
    expected[1:10, 1:10] = 3
    expected[3:8, 3:8] = 17
    np.testing.assert_array_equal(codes, expected)
    assert (mspa(image)[2:9, 2:9] == 17).all()


def test_hole_gives_perforation_and_internal_codes() -> None:
    image = canvas(11, 11)
    image[1:10, 1:10] = FG
    image[5, 5] = BG
    inside = mspa(image)
    ring = np.ones((3, 3), bool)
    ring[1, 1] = False
    assert (inside[4:7, 4:7][ring] == 105).all()  # perforation, internal
    assert inside[5, 5] == CODES["core_opening"]
    assert (inside[1, 1:10] == 3).all()  # the outer edge is external
    plain = mspa(image, intext=False)
    assert (plain[4:7, 4:7][ring] == CODES["perforation"]).all()
    assert plain[5, 5] == 0


def test_line_between_two_cores_is_a_bridge() -> None:
    codes = mspa(two_squares())
    assert codes[4, 8:12].tolist() == [33] * 4
    assert codes[4, 7] == codes[4, 12] == CODES["bridge_in_edge"]
    assert codes[3, 7] == codes[5, 12] == CODES["edge"]
    assert not np.isin(codes, (65, 67, 69, 1)).any()


def test_transition_off_shows_crossings_as_edge() -> None:
    codes = mspa(two_squares(), transition=False)
    assert codes[4, 7] == codes[4, 12] == CODES["edge"]
    assert codes[4, 8:12].tolist() == [33] * 4
    np.testing.assert_array_equal(np.delete(codes, [7, 12], axis=1),
                                  np.delete(mspa(two_squares()), [7, 12], axis=1))


def test_dangling_line_is_a_branch() -> None:
    image = two_squares()
    image[1:8, 12:19] = BG
    codes = mspa(image)
    assert codes[4, 8:12].tolist() == [CODES["branch"]] * 4
    assert codes[4, 7] == CODES["edge"]


def loop_image() -> np.ndarray:
    image = canvas(10, 14)
    image[1:8, 1:8] = FG
    image[2, 8:12] = FG
    image[6, 8:12] = FG
    image[2:7, 11] = FG
    return image


def test_line_back_to_the_same_core_is_a_loop() -> None:
    codes = mspa(loop_image())
    path = np.zeros(codes.shape, bool)
    path[2, 8:11] = path[6, 8:11] = path[3:6, 11] = True
    assert (codes[path] == CODES["loop"]).all()
    assert codes[2, 7] == codes[6, 7] == CODES["loop_in_edge"]
    # 8-connected thinning cuts the corners; the corner pixels are left as branch
    assert codes[2, 11] == codes[6, 11] == CODES["branch"]
    assert (codes[3:6, 8:11] == CODES["border_opening"]).all()
    assert not np.isin(codes, (33, 35, 37)).any()


def test_four_connectivity_keeps_the_loop_corners() -> None:
    codes = mspa(loop_image(), connectivity=4)
    assert codes[2, 11] == codes[6, 11] == CODES["loop"]


def test_diagonal_link_is_a_bridge_only_with_eight_connectivity() -> None:
    image = canvas(18, 18)
    image[1:6, 1:6] = FG
    image[12:17, 12:17] = FG
    for k in range(6, 12):
        image[k, k] = FG
    eight = mspa(image, connectivity=8)
    four = mspa(image, connectivity=4)
    diagonal = [(k, k) for k in range(6, 12)]
    assert all(eight[p] == CODES["bridge"] for p in diagonal)
    assert all(four[p] == CODES["islet"] for p in diagonal)
    stats = mspa_statistics(four, connectivity=4)
    assert stats.loc["islet", "objects"] == 6


def test_missing_data_is_129_and_foreground_beside_it_is_not_edge() -> None:
    image = canvas(9, 12)
    image[:, :4] = MISSING
    image[1:8, 4:11] = FG
    codes = mspa(image)
    assert (codes[:, :4] == CODES["missing"]).all()
    assert (codes[2:7, 4] == 17).all()
    assert codes[1, 4] == codes[7, 4] == CODES["edge"]
    assert (codes[2:7, 10] == CODES["edge"]).all()


def test_foreground_touching_the_map_border_is_not_edge() -> None:
    image = np.full((10, 10), FG, np.uint8)
    image[5, 5] = BG
    expected = np.full((10, 10), CODES["core"], np.uint8)
    expected[4:7, 4:7] = CODES["perforation"]
    expected[5, 5] = 0
    np.testing.assert_array_equal(mspa(image, intext=False), expected)
    corner = canvas(9, 9)
    corner[:5, :5] = FG
    codes = mspa(corner)
    assert (codes[:4, :4] == CODES["core"]).all()
    assert (codes[4, :5] == CODES["edge"]).all() and (codes[:5, 4] == CODES["edge"]).all()


def test_invariants_on_random_maps() -> None:
    for seed in range(4):
        image = blobs(seed, missing=seed % 2 == 1)
        before = image.copy()
        for connectivity in (8, 4):
            codes = mspa(image, connectivity=connectivity)
            np.testing.assert_array_equal(image, before)
            assert codes.dtype == np.uint8
            assert set(np.unique(codes[image == FG])) <= FOREGROUND_CODES
            assert set(np.unique(codes[image == BG])) <= BACKGROUND_CODES
            assert (codes[image == MISSING] == CODES["missing"]).all()
            stats = mspa_statistics(codes, connectivity)
            assert stats.loc[list(CLASSES), "pixels"].sum() == (image == FG).sum()
            assert stats.loc[[*CLASSES, "background", "missing"], "pixels"].sum() == image.size
            openings = stats.loc[["core_opening", "border_opening"], "pixels"].sum()
            assert openings == np.isin(codes, (100, 220)).sum()
            shares = stats.loc[[*CLASSES, "background"], "share_of_data"]
            assert shares.sum() == pytest.approx(1)
            assert stats.loc[list(CLASSES), "share_of_foreground"].sum() == pytest.approx(1)
            assert core_patches(codes, connectivity).max() == stats.loc["core", "objects"]


def test_core_is_the_same_for_both_connectivities() -> None:
    image = blobs(7)
    core = [np.isin(mspa(image, connectivity=c), (17, 117)) for c in (8, 4)]
    np.testing.assert_array_equal(*core)
    assert core[0].any()


def test_thinning_keeps_anchors_and_topology() -> None:
    rng = np.random.default_rng(3)
    for connectivity, background in ((8, 4), (4, 8)):
        fg_structure = ndimage.generate_binary_structure(2, 2 if connectivity == 8 else 1)
        bg_structure = ndimage.generate_binary_structure(2, 2 if background == 8 else 1)
        image = np.pad(ndimage.gaussian_filter(rng.standard_normal((80, 80)), 1.5) > 0, 2)
        anchor = ndimage.binary_erosion(image, iterations=2)
        skeleton = anchored_thinning(image, anchor, connectivity)
        assert (skeleton >= anchor).all() and (skeleton <= image).all()
        assert skeleton.sum() < image.sum()
        for structure, a, b in ((fg_structure, image, skeleton),
                                (bg_structure, ~image, ~skeleton)):
            assert ndimage.label(a, structure)[1] == ndimage.label(b, structure)[1]


def _simple(x: np.ndarray, r: int, c: int, connectivity: int) -> bool:
    """Simple pixel by brute force: removing it keeps the 3×3 window's component counts."""
    window = x[r - 1:r + 2, c - 1:c + 2].copy()
    fg = ndimage.generate_binary_structure(2, 2 if connectivity == 8 else 1)
    bg = ndimage.generate_binary_structure(2, 1 if connectivity == 8 else 2)
    ring = window.copy()
    ring[1, 1] = False
    hole = np.pad(~ring, 1, constant_values=True)  # the window's outside is background
    full = np.pad(~window, 1, constant_values=True)
    return bool(window[1, 1]) and (
        ndimage.label(ring, fg)[1] == ndimage.label(window, fg)[1]
        and ndimage.label(hole, bg)[1] == ndimage.label(full, bg)[1])


def _code(x: np.ndarray, r: int, c: int) -> int:
    return sum(int(x[r + dr, c + dc]) << i for i, (dr, dc) in enumerate(OFFSETS))


def _independent(x, anchor, r, c, connectivity) -> bool:
    """Iwanowski-Soille independence, pixel by pixel (reference for the vectorised one)."""
    dependent, configuration = pair_tables(connectivity)

    def removable(rr: int, cc: int) -> bool:
        return bool(x[rr, cc]) and not anchor[rr, cc] and _simple(x, rr, cc, connectivity)

    code, count, last, conflict = _code(x, r, c), 0, 0, -1
    for i, (dr, dc) in enumerate(OFFSETS):
        if removable(r + dr, c + dc):
            count, last = count + 1, configuration[i, code]
            if dependent[i, code]:
                conflict = i
                break
    neighbours = [(r + dr, c + dc) for dr, dc in OFFSETS]
    if conflict >= 0:
        if connectivity == 8 or last != 4:
            return False
        a, b = (OFFSETS[k] for k in COMMON[conflict])
        if not (removable(r + a[0], c + a[1]) and removable(r + b[0], c + b[1])):
            return False
        if sum(not x[neighbours[i]] for i in FOUR) != 2:
            return False
        return any(removable(*neighbours[i]) and bin(_code(x, *neighbours[i]) & 15).count("1")
                   != 2 for i in FOUR)
    if last in ISOLATED_CONFIGURATIONS.get(count, ()):
        return any(removable(*q) and bin(_code(x, *q)).count("1") != count for q in neighbours)
    return True


def _reference_thinning(image, anchor, connectivity) -> np.ndarray:
    x = image.copy()
    rows, cols = x.shape
    inner = [(r, c) for r in range(2, rows - 2) for c in range(2, cols - 2)]
    candidates = set(inner)
    while True:
        gone = [(r, c) for r, c in sorted(candidates)
                if x[r, c] and not anchor[r, c] and _simple(x, r, c, connectivity)
                and _independent(x, anchor, r, c, connectivity)]
        if not gone:
            return x
        for p in gone:
            x[p] = False
        candidates = {(r + dr, c + dc) for r, c in gone for dr, dc in OFFSETS}


def test_vectorised_thinning_matches_a_pixel_by_pixel_reference() -> None:
    rng = np.random.default_rng(11)
    for connectivity in (8, 4):
        for _ in range(3):
            image = np.pad(ndimage.gaussian_filter(rng.standard_normal((30, 30)), 1.2) > 0.1, 2)
            anchor = ndimage.binary_erosion(image, np.ones((3, 3)), iterations=2)
            expected = _reference_thinning(image, anchor, connectivity)
            np.testing.assert_array_equal(anchored_thinning(image, anchor, connectivity),
                                          expected)


def test_widening_uses_miallibs_constrained_distance() -> None:
    skeleton = np.zeros((10, 12), bool)
    skeleton[4, 7] = skeleton[5, 8] = True
    mask = np.ones_like(skeleton)
    mask[6, 8] = False
    widened = widen(skeleton, mask, 1.5658)  # EdgeWidth 2: 2.98 - √2
    assert widened[5, 7] and widened[5, 6] and widened[3, 8]  # at 1, √2, √2
    # √2 from (5, 8) as the crow flies, but the distance reaches it from (4, 7) via (5, 7)
    assert not widened[6, 7]
    np.testing.assert_array_equal(widen(skeleton, mask, 0.566), skeleton)  # EdgeWidth 1


def test_statistics_of_two_bridged_squares() -> None:
    codes = mspa(two_squares())
    stats = mspa_statistics(codes)
    assert stats.loc["core", ["pixels", "objects"]].tolist() == [50, 2]
    assert stats.loc["edge", ["pixels", "objects"]].tolist() == [48, 2]
    assert stats.loc["bridge", ["pixels", "objects"]].tolist() == [4, 1]
    assert stats.loc["background", "objects"] == 1
    assert stats.loc["core", "share_of_foreground"] == pytest.approx(50 / 102)
    assert np.isnan(stats.loc["background", "share_of_foreground"])
    labels = core_patches(codes)
    assert labels.max() == 2 and np.bincount(labels.ravel())[1:].tolist() == [25, 25]


def test_bad_inputs_name_what_was_expected() -> None:
    with pytest.raises(CorridorError, match=r"0 \(missing\).*found 3"):
        mspa(np.array([[1, 2, 3]]))
    with pytest.raises(CorridorError, match="8 or 4, got 6"):
        mspa(two_squares(), connectivity=6)
    with pytest.raises(CorridorError, match=">= 1 pixel, got 0"):
        mspa(two_squares(), edge_width=0)
    with pytest.raises(CorridorError, match="2-D"):
        mspa(np.ones(5))
    with pytest.raises(CorridorError, match="not MSPA codes: 2"):
        mspa_statistics(np.array([[2]]))


def cli_args(tmp_path, source, output="out/mspa.tif", **options: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    mspa_cli.add_parser(parser.add_subparsers(dest="command"))
    extra = [x for key, value in options.items() for x in (f"--{key}", value)]
    return parser.parse_args(["mspa", str(source), str(tmp_path / output), *extra])


def test_cli_writes_georeferenced_codes_and_statistics(tmp_path) -> None:
    image = two_squares()
    transform = Affine(30.0, 0, 536_000.0, 0, -30.0, 3_807_000.0)
    source = tmp_path / "habitat.tif"
    with rasterio.open(source, "w", driver="GTiff", width=20, height=9, count=1,
                       dtype="uint8", crs="EPSG:4548", transform=transform) as dst:
        dst.write(image, 1)
    assert mspa_cli.run(cli_args(tmp_path, source, **{"transition": "0"})) == 0
    with rasterio.open(tmp_path / "out" / "mspa.tif") as src:
        assert src.dtypes[0] == "uint8" and src.transform == transform
        assert src.crs.to_epsg() == 4548
        np.testing.assert_array_equal(src.read(1), mspa(image, transition=False))
    stats = pd.read_csv(tmp_path / "out" / "mspa_stats.csv", index_col="class")
    assert stats.loc["bridge", "pixels"] == 4 and stats.loc["core", "objects"] == 2
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["mspa.tif",
                                                                    "mspa_stats.csv"]


def test_cli_reads_ascii_grids_with_nodata(tmp_path) -> None:
    image = two_squares()
    image[0, 0] = 0
    rows = "\n".join(" ".join("-9" if (r, c) == (0, 1) else str(v)
                              for c, v in enumerate(row)) for r, row in enumerate(image))
    source = tmp_path / "habitat.asc"
    source.write_text("ncols 20\nnrows 9\nxllcorner 0\nyllcorner 0\ncellsize 10\n"
                      f"NODATA_value -9\n{rows}\n")
    mspa_cli.run(cli_args(tmp_path, source, "m.tif", **{"edge-width": "1"}))
    with rasterio.open(tmp_path / "m.tif") as src:
        codes = src.read(1)
    assert codes[0, 0] == codes[0, 1] == CODES["missing"]
    assert codes[4, 8:12].tolist() == [33] * 4


def test_cli_errors_name_the_file(tmp_path) -> None:
    with pytest.raises(LayerError, match=r"nowhere\.tif"):
        mspa_cli.run(cli_args(tmp_path, tmp_path / "nowhere.tif"))
    source = tmp_path / "bad.tif"
    with rasterio.open(source, "w", driver="GTiff", width=2, height=1, count=1,
                       dtype="uint8", transform=Affine(1, 0, 0, 0, -1, 1)) as dst:
        dst.write(np.array([[1, 7]], np.uint8), 1)
    with pytest.raises(CorridorError, match=r"bad\.tif.*found 7"):
        mspa_cli.run(cli_args(tmp_path, source))
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
