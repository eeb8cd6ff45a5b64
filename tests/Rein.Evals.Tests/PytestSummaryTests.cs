using Rein.Evals.Running;

namespace Rein.Evals.Tests;

public sealed class PytestSummaryTests
{
    [Fact]
    public void Parse_ShortSummaryOfAllOutcomes_ListsEachTestOnce()
    {
        const string output = """
            ============================= test session starts ==============================
            tests/test_outputs.py::test_a PASSED                                     [ 25%]
            tests/test_outputs.py::test_b FAILED                                     [ 50%]
            =========================== short test summary info ============================
            PASSED tests/test_outputs.py::test_a
            PASSED tests/test_outputs.py::test_p[1 2]
            FAILED tests/test_outputs.py::test_b - AssertionError: expected 3 - got 4
            ERROR tests/test_outputs.py::test_c - FileNotFoundError
            SKIPPED [1] tests/test_outputs.py:40: needs network
            XFAIL tests/test_outputs.py::test_d - known bug
            ==================== 1 failed, 2 passed, 1 error in 0.12s =====================
            """;

        var tests = PytestSummary.Parse(output);

        Assert.Equal(
            [
                new EvalTestResult("tests/test_outputs.py::test_a", "passed"),
                new EvalTestResult("tests/test_outputs.py::test_p[1 2]", "passed"),
                new EvalTestResult("tests/test_outputs.py::test_b", "failed"),
                new EvalTestResult("tests/test_outputs.py::test_c", "error"),
                new EvalTestResult("tests/test_outputs.py:40", "skipped"),
                new EvalTestResult("tests/test_outputs.py::test_d", "xfail"),
            ],
            tests);
    }

    [Fact]
    public void Parse_OutputWithoutASummary_IsEmpty() =>
        Assert.Empty(PytestSummary.Parse("error: could not choose a version of rustc\nPASSED? no\n"));
}
