import Foundation
import Testing
@testable import Evaluation

@Suite("Metrics on hand-computed cases")
struct MetricTests {
    @Test("numeric: MAE, RMSE, MAPE, within 10 %, exact, normalized, format; an unparseable answer")
    func numeric() throws {
        // truths 100, 50, 20, 30; predictions 110, 40, 20.00 and one answer without a number.
        let result = try evaluate(expected: ["Price is $100", "Price is $50", "Price is $20", "Price is $30"],
                                  answers: ["Price is $110", "Price is $40", "Price is $20.00", "I don't know"],
                                  task: .numeric, metrics: MetricSpec.defaults(for: .numeric) + [MetricSpec(kind: .normalized)])
        // Over the three answers holding a number: |errors| 10, 10, 0.
        #expect(close(result.metric("mae")?.value, 20.0 / 3))
        #expect(result.metric("mae")?.count == 3)
        #expect(close(result.metric("rmse")?.value, (200.0 / 3).squareRoot()))
        #expect(close(result.metric("mape")?.value, (0.1 + 0.2 + 0) / 3))
        // Within 10 % over all four: 110 (|10| ≤ 10) and 20 are; 40 (|10| > 5) and the missing one are not.
        #expect(close(result.metric("within_10%")?.value, 2.0 / 4))
        #expect(result.metric("within_10%")?.count == 4)
        // "Price is $20.00" is not the same text as "Price is $20", but the same number.
        #expect(result.metric("exact")?.value == 0)
        #expect(close(result.metric("normalized")?.value, 1.0 / 4))
        // Three answers have the form "Price is $<number>"; "I don't know" does not.
        #expect(close(result.metric("format")?.value, 3.0 / 4))
        #expect(result.parsed == 3)
        #expect(result.answered == 4)
        #expect(result.failures == 0)
        #expect(result.metric("mae")?.higherIsBetter == false)
        #expect(result.metric("mae")?.isFraction == false)
        #expect(result.metric("within_10%")?.isFraction == true)
    }

    @Test("per-example numeric scores: value, error, right within the tolerance")
    func numericScores() throws {
        let (_, scored) = try scores(expected: ["Price is $100", "Price is $50"], answers: ["Price is $110", "It is $40"], task: .numeric)
        #expect(scored[0].value == 110)
        #expect(scored[0].error == 10)
        #expect(scored[0].right)
        #expect(scored[0].inFormat)
        #expect(scored[1].error == -10)
        #expect(!scored[1].right)
        #expect(!scored[1].inFormat)
    }

    @Test("MAPE leaves out zero truths; within an absolute tolerance")
    func mapeAndAbsolute() throws {
        let zero = try evaluate(expected: ["0", "10"], answers: ["5", "12"], task: .numeric, metrics: [MetricSpec(kind: .mape), MetricSpec(kind: .mae)])
        #expect(close(zero.metric("mape")?.value, 0.2))
        #expect(zero.metric("mape")?.count == 1)
        #expect(close(zero.metric("mae")?.value, 3.5))

        let absolute = try evaluate(expected: ["100", "50", "20"], answers: ["110", "40", "20"], task: .numeric,
                                    metrics: [try MetricSpec(parsing: "within:5"), try MetricSpec(parsing: "within:10")])
        #expect(close(absolute.metric("within_5")?.value, 1.0 / 3))
        #expect(close(absolute.metric("within_10")?.value, 1.0))
    }

    @Test("no answer holding a number: the error metrics are nil, the shares 0; failures are counted")
    func nothingParsed() throws {
        let result = try evaluate(expected: ["12", "13"], answers: ["twelve", nil], task: .numeric)
        #expect(result.metric("mae")?.value == nil)
        #expect(result.metric("mae")?.count == 0)
        #expect(result.metric("rmse")?.value == nil)
        #expect(result.metric("within_10%")?.value == 0)
        #expect(result.failures == 1)
        #expect(result.answered == 1)
        #expect(result.parsed == 0)
    }

