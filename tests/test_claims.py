"""Claims between metrics: the marker syntax, the rule against reference values,
planted failures naming post:line, and words that never say more than the runs."""

import math
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journal import claims, report
from journal.errors import Location

WHERE = Location("posts/2026-01-01-x.md", line=12)
NB = "convnet/convnet.ipynb"


def rec(name, runs):
    return report.record(name, runs=runs)


def claim(relation=">", paired=True, within=None, fmt=".4f"):
    return claims.Claim(NB, "a", relation, "b", paired, within, fmt)


# -- reference values ------------------------------------------------------------------

# Student's sleep data (R's `sleep`): extra hours of sleep under two drugs, the
# same ten patients. R 4.x: t.test(extra ~ group, paired = TRUE) gives the mean
# difference -1.58 with 95% interval -2.4598858 to -0.7001142 (df 9); Welch's
# t.test(extra ~ group) gives -3.3654832 to 0.2054832 with df 17.776.
DRUG_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
DRUG_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
R_TOL = 5e-7  # R prints 8 significant digits


def test_paired_interval_matches_r():
    verdict = claims.judge(claim("<"), rec("a", DRUG_1), rec("b", DRUG_2))
    assert verdict.method == "paired t" and verdict.holds
    assert verdict.difference == pytest.approx(-1.58, abs=1e-12)
    assert verdict.low == pytest.approx(-2.4598858, abs=R_TOL)
    assert verdict.high == pytest.approx(-0.7001142, abs=R_TOL)
    assert verdict.df == 9
    assert (verdict.higher, verdict.lower, verdict.ties) == (0, 9, 1)


def test_welch_interval_matches_r():
    verdict = claims.judge(claim("<", paired=False), rec("a", DRUG_1), rec("b", DRUG_2))
    assert verdict.method == "Welch t" and not verdict.holds  # interval crosses 0
    assert verdict.low == pytest.approx(-3.3654832, abs=R_TOL)
    assert verdict.high == pytest.approx(0.2054832, abs=R_TOL)
    assert verdict.df == pytest.approx(17.776, abs=5e-4)


@pytest.mark.parametrize("paired", [True, False], ids=["paired", "Welch"])
def test_intervals_are_scipy_stats_own(paired):
    """The t quantile comes from scipy.special (scipy.stats is slow to import in
    a build); the intervals are those of scipy.stats' tests, uneven arms,
    a constant arm and large metrics included."""
    import numpy as np
    from scipy import stats

    rng = np.random.default_rng(0)
    arms = []
    for n_a, n_b, scale in [(3, 3, 1e-3), (5, 5, 1.0), (10, 10, 50.0), (4, 7, 0.2),
                            (6, 3, 0.0)]:
        n_b = n_a if paired else n_b
        arms.append((rng.normal(0.9, 0.01, n_a), rng.normal(0.9, 0.01, n_b) * (1 + scale)
                     if scale else np.full(n_b, 0.93)))
    arms.append((np.zeros(3), np.array([0.0, 0.0, 5.9e-180])))  # variances underflow
    for a, b in arms:
        verdict = claims.judge(claim(">", paired=paired), rec("a", a.tolist()),
                               rec("b", b.tolist()))
        with warnings.catch_warnings():  # scipy's precision warning on a constant arm
            warnings.simplefilter("ignore", RuntimeWarning)
            test = stats.ttest_rel(a, b) if paired else stats.ttest_ind(a, b, equal_var=False)
        expected = test.confidence_interval(claims.CONFIDENCE)
        assert verdict.method == ("paired t" if paired else "Welch t")
        assert verdict.low == pytest.approx(expected.low, rel=1e-9, abs=1e-12)
        assert verdict.high == pytest.approx(expected.high, rel=1e-9, abs=1e-12)
        assert verdict.df == pytest.approx(test.df, rel=1e-12)


def test_three_seeds_by_hand():
    # With 2 degrees of freedom the t quantile has a closed form:
    # t = (2p - 1) / sqrt(2p(1 - p)), p = 0.975, about 4.3027.
    a, b = [0.975, 0.975, 0.97875], [0.965, 0.95375, 0.96625]
    d = [x - y for x, y in zip(a, b)]
    mean = sum(d) / 3
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / 2)
    t = (2 * 0.975 - 1) / math.sqrt(2 * 0.975 * 0.025)
    verdict = claims.judge(claim(), rec("a", a), rec("b", b))
    assert verdict.low == pytest.approx(mean - t * sd / math.sqrt(3), abs=1e-12)
    assert verdict.high == pytest.approx(mean + t * sd / math.sqrt(3), abs=1e-12)


