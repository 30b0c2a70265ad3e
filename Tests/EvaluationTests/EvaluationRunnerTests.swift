import Foundation
import Testing
@testable import Evaluation

/// Answers with the prompt's text reversed after a delay that makes later prompts finish first, and
/// fails the prompts it is told to; counts the calls in flight.
actor InFlight {
    private(set) var current = 0
    private(set) var peak = 0
    func enter() { current += 1; peak = max(peak, current) }
    func leave() { current -= 1 }
}

struct FakeSource: AnswerSource {
    struct Failure: Error, CustomStringConvertible { var description: String }
    let failing: Set<String>
    let inFlight = InFlight()

    func answer(_ prompt: [EvalMessage], maxTokens: Int) async throws -> ModelAnswer {
        await inFlight.enter()
        let text = prompt.last?.content ?? ""
        let number = Int(text.dropFirst()) ?? 0
        // Earlier prompts wait longer, so they finish out of order.
        try await Task.sleep(for: .milliseconds(5 * (8 - number % 8)))
        await inFlight.leave()
        if failing.contains(text) { throw Failure(description: "HTTP 500 after 3 attempts") }
        return ModelAnswer(text: "answer to \(text)", completionTokens: maxTokens, finishReason: "stop", seconds: 0.01)
    }
}

@Suite("Running a model over a test set")
struct EvaluationRunnerTests {
    func set(_ count: Int) -> EvalSet {
        EvalSet(url: URL(fileURLWithPath: "test.jsonl"), sha256: "x",
                examples: (0..<count).map { example($0, "a", prompt: "q\($0)") })
    }

    @Test("answers come back in example order under concurrency; a failing example records its failure")
    func orderAndFailure() async throws {
        let source = FakeSource(failing: ["q5"])
        let progress = Progress()
        let answers = try await EvaluationRunner(concurrency: 4).answers(for: set(12), source: source, maxTokens: 16) { done, total in
            progress.record(done, total)
        }
        #expect(answers.count == 12)
        for (index, answer) in answers.enumerated() where index != 5 {
            #expect(answer.text == "answer to q\(index)")
            #expect(answer.completionTokens == 16)
        }
        #expect(answers[5].text == nil)
        #expect(answers[5].failure == "HTTP 500 after 3 attempts")
        #expect(progress.calls == (1...12).map { [$0, 12] })
        #expect(await source.inFlight.peak == 4)
    }

    @Test("concurrency 1 asks one at a time; every example failing is not an error")
    func serialAllFailing() async throws {
        let source = FakeSource(failing: Set((0..<3).map { "q\($0)" }))
        let answers = try await EvaluationRunner(concurrency: 1).answers(for: set(3), source: source, maxTokens: 8) { _, _ in }
        #expect(answers.allSatisfy { $0.text == nil && $0.failure != nil })
        #expect(await source.inFlight.peak == 1)
    }

    @Test("cancellation stops the run with CancellationError")
    func cancellation() async throws {
        let task = Task {
            try await EvaluationRunner(concurrency: 2).answers(for: set(200), source: FakeSource(failing: []), maxTokens: 8) { _, _ in }
        }
        try await Task.sleep(for: .milliseconds(30))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }
}

/// Collects progress calls from the runner (called on one task at a time).
final class Progress: @unchecked Sendable {
    // Guarded by `lock`: the runner calls `record` from its task while the test reads afterwards.
    private let lock = NSLock()
    private var storage: [[Int]] = []
    func record(_ done: Int, _ total: Int) { lock.withLock { storage.append([done, total]) } }
    var calls: [[Int]] { lock.withLock { storage } }
}
