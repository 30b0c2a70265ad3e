/// What answers test prompts: the in-process engine or a hosted chat API (the CLI supplies it).
public protocol AnswerSource: Sendable {
    /// Answers one prompt deterministically (temperature 0).
    /// - Parameters:
    ///   - prompt: the example's messages before the expected answer.
    ///   - maxTokens: the most tokens to generate.
    /// - Throws: any error; the runner records it as a failure of this example (`ModelAnswer.failure`).
    func answer(_ prompt: [EvalMessage], maxTokens: Int) async throws -> ModelAnswer
}

/// Asks an `AnswerSource` every example of a test set, a few at a time.
///
/// ```swift
/// let runner = EvaluationRunner(concurrency: 8)
/// let answers = try await runner.answers(for: set, source: client, maxTokens: 64) { done, total in bar.update(done, total) }
/// ```
public struct EvaluationRunner: Sendable {
    /// Prompts in flight at once: 1 for the in-process engine, ~8 for hosted APIs (at least 1).
    public var concurrency: Int

    public init(concurrency: Int) {
        self.concurrency = max(1, concurrency)
    }

    /// Answers every example; the answers are in the order of the examples whatever order they finish in.
    /// An example whose call throws gets an answer with `text` nil and the error in `failure`; every
    /// example failing is not an error here.
    /// - Parameter progress: called with (done, total) after each answer, from the calling task.
    /// - Throws: `CancellationError` when the task is cancelled (the calls in flight are cancelled too).
    public func answers(for set: EvalSet, source: some AnswerSource, maxTokens: Int,
                        progress: @Sendable (Int, Int) -> Void) async throws -> [ModelAnswer] {
        let examples = set.examples
        var answers = [ModelAnswer?](repeating: nil, count: examples.count)
        try await withThrowingTaskGroup(of: (Int, ModelAnswer).self) { group in
            var next = 0
            func startNext() {
                guard next < examples.count else { return }
                let position = next
                let prompt = examples[position].prompt
                next += 1
                group.addTask {
                    try Task.checkCancellation()
                    let clock = ContinuousClock()
                    let start = clock.now
                    do {
                        return (position, try await source.answer(prompt, maxTokens: maxTokens))
                    } catch {
                        if Task.isCancelled { throw CancellationError() }
                        let elapsed = start.duration(to: clock.now)
                        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                        return (position, ModelAnswer(text: nil, failure: "\(error)", seconds: seconds))
                    }
                }
            }
            for _ in 0..<min(concurrency, examples.count) { startNext() }
            var done = 0
            while let (position, answer) = try await group.next() {
                answers[position] = answer
                done += 1
                progress(done, examples.count)
                try Task.checkCancellation()
                startNext()
            }
        }
        return answers.map { $0 ?? ModelAnswer(text: nil, failure: "not answered", seconds: 0) }
    }
}