# -- the rule ---------------------------------------------------------------------------

CLEAR_GAIN = ([0.98, 0.97, 0.99], [0.96, 0.955, 0.97])      # +2.0, +1.5, +2.0 points
NO_GAIN = ([0.96, 0.95, 0.97], [0.955, 0.96, 0.962])         # seeds point both ways


@pytest.mark.parametrize("relation, runs, holds", [
    (">", CLEAR_GAIN, True), ("<", CLEAR_GAIN, False), ("~", CLEAR_GAIN, False),
    (">", NO_GAIN, False), ("<", NO_GAIN, False), ("~", NO_GAIN, True),
])
def test_direction_and_no_difference(relation, runs, holds):
    verdict = claims.judge(claim(relation), rec("a", runs[0]), rec("b", runs[1]))
    assert verdict.holds is holds


def test_within_needs_the_whole_interval_inside():
    a, b = NO_GAIN
    verdict = claims.judge(claim("~", within=0.05), rec("a", a), rec("b", b))
    assert verdict.holds and -0.05 <= verdict.low and verdict.high <= 0.05
    tight = claims.judge(claim("~", within=0.005), rec("a", a), rec("b", b))
    assert not tight.holds  # the difference may be 0, but the interval is wider
    assert tight.words.startswith("not shown to be within ±0.0050")


def test_identical_arms_are_exactly_the_same():
    runs = [0.9925650557620818] * 3
    verdict = claims.judge(claim("~"), rec("a", runs), rec("b", runs))
    assert verdict.holds and verdict.method == "exact"
    assert (verdict.low, verdict.high, verdict.difference) == (0.0, 0.0, 0.0)
    assert verdict.words == "no difference with any seed"
    assert not claims.judge(claim(">"), rec("a", runs), rec("b", runs)).holds


def test_deterministic_models_differ_exactly():
    svm, logistic = [0.9933333333333333] * 3, [0.9622222222222222] * 3
    for paired in (True, False):
        verdict = claims.judge(claim(">", paired, fmt=".1%"), rec("a", svm),
                               rec("b", logistic))
        assert verdict.holds and verdict.method == "exact"
        assert verdict.low == verdict.high == pytest.approx(0.0311111, abs=1e-6)
        assert verdict.words == "higher by exactly 3.1 points with every seed"
        assert "±" not in verdict.words and "interval" not in verdict.words


def test_a_constant_paired_difference_is_exact():
    # Both arms move with the seed, by the same amount: the difference is exact.
    verdict = claims.judge(claim("~", within=0.02, fmt=".1%"),
                           rec("a", [0.91, 0.95, 0.93]), rec("b", [0.9, 0.94, 0.92]))
    assert verdict.method == "exact" and verdict.holds
    assert verdict.difference == pytest.approx(0.01, abs=1e-12)
    assert verdict.words == ("within ±2.0 points: higher by exactly 1.0 points with "
                             "every seed")


def test_float_noise_is_not_a_difference():
    a = [0.1 + 0.2, 0.3, 0.3]  # 0.30000000000000004, 0.3, 0.3
    verdict = claims.judge(claim(">"), rec("a", a), rec("b", [0.3] * 3))
    assert verdict.method == "exact" and verdict.difference == 0.0
    assert not verdict.holds


def test_noise_is_relative_so_small_metrics_still_differ():
    # Errors of the order of 1e-10 (gradient checks) are numbers like any other.
    a, b = [3e-10, 3.2e-10, 3.1e-10], [1e-10, 1.1e-10, 0.9e-10]
    assert claims.judge(claim(">"), rec("a", a), rec("b", b)).holds
    assert not claims.identical(a) and claims.identical([0.0, 0.0, 0.0])


def test_one_deterministic_arm_uses_the_other_arms_spread():
    verdict = claims.judge(claim(">", paired=False), rec("a", [0.97, 0.975, 0.98]),
                           rec("b", [0.9] * 3))
    assert verdict.method == "Welch t" and verdict.df == pytest.approx(2)
    assert verdict.holds


@pytest.mark.parametrize("a, b, paired, reason", [
    ([0.9, 0.91], [0.8, 0.81], True, "too few runs to judge (2 and 2; the rule needs "
                                     "at least 3 each)"),
    ([0.9, 0.91, 0.92], [0.8, 0.81], False, "too few runs to judge (3 and 2"),
    ([0.9, 0.91, 0.92], [0.8, 0.81, 0.82, 0.83], True, "paired runs do not match "
                                                       "(3 seeds against 4)"),
])
def test_too_few_or_mismatched_runs_are_insufficient(a, b, paired, reason):
    verdict = claims.judge(claim(">", paired), rec("a", a), rec("b", b))
    assert not verdict.holds and verdict.method == "insufficient"
    assert verdict.words.startswith("insufficient evidence: " + reason)
    message = claims.failure_message(claim(">", paired), verdict, WHERE)
    assert message.startswith("posts/2026-01-01-x.md:12: claim 'a' > 'b'")
    assert "cannot be judged" in message


