/// The confusion matrix and per-class precision, recall and F1 of a label task.
///
/// Classes are the distinct normalised reference answers, in first-seen order. A prediction is the
/// normalised extracted answer; one outside the classes (or a failed call, or nothing extracted) goes
/// to the `(other)` column: a false negative of the true class and a false positive of no class.
struct LabelMetrics: Sendable {
    let confusion: ConfusionMatrix
    let classes: [ClassScore]

    init(examples: [EvalExample], scores: [ExampleScore], extractor: AnswerExtractor) {
        let labels = Scoring.labels(of: examples, extractor: extractor)
        let column = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        var counts = Array(repeating: Array(repeating: 0, count: labels.count + 1), count: labels.count)
        for (example, score) in zip(examples, scores) {
            let truth = Normalizer.normalize(Scoring.reference(example.expected, extractor: extractor))
            guard let row = column[truth] else { continue }
            let predicted = score.answer == nil ? nil : score.extracted.map(Normalizer.normalize)
            counts[row][predicted.flatMap { column[$0] } ?? labels.count] += 1
        }
        let hasOther = counts.contains { $0[labels.count] > 0 }
        if !hasOther { counts = counts.map { Array($0.dropLast()) } }
        confusion = ConfusionMatrix(labels: labels, predicted: labels + (hasOther ? [ConfusionMatrix.other] : []), counts: counts)

        classes = labels.indices.map { index in
            let truePositives = counts[index][index]
            let support = counts[index].reduce(0, +)
            let predictedCount = counts.reduce(0) { $0 + $1[index] }
            let precision = predictedCount == 0 ? 0 : Double(truePositives) / Double(predictedCount)
            let recall = support == 0 ? 0 : Double(truePositives) / Double(support)
            let f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
            return ClassScore(label: labels[index], precision: precision, recall: recall, f1: f1, support: support)
        }
    }

    /// The mean of the classes' F1; nil without classes.
    var macroF1: Double? {
        classes.isEmpty ? nil : classes.reduce(0) { $0 + $1.f1 } / Double(classes.count)
    }
}
