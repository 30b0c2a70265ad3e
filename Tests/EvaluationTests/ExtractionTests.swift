import Testing
@testable import Evaluation

@Suite("Answer extraction, normalisation and task inference")
struct ExtractionTests {
    @Test("without a pattern the trimmed text is the answer; blank is nil")
    func noPattern() throws {
        let extractor = try AnswerExtractor(pattern: nil)
        #expect(extractor.extract("  Positive \n") == "Positive")
        #expect(extractor.extract(" \n ") == nil)
    }

    @Test("a pattern gives its first capture group, or the whole match without one; nil without a match")
    func withPattern() throws {
        let grouped = try AnswerExtractor(pattern: #"Price is \$([0-9.,]+)"#)
        #expect(grouped.extract("I think. Price is $1,299.00 or so") == "1,299.00")
        #expect(grouped.extract("no price here") == nil)
        let whole = try AnswerExtractor(pattern: #"\d+ (?:cats|dogs)"#)
        #expect(whole.extract("I saw 3 dogs and 4 cats") == "3 dogs")
        // The first group that took part in the match.
        let alternatives = try AnswerExtractor(pattern: #"label: (\w+)|class=(\w+)"#)
        #expect(alternatives.extract("class=spam") == "spam")
    }

    @Test("a bad pattern is an error naming --extract and the pattern")
    func badPattern() {
        let error = #expect(throws: EvaluationError.self) { try AnswerExtractor(pattern: "Price is ($") }
        #expect(error?.description.hasPrefix("--extract 'Price is ($' is not a valid regular expression") == true)
    }

    @Test("numbers as the seeds' get_price reads them", arguments: [
        ("Price is $1,299.00", 1299.0 as Double?),
        ("$99", 99),
        ("about -3.5 degrees", -3.5),
        ("costs .75 each", 0.75),
        ("+12", 12),
        ("version 1.2.3", 1.2),
        ("twelve dollars", nil),
        ("", nil),
    ])
    func numbers(text: String, value: Double?) {
        #expect(AnswerExtractor.number(in: text) == value)
    }

    @Test("normalisation: case, diacritics, whitespace, surrounding quotes and punctuation", arguments: [
        ("  Café   au\tLAIT! ", "cafe au lait"),
        ("\"Positive.\"", "positive"),
        ("`yes`", "yes"),
        ("'Neutral' ?", "neutral"),
        ("Mr. Smith's dog.", "mr. smith's dog"),
        ("Ünïcödé", "unicode"),
        ("...", ""),
    ])
    func normalize(text: String, normalized: String) {
        #expect(Normalizer.normalize(text) == normalized)
    }

    @Test("task inference: numeric, label and text")
    func inference() throws {
        let plain = try AnswerExtractor(pattern: nil)
        #expect(TaskKind.infer(expected: ["Price is $10", "Price is $12.50", "$3"], extractor: plain) == .numeric)
        // 2 distinct labels over 4 examples: at most half.
        #expect(TaskKind.infer(expected: ["Positive", "negative.", "positive", "Negative"], extractor: plain) == .label)
        // 3 distinct answers over 4 examples: more than half, so text.
        #expect(TaskKind.infer(expected: ["a cat", "a dog", "a cat", "a bird"], extractor: plain) == .text)
        #expect(TaskKind.infer(expected: ["one", "two 2"], extractor: plain) == .text)
        #expect(TaskKind.infer(expected: [], extractor: plain) == .text)
        // More than 20 labels is text even when each repeats.
        let many = "abcdefghijklmnopqrstu".flatMap { ["label \($0)", "label \($0)"] }
        #expect(TaskKind.infer(expected: many, extractor: plain) == .text)
        // The numbers are looked for in what the pattern extracts.
        let answer = try AnswerExtractor(pattern: #"Answer: (\w+)"#)
        #expect(TaskKind.infer(expected: ["Step 1. Answer: yes", "Step 2. Answer: no", "Step 3. Answer: yes", "Step 4. Answer: no"],
                               extractor: answer) == .label)
    }

    @Test("metric names parse to specs with stable keys and names")
    func metricParsing() throws {
        #expect(try MetricSpec(parsing: "MAE") == MetricSpec(kind: .mae))
        let relative = try MetricSpec(parsing: "within:10%")
        #expect(relative.tolerance == .relative(0.1))
        #expect(relative.key == "within_10%")
        #expect(relative.name == "Within 10%")
        #expect(relative.description == "within:10%")
        let absolute = try MetricSpec(parsing: "within:5")
        #expect(absolute.key == "within_5")
        #expect(absolute.name == "Within ±5")
        #expect(try MetricSpec(parsing: "within:2.5%").key == "within_2.5%")
        #expect(try MetricSpec(parsing: "within", defaultTolerance: .absolute(3)).key == "within_3")
        #expect(try MetricSpec(parsing: "f1").name == "Macro F1")
        #expect(try MetricSpec(parsing: "exact").name == "Exact match")
        #expect(MetricSpec(kind: .mae).higherIsBetter == false)
        #expect(MetricSpec(kind: .accuracy).higherIsBetter)
        #expect(MetricSpec(kind: .mape).isFraction)
        #expect(!MetricSpec(kind: .rmse).isFraction)
    }

    @Test("an unknown metric lists the accepted names; a bad tolerance says how to write one")
    func metricErrors() {
        let unknown = #expect(throws: EvaluationError.self) { try MetricSpec(parsing: "bleu") }
        #expect(unknown?.description == "--metric 'bleu': unknown metric; use one of " + MetricSpec.acceptedNames)
        let tolerance = #expect(throws: EvaluationError.self) { try MetricSpec(parsing: "within:ten") }
        #expect(tolerance?.description.contains("like 10% or an amount like 5") == true)
        #expect(throws: EvaluationError.self) { try MetricSpec(parsing: "mae:5") }
        #expect(throws: EvaluationError.self) { try MetricSpec(parsing: "within:-5%") }
    }

    @Test("default metrics per task")
    func defaults() {
        #expect(MetricSpec.defaults(for: .numeric).map(\.key) == ["mae", "rmse", "mape", "within_10%", "exact", "format"])
        #expect(MetricSpec.defaults(for: .numeric, tolerance: .absolute(5)).map(\.key)[3] == "within_5")
        #expect(MetricSpec.defaults(for: .label).map(\.key) == ["accuracy", "f1", "exact", "format"])
        #expect(MetricSpec.defaults(for: .text).map(\.key) == ["exact", "normalized", "format"])
    }
}