def test_paired_runs_with_other_seeds_are_insufficient():
    a = {**rec("a", [0.9, 0.91, 0.92]), "seeds": [0, 1, 2]}
    b = {**rec("b", [0.8, 0.81, 0.82]), "seeds": [0, 1, 3]}
    verdict = claims.judge(claim(">"), a, b)
    assert verdict.method == "insufficient" and "seeds [0, 1, 2] against [0, 1, 3]" \
        in verdict.words
    assert claims.judge(claim(">", paired=False), a, b).holds


def test_a_single_value_is_insufficient():
    verdict = claims.judge(claim(">"), report.record("a", 0.99), rec("b", [0.8] * 3))
    assert verdict.method == "insufficient" and "'a' has no runs" in verdict.words


@settings(max_examples=60)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=3, max_size=8),
       st.booleans())
def test_the_rule_is_symmetric_and_never_contradicts_itself(pairs, paired):
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    greater = claims.judge(claim(">", paired), rec("a", a), rec("b", b))
    smaller_swapped = claims.judge(claim("<", paired), rec("b", b), rec("a", a))
    same = claims.judge(claim("~", paired), rec("a", a), rec("b", b))
    assert greater.holds == smaller_swapped.holds
    assert greater.low == pytest.approx(-smaller_swapped.high, abs=1e-9)
    assert not (greater.holds and same.holds)
    assert greater.words.startswith("higher") == greater.holds


# -- planted failures: what a strict build says -----------------------------------------

def test_a_flipped_direction_fails_with_post_line_and_both_numbers():
    c = claims.parse_marker(f'"{NB}" "three blocks" > "two blocks" paired format=".1%"',
                            WHERE)
    # A re-run in which the two-block network wins with every seed.
    verdict = claims.judge(c, rec("three blocks", [0.955, 0.95, 0.96]),
                           rec("two blocks", [0.975, 0.968, 0.982]))
    assert not verdict.holds
    message = claims.failure_message(c, verdict, WHERE)
    assert message == (
        "posts/2026-01-01-x.md:12: claim 'three blocks' > 'two blocks' (paired) does not "
        "hold on the re-derived runs: 'three blocks' 95.5%, 'two blocks' 97.5%; lower: "
        "lower in 3 of 3 seeds; paired difference -2.0 points (95% interval -2.5 to -1.5 "
        "points); it needs the whole 95% interval above 0")


def test_evidence_below_the_rule_fails_although_every_seed_agrees():
    # The journal's own convnet numbers: three blocks ahead with all three
    # seeds, but the paired 95% interval reaches just below 0.
    c = claims.parse_marker(f'"{NB}" "three blocks / validation accuracy" > '
                            f'"two blocks / validation accuracy" paired format=".1%"',
                            WHERE)
    verdict = claims.judge(
        c, rec("three blocks / validation accuracy",
               [0.9750000238418579, 0.9750000238418579, 0.9787499904632568]),
        rec("two blocks / validation accuracy",
            [0.9649999737739563, 0.9537500143051147, 0.9662500023841858]))
    assert not verdict.holds and verdict.higher == 3
    assert verdict.low == pytest.approx(-9.1e-5, abs=1e-6)
    assert verdict.words == ("no clear difference: higher in 3 of 3 seeds; paired "
                             "difference +1.5 points (95% interval -0.01 to +2.9 points)")
    message = claims.failure_message(c, verdict, WHERE)
    assert message.startswith("posts/2026-01-01-x.md:12: claim ")
    assert "97.6%" in message and "96.2%" in message
    assert message.endswith("it needs the whole 95% interval above 0")


def test_words_when_the_claim_holds():
    verdict = claims.judge(claim(">", fmt=".1%"), rec("a", CLEAR_GAIN[0]),
                           rec("b", CLEAR_GAIN[1]))
    # mean 1.83 points, sd 0.289, t(2) 4.303: 1.83 ± 0.72
    assert verdict.words == ("higher: higher in 3 of 3 seeds; paired difference +1.8 "
                             "points (95% interval +1.1 to +2.6 points)")
    unpaired = claims.judge(claim(">", paired=False, fmt=".1%"), rec("a", CLEAR_GAIN[0]),
                            rec("b", CLEAR_GAIN[1]))
    assert unpaired.words.startswith("no clear difference: 98.0% against 96.2% over 3 "
                                     "and 3 runs; difference +1.8 points (Welch 95%")