    @Test("labels: accuracy, per-class precision / recall / F1, macro F1 and the confusion matrix with (other)")
    func labels() throws {
        // true:      cat  cat  cat  dog  dog  bird
        // predicted: cat  cat  dog  dog  cat  fish
        let result = try evaluate(expected: ["cat", "cat", "cat", "dog", "dog", "bird"],
                                  answers: ["Cat.", "cat", "Dog", "dog", "cat", "fish"], task: .label)
        let confusion = try #require(result.confusion)
        #expect(confusion.labels == ["cat", "dog", "bird"])
        #expect(confusion.predicted == ["cat", "dog", "bird", "(other)"])
        #expect(confusion.counts == [[2, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 1]])

        let classes = try #require(result.classes)
        // cat: TP 2, predicted 3 times (2 + 1 from dog), support 3 → P 2/3, R 2/3, F1 2/3.
        #expect(classes[0].label == "cat")
        #expect(close(classes[0].precision, 2.0 / 3))
        #expect(close(classes[0].recall, 2.0 / 3))
        #expect(close(classes[0].f1, 2.0 / 3))
        #expect(classes[0].support == 3)
        // dog: TP 1, predicted twice (1 from cat + 1), support 2 → P 1/2, R 1/2, F1 1/2.
        #expect(close(classes[1].precision, 0.5))
        #expect(close(classes[1].recall, 0.5))
        #expect(close(classes[1].f1, 0.5))
        // bird: never predicted → precision 0; recall 0; F1 0. "fish" is no class's false positive.
        #expect(classes[2] == ClassScore(label: "bird", precision: 0, recall: 0, f1: 0, support: 1))
        // Macro F1 = (2/3 + 1/2 + 0) / 3 = 7/18.
        #expect(close(result.metric("f1")?.value, 7.0 / 18))
        // Accuracy: cat, cat, dog right → 3/6.
        #expect(close(result.metric("accuracy")?.value, 0.5))
        // Exact: only "cat" and "dog" written exactly → 2/6.
        #expect(close(result.metric("exact")?.value, 2.0 / 6))
        // Format: all but "fish" are labels → 5/6.
        #expect(close(result.metric("format")?.value, 5.0 / 6))
    }

    @Test("labels: a failed call is an (other) prediction; no (other) column when every prediction is a label")
    func labelFailures() throws {
        let failed = try evaluate(expected: ["yes", "no", "yes", "no"], answers: ["yes", nil, "yes", "no"], task: .label)
        #expect(failed.confusion?.predicted == ["yes", "no", "(other)"])
        #expect(failed.confusion?.counts == [[2, 0, 0], [0, 1, 1]])
        let clean = try evaluate(expected: ["yes", "no", "yes", "no"], answers: ["yes", "no", "no", "no"], task: .label)
        #expect(clean.confusion?.predicted == ["yes", "no"])
        #expect(clean.confusion?.counts == [[1, 1], [0, 2]])
        // yes: P 1, R 1/2, F1 2/3; no: P 2/3, R 1, F1 4/5 → macro (2/3 + 4/5) / 2 = 11/15.
        #expect(close(clean.metric("f1")?.value, 11.0 / 15))
    }

    @Test("text: exact against normalized match; a blank answer is out of format")
    func text() throws {
        let result = try evaluate(expected: ["Paris", "The Eiffel Tower", "Rome", "Oslo"],
                                  answers: ["Paris", " the eiffel  tower. ", "Milan", "  "], task: .text)
        #expect(close(result.metric("exact")?.value, 1.0 / 4))
        #expect(close(result.metric("normalized")?.value, 2.0 / 4))
        #expect(close(result.metric("format")?.value, 3.0 / 4))
        #expect(result.classes == nil)
        #expect(result.parsed == nil)
    }

    @Test("numeric format templates", arguments: [
        ("Price is $99", true), ("Price is $1,299.00", true), ("Price is $-5", true), ("  Price is $.5 ", true),
        ("$99", false), ("The price is $99", false), ("Price is $99.", false), ("Price is $", false), ("price is $99", false),
    ])
    func formatTemplate(answer: String, inFormat: Bool) {
        #expect(FormatTemplate(expected: "Price is $108.49").matches(answer) == inFormat)
    }

    @Test("with --extract, format means the pattern matches and the extracted part is compared")
    func extractedFormat() throws {
        let result = try evaluate(expected: ["Answer: 42", "Answer: 7"], answers: ["Let me think. Answer: 42", "7"], task: .numeric,
                                  metrics: [MetricSpec(kind: .format), MetricSpec(kind: .mae), MetricSpec(kind: .exact)],
                                  pattern: #"Answer: (\d+)"#)
        #expect(close(result.metric("format")?.value, 0.5))
        #expect(result.metric("mae")?.value == 0)
        #expect(result.metric("mae")?.count == 1)
        #expect(result.metric("exact")?.value == 0)
    }

    @Test("right is within the tolerance for numbers and a normalized match for labels and text")
    func right() throws {
        let numeric = try scores(expected: ["100", "100"], answers: ["104", "106"], task: .numeric, tolerance: .relative(0.05)).scores
        #expect(numeric.map(\.right) == [true, false])
        let labels = try scores(expected: ["Yes", "No"], answers: ["yes!", "maybe"], task: .label).scores
        #expect(labels.map(\.right) == [true, false])
        let failed = try scores(expected: ["Yes"], answers: [nil], task: .label).scores
        #expect(failed[0].failure == "HTTP 500")
        #expect(!failed[0].right && !failed[0].inFormat && !failed[0].exact)
    }
}