# -- the marker -------------------------------------------------------------------------

def test_marker_forms():
    parse = claims.parse_marker
    assert parse(f'"{NB}" "a" > "b" paired', WHERE) == claims.Claim(NB, "a", ">", "b",
                                                                    True)
    assert parse(f'"{NB}" "a" < "b" unpaired', WHERE).relation == "<"
    assert parse(f'"{NB}" "a" same "b" paired', WHERE).relation == "~"
    within = parse(f'"{NB}" "a" ~ "b" paired within=0.01 format=".1%"', WHERE)
    assert (within.within, within.format) == (0.01, ".1%")
    assert str(within) == "'a' within ±1.0 points of 'b' (paired)"
    # A metric name may contain "=", as the digits baselines' grid does.
    names = parse(f'"{NB}" "logistic regression, C=1.0 / validation accuracy" ~ '
                  f'"logistic regression, C=10.0 / validation accuracy" paired', WHERE)
    assert names.first == "logistic regression, C=1.0 / validation accuracy"


@pytest.mark.parametrize("body, error", [
    (f'"{NB}" "a" >> "b" paired', "unknown relation '>>'"),
    (f'"{NB}" "a" > "b"', "needs: \"notebook\" \"metric\" RELATION"),
    (f'"{NB}" "a" > "b" sometimes', "must say paired or unpaired, got 'sometimes'"),
    (f'"{NB}" "a" > "b" paired within=0.01', "within= goes with ~, not >"),
    (f'"{NB}" "a" ~ "b" paired within=-1', "within must be a number > 0"),
    (f'"{NB}" "a" ~ "b" paired within=lots', "within must be a number > 0"),
    (f'"{NB}" "a" ~ "b" paired colour=red', "unknown option 'colour'"),
    (f'"{NB}" "a" ~ "b" paired format=".1q"', "bad format '.1q'"),
    (f'"{NB}" "a" ~ "a" paired', "compares 'a' with itself"),
    (f'"{NB}" "a > "b" paired', "malformed claim marker"),
])
def test_bad_markers_name_post_and_line(body, error):
    with pytest.raises(claims.ClaimError) as caught:
        claims.parse_marker(body, WHERE)
    assert str(caught.value).startswith("posts/2026-01-01-x.md:12: ")
    assert error in str(caught.value)
    assert "\n" not in str(caught.value)


def test_find_claims_counts_lines_and_skips_code():
    post = ("Intro.\n\n"
            f'Three blocks win {{% claim "{NB}" "a" > "b" paired %}}.\n'
            "```markdown\n"
            f'{{% claim "{NB}" "a" > "b" paired %}}\n'
            "```\n"
            f'Shown as `{{% claim "{NB}" "x" > "y" paired %}}` in text, and\n'
            f'{{% claim "{NB}" "c" ~ "d" unpaired %}} here.\n')
    found = list(claims.find_claims(post, "posts/p.md", line_offset=10))
    assert [(c.first, where.line) for _, c, where in found] == [("a", 13), ("c", 18)]
    assert str(found[0][2]) == "posts/p.md:13"
    assert post[found[1][0].start():found[1][0].end()].startswith("{% claim")


def test_a_claim_may_run_over_lines():
    post = (f'Text\n{{% claim "{NB}" "three blocks / validation accuracy" >\n'
            f'         "two blocks / validation accuracy" paired %}}.\n')
    ((match, found, where),) = claims.find_claims(post, "posts/p.md")
    assert (found.first, found.second, where.line) == (
        "three blocks / validation accuracy", "two blocks / validation accuracy", 2)
    assert post[match.end():] == ".\n"


def test_find_claims_reports_the_bad_line():
    post = f'ok\n\n{{% claim "{NB}" "a" => "b" paired %}}\n'
    with pytest.raises(claims.ClaimError, match=r"^posts/p\.md:5: .*unknown relation"):
        list(claims.find_claims(post, "posts/p.md", line_offset=2))


# -- one metric in words ----------------------------------------------------------------

def test_identical_runs_show_one_value():
    svm = rec("SVM", [0.9925650557620818] * 3)
    assert claims.describe_runs(svm, ".1%") == "99.3%, the same with each of 3 seeds"
    spread = rec("MLP", [0.9777777777777777, 0.9733333333333334, 0.9755555555555555])
    assert claims.describe_runs(spread, ".1%") == "97.6% ± 0.2% over 3 seeds"
    assert claims.describe_runs(report.record("x", 0.5), ".2f") == "0.50"
